import type { BatchOutcome, DeliveryOutcome } from '../sink.ts';

/**
 * Completes a batch's outcomes after a retryable failure without sending the rest: the target is down or
 * throttling, so every remaining event gets the same verdict (and Retry-After) untried.
 */
export function skipRemaining(
  done: BatchOutcome,
  total: number,
  cause: DeliveryOutcome & { kind: 'retryable' },
): BatchOutcome {
  const skipped: DeliveryOutcome =
    cause.retryAfterMs === undefined
      ? { kind: 'retryable', error: `not attempted: ${cause.error}` }
      : { kind: 'retryable', error: `not attempted: ${cause.error}`, retryAfterMs: cause.retryAfterMs };
  const out = [...done];
  while (out.length < total) out.push(skipped);
  return out;
}
