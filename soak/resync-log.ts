import type { GapReport, ResyncGap, ResyncHooks } from '../src/resync/index.ts';

/** What the soak's resyncer reported (the relay turns the same hooks into audit lines and metrics). */
export interface ResyncSummary {
  /** REST reads started by the resync (bulk presence, users, details query, one GET per conversation). */
  requests: number;
  /** Gaps healed (every topic had a strategy), unhealed (some had none), failed (gave up). */
  healed: number;
  unhealed: number;
  failed: number;
  retries: number;
  /** Resync events committed, per strategy. */
  emitted: Record<string, number>;
  /** States re-read that equalled the last one delivered (not emitted), per strategy. */
  unchanged: Record<string, number>;
  /** Topics an `unhealed` record named (no strategy), at most 20. */
  unhealedTopics: string[];
  /** Gaps still queued or being healed when the run ended. */
  pendingAtEnd: number;
  /** Why runs failed or were retried: error message → count (at most 10 distinct). */
  errors: Record<string, number>;
}

export class ResyncLog {
  requests = 0;
  retries = 0;
  readonly reports: GapReport[] = [];
  readonly failed: ResyncGap[] = [];
  private readonly emitted: Record<string, number> = {};
  private readonly errors: Record<string, number> = {};

  hooks(): ResyncHooks {
    return {
      onHealed: (report) => void this.reports.push(report),
      onEmitted: (strategy, count) => void (this.emitted[strategy] = (this.emitted[strategy] ?? 0) + count),
      onRetry: (_run, _attempt, _delay, error) => {
        this.retries++;
        this.countError(error);
      },
      onFailed: (gap, error) => {
        this.failed.push(gap);
        this.countError(error);
      },
    };
  }

  /** Lower-cased topics of the gaps whose resync gave up. */
  failedTopics(): Set<string> {
    return new Set(this.failed.flatMap((g) => g.topics.map((t) => t.toLowerCase())));
  }

  summary(pendingAtEnd: number): ResyncSummary {
    const unchanged: Record<string, number> = {};
    const unhealedTopics = new Set<string>();
    // A coalesced run reports once per gap with the same per-strategy counts: count each run once.
    const runs = new Map(this.reports.map((r) => [r.runId, r]));
    for (const report of runs.values()) {
      for (const [name, s] of Object.entries(report.strategies)) unchanged[name] = (unchanged[name] ?? 0) + s.unchanged;
    }
    for (const report of this.reports) for (const t of report.unhealed) unhealedTopics.add(t);
    const unhealed = this.reports.filter((r) => r.unhealed.length > 0).length;
    return {
      requests: this.requests,
      healed: this.reports.length - unhealed,
      unhealed,
      failed: this.failed.length,
      retries: this.retries,
      emitted: { ...this.emitted },
      unchanged,
      unhealedTopics: [...unhealedTopics].slice(0, 20),
      pendingAtEnd,
      errors: { ...this.errors },
    };
  }

  private countError(error: unknown): void {
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 160);
    if (message in this.errors || Object.keys(this.errors).length < 10)
      this.errors[message] = (this.errors[message] ?? 0) + 1;
  }
}
