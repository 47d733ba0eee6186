import type { RelayEvent } from '../envelope/envelope.ts';
import { toNdjsonRecord } from '../envelope/ndjson-record.ts';

/** One SSE event per stored event: `id:` the outbox sequence, `data:` the NDJSON line's object (CONTRACT.md). */
export function eventFrame(seq: number, event: RelayEvent): string {
  // JSON.stringify never emits a raw newline, so the object always fits on one `data:` line.
  return `id: ${seq}\ndata: ${JSON.stringify(toNdjsonRecord(event))}\n\n`;
}

/**
 * Events the client asked for are gone (retention) or never existed here (a sequence beyond this outbox's, e.g. after
 * the state dir was replaced). The `id:` moves the browser's Last-Event-ID on, so a reconnect does not reset again.
 */
export function resetFrame(resumeFrom: number, requested: number, oldestSeq: number): string {
  return `event: reset\nid: ${resumeFrom}\ndata: ${JSON.stringify({ requested, oldestSeq, resumeFrom })}\n\n`;
}

/** A comment line: keeps proxies and the browser from timing the idle connection out. */
export const heartbeatFrame = ': heartbeat\n\n';

/** First bytes of a stream: a reconnect delay for EventSource and a comment so headers are flushed at once. */
export function openingFrame(retryMs: number): string {
  return `retry: ${retryMs}\n: stream open\n\n`;
}
