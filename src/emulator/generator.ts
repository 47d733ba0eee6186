import type { TimerHandle } from '../core/clock.ts';
import type { EmulatorContext } from './context.ts';
import { publishEvents } from './publisher.ts';

/** Ticks often enough to look continuous, rarely enough that high rates are batched. */
const TICK_MS = 50;

/**
 * Publishes `ctx.eventsPerSecond` events spread at random over the currently subscribed topics, in one batch per
 * tick with a fractional carry so low rates (e.g. 0.5/s) still come out right on average.
 */
export class EventGenerator {
  private timer: TimerHandle | undefined;
  private lastTickAt = 0;
  private carry = 0;

  constructor(private readonly ctx: EmulatorContext) {}

  setRate(eventsPerSecond: number): void {
    this.ctx.eventsPerSecond = eventsPerSecond;
    if (eventsPerSecond > 0 && !this.timer) {
      this.lastTickAt = this.ctx.options.clock.now();
      this.carry = 0;
      this.arm();
    } else if (eventsPerSecond <= 0) this.stop();
  }

  stop(): void {
    this.ctx.options.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private arm(): void {
    this.timer = this.ctx.options.clock.setTimeout(() => this.tick(), TICK_MS);
  }

  private tick(): void {
    this.timer = undefined;
    if (this.ctx.closed || this.ctx.eventsPerSecond <= 0) return;
    const now = this.ctx.options.clock.now();
    const due = (this.ctx.eventsPerSecond * (now - this.lastTickAt)) / 1000 + this.carry;
    this.lastTickAt = now;
    const count = Math.floor(due);
    this.carry = due - count;
    const topics = subscribedTopics(this.ctx);
    if (topics.length > 0) {
      for (let i = 0; i < count; i++) {
        const topic = topics[Math.floor(Math.random() * topics.length)];
        if (topic !== undefined) publishEvents(this.ctx, [topic], undefined, 1);
      }
    }
    this.arm();
  }
}

function subscribedTopics(ctx: EmulatorContext): string[] {
  const topics = new Set<string>();
  for (const channel of ctx.channels.values()) for (const topic of channel.delivery) topics.add(topic);
  return [...topics];
}
