import { sha256Hex } from './sha256.ts';

/**
 * One notification as the relay hands it on: the original Genesys frame's fields at the top level
 * (the NDJSON contract in README.md, "Sinks") plus what the relay adds under `relay`.
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
 * The de-duplication and idempotency key: a digest of (topic, CorrelationId, canonical eventBody).
 *
 * Why the body: Genesys does not document CorrelationId as unique per event, and one upstream operation can fan
 * out to several events (and several topics) under the same id (genesys-api.md §8), so (topic, CorrelationId)
 * alone merged distinct events (80 of 799 delivered in a probe). Two copies of one event (rollover overlap) carry
 * the same topic, CorrelationId and body.
 *
 * Canonical body = `JSON.stringify` of the parsed eventBody: whitespace, escapes and number spelling are
 * normalised, key order is kept as sent. Nothing documents that the two copies are byte-identical frames, but both
 * are the same server-side object serialised by the same code, so key order is stable; metadata beyond the
 * CorrelationId is left out in case it is per delivery. If copies ever did differ in key order, the outcome is a
 * duplicate (at-least-once), never a loss. Topic names are compared case-insensitively (genesys-api.md §3).
 * 32 hex chars (128 bits) keep ServiceNow coalesce fields and SQLite indexes small.
 */
export function eventKey(topicName: string, correlationId: string | undefined, eventBody: unknown): string {
  return eventKeyOfJson(topicName, correlationId, bodyJson(eventBody));
}

/** `eventKey` for a body already serialised by `bodyJson` (the relay keeps that text for its outbox row). */
export function eventKeyOfJson(topicName: string, correlationId: string | undefined, json: BodyJson): string {
  // Undefined and unserialisable bodies have a fixed spelling, so the key never throws.
  const canonical = json === undefined ? 'undefined' : json === null ? 'unserialisable' : json;
  const identity = `${topicName.toLowerCase()}\u0000${correlationId ?? ''}\u0000${canonical}`;
  // Node's one-shot crypto.hash where there is one, the same digest in pure JavaScript in a browser (sha256.ts).
  return sha256Hex(identity).slice(0, 32);
}

/** JSON text of a body; undefined for `undefined` (JSON has no spelling for it), null if it cannot be serialised. */
export type BodyJson = string | undefined | null;

export function bodyJson(eventBody: unknown): BodyJson {
  try {
    // Typed as string, but undefined for `undefined` (and functions, symbols).
    const text: string | undefined = JSON.stringify(eventBody);
    return text;
  } catch {
    return null;
  }
}
