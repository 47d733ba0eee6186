import { sleepWith, type Clock, type TimerHandle } from '../core/clock.ts';

interface PendingTimer {
  id: number;
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock that only moves when told to. `advance(ms)` fires every timer that falls due, in due order
 * (ties in creation order), including timers armed by the callbacks themselves.
 */
export class ManualClock implements Clock {
  private current: number;
  private readonly pending = new Map<number, PendingTimer>();
  private nextId = 1;
  private seq = 0;

  constructor(startAt = Date.UTC(2026, 0, 1)) {
    this.current = startAt;
  }

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.pending.set(id, { id, at: this.current + Math.max(0, ms), seq: this.seq++, fn });
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (handle) this.pending.delete(handle.id);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }

  /** Number of timers not yet fired. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Moves time forward by `ms`, firing due timers in order. */
  advance(ms: number): void {
    const target = this.current + ms;
    while (this.fireNextDue(target));
    this.current = target;
  }

  /**
   * Like `advance`, but lets promise callbacks run between timers, so code that awaits
   * between timers (sleep → fetch → sleep) makes progress.
   */
  async advanceAsync(ms: number): Promise<void> {
    const target = this.current + ms;
    do await flushMicrotasks();
    while (this.fireNextDue(target));
    this.current = target;
    await flushMicrotasks();
  }

  /**
   * Fires only the earliest pending timer, moving time to it: one turn of an event loop, for code that yields
   * between steps with a zero-delay timer. False when no timer is pending.
   */
  fireNext(): boolean {
    return this.fireNextDue(Number.POSITIVE_INFINITY);
  }

  /** Fires the earliest timer due at or before `limit`, moving time to it; false when none is due. */
  private fireNextDue(limit: number): boolean {
    const next = this.nextDue(limit);
    if (!next) return false;
    this.pending.delete(next.id);
    this.current = next.at;
    next.fn();
    return true;
  }

  private nextDue(limit: number): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.pending.values()) {
      if (t.at > limit) continue;
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    }
    return best;
  }
}

/** Lets queued promise reactions run (a few macrotask turns, so chained awaits settle). */
export async function flushMicrotasks(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
