import type { RelayEvent } from './envelope.ts';
import { keyedBodyJson } from './relay-fields.ts';

/** A string no event field holds in practice; its JSON text marks where the body goes in the rest of the event. */
const BODY_MARK = '\u0000genesys-relay:eventBody\u0000';
const BODY_MARK_JSON = JSON.stringify(BODY_MARK);

/**
 * `JSON.stringify(event)`, the same text, without serialising the body a second time: the relay serialises it once
 * for the event's key (relay-fields.ts keeps that text), and the body is most of an event's bytes (issue 10). The
 * rest of the event is serialised with a mark in the body's place, which the body's text then replaces. Falls back
 * to plain `JSON.stringify` for an event whose key was not computed from this body object, or if the mark is found
 * anywhere else. Throws what `JSON.stringify` throws (an unserialisable field).
 */
export function eventJson(event: RelayEvent): string {
  // Reading the key computes it, and with it the body's text, if nothing read it before.
  const body = typeof event.relay.key === 'string' ? keyedBodyJson(event.relay, event.eventBody) : undefined;
  if (body === undefined) return JSON.stringify(event);
  const shell = JSON.stringify({ ...event, eventBody: BODY_MARK });
  const at = shell.indexOf(BODY_MARK_JSON);
  if (at === -1 || shell.includes(BODY_MARK_JSON, at + 1)) return JSON.stringify(event);
  return shell.slice(0, at) + body + shell.slice(at + BODY_MARK_JSON.length);
}
