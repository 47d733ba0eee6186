import type { Random } from '../core/backoff.ts';
import type { Clock, TimerHandle } from '../core/clock.ts';
import { ClosedError, errorMessage } from '../core/errors.ts';
import type { DeliveryOutcome, Sink } from '../sinks/sink.ts';
import { decideDelivery, type DeliveryPolicy } from './delivery-policy.ts';
import type { ClaimedEvent, Outbox, Settlement } from './outbox.ts';
import { contentionPauseMs, isWriteLockContention } from './outbox-error.ts';
import { SinkBlocking, type SinkBlock } from './sink-blocking.ts';

/** Callbacks for metrics and logs. Each is optional and must not throw. */
export interface DispatcherHooks {
  /** `count` events of one batch were acknowledged by `sink`. */
  onDelivered?(sink: string, count: number): void;
  /** `count` events failed and were scheduled for another attempt, the first of them at `nextAttemptAt` (ms). */
  onRetry?(sink: string, count: number, error: string, nextAttemptAt: number): void;
  /** `count` events were dead-lettered. */
  onDeadLettered?(sink: string, count: number, reason: string): void;
  /** One observation per delivered event: its receive time to its acknowledgement. */
  onLatency?(sink: string, latencyMs: number): void;
  /**
   * The sink cannot deliver until its configuration or credentials are fixed (an outcome of kind 'blocked'); its
   * events stay pending. Fired when the sink becomes blocked, not for every batch while it stays blocked.
   */
  onBlocked?(sink: string, error: string): void;
  /** A blocked sink delivered again (or got an answer about an event): its credentials work. */
  onUnblocked?(sink: string): void;
  /**
   * The outbox itself failed (disk full, closed); the worker pauses and tries again. A write refused for another
   * process's lock is reported only once that has lasted `errorPauseMs` (then at most once per `errorPauseMs`).
   */
  onError?(sink: string, error: unknown): void;
}

export interface SinkWorkerOptions {
  outbox: Outbox;
  sink: Sink;
  clock: Clock;
  policy: DeliveryPolicy;
  random: Random;
  pollIntervalMs: number;
  errorPauseMs: number;
  hooks: DispatcherHooks;
}

/** Counters of one sink since the dispatcher started. */
export interface SinkCounters {
  delivered: number;
  retried: number;
  deadLettered: number;
}

/**
 * The delivery loop of one sink: claim a batch of due rows, hand it to the sink, apply the delivery policy to each
 * outcome, repeat. One batch at a time, which keeps the sink's order. When nothing is due it waits for a commit
 * (`wake`), the next due retry, or the poll interval (which picks up changes made by other processes, e.g. the CLI).
 */
export class SinkWorker {
  readonly counters: SinkCounters = { delivered: 0, retried: 0, deadLettered: 0 };
  private readonly blocking = new SinkBlocking();
  private stopping = false;
  /** Something may have changed the sink's queue since the last claim began (a commit, a stop, an error pause). */
  private woken = false;
  /** Since when the outbox has refused this loop's writes for another process's lock; when that was last reported. */
  private contention: { since: number; reportedAt: number | undefined } | undefined;
  private waiter: { resolve: () => void; timer: TimerHandle } | undefined;
  private controller: AbortController | undefined;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly o: SinkWorkerOptions) {}

  start(): void {
    this.loop = this.run();
  }

  /** Why the sink is blocked, while it is. */
  get blocked(): SinkBlock | undefined {
    return this.blocking.current;
  }

  /** Resolves when the loop has ended (after `stop`). */
  get done(): Promise<void> {
    return this.loop;
  }

  /** New work may be there: stop waiting (or, in the middle of a batch, claim again after it). */
  wake(): void {
    this.woken = true;
    const waiter = this.waiter;
    if (!waiter) return;
    this.waiter = undefined;
    this.o.clock.clearTimeout(waiter.timer);
    waiter.resolve();
  }

  /** Claims nothing more; the batch in flight, if any, runs to completion. */
  stop(): void {
    this.stopping = true;
    this.wake();
  }

  /** Aborts the batch in flight; its undelivered events go back to pending. */
  abort(): void {
    this.controller?.abort(new ClosedError('dispatcher closed before the delivery finished'));
  }

  private async run(): Promise<void> {
    const name = this.o.sink.name;
    const limit = Math.max(1, this.o.sink.maxBatch);
    while (!this.stopping) {
      let claimed: ClaimedEvent[];
      let nextDueAt: number | undefined;
      this.woken = false;
      try {
        ({ events: claimed, nextDueAt } = this.o.outbox.claim(name, limit));
        this.contention = undefined;
      } catch (err) {
        await this.pauseAfter(err);
        continue;
      }
      if (claimed.length === 0) {
        await this.idle(nextDueAt);
        continue;
      }
      const after = await this.deliver(claimed);
      // A short batch took everything owed and due when it was claimed. Unless something woke the loop since (a
      // commit of new events), or the batch put rows back to claim now, the next claim would come back empty: wait
      // for the earlier of the row it stopped at and the retries it scheduled instead. At a calm rate this saves one
      // write transaction of the two every commit cost (issue 10); the poll interval still bounds the wait.
      if (claimed.length < limit && !this.woken && !after.released) await this.idle(earliest(nextDueAt, after.dueAt));
    }
  }

  private idle(nextDueAt: number | undefined): Promise<void> {
    const now = this.o.clock.now();
    const wakeAt = Math.min(nextDueAt ?? Number.POSITIVE_INFINITY, now + this.o.pollIntervalMs);
    return new Promise<void>((resolve) => {
      if (this.stopping) return resolve();
      const timer = this.o.clock.setTimeout(() => this.wake(), wakeAt - now);
      this.waiter = { resolve, timer };
    });
  }

  private async deliver(claimed: ClaimedEvent[]): Promise<Settled> {
    const controller = new AbortController();
    this.controller = controller;
    let outcomes: readonly DeliveryOutcome[];
    try {
      const sink = this.o.sink;
      // Sinks that can use the stored JSON get it as is; the others get the events (parsed here, on first read).
      outcomes = sink.deliverStored
        ? await sink.deliverStored(claimed, controller.signal)
        : await sink.deliver(
            claimed.map((c) => c.event),
            controller.signal,
          );
    } catch (err) {
      // The Sink contract says deliver() classifies rather than throws; a throw is a bug or an outage we did not
      // foresee, and retrying is the safe reading of both.
      outcomes = claimed.map(() => ({ kind: 'retryable', error: `sink threw: ${errorMessage(err)}` }));
    } finally {
      this.controller = undefined;
    }
    const settled = await this.apply(claimed, outcomes, controller.signal.aborted);
    this.track(outcomes);
    return settled;
  }

  /**
   * Follows the sink's blocked state. No pause of its own is needed: the deferred rows stay at the head of the
   * sink's queue, and claims are strictly in order, so nothing is handed to the sink before the deferral is due.
   */
  private track(outcomes: readonly DeliveryOutcome[]): void {
    const change = this.blocking.update(outcomes, this.o.clock.now());
    if (change?.to === 'blocked') this.o.hooks.onBlocked?.(this.o.sink.name, change.reason);
    else if (change?.to === 'unblocked') this.o.hooks.onUnblocked?.(this.o.sink.name);
  }

  private async apply(
    claimed: ClaimedEvent[],
    outcomes: readonly DeliveryOutcome[],
    aborted: boolean,
  ): Promise<Settled> {
    const now = this.o.clock.now();
    const settlements: Settlement[] = [];
    const released: number[] = [];
    const tally: Tally = { retry: [], dead: [], latencies: [] };
    let deferredTo: number | undefined;
    claimed.forEach((c, i) => {
      // Past a non-empty prefix of outcomes the sink stopped to keep its order (BatchOutcome): not attempted, so
      // queued again behind the failed event without an attempt counted. No outcome at all is a sink bug: retry.
      if (i >= outcomes.length && outcomes.length > 0) return void released.push(c.seq);
      const outcome = outcomes[i] ?? { kind: 'retryable', error: 'sink returned no outcome for this event' };
      // Shutdown cut the attempt short: that says nothing about the sink, so the attempt does not count.
      if (aborted && outcome.kind === 'retryable') return void released.push(c.seq);
      const decision = decideDelivery(c.attempts, outcome, now, this.o.policy, this.o.random);
      if (decision.action === 'ack') {
        settlements.push({ seq: c.seq, action: 'ack' });
        tally.latencies.push(now - c.receivedAt);
      } else if (decision.action === 'retry') {
        const error = outcome.kind === 'retryable' ? outcome.error : outcome.kind;
        settlements.push({ seq: c.seq, action: 'retry', at: decision.at, error });
        tally.retry.push(error);
        tally.nextAttemptAt = Math.min(tally.nextAttemptAt ?? decision.at, decision.at);
      } else if (decision.action === 'defer') {
        const error = outcome.kind === 'blocked' ? outcome.error : outcome.kind;
        // Not a failure of this event: no retry counted, no onRetry (the block is reported once, by track()).
        settlements.push({ seq: c.seq, action: 'defer', at: decision.at, error });
        deferredTo = earliest(deferredTo, decision.at);
      } else {
        settlements.push({ seq: c.seq, action: 'deadLetter', reason: decision.reason });
        tally.dead.push(decision.reason);
      }
    });
    const settled = await this.persist(() => this.o.outbox.settle(this.o.sink.name, settlements));
    if (settled && released.length > 0) await this.persist(() => this.o.outbox.release(this.o.sink.name, released));
    if (settled) this.report(tally);
    return { released: released.length > 0, dueAt: earliest(tally.nextAttemptAt, deferredTo) };
  }

  /**
   * Runs an outbox write until it succeeds (the file may be locked by another process or the disk full for a while):
   * a settlement given up would leave its rows inflight, claimed by nobody, until the next start. Only shutdown
   * stops trying; the rows then go back to pending at the next open (at-least-once).
   */
  private async persist(write: () => void): Promise<boolean> {
    for (;;) {
      try {
        write();
        this.contention = undefined;
        return true;
      } catch (err) {
        if (this.stopping || err instanceof ClosedError) {
          this.o.hooks.onError?.(this.o.sink.name, err);
          return false;
        }
        await this.pauseAfter(err);
        if (this.stopping) return false;
      }
    }
  }

  /**
   * Waits after the outbox refused a claim or a settlement. A lock held by another process (a CLI bulk operation
   * holds it a few ms at a time) is tried again within a few ms, as the outbox's own commits are, and reported only
   * if it lasts: a routine `dlq retry` beside the relay had paused delivery a second per collision, with a warning.
   * Anything else (disk full, I/O error) waits `errorPauseMs` and is reported each time.
   */
  private async pauseAfter(err: unknown): Promise<void> {
    const now = this.o.clock.now();
    if (!isWriteLockContention(err)) {
      this.contention = undefined;
      this.o.hooks.onError?.(this.o.sink.name, err);
      return this.idle(now + this.o.errorPauseMs);
    }
    const contention = (this.contention ??= { since: now, reportedAt: undefined });
    const every = this.o.errorPauseMs;
    if (now - contention.since >= every && now - (contention.reportedAt ?? Number.NEGATIVE_INFINITY) >= every) {
      contention.reportedAt = now;
      this.o.hooks.onError?.(this.o.sink.name, err);
    }
    return this.idle(now + contentionPauseMs(this.o.random));
  }

  private report(tally: Tally): void {
    const { hooks, sink } = this.o;
    const delivered = tally.latencies.length;
    this.counters.delivered += delivered;
    this.counters.retried += tally.retry.length;
    this.counters.deadLettered += tally.dead.length;
    if (delivered > 0) hooks.onDelivered?.(sink.name, delivered);
    if (hooks.onLatency) for (const ms of tally.latencies) if (Number.isFinite(ms)) hooks.onLatency(sink.name, ms);
    if (tally.retry[0] !== undefined && tally.nextAttemptAt !== undefined) {
      hooks.onRetry?.(sink.name, tally.retry.length, tally.retry[0], tally.nextAttemptAt);
    }
    if (tally.dead[0] !== undefined) hooks.onDeadLettered?.(sink.name, tally.dead.length, tally.dead[0]);
  }
}

/** What settling one batch left for the loop: rows put back to claim now, or the first retry or deferral due. */
interface Settled {
  released: boolean;
  dueAt: number | undefined;
}

function earliest(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.min(a, b);
}

/** What one batch came to, for counters and hooks. */
interface Tally {
  retry: string[];
  /** The earliest retry scheduled by this batch. */
  nextAttemptAt?: number;
  dead: string[];
  latencies: number[];
}
