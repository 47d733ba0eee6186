import { ConfigError } from '../../core/errors.ts';

/**
 * Genesys topic name → NATS subject: `v2.users.<id>.presence` → `genesys.v2.users.<id>.presence`, so downstream
 * consumers filter with NATS wildcards (`genesys.v2.users.*.presence`, `genesys.v2.routing.>`).
 *
 * A subject token may not be empty, contain whitespace, or be a wildcard (`*`, `>`) when publishing; `$`-prefixed
 * subjects are reserved for the system. Anything outside `[A-Za-z0-9_-]` in a token becomes `_` — deliberately
 * conservative, because a rejected subject would dead-letter the event. Subjects are lower-cased: Genesys compares
 * topic names case-insensitively (the event key does too), so one topic maps to one subject.
 */
const TOKEN_OK = /^[A-Za-z0-9_-]+$/;

export function sanitizeToken(token: string): string {
  const cleaned = token.toLowerCase().replace(/[^a-z0-9_-]/g, '_');
  return cleaned.length > 0 ? cleaned : '_';
}

/** The subject for a topic under `prefix` (which `validateSubjectPrefix` has accepted). */
export function subjectForTopic(prefix: string, topicName: string): string {
  const tokens = topicName.split('.').map(sanitizeToken);
  return `${prefix}.${tokens.join('.')}`;
}

/** A prefix is one or more plain tokens, e.g. `genesys` or `acme.genesys`; throws ConfigError otherwise. */
export function validateSubjectPrefix(prefix: string, field = 'sinks.nats.subjectPrefix'): string {
  const tokens = prefix.split('.');
  if (prefix.length === 0 || !tokens.every((t) => TOKEN_OK.test(t))) {
    throw new ConfigError(field, `"${prefix}" must be dot-separated tokens of letters, digits, '_' or '-'`);
  }
  return prefix;
}
