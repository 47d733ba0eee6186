import type { IncomingMessage, ServerResponse } from 'node:http';

/** Response headers a page's script may read: the client honours Retry-After and logs the correlation id. */
const EXPOSED = 'Retry-After, ININ-Correlation-Id, inin-ratelimit-allowed, inin-ratelimit-count, inin-ratelimit-reset';

/**
 * CORS for the API routes, as the real API answers a browser app (implicit grant / PKCE): the calling origin is
 * allowed, with the bearer token in `Authorization` (no cookies), and a preflight (`OPTIONS` with
 * `Access-Control-Request-Method`) is answered 204 before any auth or rate limit. Returns true when it answered.
 * Requests without an `Origin` (every Node client) are untouched.
 */
export function applyCors(req: IncomingMessage, res: ServerResponse): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return false;
  res.setHeader('Access-Control-Allow-Origin', origin);
  res.setHeader('Vary', 'Origin');
  res.setHeader('Access-Control-Expose-Headers', EXPOSED);
  if (req.method !== 'OPTIONS' || req.headers['access-control-request-method'] === undefined) return false;
  req.resume();
  res.writeHead(204, {
    'Access-Control-Allow-Methods': 'GET, HEAD, POST, PUT, PATCH, DELETE',
    'Access-Control-Allow-Headers': 'Authorization, Content-Type, Accept',
    'Access-Control-Max-Age': '600',
    'Content-Length': 0,
  });
  res.end();
  return true;
}
