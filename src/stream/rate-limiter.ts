import type { Clock } from '../core/clock.ts';

/**
 * New connections per client address: a token bucket of `burst` refilled at `perMinute`. Buckets that are full again
 * are forgotten, so the map only holds addresses that connected recently.
 */
export class ConnectionRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly perMinute: number,
    private readonly burst: number,
  ) {}

  /** True if `address` may open a connection now (and counts it). */
  take(address: string): boolean {
    const now = this.clock.now();
    if (this.buckets.size > 10_000) this.forgetFull(now);
    const bucket = this.buckets.get(address) ?? { tokens: this.burst, at: now };
    bucket.tokens = this.refilled(bucket, now);
    bucket.at = now;
    this.buckets.set(address, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }

  private refilled(bucket: { tokens: number; at: number }, now: number): number {
    return Math.min(this.burst, bucket.tokens + ((now - bucket.at) * this.perMinute) / 60_000);
  }

  private forgetFull(now: number): void {
    for (const [address, bucket] of this.buckets) {
      if (this.refilled(bucket, now) >= this.burst) this.buckets.delete(address);
    }
  }
}
