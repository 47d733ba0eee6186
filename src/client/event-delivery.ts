import { errorMessage, RelayError } from '../core/errors.ts';
import { DedupeWindow, type DedupeOptions } from '../envelope/dedupe.ts';
import type { RelayEvent } from '../envelope/envelope.ts';
import { dedupeIdentity, relayFields } from '../envelope/relay-fields.ts';
import type { NotificationFrame } from '../genesys/wire.ts';
import type { ClientCounters } from './counters.ts';
import { EventQueue, type OverflowPolicy } from './event-queue.ts';

export interface EventDeliveryOptions {
  counters: ClientCounters;
  dedupe?: DedupeOptions | undefined;
  onEvent?: ((event: RelayEvent) => void | Promise<void>) | undefined;
  bufferSize: number;
  overflow: OverflowPolicy;
  reportError: (error: RelayError) => void;
  /** Backpressure for the `pause` policy: stop / restart reading the sockets. */
  pauseSources?: () => void;
  resumeSources?: () => void;
}

/**
 * The per-event hot path shared by all shards: de-duplicate (rollover overlap), wrap as a RelayEvent, hand to
 * onEvent (in arrival order; async handlers one at a time) and to the events() buffer. Allocates nothing beyond
 * the event itself on the fast path.
 */
export class EventDelivery {
  private readonly dedupe: DedupeWindow;
  private queue: EventQueue<RelayEvent> | undefined;
  private accepting = true;
  private chain: Promise<void> = Promise.resolve();
  private pending = 0;
  private lastIsoMs = Number.NaN;
  private lastIso = '';
  private sourcesPaused = false;

  constructor(private readonly options: EventDeliveryOptions) {
    this.dedupe = new DedupeWindow(options.dedupe);
  }

  /** The events() buffer, created on first use; already ended if delivery has stopped. */
  iterable(): AsyncIterable<RelayEvent> {
    if (!this.queue) {
      const { counters } = this.options;
      this.queue = new EventQueue<RelayEvent>(
        this.options.bufferSize,
        this.options.overflow,
        () => {
          counters.overflowDropped++;
        },
        () => this.maybeResume(),
      );
      if (!this.accepting) this.queue.end();
    }
    return this.queue;
  }

  get buffered(): number {
    return this.queue?.size ?? 0;
  }

  accept(
    frame: NotificationFrame,
    correlationId: string | undefined,
    raw: string,
    channelId: string,
    receivedAt: number,
  ): void {
    if (!this.accepting) return;
    const { counters, onEvent } = this.options;
    counters.eventsReceived++;
    if (!this.dedupe.add(dedupeIdentity(frame.topicName, correlationId, raw), receivedAt)) {
      counters.duplicatesDropped++;
      return;
    }
    const event: RelayEvent = {
      topicName: frame.topicName,
      version: frame.version,
      eventBody: frame.eventBody,
      metadata: frame.metadata ?? {},
      relay: relayFields(this.isoAt(receivedAt), channelId, frame.topicName, correlationId, raw),
    };
    counters.eventsDelivered++;
    this.queue?.push(event);
    if (onEvent) this.call(onEvent, event);
    if (this.options.overflow === 'pause' && !this.sourcesPaused && this.backlog >= this.options.bufferSize) {
      this.sourcesPaused = true;
      this.options.pauseSources?.();
    }
  }

  /** Reading is paused for backpressure. */
  get paused(): boolean {
    return this.sourcesPaused;
  }

  /** Events handed over but not yet consumed: buffered for events() plus async onEvent calls in flight. */
  get backlog(): number {
    return (this.queue?.size ?? 0) + this.pending;
  }

  /** Hysteresis: resume at half the buffer, so reading does not flap around the limit. */
  private maybeResume(): void {
    if (!this.sourcesPaused || this.backlog > this.options.bufferSize / 2) return;
    this.sourcesPaused = false;
    this.options.resumeSources?.();
  }

  /** Stops accepting frames (close() "stops reading"). */
  stop(): void {
    this.accepting = false;
    this.sourcesPaused = false;
  }

  /** Waits for pending onEvent calls, then ends events() (after its buffered items are consumed). */
  async drain(): Promise<void> {
    await this.chain;
    this.queue?.end();
  }

  /** Events arrive in bursts within one millisecond; format each millisecond's timestamp once. */
  private isoAt(ms: number): string {
    if (ms !== this.lastIsoMs) {
      this.lastIsoMs = ms;
      this.lastIso = new Date(ms).toISOString();
    }
    return this.lastIso;
  }

  private call(handler: (e: RelayEvent) => void | Promise<void>, event: RelayEvent): void {
    if (this.pending >= this.options.bufferSize && this.options.overflow !== 'pause') {
      // A handler slower than the stream for `bufferSize` events: drop rather than queue without bound.
      this.options.counters.overflowDropped++;
      return;
    }
    if (this.pending > 0) {
      this.track(this.chain.then(() => this.invokeAsync(handler, event)));
      return;
    }
    let result: void | Promise<void>;
    try {
      result = handler(event);
    } catch (err) {
      this.failed(err);
      return;
    }
    if (result instanceof Promise) this.track(result.catch((err: unknown) => this.failed(err)));
  }

  private async invokeAsync(handler: (e: RelayEvent) => void | Promise<void>, event: RelayEvent): Promise<void> {
    try {
      await handler(event);
    } catch (err) {
      this.failed(err);
    }
  }

  private track(promise: Promise<void>): void {
    this.pending++;
    this.chain = promise.finally(() => {
      this.pending--;
      this.maybeResume();
    });
  }

  private failed(err: unknown): void {
    const message = `onEvent failed: ${errorMessage(err)}`;
    this.options.reportError(new RelayError('GENESYS_RELAY_ERR_SINK', message, { cause: err }));
  }
}
