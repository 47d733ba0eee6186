import type { IncomingMessage, ServerResponse } from 'node:http';
import { notFound, type ApiRequest } from './api-request.ts';
import type { EmulatorContext } from './context.ts';
import { applyHttpFault } from './http-faults.ts';
import { errorBody, readJson, sendJson } from './http.ts';
import { newCorrelationId } from './ids.ts';
import { handleNotifications } from './notifications-routes.ts';
import { rateLimitMessage, takeRequest } from './rate-limit.ts';
import { handleResyncRoutes } from './resync-routes.ts';
import { checkBearer } from './tokens.ts';

export type { ApiRequest } from './api-request.ts';

/**
 * The `/api/v2` pipeline: correlation and rate headers on every response, armed faults, bearer check,
 * per-token rate limit, then the notification routes (genesys-api.md §4, §7).
 */
export async function handleApi(
  ctx: EmulatorContext,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  ctx.counters.apiRequests++;
  const headers: Record<string, string> = {
    'inin-correlation-id': newCorrelationId(),
    'inin-ratelimit-allowed': String(ctx.options.rateLimitPerMinute),
    'inin-ratelimit-count': '0',
    'inin-ratelimit-reset': '60',
  };
  const parsed = await readJson(req);
  if (applyHttpFault(ctx, req, res, 'api', headers)) return;
  const auth = checkBearer(ctx, req);
  if (!auth.ok) {
    sendJson(res, 401, errorBody(401, auth.code, auth.message), headers);
    return;
  }
  const rate = takeRequest(ctx, auth.token);
  headers['inin-ratelimit-count'] = String(rate.count);
  headers['inin-ratelimit-reset'] = String(rate.resetS);
  if (!rate.allowed) {
    ctx.counters.rateLimited++;
    const body = errorBody(429, 'too.many.requests.retry.after', rateLimitMessage(rate.resetS));
    sendJson(res, 429, body, { ...headers, 'retry-after': String(rate.resetS) });
    return;
  }
  if ('invalid' in parsed) {
    sendJson(res, 400, errorBody(400, 'bad.request', 'The request body is not valid JSON.'), headers);
    return;
  }
  const api: ApiRequest = { ctx, req, res, url, token: auth.token, body: parsed.value, headers };
  // State re-reads after a gap (resync-routes.ts) share the pipeline: bearer, rate limit, armed faults.
  if (!handleNotifications(api) && !handleResyncRoutes(api)) notFound(api);
}
