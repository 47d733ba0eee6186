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
type Verdict = 'retryable' | 'permanent' | 'blocked';

const BY_NAME: Readonly<Record<string, Verdict>> = {
  // The server or the JetStream layer is not there (yet): restart, failover, stream being (re)created.
  TimeoutError: 'retryable',
  NoResponders: 'retryable',
  JetStreamNotEnabled: 'retryable',
  ConnectionError: 'retryable',
  ClosedConnectionError: 'retryable',
  DrainingConnectionError: 'retryable',
  ProtocolError: 'retryable',
  // Credentials are a deployment problem that an operator fixes: the sink is blocked, its events stay pending
  // (no attempt counted) instead of dead-lettering the whole backlog while the creds are rotated.
  AuthorizationError: 'blocked',
  UserAuthenticationExpiredError: 'blocked',
  // This subject will never be accepted for this user, or this message is malformed / too large.
  PermissionViolationError: 'permanent',
  InvalidSubjectError: 'permanent',
  InvalidArgumentError: 'permanent',
  InvalidNameError: 'permanent',
};

/** What to check when the server refuses the login; names the options, never their values. */
const AUTH_HINT = 'check the NATS credentials: sinks.nats.token, or the sink options token, user/pass, credentials';

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
    return outcomeOf(cause instanceof Error ? BY_NAME[cause.name] : undefined, error);
  }
  return outcomeOf(BY_NAME[name], error);
}

function outcomeOf(verdict: Verdict | undefined, error: string): DeliveryOutcome {
  if (verdict === 'blocked') return { kind: 'blocked', error: `${error} (authentication failed: ${AUTH_HINT})` };
  return verdict === 'permanent' ? { kind: 'permanent', error } : { kind: 'retryable', error };
}
