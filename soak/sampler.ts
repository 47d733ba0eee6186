/** One per-second sample of the run; counters are cumulative. */
export interface Sample {
  /** Seconds since the load started. */
  t: number;
  published: number;
  received: number;
  delivered: number;
  rssMb: number;
  heapMb: number;
  outboxPending: number;
  shardsLive: number;
}

export interface SampleSources {
  published(): number;
  received(): number;
  delivered(): number;
  outboxPending(): number;
  shardsLive(): number;
}

/** Samples the run every `everyMs` (RSS, counters, outbox depth) until stopped. */
export class Sampler {
  readonly samples: Sample[] = [];
  private timer: NodeJS.Timeout | undefined;
  private startedAt = 0;

  constructor(
    private readonly sources: SampleSources,
    private readonly everyMs = 1_000,
  ) {}

  start(): void {
    this.startedAt = Date.now();
    this.take();
    this.timer = setInterval(() => this.take(), this.everyMs);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
    this.take();
  }

  private take(): void {
    const memory = process.memoryUsage();
    this.samples.push({
      t: (Date.now() - this.startedAt) / 1000,
      published: this.sources.published(),
      received: this.sources.received(),
      delivered: this.sources.delivered(),
      rssMb: memory.rss / 1_048_576,
      heapMb: memory.heapUsed / 1_048_576,
      outboxPending: this.sources.outboxPending(),
      shardsLive: this.sources.shardsLive(),
    });
  }
}
