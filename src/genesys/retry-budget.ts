import type { Clock } from '../core/clock.ts';

export interface RetryBudgetOptions {
  /** Retries allowed as a fraction of first attempts seen in the window. @default 0.2 */
  ratio?: number;
  /** Retries always allowed per window, so a quiet client can still ride out a blip. @default 10 */
  minRetriesPerWindow?: number;
  /** Sliding window length. @default 60000 */
  windowMs?: number;
}

/** Resolution of the sliding window: counts are kept per bucket so memory stays constant. */
const BUCKETS = 10;

/**
 * A retry budget (as in Finagle / gRPC retry throttling): retries may be at most `ratio` of the requests seen in
 * the last `windowMs`, plus `minRetriesPerWindow`. When an API is down, per-request retry limits alone multiply
 * the load by `maxAttempts`; the budget caps the extra load at `ratio`, whatever the callers do.
 */
export class RetryBudget {
  private readonly ratio: number;
  private readonly minRetries: number;
  private readonly bucketMs: number;
  private readonly requests = new Array<number>(BUCKETS).fill(0);
  private readonly retries = new Array<number>(BUCKETS).fill(0);
  private currentBucket: number;

  constructor(
    private readonly clock: Clock,
    options: RetryBudgetOptions = {},
  ) {
    this.ratio = options.ratio ?? 0.2;
    this.minRetries = options.minRetriesPerWindow ?? 10;
    this.bucketMs = Math.max(1, Math.floor((options.windowMs ?? 60_000) / BUCKETS));
    this.currentBucket = this.bucketOf(clock.now());
  }

  /** Records a first attempt (not a retry). */
  recordRequest(): void {
    this.rotate();
    this.requests[this.currentBucket % BUCKETS]! += 1;
  }

  /** Takes one retry from the budget; false means "do not retry now". */
  tryAcquireRetry(): boolean {
    this.rotate();
    const allowed = this.minRetries + this.ratio * sum(this.requests);
    if (sum(this.retries) + 1 > allowed) return false;
    this.retries[this.currentBucket % BUCKETS]! += 1;
    return true;
  }

  /** Current counts in the window, for metrics and tests. */
  snapshot(): { requests: number; retries: number; allowedRetries: number } {
    this.rotate();
    const requests = sum(this.requests);
    return {
      requests,
      retries: sum(this.retries),
      allowedRetries: Math.floor(this.minRetries + this.ratio * requests),
    };
  }

  private bucketOf(at: number): number {
    return Math.floor(at / this.bucketMs);
  }

  /** Zeroes the buckets that fell out of the window since the last call. */
  private rotate(): void {
    const now = this.bucketOf(this.clock.now());
    const steps = Math.min(BUCKETS, now - this.currentBucket);
    for (let i = 1; i <= steps; i++) {
      const slot = (this.currentBucket + i) % BUCKETS;
      this.requests[slot] = 0;
      this.retries[slot] = 0;
    }
    if (now > this.currentBucket) this.currentBucket = now;
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
