import type { BatchOutcome, DeliveryOutcome } from '../sink.ts';

/**
 * Completes a batch's outcomes after a retryable or blocked failure without sending the rest: the target is down,
 * throttling or refusing our credentials, so every remaining event gets the same verdict (and Retry-After)
 * untried. For credentials this also keeps failed logins (and account lockouts) to one per batch.
 */
export function skipRemaining(
  done: BatchOutcome,
  total: number,
  cause: DeliveryOutcome & { kind: 'retryable' | 'blocked' },
): BatchOutcome {
  const error = `not attempted: ${cause.error}`;
  const skipped: DeliveryOutcome =
    cause.retryAfterMs === undefined
      ? { kind: cause.kind, error }
      : { kind: cause.kind, error, retryAfterMs: cause.retryAfterMs };
  const out = [...done];
  while (out.length < total) out.push(skipped);
  return out;
}
