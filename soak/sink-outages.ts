import type { Prng } from './prng.ts';
import type { RecordingSink } from './recording-sink.ts';

export interface SinkOutage {
  at: number;
  durationMs: number;
}

/**
 * Takes the sink down now and then (exponential intervals, 0.5-2 s each), independently of the socket faults: the
 * outbox must hold what arrives meanwhile and the dispatcher must deliver it all once the sink is back.
 */
export class SinkOutages {
  readonly outages: SinkOutage[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running = false;

  constructor(
    private readonly sink: RecordingSink,
    private readonly random: Prng,
    private readonly meanIntervalMs: number,
  ) {}

  start(): void {
    if (this.meanIntervalMs <= 0) return;
    this.running = true;
    this.arm();
  }

  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    const delayMs = this.random.exponential(this.meanIntervalMs);
    const durationMs = this.random.int(500, 2_000);
    this.timer = setTimeout(() => {
      if (!this.running) return;
      this.sink.failFor(durationMs);
      this.outages.push({ at: Date.now(), durationMs });
      this.arm();
    }, delayMs);
  }
}
