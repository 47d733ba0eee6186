import type { EmulatorHandle } from '../src/emulator/index.ts';
import type { Ledger } from './ledger.ts';
import type { Prng } from './prng.ts';

/** Short enough to look steady, long enough that high rates publish in small batches. */
const TICK_MS = 10;

/**
 * A steady publishing load: `ratePerSecond` events spread at random over the topics, published through the
 * emulator's in-process handle so that each event's fate (written to a socket or not) is known at once. Bodies are
 * the emulator's realistic ones (presence, routing status, conversation snapshots).
 */
export class PublishingLoad {
  published = 0;
  private readonly active: string[];
  private readonly sequences = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private lastTickAt = 0;
  private carry = 0;

  constructor(
    private readonly emulator: EmulatorHandle,
    private readonly ledger: Ledger,
    topics: readonly string[],
    private readonly ratePerSecond: number,
    private readonly random: Prng,
  ) {
    this.active = [...topics];
  }

  start(): void {
    this.lastTickAt = Date.now();
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stops publishing on a topic the server no longer delivers (refused by a deny-topic fault). */
  retire(topic: string): void {
    const index = this.active.findIndex((t) => t.toLowerCase() === topic.toLowerCase());
    if (index >= 0 && this.active.length > 1) this.active.splice(index, 1);
  }

  private tick(): void {
    const now = Date.now();
    // Catch up after event-loop stalls instead of silently publishing less than asked.
    const due = (this.ratePerSecond * (now - this.lastTickAt)) / 1000 + this.carry;
    this.lastTickAt = now;
    const count = Math.floor(due);
    this.carry = due - count;
    for (let i = 0; i < count; i++) this.publishOne(this.random.pick(this.active), now);
  }

  private publishOne(topic: string, at: number): void {
    const result = this.emulator.publish(topic);
    const sequence = (this.sequences.get(topic) ?? 0) + 1;
    this.sequences.set(topic, sequence);
    this.published++;
    this.ledger.recordPublished(topic, sequence, at, result.delivered > 0);
  }
}
