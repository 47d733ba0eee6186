import type { Clock, TimerHandle } from '../core/clock.ts';
import { contentionPauseMs } from './outbox-error.ts';

export interface GroupCommitOptions<T, R> {
  clock: Clock;
  /** Commit as soon as this many items are buffered. */
  maxItems: number;
  /** Commit at the latest this long after the first item of a group was buffered (the wait of a calm group). */
  intervalMs: number;
  /**
   * Rate-following: while items arrive often enough that waiting longer brings more of them into one commit, a group
   * waits up to this long instead (about `targetItemsPerCommit` items' worth of the recent gap between items). It is
   * the latency bound of a busy-but-calm stream: fewer fsyncs a second for at most this much more wait. Below
   * `intervalMs` (the default) the wait is always `intervalMs`.
   * @default intervalMs
   */
  maxIntervalMs?: number;
  /** Writes `items` in one transaction and returns one result per item, in order. Throws if nothing was written. */
  commit(items: readonly T[]): R[];
  /** First pause after a failed commit; it doubles per failure up to `retryMaxMs`. @default 10 */
  retryBaseMs?: number;
  /** @default 500 */
  retryMaxMs?: number;
  /**
   * Says whether a failed commit was refused because another connection holds the write lock (e.g. a CLI bulk
   * operation). Such a commit is retried after a short random pause, not the doubling one: the other side holds
   * the lock in short chunks with short pauses between them, and a regular pause can fall into step with that
   * rhythm, landing on a chunk every time (measured: commits refused for 406 ms of a 589 ms `dlq retry --all`).
   * A random pause lands in a gap about as often as the gaps are long, every attempt anew. @default never
   */
  isContention?(error: unknown): boolean;
  /** Source of the randomness of that pause (1-10 ms, outbox-error.ts), in [0, 1). @default Math.random */
  random?: () => number;
  /** The first commit of a run of failures failed (not called again until a commit succeeds). */
  onBlocked?(error: unknown): void;
  /** A commit succeeded after failures; `failures` counts them. */
  onRecovered?(failures: number): void;
  /** Every failed commit (for a counter). */
  onFailure?(error: unknown): void;
  /** After each successful commit, once its callers' promises are resolved (e.g. to wake readers of what it wrote). */
  onCommitted?(committed: CommittedGroup<T, R>): void;
}

/** One successful commit: its items and their results, in the order they were pushed. */
export interface CommittedGroup<T, R> {
  readonly items: readonly T[];
  readonly results: readonly R[];
}

interface Waiter<R> {
  resolve(result: R): void;
  reject(err: unknown): void;
}

/** The items waiting for the next commit; one shared promise for the callers that asked for the whole group. */
interface Group<T, R> {
  items: T[];
  /** Per-item callers (`push`), by index into `items`; undefined for items pushed with `pushToGroup`/`pushSync`. */
  waiters: (Waiter<R> | undefined)[];
  shared: { promise: Promise<CommittedGroup<T, R>>; waiter: Waiter<CommittedGroup<T, R>> } | undefined;
}

/** While commits fail: the first error, how many failed, and the retry timer. */
interface Blocked {
  error: unknown;
  failures: number;
  timer: TimerHandle | undefined;
}

/**
 * A stretched group aims at this many items: a commit's fixed cost is then a fifth of each event's share, and a
 * faster stream reaches it sooner, so its latency grows less: with the relay's 5 ms / 10 ms, 1,000 events/s waits
 * 5 ms as without stretching (its p99 latency is a target, issue 10), 500/s the 10 ms bound, halving its commits.
 * Measured on the 2-core machine: aiming at 8 (1,000/s waiting 8 ms) took the p99 at 1,000/s from 13 to 17-23 ms.
 */
const targetItemsPerCommit = 5;
/** Weight of the newest gap in the running mean gap between items. */
const gapWeight = 0.1;

/**
 * Group commit: an fsync costs the same for one row or a thousand, so items are buffered and written together, every
 * `maxItems` items or `intervalMs` after the first, whichever comes first. Each caller still learns when its own item
 * is durable. Measured on the project's machine: 4.9k events/s at one commit per event, 98k/s at 100 per commit.
 *
 * With `maxIntervalMs`, the wait follows the rate: a relay at a calm few hundred events a second would otherwise
 * commit (fsync, wake its sinks, claim, settle) every `intervalMs` for a handful of events each time. A lone item
 * after a pause, or a stream too sparse to gain an item by waiting longer, still waits only `intervalMs`.
 *
 * A failed commit (disk full, file locked by another process, I/O error) loses nothing: the group stays buffered,
 * its promises unresolved, and is retried with a doubling pause. Unresolved promises are the backpressure: the
 * client counts them as backlog and stops reading its sockets at its limit.
 */
export class GroupCommit<T, R> {
  private group: Group<T, R> = emptyGroup();
  private timer: TimerHandle | undefined;
  private blocked: Blocked | undefined;
  private lastPushAt: number | undefined;
  /** Running mean of the time between pushes (ms); infinite until two items were seen. */
  private meanGapMs = Number.POSITIVE_INFINITY;

  constructor(private readonly options: GroupCommitOptions<T, R>) {}

  /** Items waiting for the next commit. */
  get size(): number {
    return this.group.items.length;
  }

  /** The first error of the current run of failed commits; undefined while commits succeed. */
  get blockedBy(): unknown {
    return this.blocked?.error;
  }

  /** How long a group started now waits for more items (see `maxIntervalMs`). */
  get currentWaitMs(): number {
    const { intervalMs, maxIntervalMs = intervalMs } = this.options;
    // Stretching pays only if it brings at least one more item into the group.
    if (maxIntervalMs <= intervalMs || this.meanGapMs > maxIntervalMs - intervalMs) return intervalMs;
    return Math.min(maxIntervalMs, Math.max(intervalMs, this.meanGapMs * targetItemsPerCommit));
  }

  /** Buffers `item`; resolves with its result once it is committed (however many retries that takes). */
  push(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.add(item, { resolve, reject });
    });
  }

  /**
   * Buffers `item` like `push`, but returns the promise of the whole group it joined: the same promise for every
   * item of one commit, resolved once, after that commit, with all its items and results. For callers that act
   * per commit rather than per item (one promise and one callback per group instead of one per item).
   */
  pushToGroup(item: T): Promise<CommittedGroup<T, R>> {
    const shared = (this.group.shared ??= sharedWaiter());
    this.add(item, undefined);
    return shared.promise;
  }

  /**
   * Buffers `item`, commits everything now, and returns its result. If the commit fails it throws, and `item` is
   * not kept (its caller learns of the failure now); the other buffered items stay for the retry.
   */
  pushSync(item: T): R {
    const group = this.group;
    group.items.push(item);
    group.waiters.push(undefined);
    const index = group.items.length - 1;
    const committed = this.flush();
    if (committed) return committed.results[index] as R;
    // A failed commit leaves the group as it was, `item` last.
    group.items.pop();
    group.waiters.pop();
    const error = this.blocked?.error;
    throw error instanceof Error ? error : new Error(`group commit failed: ${String(error)}`);
  }

  /** Commits what is buffered. Never throws: a failed commit keeps the items and schedules a retry. */
  flush(): CommittedGroup<T, R> | undefined {
    this.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
    const group = this.group;
    if (group.items.length === 0) return undefined;
    let results: R[];
    try {
      results = this.options.commit(group.items);
    } catch (err) {
      this.failed(err);
      return undefined;
    }
    this.group = emptyGroup();
    const committed: CommittedGroup<T, R> = { items: group.items, results };
    group.waiters.forEach((waiter, i) => waiter?.resolve(results[i] as R));
    group.shared?.waiter.resolve(committed);
    this.recovered();
    callHook(() => this.options.onCommitted?.(committed));
    return committed;
  }

  /** Gives up on what is still buffered (closing while commits fail): rejects each item with `error`. */
  abandon(error: unknown): number {
    this.options.clock.clearTimeout(this.timer);
    this.options.clock.clearTimeout(this.blocked?.timer);
    this.timer = undefined;
    this.blocked = undefined;
    const group = this.group;
    this.group = emptyGroup();
    for (const waiter of group.waiters) waiter?.reject(error);
    group.shared?.waiter.reject(error);
    return group.items.length;
  }

  private add(item: T, waiter: Waiter<R> | undefined): void {
    this.observeGap();
    const group = this.group;
    group.items.push(item);
    group.waiters.push(waiter);
    // While blocked, only the retry timer commits: new items join the retried group.
    if (this.blocked) return;
    if (group.items.length >= this.options.maxItems) this.flush();
    else this.timer ??= this.options.clock.setTimeout(() => this.flush(), this.currentWaitMs);
  }

  /** Only when the wait can stretch: a fixed interval needs no clock reading per item. */
  private observeGap(): void {
    const { intervalMs, maxIntervalMs } = this.options;
    if (maxIntervalMs === undefined || maxIntervalMs <= intervalMs) return;
    const now = this.options.clock.now();
    const last = this.lastPushAt;
    this.lastPushAt = now;
    if (last === undefined) return;
    // A long pause counts as one gap of at most 100 waits: enough to fall back to `intervalMs` at once.
    const gap = Math.min(Math.max(0, now - last), maxIntervalMs * 100);
    this.meanGapMs = Number.isFinite(this.meanGapMs) ? this.meanGapMs + gapWeight * (gap - this.meanGapMs) : gap;
  }

  private failed(error: unknown): void {
    const blocked = this.blocked ?? { error, failures: 0, timer: undefined };
    if (!this.blocked) {
      this.blocked = blocked;
      callHook(() => this.options.onBlocked?.(error));
    }
    callHook(() => this.options.onFailure?.(error));
    blocked.failures++;
    const pauseMs = this.options.isContention?.(error) ? this.contentionPauseMs() : this.backoffMs(blocked.failures);
    this.options.clock.clearTimeout(blocked.timer);
    blocked.timer = this.options.clock.setTimeout(() => this.flush(), pauseMs);
  }

  private backoffMs(failures: number): number {
    const base = this.options.retryBaseMs ?? 10;
    return Math.min(this.options.retryMaxMs ?? 500, base * 2 ** Math.min(failures - 1, 20));
  }

  private contentionPauseMs(): number {
    return contentionPauseMs(this.options.random ?? Math.random);
  }

  private recovered(): void {
    const blocked = this.blocked;
    if (!blocked) return;
    this.blocked = undefined;
    this.options.clock.clearTimeout(blocked.timer);
    callHook(() => this.options.onRecovered?.(blocked.failures));
  }
}

/**
 * Runs an observer hook (metrics, logs, wake-ups) after the group's fate is settled, so a throwing hook can neither
 * make a written group look failed (it would be written again and every item reported a duplicate) nor leave its
 * callers' promises unresolved. The error is a bug in the hook: it is reported as a process warning, not swallowed.
 */
export function callHook(hook: () => void): void {
  try {
    hook();
  } catch (err) {
    process.emitWarning(err instanceof Error ? err : new Error(String(err)), { code: 'GENESYS_RELAY_HOOK_FAILED' });
  }
}

function sharedWaiter<G>(): { promise: Promise<G>; waiter: Waiter<G> } {
  let waiter: Waiter<G> | undefined;
  const promise = new Promise<G>((resolve, reject) => (waiter = { resolve, reject }));
  return { promise, waiter: waiter as Waiter<G> };
}

function emptyGroup<T, R>(): Group<T, R> {
  return { items: [], waiters: [], shared: undefined };
}
