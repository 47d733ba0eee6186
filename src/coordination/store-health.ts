import type { Clock } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';

/** What `status`, `/readyz` and the metrics show about the lease store. */
export interface StoreHealthSnapshot {
  /** True from the first failed store call of a round until a round in which every call succeeded. */
  degraded: boolean;
  /** Local-clock instant the current outage began; undefined when healthy. */
  degradedSince: number | undefined;
  /** The latest store error (never contains the connection string: pg does not echo it). */
  lastError: string | undefined;
}

export interface StoreHealthListener {
  degraded(error: unknown): void;
  recovered(outageMs: number): void;
}

/**
 * Tracks whether the coordination store answers, one coordinator round at a time, and reports each TRANSITION once
 * (not each failed call: an outage would otherwise log every renew of every shard). A round with any failure keeps
 * (or makes) it degraded; only a round where heartbeat, every renew and the lease listing succeeded ends it.
 */
export class StoreHealth {
  private since: number | undefined;
  private lastError: string | undefined;
  private failedThisRound = false;

  constructor(
    private readonly clock: Clock,
    private readonly listener: StoreHealthListener,
  ) {}

  get degraded(): boolean {
    return this.since !== undefined;
  }

  snapshot(): StoreHealthSnapshot {
    return { degraded: this.degraded, degradedSince: this.since, lastError: this.lastError };
  }

  /** A store call of this round failed. */
  failed(error: unknown): void {
    this.failedThisRound = true;
    this.lastError = errorMessage(error);
    if (this.since !== undefined) return;
    this.since = this.clock.now();
    this.listener.degraded(error);
  }

  /** Ends a round; true when it ended an outage (every call of the round succeeded after a degraded one). */
  roundEnded(): boolean {
    const failed = this.failedThisRound;
    this.failedThisRound = false;
    if (failed || this.since === undefined) return false;
    const outageMs = this.clock.now() - this.since;
    this.since = undefined;
    this.listener.recovered(outageMs);
    return true;
  }
}
