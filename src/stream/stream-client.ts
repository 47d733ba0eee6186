import type { ServerResponse } from 'node:http';
import type { EventPage } from '../outbox/outbox.ts';
import { eventFrame, heartbeatFrame, resetFrame } from './sse-frames.ts';
import type { StreamMetrics } from './stream-metrics.ts';

/** What a stream client reads: committed events after a cursor (Outbox.readAfter). */
export interface EventReader {
  readAfter(afterSeq: number, limit: number, topicPrefixes: readonly string[]): EventPage;
}

export interface StreamClientOptions {
  reader: EventReader;
  topicPrefixes: readonly string[];
  /** The last sequence this client has seen (or skipped as not matching). */
  cursor: number;
  /** Rows read per step; with the socket's high-water mark, this bounds what one client holds in memory. */
  batchSize: number;
  metrics: StreamMetrics | undefined;
  /** The outbox could not be read: the response is ended (the browser reconnects with its Last-Event-ID). */
  onReadError(err: unknown): void;
}

export interface StreamClientSnapshot {
  cursor: number;
  /** Bytes written but not yet taken by the socket. */
  bufferedBytes: number;
  waitingForDrain: boolean;
}

/**
 * One browser connection. It keeps its own cursor into the outbox and reads forward at its own pace: a step writes
 * at most one batch, and once the socket stops draining nothing more is read for this client until 'drain'. So a
 * slow client holds at most a batch beyond the socket buffer, never slows the relay (which only commits and wakes
 * it) and never slows other clients; it catches up from the outbox, which is where the events are anyway.
 */
export class StreamClient {
  private cursor: number;
  private scheduled = false;
  private waitingForDrain = false;
  private closed = false;

  constructor(
    private readonly res: ServerResponse,
    private readonly options: StreamClientOptions,
  ) {
    this.cursor = options.cursor;
  }

  /** New events may be there (a commit, a drain, the first start): read on the next turn of the event loop. */
  wake(): void {
    if (this.closed || this.scheduled || this.waitingForDrain) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.step();
    });
  }

  /** For tests and diagnostics: where this client is and what it holds in memory. */
  snapshot(): StreamClientSnapshot {
    return { cursor: this.cursor, bufferedBytes: this.res.writableLength, waitingForDrain: this.waitingForDrain };
  }

  heartbeat(): void {
    // A client that is not draining already has bytes in flight; a heartbeat would only add to its buffer.
    if (!this.closed && !this.waitingForDrain) this.res.write(heartbeatFrame);
  }

  close(): void {
    this.closed = true;
  }

  private step(): void {
    if (this.closed || this.waitingForDrain) return;
    let page: EventPage;
    try {
      page = this.options.reader.readAfter(this.cursor, this.options.batchSize, this.options.topicPrefixes);
    } catch (err) {
      this.closed = true;
      this.options.onReadError(err);
      this.res.end();
      return;
    }
    if (this.cursor > page.lastSeq || page.oldestSeq > this.cursor + 1) {
      this.reset(page);
      return;
    }
    const before = this.cursor;
    let writable = true;
    for (const { seq, event } of page.events) writable = this.res.write(eventFrame(seq, event));
    this.options.metrics?.eventsSent.inc(page.events.length);
    this.cursor = page.scannedTo;
    if (!writable) this.awaitDrain();
    else if (this.cursor > before) this.wake();
  }

  /** Asked for events no longer (or never) stored: say so, then go on from the oldest one there is. */
  private reset(page: EventPage): void {
    const resumeFrom = this.cursor > page.lastSeq ? page.lastSeq : page.oldestSeq - 1;
    this.options.metrics?.resets.inc();
    const writable = this.res.write(resetFrame(resumeFrom, this.cursor, page.oldestSeq));
    this.cursor = resumeFrom;
    if (writable) this.wake();
    else this.awaitDrain();
  }

  private awaitDrain(): void {
    this.waitingForDrain = true;
    this.res.once('drain', () => {
      this.waitingForDrain = false;
      this.wake();
    });
  }
}
