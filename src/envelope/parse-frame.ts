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

/**
 * Largest frame delivered as an event; larger ones are skipped and reported, the socket kept. Genesys documents
 * no limit (genesys-api.md §8); events of several MiB are real (large conversations), so the default is generous.
 */
export const DEFAULT_MAX_FRAME_BYTES = 16 * 1024 * 1024;

/**
 * What `ws` buffers at most for one frame before refusing it (close 1009): 4 × the frame limit, at least 64 MiB.
 * Frames between the limit and this ceiling are skipped without losing the socket; the ceiling only bounds the
 * memory one frame can take (a frame is held whole: ws cannot skip a message while streaming it).
 */
export function socketPayloadCeiling(maxFrameBytes: number): number {
  return Math.max(4 * maxFrameBytes, 64 * 1024 * 1024);
}

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
  | { kind: 'malformed'; reason: string }
  | { kind: 'oversized'; bytes: number; topic: string | undefined; correlationId: string | undefined };

/**
 * Classifies raw socket text. Hand-written guards rather than a schema library: this runs once per event on
 * the hot path. Never throws; anything unrecognised is `malformed` with a short reason (never the payload,
 * which may be large or sensitive).
 */
export function parseFrame(raw: string, maxFrameBytes = DEFAULT_MAX_FRAME_BYTES): ParsedFrame {
  // String length counts UTF-16 units; a unit is at most 3 UTF-8 bytes, so only measure when it could matter.
  if (raw.length * 3 > maxFrameBytes) {
    const bytes = utf8ByteLength(raw);
    if (bytes > maxFrameBytes) return oversized(raw, bytes);
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

const TOPIC_AT_START = /^\s*\{\s*"topicName"\s*:\s*"([^"\\]{1,512})"/;
const CORRELATION_ID = /"CorrelationId"\s*:\s*"([^"\\]{1,128})"/;
/** How much of each end of an oversized frame is searched for its topic and CorrelationId. */
const PEEK_CHARS = 4096;

/**
 * An oversized frame is not parsed (that would cost its size again in memory); its topic and CorrelationId are
 * looked for where Genesys puts them (topicName first, metadata last), for the report. Either may be undefined.
 */
function oversized(raw: string, bytes: number): ParsedFrame {
  const topic = TOPIC_AT_START.exec(raw.slice(0, PEEK_CHARS))?.[1];
  const correlationId = CORRELATION_ID.exec(raw.slice(-PEEK_CHARS))?.[1];
  return { kind: 'oversized', bytes, topic, correlationId };
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

/**
 * UTF-8 length of a string without encoding it (Buffer.byteLength's count, also where there is no Buffer: a
 * browser). A lone surrogate counts 3, as its replacement character is encoded.
 */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}
