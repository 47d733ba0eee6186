import type { ServerResponse } from 'node:http';
import type { EmulatorContext } from './context.ts';
import { errorBody, sendJson } from './http.ts';
import { rateLimitMessage } from './rate-limit.ts';

const SERVER_ERROR_CODES: Record<number, string> = {
  500: 'internal.server.error',
  502: 'bad.gateway',
  503: 'service.unavailable',
  504: 'request.timeout',
};

/**
 * Answers the request with an armed 429 or 5xx fault, if one applies to this kind of request.
 * Returns true when the request was consumed.
 */
export function applyHttpFault(
  ctx: EmulatorContext,
  res: ServerResponse,
  kind: 'api' | 'login',
  headers: Record<string, string>,
): boolean {
  const { serverError, rateLimit } = ctx.pending;
  if (serverError.remaining > 0 && (serverError.target === 'all' || serverError.target === kind)) {
    serverError.remaining--;
    ctx.counters.serverErrors++;
    const status = serverError.status;
    const code = SERVER_ERROR_CODES[status] ?? 'internal.server.error';
    sendJson(res, status, errorBody(status, code, 'The service is temporarily unavailable (emulated fault).'), headers);
    return true;
  }
  if (rateLimit.remaining > 0 && (rateLimit.target === 'all' || rateLimit.target === kind)) {
    rateLimit.remaining--;
    ctx.counters.rateLimited++;
    const retryAfterS = rateLimit.retryAfterS;
    const body = errorBody(429, 'too.many.requests.retry.after', rateLimitMessage(retryAfterS));
    sendJson(res, 429, body, { ...headers, 'retry-after': String(retryAfterS) });
    return true;
  }
  return false;
}
