import type { Random } from '../core/backoff.ts';
import { systemClock, type Clock, type TimerHandle } from '../core/clock.ts';
import { ClosedError, ConfigError } from '../core/errors.ts';
import type { Sink } from '../sinks/sink.ts';
import { defaultDeliveryPolicy, type DeliveryPolicy } from './delivery-policy.ts';
import type { Outbox } from './outbox.ts';
import type { SinkBlock } from './sink-blocking.ts';
import { SinkWorker, type DispatcherHooks, type SinkCounters } from './sink-worker.ts';

export type { SinkBlock } from './sink-blocking.ts';
export type { DispatcherHooks, SinkCounters } from './sink-worker.ts';

export interface DispatcherOptions {
  outbox: Outbox;
  /** Each gets its own loop and its own progress through the outbox. Names must be unique. */
  sinks: readonly Sink[];
  /** @default systemClock */
  clock?: Clock;
  /** Overrides of the retry/dead-letter policy for every sink. @default defaultDeliveryPolicy */
  policy?: Partial<DeliveryPolicy>;
  /** Per-sink overrides on top of `policy`, by sink name. @default {} */
  sinkPolicies?: Readonly<Record<string, Partial<DeliveryPolicy>>>;
  /** Source of jitter for backoff. @default Math.random */
  random?: Random;
  /** How often an idle loop looks for work written by another process (`replay`, `dlq retry`). @default 1000 */
  pollIntervalMs?: number;
  /** Pause after the outbox itself failed, before trying again. @default 1000 */
  errorPauseMs?: number;
  /** @default {} */
  hooks?: DispatcherHooks;
}

export interface DispatcherCloseOptions {
  /** How long in-flight deliveries may take to finish before they are aborted (and left pending). @default 10000 */
  drainTimeoutMs?: number;
  /** After aborting, how long to wait for sinks to notice before returning anyway. @default 1000 */
  abortGraceMs?: number;
}

/**
 * Moves events from the outbox to the sinks: one independent loop per sink (see SinkWorker), woken by every commit
 * of new events. Constructing it declares the sinks to the outbox, so construct it before the first append.
 * It neither opens nor closes the outbox or the sinks: their owner does (service/relay.ts).
 */
export class Dispatcher {
  private readonly clock: Clock;
  private readonly workers: SinkWorker[];
  private unsubscribe: (() => void) | undefined;
  private started = false;
  private closing: Promise<void> | undefined;

  constructor(private readonly options: DispatcherOptions) {
    this.clock = options.clock ?? systemClock;
    const names = options.sinks.map((s) => s.name);
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate !== undefined) throw new ConfigError('sinks', `two sinks are named "${duplicate}"`);
    options.outbox.setActiveSinks(names);
    this.workers = options.sinks.map(
      (sink) =>
        new SinkWorker({
          outbox: options.outbox,
          sink,
          clock: this.clock,
          policy: { ...defaultDeliveryPolicy, ...options.policy, ...options.sinkPolicies?.[sink.name] },
          random: options.random ?? Math.random,
          pollIntervalMs: options.pollIntervalMs ?? 1_000,
          errorPauseMs: options.errorPauseMs ?? 1_000,
          hooks: options.hooks ?? {},
        }),
    );
  }

  /** Starts every sink's loop. */
  start(): void {
    if (this.closing) throw new ClosedError('dispatcher is closed');
    if (this.started) return;
    this.started = true;
    this.unsubscribe = this.options.outbox.onCommit(() => {
      for (const worker of this.workers) worker.wake();
    });
    for (const worker of this.workers) worker.start();
  }

  /** Delivered / retried / dead-lettered counts per sink since start. */
  counters(): Record<string, SinkCounters> {
    const out: Record<string, SinkCounters> = {};
    this.options.sinks.forEach((sink, i) => (out[sink.name] = { ...this.workers[i]!.counters }));
    return out;
  }

  /** The sinks that are blocked by their configuration or credentials right now, with the reason. */
  blocked(): Record<string, SinkBlock> {
    const out: Record<string, SinkBlock> = {};
    this.options.sinks.forEach((sink, i) => {
      const block = this.workers[i]!.blocked;
      if (block) out[sink.name] = { ...block };
    });
    return out;
  }

  /**
   * Stops claiming, lets in-flight batches finish until `drainTimeoutMs`, then aborts them (their events stay pending
   * for the next run). Undelivered backlog stays in the outbox. Idempotent.
   */
  close(options: DispatcherCloseOptions = {}): Promise<void> {
    this.closing ??= this.shutdown(options.drainTimeoutMs ?? 10_000, options.abortGraceMs ?? 1_000);
    return this.closing;
  }

  private async shutdown(drainTimeoutMs: number, abortGraceMs: number): Promise<void> {
    this.unsubscribe?.();
    for (const worker of this.workers) worker.stop();
    const all = Promise.all(this.workers.map((w) => w.done)).then(() => true);
    if (await this.within(all, drainTimeoutMs)) return;
    for (const worker of this.workers) worker.abort();
    // A sink that ignores its abort signal must not hold shutdown hostage; its rows stay inflight and are recovered
    // on the next open.
    await this.within(all, abortGraceMs);
  }

  /** True if `work` settled within `ms`. */
  private async within(work: Promise<boolean>, ms: number): Promise<boolean> {
    let timer: TimerHandle | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = this.clock.setTimeout(() => resolve(false), ms)));
    try {
      return await Promise.race([work, timeout]);
    } finally {
      this.clock.clearTimeout(timer);
    }
  }
}
