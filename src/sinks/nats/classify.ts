import { errorMessage } from '../../core/errors.ts';
import type { DeliveryOutcome } from '../sink.ts';

/**
 * NATS / JetStream publish failure → delivery outcome (one table, one test per row).
 *
 * Errors are recognised by `name`, which every @nats-io error class sets, so the table also holds if two copies of
 * the client end up in node_modules (where `instanceof` would fail). Unknown errors are retryable: for a durable
 * relay, retrying a permanent error wastes a little work, while dead-lettering a transient one loses an event from
 * the live path.
 */
type Verdict = 'retryable' | 'permanent';

const BY_NAME: Readonly<Record<string, Verdict>> = {
  // The server or the JetStream layer is not there (yet): restart, failover, stream being (re)created.
  TimeoutError: 'retryable',
  NoResponders: 'retryable',
  JetStreamNotEnabled: 'retryable',
  ConnectionError: 'retryable',
  ClosedConnectionError: 'retryable',
  DrainingConnectionError: 'retryable',
  ProtocolError: 'retryable',
  // Credentials are a deployment problem that an operator fixes; retrying (slowly) keeps the events instead of
  // dead-lettering the whole backlog while the creds are rotated.
  AuthorizationError: 'retryable',
  UserAuthenticationExpiredError: 'retryable',
  // This subject will never be accepted for this user, or this message is malformed / too large.
  PermissionViolationError: 'permanent',
  InvalidSubjectError: 'permanent',
  InvalidArgumentError: 'permanent',
  InvalidNameError: 'permanent',
};

/** Slow retry for credential problems, which are not fixed within seconds. */
const AUTH_RETRY_AFTER_MS = 30_000;

export function classifyNatsError(err: unknown): DeliveryOutcome {
  const error = `nats: ${errorMessage(err)}`;
  const name = err instanceof Error ? err.name : '';
  if (name === 'JetStreamApiError') {
    // The API error's `code` is HTTP-like: 503 = JetStream temporarily unavailable; 4xx = this message is refused
    // (e.g. maximum message size exceeded, or the stream's limits with discard=new).
    const status = (err as { status?: unknown }).status;
    return typeof status === 'number' && status >= 500 ? { kind: 'retryable', error } : { kind: 'permanent', error };
  }
  if (name === 'RequestError') {
    const cause = (err as Error).cause;
    return cause instanceof Error && BY_NAME[cause.name] === 'permanent'
      ? { kind: 'permanent', error }
      : { kind: 'retryable', error };
  }
  if (name === 'AuthorizationError' || name === 'UserAuthenticationExpiredError') {
    return { kind: 'retryable', error, retryAfterMs: AUTH_RETRY_AFTER_MS };
  }
  return BY_NAME[name] === 'permanent' ? { kind: 'permanent', error } : { kind: 'retryable', error };
}
