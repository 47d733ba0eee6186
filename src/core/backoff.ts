/** A source of uniform numbers in [0, 1); injected so tests are deterministic. */
export type Random = () => number;

export interface BackoffPolicy {
  /** Delay scale for the second attempt; the first retry is immediate when `firstImmediate`. @default 250 */
  baseMs: number;
  /** Upper bound of any delay. @default 30000 */
  maxMs: number;
  /** Retry attempt 0 with no delay (a dropped socket usually comes straight back). @default true */
  firstImmediate: boolean;
}

export const defaultBackoff: BackoffPolicy = { baseMs: 250, maxMs: 30_000, firstImmediate: true };

/**
 * "Full jitter" exponential backoff (AWS architecture blog): a uniform delay in [0, min(max, base·2^n)).
 * Randomness spreads reconnects of many relays after a shared outage, so they do not storm the API.
 * `attempt` counts from 0 (the first retry).
 */
export function computeBackoffMs(
  attempt: number,
  policy: BackoffPolicy = defaultBackoff,
  random: Random = Math.random,
): number {
  if (attempt <= 0 && policy.firstImmediate) return 0;
  const exponent = policy.firstImmediate ? attempt - 1 : attempt;
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(exponent, 30));
  return Math.floor(random() * ceiling);
}

/**
 * Parses a Retry-After header: delta seconds or an HTTP date. Returns milliseconds from `nowMs`,
 * or undefined when the header is absent or unreadable.
 */
export function parseRetryAfterMs(header: string | null | undefined, nowMs: number): number | undefined {
  if (header === null || header === undefined || header.trim() === '') return undefined;
  const trimmed = header.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}
