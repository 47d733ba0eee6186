import { HEARTBEAT_TOPIC, MAX_COMBINED_TOPIC_LENGTH, SYSTEM_TOPIC_PREFIX } from '../genesys/wire.ts';

/** A syntactically valid topic: the id as subscribed and the names events are delivered under. */
export interface ParsedTopic {
  id: string;
  /** `[id]` for a plain topic; `prefix.suffix` per suffix for a combined `prefix?a&b` topic. */
  expanded: string[];
  combined: boolean;
}

export type TopicParse = { ok: true; topic: ParsedTopic } | { ok: false; message: string };

// Real ids are UUIDs or names; braces (`{id}`) are rejected because the WebSocket has no wildcards (§3).
const SEGMENT = /^[A-Za-z0-9_-]+$/;

/** Validates a topic name and expands a combined topic (genesys-api.md §3). Pure. */
export function parseTopic(id: unknown): TopicParse {
  if (typeof id !== 'string' || id.length === 0) return { ok: false, message: 'Topic id must be a non-empty string.' };
  const question = id.indexOf('?');
  if (question < 0) {
    const problem = checkPlain(id);
    return problem ? { ok: false, message: problem } : { ok: true, topic: { id, expanded: [id], combined: false } };
  }
  if (id.length >= MAX_COMBINED_TOPIC_LENGTH) {
    return { ok: false, message: `Combined topic ${id} must be shorter than ${MAX_COMBINED_TOPIC_LENGTH} characters.` };
  }
  const prefix = id.slice(0, question);
  const suffixes = id.slice(question + 1).split('&');
  const expanded = suffixes.map((suffix) => `${prefix}.${suffix}`);
  for (const [index, name] of expanded.entries()) {
    const problem = suffixes[index] === '' ? `Empty suffix in combined topic ${id}.` : checkPlain(name);
    if (problem) return { ok: false, message: problem };
  }
  return { ok: true, topic: { id, expanded: [...new Set(expanded)], combined: true } };
}

function checkPlain(name: string): string | undefined {
  if (name === HEARTBEAT_TOPIC || name.startsWith(SYSTEM_TOPIC_PREFIX)) {
    return `Topic ${name} is delivered automatically and cannot be subscribed.`;
  }
  const segments = name.split('.');
  if (segments[0] !== 'v2' || segments.length < 3) return `Invalid topic ${name}: expected v2.<entity>.<…>.`;
  if (!segments.every((segment) => SEGMENT.test(segment))) return `Invalid topic ${name}: malformed segment.`;
  return undefined;
}

/** Compiled permission refusals of one client: exact names and regular expressions. */
export class TopicDenyList {
  private readonly exact = new Set<string>();
  private readonly patterns: RegExp[] = [];

  constructor(entries: readonly string[] = []) {
    for (const entry of entries) this.add(entry);
  }

  add(entry: string): void {
    this.exact.add(entry);
    try {
      this.patterns.push(new RegExp(entry));
    } catch {
      // Not a valid regular expression: the exact match above is all it means.
    }
  }

  denies(topic: string): boolean {
    return this.exact.has(topic) || this.patterns.some((pattern) => pattern.test(topic));
  }
}

/** The permission a refused topic reports as missing; modelled on the SDK docs, not observed [U]. */
export function permissionFor(topic: string): string {
  if (topic.startsWith('v2.users.')) return 'directory:user:view';
  if (topic.startsWith('v2.routing.queues.')) return 'routing:queue:view';
  if (topic.startsWith('v2.analytics.')) return 'analytics:queueObservation:view';
  if (topic.startsWith('v2.conversations.')) return 'conversation:communication:view';
  return `${topic.split('.').slice(1, 3).join(':')}:view`;
}

/** The 403 message Genesys's own test mock uses (genesys-api.md §1.4). */
export function deniedMessage(topic: string): string {
  return `The user does not have permission "${permissionFor(topic)}" required for topic "${topic}"`;
}
