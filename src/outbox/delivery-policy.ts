import { computeBackoffMs, type BackoffPolicy, type Random } from '../core/backoff.ts';
import { assertNever } from '../core/errors.ts';
import type { DeliveryOutcome } from '../sinks/sink.ts';

export interface DeliveryPolicy {
  /** Attempts (the first delivery included) before a retryable failure is dead-lettered. @default 10 */
  maxAttempts: number;
  /** Delay between attempts when the sink did not say (no Retry-After). @default { baseMs: 1000, maxMs: 300000, firstImmediate: false } */
  backoff: BackoffPolicy;
  /** A Retry-After longer than this is cut down to it, so a bogus header cannot park a sink for days. @default 3600000 */
  maxRetryAfterMs: number;
  /**
   * How long a blocked sink (bad credentials or configuration) waits before it tries again, unless the sink said.
   * Long enough not to trip an account lockout policy, short enough that a fixed secret is picked up soon.
   * @default 60000
   */
  blockedRetryMs: number;
}

export const defaultDeliveryPolicy: DeliveryPolicy = {
  maxAttempts: 10,
  // Not immediate: a sink that just failed is most likely still failing a millisecond later.
  backoff: { baseMs: 1_000, maxMs: 300_000, firstImmediate: false },
  maxRetryAfterMs: 3_600_000,
  blockedRetryMs: 60_000,
};

export type DeliveryDecision =
  | { action: 'ack' }
  | { action: 'retry'; at: number }
  /** Try again at `at` without counting this attempt: the sink, not the event, is at fault. */
  | { action: 'defer'; at: number }
  | { action: 'deadLetter'; reason: string };

/**
 * What to do with one event after a delivery attempt. Pure, so every row is a table test.
 *
 * - delivered → ack.
 * - permanent → dead-letter at once: retrying cannot help (400, 403, mapping error).
 * - retryable → retry after the jittered exponential backoff or the sink's Retry-After (capped at
 *   `maxRetryAfterMs`), whichever is later; but dead-letter once `attempt` reaches `maxAttempts`. Retry-After is a
 *   floor ("not before"), never a shortcut: a sink that answers `Retry-After: 1` during a two-minute outage would
 *   otherwise spend the whole attempt budget in ten seconds and dead-letter its backlog (seen in the chaos soak).
 * - blocked → defer to the sink's retryAfterMs (capped like Retry-After) or `blockedRetryMs`, never dead-letter:
 *   the attempt is not counted, so a backlog that waited out a wrong password still has its whole budget.
 *
 * `attempt` counts from 1: the attempt whose outcome this is.
 */
export function decideDelivery(
  attempt: number,
  outcome: DeliveryOutcome,
  nowMs: number,
  policy: DeliveryPolicy = defaultDeliveryPolicy,
  random: Random = Math.random,
): DeliveryDecision {
  switch (outcome.kind) {
    case 'delivered':
      return { action: 'ack' };
    case 'permanent':
      return { action: 'deadLetter', reason: `permanent: ${outcome.error}` };
    case 'retryable': {
      if (attempt >= policy.maxAttempts) {
        return { action: 'deadLetter', reason: `gave up after ${attempt} attempts: ${outcome.error}` };
      }
      const backoffMs = computeBackoffMs(attempt - 1, policy.backoff, random);
      const retryAfterMs = Math.min(Math.max(0, outcome.retryAfterMs ?? 0), policy.maxRetryAfterMs);
      return { action: 'retry', at: nowMs + Math.max(backoffMs, retryAfterMs) };
    }
    case 'blocked': {
      const delayMs = outcome.retryAfterMs ?? policy.blockedRetryMs;
      return { action: 'defer', at: nowMs + Math.min(Math.max(0, delayMs), policy.maxRetryAfterMs) };
    }
    default:
      return assertNever(outcome, 'delivery outcome');
  }
}
