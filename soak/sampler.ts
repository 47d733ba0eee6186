import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';

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
  /**
   * Longest event-loop stall since the previous sample. The emulator shares the loop, so a stall silences the
   * sockets and delays the client's timers together: a watchdog can then fire before frames already buffered are
   * read.
   */
  loopDelayMaxMs: number;
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
  private readonly loopDelay: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });

  constructor(
    private readonly sources: SampleSources,
    private readonly everyMs = 1_000,
  ) {}

  start(): void {
    this.startedAt = Date.now();
    this.loopDelay.enable();
    this.take();
    this.timer = setInterval(() => this.take(), this.everyMs);
  }

  /** Takes a last sample and stops; idempotent. */
  stop(): void {
    if (this.timer === undefined) return;
    clearInterval(this.timer);
    this.timer = undefined;
    this.take();
    this.loopDelay.disable();
  }

  private take(): void {
    const memory = process.memoryUsage();
    this.samples.push({
      t: round1((Date.now() - this.startedAt) / 1000),
      published: this.sources.published(),
      received: this.sources.received(),
      delivered: this.sources.delivered(),
      rssMb: round1(memory.rss / 1_048_576),
      heapMb: round1(memory.heapUsed / 1_048_576),
      outboxPending: this.sources.outboxPending(),
      shardsLive: this.sources.shardsLive(),
      loopDelayMaxMs: round1(this.loopDelay.max / 1e6),
    });
    this.loopDelay.reset();
  }
}

/** One decimal keeps the report small; finer than anything the figures are read for. */
function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
