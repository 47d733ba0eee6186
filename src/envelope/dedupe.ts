/** @default 20000 */
export const DEFAULT_DEDUPE_MAX_ENTRIES = 20_000;
/** @default 300000 (5 minutes: far longer than any rollover overlap) */
export const DEFAULT_DEDUPE_MAX_AGE_MS = 5 * 60_000;

/** @default 30000 (copies of the old channel's last events reach the new one within moments) */
export const DEFAULT_DEDUPE_GRACE_MS = 30_000;

export interface DedupeOptions {
  /** Keys remembered at most. @default 20000 */
  maxEntries?: number;
  /** Keys older than this are forgotten. @default 300000 */
  maxAgeMs?: number;
  /**
   * After a shard's rollover or reconnect completes, keep remembering and checking events this long (copies
   * only arise while two channels overlap, or around a reconnect). @default 30000
   */
  graceMs?: number;
}

/**
 * A bounded "seen" set for event keys (`relay.key`). During a rollover the same event arrives on the old and the new
 * channel within a short overlap window, so remembering recent keys (by count AND age, whichever is hit first) is enough;
 * it never grows without bound.
 *
 * Age order lives in a ring buffer, membership in a Set. (Evicting by iterating a Map from its start looks O(1)
 * but is not: V8 leaves deleted entries as holes that every new iterator walks past, which made this 15× slower.)
 */
export class DedupeWindow {
  private readonly seen = new Set<string>();
  private readonly keys: Array<string | undefined>;
  private readonly times: Float64Array;
  private readonly capacity: number;
  private readonly maxAgeMs: number;
  private head = 0;
  private count = 0;

  constructor(options: DedupeOptions = {}) {
    this.capacity = Math.max(1, Math.floor(options.maxEntries ?? DEFAULT_DEDUPE_MAX_ENTRIES));
    this.maxAgeMs = Math.max(0, options.maxAgeMs ?? DEFAULT_DEDUPE_MAX_AGE_MS);
    this.keys = new Array<string | undefined>(this.capacity);
    this.times = new Float64Array(this.capacity);
  }

  /** Records `key` at `nowMs`; returns false if it was already seen within the window (a duplicate). */
  add(key: string, nowMs: number): boolean {
    this.expire(nowMs);
    if (this.seen.has(key)) return false;
    if (this.count === this.capacity) this.dropOldest();
    const tail = (this.head + this.count) % this.capacity;
    this.keys[tail] = key;
    this.times[tail] = nowMs;
    this.count++;
    this.seen.add(key);
    return true;
  }

  has(key: string, nowMs: number): boolean {
    this.expire(nowMs);
    return this.seen.has(key);
  }

  get size(): number {
    return this.count;
  }

  private expire(nowMs: number): void {
    while (this.count > 0 && nowMs - (this.times[this.head] ?? nowMs) > this.maxAgeMs) this.dropOldest();
  }

  private dropOldest(): void {
    const key = this.keys[this.head];
    if (key !== undefined) this.seen.delete(key);
    this.keys[this.head] = undefined;
    this.head = (this.head + 1) % this.capacity;
    this.count--;
  }
}
