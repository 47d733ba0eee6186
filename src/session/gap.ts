/**
 * An interval during which a shard had no open socket, so events for its topics may have been lost (Genesys does
 * not queue or replay; genesys-api.md §5.2). Planned rollovers do not create gaps: the old socket stays open until
 * the replacement is.
 */
export interface Gap {
  /** Shard the gap belongs to. */
  shardId: string;
  /** Epoch ms of the last frame (heartbeat, pong or event) read from the lost socket: the last proof it worked. */
  startAt: number;
  /** Epoch ms the replacement socket opened (or the session closed). */
  endAt: number;
  /** Channel that was lost, if any. */
  channelId: string | undefined;
  /** Topics whose events may be missing; re-read their state over REST (`resync`). */
  topics: readonly string[];
  /** Why the socket was lost, e.g. `socket closed 1006`, `stale: no frame for 61000 ms`. */
  reason: string;
}

/** Why an event took the session away from a live socket, for the gap record. */
export function lossReason(event: { type: string; code?: number; reason?: string; frame?: { kind: string } }): string {
  switch (event.type) {
    case 'socketClosed':
      return `socket closed ${event.code ?? ''}${event.reason ? ` (${event.reason})` : ''}`.trim();
    case 'socketStale':
      return `stale: ${event.reason ?? ''}`;
    case 'controlReceived':
      return `server signal: ${event.frame?.kind ?? 'unknown'}`;
    default:
      return event.type;
  }
}
