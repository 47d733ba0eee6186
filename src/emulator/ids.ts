import { randomBytes, randomUUID } from 'node:crypto';

/**
 * Characters common to RFC 4648 lower-case base32 and base32hex, so ids match any plausible
 * `[a-z2-7]`, `[0-9a-v]` or `[a-z0-9]` pattern a client might check.
 */
const ID_ALPHABET = 'abcdefghijklmnopqrstuv234567';
const ID_LENGTH = 26;

/** `streaming-0-<26 chars>`, the shape of real channel ids (genesys-api.md §1.2). */
export function newChannelId(): string {
  const bytes = randomBytes(ID_LENGTH);
  let suffix = '';
  for (const byte of bytes) suffix += ID_ALPHABET[byte % ID_ALPHABET.length] ?? 'a';
  return `streaming-0-${suffix}`;
}

/** An opaque bearer token. */
export function newAccessToken(): string {
  return randomBytes(48).toString('base64url');
}

export function newCorrelationId(): string {
  return randomUUID();
}
