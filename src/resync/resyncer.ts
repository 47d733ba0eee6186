import { computeBackoffMs } from '../core/backoff.ts';
import type { Clock } from '../core/clock.ts';
import type { RelayEvent } from '../envelope/envelope.ts';
import { LastStateMap } from './last-state.ts';
import type { PendingGapFile } from './pending-gaps.ts';
import { gapId, resyncEvent } from './resync-event.ts';
import { expandTopics } from './topic-names.ts';
import type { HealedState, ResyncGap, ResyncStrategy, StateReader } from './types.ts';

/** How one gap was healed: the audit line `resync.gap` and the metrics are made from it. */
export interface GapReport {
  gap: ResyncGap;
  /** Id of the (coalesced) run that healed it, and how many gaps that run covered. */
  runId: string;
  coalesced: number;
  /** Per strategy: topics healed, states re-read, events emitted, states equal to what was already delivered. */
  strategies: Record<string, { topics: number; read: number; emitted: number; unchanged: number }>;
  /** Topics no strategy heals: their events in the gap stay lost (reported, metric, status). */
  unhealed: string[];
  attempts: number;
}

export interface ResyncHooks {
  onHealed?(report: GapReport): void;
  /** The run failed `attempt` times and will try again after `delayMs`. */
  onRetry?(runId: string, attempt: number, delayMs: number, error: unknown): void;
  /** A strategy's run committed `count` resync events (once per run, not per coalesced gap). */
  onEmitted?(strategy: string, count: number): void;
  /** Gave up after every attempt: the gap is reported, not healed. */
  onFailed?(gap: ResyncGap, error: unknown, attempts: number): void;
}

export interface ResyncerOptions {
  /** Tried in order; the first that handles a topic heals it. */
  strategies: readonly ResyncStrategy[];
  reader: StateReader;
  /** Commits one event to the outbox (resolves when durable). */
  append(event: RelayEvent): Promise<void>;
  clock: Clock;
  /** @default a map of 100,000 entities */
  lastState?: LastStateMap;
  /** Where unfinished gaps survive a crash. */
  pending?: PendingGapFile;
  hooks?: ResyncHooks;
  /** Wait after a gap before reading: gaps closing meanwhile join the same run (a gap storm is one resync). @default 2000 */
  delayMs?: number;
  /** Runs of one resync before it is reported as failed. @default 5 */
  maxAttempts?: number;
  /** Backoff between runs. @default 5000 */
  retryBaseMs?: number;
  /** @default 60000 */
  retryMaxMs?: number;
}

export interface ResyncStatus {
  /** Gaps waiting for, or inside, a resync. */
  pending: number;
  running: boolean;
  healed: number;
  /** Gaps with at least one topic no strategy heals. */
  unhealed: number;
  failed: number;
  emitted: number;
  /** The unhealed topics of the latest such gap (at most 20). */
  lastUnhealedTopics: string[];
}

/**
 * Heals gaps: queues them (persisted), coalesces those that close within `delayMs` of each other into one run over
 * the union of their topics and intervals, re-reads state with the strategies, and appends a resync event for every
 * entity whose state differs from the last one delivered. A failed run is retried with backoff and finally reported.
 */
export class Resyncer {
  readonly lastState: LastStateMap;
  private readonly queue: ResyncGap[] = [];
  private inFlight: ResyncGap[] = [];
  private loop: Promise<void> | undefined;
  private closed = false;
  private readonly abort = new AbortController();
  private readonly counts = { healed: 0, unhealed: 0, failed: 0, emitted: 0 };
  private lastUnhealed: string[] = [];

  constructor(private readonly options: ResyncerOptions) {
    this.lastState = options.lastState ?? new LastStateMap(100_000);
  }

  /**
   * Records the state a live event will deliver. Call it when the event is appended to the outbox, in append order
   * (which is delivery order), not once it is committed: see Relay.commit. Resync events are ignored.
   */
  observe(event: RelayEvent): void {
    if (event.relay.source === 'resync') return;
    const strategy = this.options.strategies.find((s) => s.handles(event.topicName));
    const state = strategy?.identify(event.topicName, event.eventBody);
    if (state) this.lastState.set(state.entity, state.fingerprint, this.options.clock.now());
  }

  /** Queues a gap for healing (persisted at once). */
  enqueue(gap: ResyncGap): void {
    if (this.closed) return;
    this.queue.push(gap);
    this.persist();
    this.kick();
  }

  status(): ResyncStatus {
    return {
      pending: this.queue.length + this.inFlight.length,
      running: this.inFlight.length > 0,
      ...this.counts,
      lastUnhealedTopics: [...this.lastUnhealed],
    };
  }

  /** Resolves once no gap is queued or being healed (tests, drain). */
  async idle(): Promise<void> {
    while (this.loop) await this.loop;
  }

  /** Stops healing; unfinished gaps stay in the pending file for the next start. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.abort.abort();
    await this.loop?.catch(() => undefined);
    this.persist();
  }

  private kick(): void {
    if (this.loop || this.closed) return;
    this.loop = this.runLoop().finally(() => {
      this.loop = undefined;
      if (this.queue.length > 0) this.kick();
    });
  }

  private async runLoop(): Promise<void> {
    const signal = this.abort.signal;
    while (this.queue.length > 0 && !this.closed) {
      try {
        await this.options.clock.sleep(this.options.delayMs ?? 2_000, signal);
      } catch {
        return;
      }
      this.inFlight = this.queue.splice(0);
      await this.runGaps(this.inFlight, signal);
      if (signal.aborted) return;
      this.inFlight = [];
      this.persist();
    }
  }

  /** One coalesced run with retries; never throws. */
  private async runGaps(gaps: readonly ResyncGap[], signal: AbortSignal): Promise<void> {
    const merged = mergeGaps(gaps);
    const maxAttempts = Math.max(1, this.options.maxAttempts ?? 5);
    for (let attempt = 1; ; attempt++) {
      try {
        const report = await this.heal(merged, signal);
        for (const gap of gaps)
          this.report({ ...report, gap, runId: merged.id, coalesced: gaps.length, attempts: attempt });
        return;
      } catch (err) {
        if (signal.aborted) return;
        if (attempt >= maxAttempts) {
          this.counts.failed += gaps.length;
          for (const gap of gaps) this.emitHook(() => this.options.hooks?.onFailed?.(gap, err, attempt));
          return;
        }
        const policy = {
          baseMs: this.options.retryBaseMs ?? 5_000,
          maxMs: this.options.retryMaxMs ?? 60_000,
          firstImmediate: false,
        };
        const delayMs = computeBackoffMs(attempt - 1, policy);
        this.emitHook(() => this.options.hooks?.onRetry?.(merged.id, attempt, delayMs, err));
        try {
          await this.options.clock.sleep(delayMs, signal);
        } catch {
          return;
        }
      }
    }
  }

  private async heal(gap: ResyncGap, signal: AbortSignal): Promise<Pick<GapReport, 'strategies' | 'unhealed'>> {
    const byStrategy = new Map<ResyncStrategy, string[]>();
    const unhealed: string[] = [];
    for (const topic of expandTopics(gap.topics)) {
      const strategy = this.options.strategies.find((s) => s.handles(topic));
      if (strategy) byStrategy.set(strategy, [...(byStrategy.get(strategy) ?? []), topic]);
      else unhealed.push(topic);
    }
    const strategies: GapReport['strategies'] = {};
    for (const [strategy, topics] of byStrategy) {
      const readStartedAt = this.options.clock.now();
      const states = await strategy.heal(topics, { gap, reader: this.options.reader, signal, readStartedAt });
      const fresh = states.filter((state) => this.isNews(state, gap, readStartedAt));
      await Promise.all(fresh.map((state) => this.deliver(state, gap)));
      const unchanged = states.length - fresh.length;
      strategies[strategy.name] = { topics: topics.length, read: states.length, emitted: fresh.length, unchanged };
      if (fresh.length > 0) this.emitHook(() => this.options.hooks?.onEmitted?.(strategy.name, fresh.length));
    }
    return { strategies, unhealed };
  }

  /**
   * Worth an event: differs from the last state delivered, and no live event for the entity arrived since the read
   * began (that one is as new or newer). With no delivered state known, a state that took effect before the gap did
   * not change in it.
   */
  private isNews(state: HealedState, gap: ResyncGap, readStartedAt: number): boolean {
    const known = this.lastState.get(state.entity);
    if (known) return known.fingerprint !== state.fingerprint && known.updatedAt < readStartedAt;
    return state.changedAt === undefined || state.changedAt >= gap.startAt;
  }

  private async deliver(state: HealedState, gap: ResyncGap): Promise<void> {
    await this.options.append(resyncEvent(state, gap, this.options.clock.now()));
    this.lastState.set(state.entity, state.fingerprint, this.options.clock.now());
    this.counts.emitted++;
  }

  private report(report: GapReport): void {
    if (report.unhealed.length > 0) {
      this.counts.unhealed++;
      this.lastUnhealed = report.unhealed.slice(0, 20);
    } else {
      this.counts.healed++;
    }
    this.emitHook(() => this.options.hooks?.onHealed?.(report));
  }

  private persist(): void {
    try {
      this.options.pending?.save([...this.inFlight, ...this.queue]);
    } catch {
      // The pending file only shortens recovery after a crash; healing goes on without it.
    }
  }

  private emitHook(hook: () => void): void {
    try {
      hook();
    } catch {
      // Observability hooks must not change the outcome of a resync.
    }
  }
}

/** One gap covering several: the union of their topics, from the earliest start to the latest end. */
export function mergeGaps(gaps: readonly ResyncGap[]): ResyncGap {
  const [first] = gaps;
  if (!first) throw new Error('mergeGaps: no gaps');
  if (gaps.length === 1) return first;
  return {
    id: gapId(gaps.map((g) => g.id).sort()),
    startAt: Math.min(...gaps.map((g) => g.startAt)),
    endAt: Math.max(...gaps.map((g) => g.endAt)),
    topics: [...new Set(gaps.flatMap((g) => g.topics))],
    reason: `${gaps.length} gaps coalesced`,
  };
}
