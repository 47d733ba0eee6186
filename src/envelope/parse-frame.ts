import { isRecord } from '../core/json.ts';
import {
  HEARTBEAT_TOPIC,
  NO_LONGER_SUBSCRIBED_PREFIX,
  PONG_MESSAGE,
  SOCKET_CLOSING_TOPIC,
  SYSTEM_TOPIC_PREFIX,
  TOKEN_REVOKED_PREFIX,
  type NotificationFrame,
  type ResultFrame,
} from '../genesys/wire.ts';

/** Largest frame the client accepts (also the socket's `maxPayload`). Genesys documents no limit (§3). */
export const DEFAULT_MAX_FRAME_BYTES = 1024 * 1024;

/** What one text frame from the notification socket means. Only `event` frames are delivered downstream. */
export type ParsedFrame =
  | { kind: 'event'; frame: NotificationFrame; correlationId: string | undefined }
  | { kind: 'heartbeat' }
  | { kind: 'pong' }
  | { kind: 'socketClosing'; body: unknown }
  | { kind: 'tokenRevoked'; topic: string; body: unknown }
  | { kind: 'noLongerSubscribed'; topic: string; body: unknown }
  | { kind: 'system'; topic: string; body: unknown }
  | { kind: 'result'; frame: ResultFrame }
  | { kind: 'malformed'; reason: string };

/**
 * Classifies raw socket text. Hand-written guards rather than a schema library: this runs once per event on
 * the hot path. Never throws; anything unrecognised is `malformed` with a short reason (never the payload,
 * which may be large or sensitive).
 */
export function parseFrame(raw: string, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): ParsedFrame {
  // String length counts UTF-16 units; a unit is at most 3 UTF-8 bytes, so only measure when it could matter.
  if (raw.length * 3 > maxFrameBytes && Buffer.byteLength(raw, 'utf8') > maxFrameBytes) {
    return { kind: 'malformed', reason: `frame larger than ${maxFrameBytes} bytes` };
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { kind: 'malformed', reason: 'not JSON' };
  }
  if (!isRecord(value)) return { kind: 'malformed', reason: 'not a JSON object' };
  const topic = value['topicName'];
  if (typeof topic === 'string') return classifyTopicFrame(topic, value);
  if (typeof value['result'] === 'string') return { kind: 'result', frame: toResultFrame(value) };
  return { kind: 'malformed', reason: 'neither an event nor a result frame' };
}

function classifyTopicFrame(topic: string, value: Record<string, unknown>): ParsedFrame {
  const body = value['eventBody'];
  if (topic === HEARTBEAT_TOPIC) {
    const message = isRecord(body) ? body['message'] : undefined;
    if (message === PONG_MESSAGE) return { kind: 'pong' };
    // The heartbeat text is the documented one, but any other channel.metadata frame is server liveness too.
    return { kind: 'heartbeat' };
  }
  if (topic.startsWith(SYSTEM_TOPIC_PREFIX)) {
    if (topic === SOCKET_CLOSING_TOPIC) return { kind: 'socketClosing', body };
    if (topic.startsWith(TOKEN_REVOKED_PREFIX)) return { kind: 'tokenRevoked', topic, body };
    if (topic.startsWith(NO_LONGER_SUBSCRIBED_PREFIX)) return { kind: 'noLongerSubscribed', topic, body };
    return { kind: 'system', topic, body };
  }
  if (topic.length === 0) return { kind: 'malformed', reason: 'empty topicName' };
  if (!('eventBody' in value)) return { kind: 'malformed', reason: 'event without eventBody' };
  const metadata = value['metadata'];
  if (metadata !== undefined && !isRecord(metadata)) return { kind: 'malformed', reason: 'metadata is not an object' };
  const version = value['version'];
  if (version !== undefined && typeof version !== 'string')
    return { kind: 'malformed', reason: 'version is not a string' };
  const correlation = metadata?.['CorrelationId'];
  // The checks above establish the NotificationFrame shape; the fresh object from JSON.parse is reused as is
  // (no copy on the per-event path). Extra top-level keys, if any, ride along untouched.
  const frame = value as unknown as NotificationFrame;
  return { kind: 'event', frame, correlationId: typeof correlation === 'string' ? correlation : undefined };
}

function toResultFrame(value: Record<string, unknown>): ResultFrame {
  const frame: ResultFrame = { result: String(value['result']) };
  if (typeof value['correlationId'] === 'string') frame.correlationId = value['correlationId'];
  if (typeof value['status'] === 'string') frame.status = value['status'];
  if (typeof value['message'] === 'string') frame.message = value['message'];
  const topics = value['topics'];
  if (Array.isArray(topics)) frame.topics = topics.filter((t): t is string => typeof t === 'string');
  return frame;
}
