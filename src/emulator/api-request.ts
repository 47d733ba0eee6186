import type { IncomingMessage, ServerResponse } from 'node:http';
import type { EmulatorContext, TokenRecord } from './context.ts';
import { errorBody, sendEmpty, sendJson } from './http.ts';

// The request every API route gets and the 404 they share. Kept apart from api-routes.ts, which dispatches to those
// route modules, so that no route module imports the module that imports it (an import cycle).

/** Everything an API route needs for one request. */
export interface ApiRequest {
  ctx: EmulatorContext;
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  token: TokenRecord;
  body: unknown;
  /** ININ-Correlation-Id and inin-ratelimit-* headers, sent on every response. */
  headers: Record<string, string>;
}

export function notFound(
  api: ApiRequest,
  message = `No resource at ${api.req.method ?? 'GET'} ${api.url.pathname}.`,
): void {
  if (api.req.method === 'HEAD') sendEmpty(api.res, 404, api.headers);
  else sendJson(api.res, 404, errorBody(404, 'not.found', message), api.headers);
}
