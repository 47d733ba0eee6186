/** @default 20000 */
export const DEFAULT_DEDUPE_MAX_ENTRIES = 20_000;
/** @default 300000 (5 minutes: far longer than any rollover overlap) */
export const DEFAULT_DEDUPE_MAX_AGE_MS = 5 * 60_000;

export interface DedupeOptions {
  /** Keys remembered at most. @default 20000 */
  maxEntries?: number;
  /** Keys older than this are forgotten. @default 300000 */
  maxAgeMs?: number;
}

/**
 * A bounded "seen" set for event keys. During a rollover the same event arrives on the old and the new channel
 * within a short overlap window, so remembering recent keys (by count AND age, whichever is hit first) is enough;
 * it never grows without bound. A Map keeps insertion order, which is also age order, so eviction is O(1).
 */
export class DedupeWindow {
  private readonly seen = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly maxAgeMs: number;

  constructor(options: DedupeOptions = {}) {
    this.maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_DEDUPE_MAX_ENTRIES);
    this.maxAgeMs = Math.max(0, options.maxAgeMs ?? DEFAULT_DEDUPE_MAX_AGE_MS);
  }

  /** Records `key` at `nowMs`; returns false if it was already seen within the window (a duplicate). */
  add(key: string, nowMs: number): boolean {
    this.evict(nowMs);
    if (this.seen.has(key)) return false;
    this.seen.set(key, nowMs);
    if (this.seen.size > this.maxEntries) {
      const oldest = this.seen.keys().next();
      if (!oldest.done) this.seen.delete(oldest.value);
    }
    return true;
  }

  has(key: string, nowMs: number): boolean {
    this.evict(nowMs);
    return this.seen.has(key);
  }

  get size(): number {
    return this.seen.size;
  }

  private evict(nowMs: number): void {
    for (const [key, at] of this.seen) {
      if (nowMs - at <= this.maxAgeMs) break;
      this.seen.delete(key);
    }
  }
}
