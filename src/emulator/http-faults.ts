import type { IncomingMessage, ServerResponse as Response } from 'node:http';
import type { EmulatorContext, HttpFaultScope } from './context.ts';
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
  req: IncomingMessage,
  res: Response,
  kind: 'api' | 'login',
  headers: Record<string, string>,
): boolean {
  const { serverError, rateLimit } = ctx.pending;
  const requestLine = `${req.method ?? 'GET'} ${(req.url ?? '/').split('?')[0] ?? '/'}`;
  const applies = (scope: HttpFaultScope): boolean =>
    scope.remaining > 0 &&
    (scope.target === 'all' || scope.target === kind) &&
    (scope.match === undefined || requestLine.includes(scope.match));
  if (applies(serverError)) {
    serverError.remaining--;
    ctx.counters.serverErrors++;
    const status = serverError.status;
    const code = SERVER_ERROR_CODES[status] ?? 'internal.server.error';
    sendJson(res, status, errorBody(status, code, 'The service is temporarily unavailable (emulated fault).'), headers);
    return true;
  }
  if (applies(rateLimit)) {
    rateLimit.remaining--;
    ctx.counters.rateLimited++;
    const retryAfterS = rateLimit.retryAfterS;
    const body = errorBody(429, 'too.many.requests.retry.after', rateLimitMessage(retryAfterS));
    sendJson(res, 429, body, { ...headers, 'retry-after': String(retryAfterS) });
    return true;
  }
  return false;
}
