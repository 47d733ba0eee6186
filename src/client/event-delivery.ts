import { errorMessage, RelayError } from '../core/errors.ts';
import { DedupeWindow, type DedupeOptions } from '../envelope/dedupe.ts';
import type { RelayEvent } from '../envelope/envelope.ts';
import { relayFields } from '../envelope/relay-fields.ts';
import type { NotificationFrame } from '../genesys/wire.ts';
import type { ClientCounters } from './counters.ts';
import { EventQueue, type OverflowPolicy } from './event-queue.ts';

export interface EventDeliveryOptions {
  counters: ClientCounters;
  dedupe?: DedupeOptions | undefined;
  onEvent?: ((event: RelayEvent) => void | Promise<void>) | undefined;
  /** Async onEvent calls allowed in flight at once; they always start in arrival order. @default 1 */
  onEventConcurrency?: number | undefined;
  bufferSize: number;
  overflow: OverflowPolicy;
  reportError: (error: RelayError) => void;
  /** A copy was dropped (logged at debug by the caller). */
  onDuplicate?: ((event: RelayEvent) => void) | undefined;
  /** Backpressure for the `pause` policy: stop / restart reading the sockets. */
  pauseSources?: () => void;
  resumeSources?: () => void;
}

/**
 * The per-event hot path shared by all shards: de-duplicate (rollover overlap), wrap as a RelayEvent, hand to
 * onEvent (started in arrival order, at most `onEventConcurrency` async calls in flight) and to the events()
 * buffer. Allocates nothing beyond the event itself on the fast path.
 */
export class EventDelivery {
  private readonly dedupe: DedupeWindow;
  private queue: EventQueue<RelayEvent> | undefined;
  private accepting = true;
  /** Async onEvent calls running. */
  private inFlight = 0;
  /** Events waiting for an onEvent slot, oldest first, from `waitingHead` on. */
  private waiting: RelayEvent[] = [];
  private waitingHead = 0;
  /** `drain()` callers, resolved once nothing is in flight or waiting. */
  private idleWaiters: Array<() => void> = [];
  private lastIsoMs = Number.NaN;
  private lastIso = '';
  private sourcesPaused = false;
  /** The promise the latest async onEvent call returned, and how many calls returned it (see invoke()). */
  private sharedResult: { promise: Promise<void>; calls: number } | undefined;

  private readonly concurrency: number;

  constructor(private readonly options: EventDeliveryOptions) {
    this.dedupe = new DedupeWindow(options.dedupe);
    this.concurrency = Math.max(1, options.onEventConcurrency ?? 1);
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

  /**
   * One event frame. `copiesPossible` says whether a copy of it may arrive on another socket (the shard is rolling
   * over or reconnecting, or did so recently): only then is the event's identity (`relay.key`, a digest over topic,
   * CorrelationId and body) computed, remembered and checked. In steady state one channel delivers each event once,
   * so nothing is remembered and nothing can be merged.
   */
  accept(
    frame: NotificationFrame,
    correlationId: string | undefined,
    channelId: string,
    receivedAt: number,
    copiesPossible = true,
  ): void {
    if (!this.accepting) return;
    const { counters, onEvent } = this.options;
    counters.eventsReceived++;
    const event: RelayEvent = {
      topicName: frame.topicName,
      version: frame.version,
      eventBody: frame.eventBody,
      metadata: frame.metadata ?? {},
      relay: relayFields(this.isoAt(receivedAt), channelId, frame.topicName, correlationId, frame.eventBody),
    };
    if (copiesPossible && !this.dedupe.add(event.relay.key, receivedAt)) {
      counters.duplicatesDropped++;
      this.options.onDuplicate?.(event);
      return;
    }
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

  /** Events handed over but not yet consumed: buffered for events() plus onEvent calls in flight or waiting. */
  get backlog(): number {
    return (this.queue?.size ?? 0) + this.pending;
  }

  private get pending(): number {
    return this.inFlight + this.waiting.length - this.waitingHead;
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
    if (this.pending > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
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
    // Behind earlier waiting events, or no slot free: wait, so calls still start in arrival order.
    if (this.inFlight >= this.concurrency || this.waitingHead < this.waiting.length) {
      this.waiting.push(event);
      return;
    }
    this.invoke(handler, event);
  }

  private invoke(handler: (e: RelayEvent) => void | Promise<void>, event: RelayEvent): void {
    let result: void | Promise<void>;
    try {
      result = handler(event);
    } catch (err) {
      this.failed(err);
      return;
    }
    if (!(result instanceof Promise)) return;
    this.inFlight++;
    // A handler that acknowledges per batch (the relay: one promise per group commit) returns the same promise for
    // consecutive events: one callback counts them all instead of one callback (and promise) per event.
    const shared = this.sharedResult;
    if (shared?.promise === result) return void shared.calls++;
    const entry = { promise: result, calls: 1 };
    this.sharedResult = entry;
    const done = (err?: { error: unknown }): void => {
      if (this.sharedResult === entry) this.sharedResult = undefined;
      if (err) for (let i = 0; i < entry.calls; i++) this.failed(err.error);
      this.settled(handler, entry.calls);
    };
    result.then(
      () => done(),
      (error: unknown) => done({ error }),
    );
  }

  /** `calls` async calls finished: start the next waiting events, then report resumption or idleness. */
  private settled(handler: (e: RelayEvent) => void | Promise<void>, calls: number): void {
    this.inFlight -= calls;
    while (this.inFlight < this.concurrency && this.waitingHead < this.waiting.length) {
      const next = this.waiting[this.waitingHead++] as RelayEvent;
      this.invoke(handler, next);
    }
    if (this.waitingHead === this.waiting.length) {
      this.waiting = [];
      this.waitingHead = 0;
    } else if (this.waitingHead > 1024 && this.waitingHead * 2 > this.waiting.length) {
      // Under sustained load the queue may never empty: drop the consumed head so the array stays bounded.
      this.waiting = this.waiting.slice(this.waitingHead);
      this.waitingHead = 0;
    }
    this.maybeResume();
    if (this.pending === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
  }

  private failed(err: unknown): void {
    const message = `onEvent failed: ${errorMessage(err)}`;
    this.options.reportError(new RelayError('GENESYS_RELAY_ERR_SINK', message, { cause: err }));
  }
}
