import { hash } from 'node:crypto';

/**
 * One notification as the relay hands it on: the original Genesys frame's fields at the top level
 * (NDJSON contract, ../shared/CONTRACT.md) plus what the relay adds under `relay`.
 */
export interface RelayEvent {
  topicName: string;
  version: string | undefined;
  eventBody: unknown;
  metadata: Record<string, unknown>;
  relay: RelayFields;
}

export interface RelayFields {
  /** ISO-8601 instant the frame was read off the socket. */
  receivedAt: string;
  /** Channel the frame arrived on. */
  channelId: string;
  /** Deterministic idempotency key: the same event seen on two channels (rollover overlap) has the same key. */
  key: string;
  /**
   * `notification` for an event read from a socket, `resync` for state re-read over REST after a gap (src/resync,
   * CONTRACT.md). Absent only on events stored by a relay that predates it (read them as `notification`).
   */
  source?: 'notification' | 'resync';
  /** The gap a resync event heals: its id and interval (ISO-8601). Only with `source: "resync"`. */
  gap?: { id: string; startAt: string; endAt: string };
}

/**
 * The de-duplication and idempotency key. Genesys does not document CorrelationId uniqueness, and one upstream
 * operation can fan out to several topics under the same id, so the key is (topic, CorrelationId); topic names are
 * compared case-insensitively (genesys-api.md §3). Without a CorrelationId the raw frame text is the identity.
 * 32 hex chars (128 bits) keep ServiceNow coalesce fields and SQLite indexes small.
 */
export function eventKey(topicName: string, correlationId: string | undefined, rawFrame: string): string {
  const identity = correlationId ? `${topicName.toLowerCase()}\u0000${correlationId}` : `raw\u0000${rawFrame}`;
  // One-shot crypto.hash is about twice as fast as createHash() on this per-event path; same digest.
  return hash('sha256', identity, 'hex').slice(0, 32);
}
