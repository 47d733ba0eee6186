/** Monotonic counters for metrics. */
export interface ClientCounters {
  /** Event frames read off any socket (before de-duplication). */
  eventsReceived: number;
  /** Events handed to onEvent / events(). */
  eventsDelivered: number;
  /** Copies dropped: the same event (topic, CorrelationId, body) already delivered during a rollover overlap. */
  duplicatesDropped: number;
  /** Frames that were not JSON or not a known shape; skipped. */
  malformedFrames: number;
  /** Frames over `maxFrameBytes`: skipped and reported, the socket kept. */
  oversizedFrames: number;
  /** Sockets re-opened after an unplanned loss. */
  reconnects: number;
  /** Completed make-before-break rollovers. */
  rollovers: number;
  /** Intervals without an open socket (unplanned). */
  gaps: number;
  /** Total milliseconds spent in gaps. */
  gapMs: number;
  /** Events dropped by the events() overflow policy. */
  overflowDropped: number;
  /** Topics the server refused. */
  rejectedTopics: number;
  /** Errors reported on the 'error' event. */
  errors: number;
}

export function newCounters(): ClientCounters {
  return {
    eventsReceived: 0,
    eventsDelivered: 0,
    duplicatesDropped: 0,
    malformedFrames: 0,
    oversizedFrames: 0,
    reconnects: 0,
    rollovers: 0,
    gaps: 0,
    gapMs: 0,
    overflowDropped: 0,
    rejectedTopics: 0,
    errors: 0,
  };
}
