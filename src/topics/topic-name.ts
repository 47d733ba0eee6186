import { TopicError } from '../core/errors.ts';
import { HEARTBEAT_TOPIC, MAX_COMBINED_TOPIC_LENGTH, SYSTEM_TOPIC_PREFIX } from '../genesys/wire.ts';

/**
 * Notification topic names (genesys-api.md §3): dotted segments starting with `v2.`, every `{id}` replaced by a
 * concrete id, optionally combined as `<prefix>?<suffix>&<suffix>…` (each suffix may itself be dotted).
 */
export type TopicKind = 'simple' | 'combined' | 'system' | 'metadata';

export interface ParsedTopic {
  /** The name as given (trimmed); what is sent to Genesys. */
  readonly name: string;
  /** Case-insensitive comparison key (Genesys topics are camelCase in places; the SDKs compare ignoring case). */
  readonly key: string;
  readonly kind: TopicKind;
  /** The part before `?` for a combined topic, else the whole name. */
  readonly prefix: string;
  /** A combined topic's suffixes, in order; empty otherwise. */
  readonly suffixes: readonly string[];
}

/** Characters allowed in one segment: ids (UUIDs, numbers), camelCase words, `_`, `-`, `:`. */
const SEGMENT = /^[A-Za-z0-9_:-]+$/;

export function topicKey(name: string): string {
  return name.trim().toLowerCase();
}

/** Case-insensitive equality of two topic names. */
export function sameTopic(a: string, b: string): boolean {
  return topicKey(a) === topicKey(b);
}

/** `v2.system.*`: sent automatically to every socket, never subscribed. */
export function isSystemTopic(name: string): boolean {
  return topicKey(name).startsWith(SYSTEM_TOPIC_PREFIX);
}

/** `channel.metadata`: heartbeats and pongs, never subscribed. */
export function isMetadataTopic(name: string): boolean {
  return topicKey(name) === HEARTBEAT_TOPIC;
}

/** Parses any topic name the relay may see, including system and metadata topics. Throws TopicError. */
export function parseTopic(input: string): ParsedTopic {
  if (typeof input !== 'string') throw new TopicError(`topic must be a string, got ${typeof input}`);
  const name = input.trim();
  if (isMetadataTopic(name)) return { name, key: topicKey(name), kind: 'metadata', prefix: name, suffixes: [] };
  const q = name.indexOf('?');
  const prefix = q === -1 ? name : name.slice(0, q);
  checkDotted(prefix, name, true);
  if (q === -1) {
    return { name, key: topicKey(name), kind: isSystemTopic(name) ? 'system' : 'simple', prefix, suffixes: [] };
  }
  const suffixes = name.slice(q + 1).split('&');
  for (const suffix of suffixes) checkDotted(suffix, name, false);
  if (name.length >= MAX_COMBINED_TOPIC_LENGTH) {
    throw new TopicError(
      `combined topic "${clip(name)}" is ${name.length} characters; Genesys accepts fewer than ${MAX_COMBINED_TOPIC_LENGTH}. Split it (combineTopics does this).`,
    );
  }
  return { name, key: topicKey(name), kind: 'combined', prefix, suffixes };
}

/** Parses a topic the relay may subscribe to: system and metadata topics are refused (they arrive unasked). */
export function parseSubscribableTopic(input: string): ParsedTopic {
  const parsed = parseTopic(input);
  if (parsed.kind === 'system' || parsed.kind === 'metadata') {
    throw new TopicError(`topic "${parsed.name}" is delivered automatically to every channel; do not subscribe to it`);
  }
  return parsed;
}

function checkDotted(part: string, whole: string, isPrefix: boolean): void {
  if (part === '') throw new TopicError(`topic "${clip(whole)}" has an empty ${isPrefix ? 'name' : 'combined suffix'}`);
  if (isPrefix && !part.startsWith('v2.')) {
    throw new TopicError(`topic "${clip(whole)}" must start with "v2." (e.g. v2.users.<userId>.presence)`);
  }
  if (/[{}*]/.test(part)) {
    throw new TopicError(
      `topic "${clip(whole)}" contains a placeholder or wildcard; WebSocket topics need concrete ids (no {id} or *)`,
    );
  }
  for (const segment of part.split('.')) {
    if (!SEGMENT.test(segment)) {
      throw new TopicError(
        `topic "${clip(whole)}" has an invalid segment "${clip(segment)}" (allowed: letters, digits, _ - :)`,
      );
    }
  }
}

/** Keeps messages readable when someone passes a megabyte of garbage as a topic. */
function clip(text: string): string {
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
