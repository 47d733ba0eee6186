import { parseRetryAfterMs } from '../../core/backoff.ts';
import { AuthError, errorMessage, isRelayError } from '../../core/errors.ts';
import type { DeliveryOutcome } from '../sink.ts';
import { summarizeErrorBody } from './error-body.ts';
import type { HttpResult } from './http-request.ts';

/**
 * Statuses that mean "the target is busy or briefly broken; the same request can succeed later".
 * 408/425 are the server declining to wait or to process early data; 429 is rate limiting (ServiceNow sends
 * Retry-After); 5xx are gateway and maintenance answers.
 */
const RETRYABLE_STATUSES: ReadonlySet<number> = new Set([408, 425, 429, 500, 502, 503, 504]);

/**
 * Statuses where sending the same request again cannot help: the request itself, the permissions (ServiceNow
 * returns 403 for ACL, business-rule and data-policy rejections of that record) or the configuration (404 wrong
 * table/URL) is wrong. Listed for documentation; any other 4xx but 401 is treated the same way.
 */
export const PERMANENT_STATUSES: ReadonlySet<number> = new Set([400, 403, 404, 405, 406, 413, 415, 422]);

export interface ClassifyContext {
  /** What was attempted, for the message, e.g. `webhook POST https://example.com/hook`. Never holds secrets. */
  what: string;
  /** Clock reading used to turn an HTTP-date Retry-After into milliseconds. */
  nowMs: number;
  /** Appended to the 401 message: which options hold the credentials. */
  unauthorizedHint?: string;
}

/**
 * Maps one HTTP response to a DeliveryOutcome. The single table for every HTTP sink, so webhook and ServiceNow
 * treat the same status the same way. 401 arrives here only after any token refresh was tried (the caller
 * refreshes once), so the credentials are wrong: 'blocked', which keeps every event pending until they are fixed
 * (the fault is the sink's configuration, not the event).
 */
export function classifyHttpResponse(res: HttpResult, ctx: ClassifyContext): DeliveryOutcome {
  const { status } = res;
  if (status >= 200 && status < 300) return { kind: 'delivered' };
  const error = describeFailure(res, ctx);
  if (RETRYABLE_STATUSES.has(status) || status >= 500) {
    const retryAfterMs = parseRetryAfterMs(res.headers['retry-after'], ctx.nowMs);
    return retryAfterMs === undefined ? { kind: 'retryable', error } : { kind: 'retryable', error, retryAfterMs };
  }
  if (status === 401) {
    const hint = ctx.unauthorizedHint ?? 'check the credentials';
    return { kind: 'blocked', error: `${error} (authentication failed: ${hint})` };
  }
  if (status >= 300 && status < 400) {
    const location = res.headers['location'];
    const where = location === undefined ? '' : ` to ${redactUrl(location)}`;
    return { kind: 'permanent', error: `${error} (redirect${where} not followed: configure the final URL)` };
  }
  return { kind: 'permanent', error };
}

/**
 * Maps a thrown request error (connection refused, reset, DNS, timeouts, abort) to an outcome. All of these are
 * transient from the sink's point of view; a RelayError keeps its own `retryable` verdict. A non-retryable
 * AuthError (a token provider's rejected grant) blocks the sink: its message names the options to check.
 */
export function classifyRequestError(err: unknown, what: string): DeliveryOutcome {
  if (isRelayError(err)) {
    if (!err.retryable && err instanceof AuthError) return { kind: 'blocked', error: `${what}: ${err.message}` };
    if (!err.retryable) return { kind: 'permanent', error: `${what}: ${err.message}` };
    const error = `${what}: ${err.message}`;
    return err.retryAfterMs === undefined
      ? { kind: 'retryable', error }
      : { kind: 'retryable', error, retryAfterMs: err.retryAfterMs };
  }
  return { kind: 'retryable', error: `${what}: ${describeNetworkError(err)}` };
}

function describeFailure(res: HttpResult, ctx: ClassifyContext): string {
  const summary = summarizeErrorBody(res.body, res.headers['content-type']);
  return `${ctx.what}: HTTP ${res.status}${summary === '' ? '' : ` ${summary}`}`;
}

const NETWORK_CODES: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection closed while sending',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_HEADERS_TIMEOUT: 'timed out waiting for the response',
  UND_ERR_BODY_TIMEOUT: 'timed out reading the response body',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_CLOSED: 'client closed',
  UND_ERR_ABORTED: 'request aborted',
};

/** A short, secret-free description of a network-level failure. */
export function describeNetworkError(err: unknown): string {
  const code = errorCode(err) ?? errorCode(err instanceof Error ? err.cause : undefined);
  if (err instanceof Error && err.name === 'AbortError') return 'request aborted';
  const known = code === undefined ? undefined : NETWORK_CODES[code];
  if (known !== undefined && code !== undefined) return `${known} (${code})`;
  return errorMessage(err);
}

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  const { code } = err;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Origin and path only: query strings and userinfo often carry tokens (e.g. `https://hooks.example/x?token=…`),
 * and these strings end up in logs and the dead-letter table.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}
