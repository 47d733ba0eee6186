import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header carrying the Unix time (seconds) at which the request was signed. */
export const TIMESTAMP_HEADER = 'X-Genesys-Relay-Timestamp';
/** Header carrying `sha256=<hex>`. */
export const SIGNATURE_HEADER = 'X-Genesys-Relay-Signature';
/** Header carrying the event's deterministic key (or a hash of the keys for an array batch). */
export const IDEMPOTENCY_HEADER = 'Idempotency-Key';

/**
 * Computes the `X-Genesys-Relay-Signature` value: `sha256=` + hex HMAC-SHA256(secret, `${timestamp}.${body}`).
 * The timestamp is inside the MAC so a captured request cannot be replayed later with a fresh timestamp.
 */
export function signWebhookBody(secret: string, timestampS: number | string, body: string | Buffer): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${timestampS}.`);
  mac.update(body);
  return `sha256=${mac.digest('hex')}`;
}

export interface VerifyOptions {
  /** Largest accepted distance between the signed timestamp and now. @default 300 */
  toleranceS?: number;
  /** Current Unix time in seconds. @default Math.floor(Date.now() / 1000) */
  nowS?: number;
}

/**
 * Verifies a request from the webhook sink. Recipe for a receiver:
 *
 * 1. Read the raw request body bytes, before any JSON parsing or re-serialisation.
 * 2. Take `X-Genesys-Relay-Timestamp` (Unix seconds) and `X-Genesys-Relay-Signature` (`sha256=<hex>`).
 * 3. Compute hex HMAC-SHA256 with the shared secret over `<timestamp>.<raw body>`.
 * 4. Compare in constant time, and reject timestamps further than `toleranceS` from now (replays).
 * 5. Deduplicate on `Idempotency-Key`: delivery is at-least-once, so the same event can arrive again.
 *
 * Returns false for any malformed input instead of throwing.
 */
export function verifyWebhookSignature(
  secret: string,
  timestamp: string | undefined,
  body: string | Buffer,
  header: string | undefined,
  options: VerifyOptions = {},
): boolean {
  if (timestamp === undefined || header === undefined || !/^\d{1,12}$/.test(timestamp)) return false;
  const toleranceS = options.toleranceS ?? 300;
  const nowS = options.nowS ?? Math.floor(Date.now() / 1000);
  if (Math.abs(nowS - Number(timestamp)) > toleranceS) return false;
  const match = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!match?.[1]) return false;
  const expected = Buffer.from(signWebhookBody(secret, timestamp, body).slice('sha256='.length), 'hex');
  const given = Buffer.from(match[1], 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}
