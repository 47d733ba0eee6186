import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../core/clock.ts';
import { FakeAuth, OAUTH_DENIED } from './fake-auth.ts';
import { FakeHttpError, readBody, sendError, sendJson } from './fake-http.ts';
import { FaultQueue, maintenancePage, RateLimiter } from './fake-limits.ts';
import type { FakeRequestLog, ServiceNowFakeOptions } from './fake-options.ts';
import { apiName, handleApi } from './fake-routes.ts';
import { FakeStore } from './fake-store.ts';

/**
 * Everything the fake instance does with one request, in ServiceNow's order: the OAuth endpoint, then for
 * `/api/*` injected faults, authentication (401), the per-user rate limit (429), and the API itself.
 */
export class FakeRequestHandler {
  readonly auth: FakeAuth;
  readonly store: FakeStore;
  readonly faults: FaultQueue;
  readonly log: FakeRequestLog[] = [];
  private readonly limiter: RateLimiter;
  private readonly maxBodyBytes: number;

  constructor(
    options: ServiceNowFakeOptions,
    private readonly clock: Clock,
  ) {
    this.auth = new FakeAuth(options, clock);
    this.store = new FakeStore(options, clock);
    this.faults = new FaultQueue(options.faults);
    this.limiter = new RateLimiter(options.rateLimit, clock);
    this.maxBodyBytes = options.maxBodyBytes ?? 10 * 1024 * 1024;
  }

  /** Never rejects: failures become ServiceNow error responses. */
  async handle(req: IncomingMessage, res: ServerResponse, baseUrl: string): Promise<void> {
    const startedAt = this.clock.now();
    const record = (status: number, user?: string): void => {
      this.log.push({
        method: req.method ?? '',
        path: req.url ?? '',
        status,
        at: startedAt,
        ...(user ? { user } : {}),
      });
    };
    try {
      await this.route(req, res, baseUrl, record);
    } catch (err) {
      const failure = err instanceof FakeHttpError ? err : new FakeHttpError(500, 'Internal Server Error', String(err));
      record(failure.status);
      if (!res.headersSent) sendError(res, failure);
      else res.destroy();
    }
  }

  private async route(
    req: IncomingMessage,
    res: ServerResponse,
    baseUrl: string,
    record: (status: number, user?: string) => void,
  ): Promise<void> {
    const url = new URL(req.url ?? '/', baseUrl);
    const body = await readBody(req, this.maxBodyBytes);
    if (url.pathname === '/oauth_token.do' && req.method === 'POST') {
      const granted = this.auth.grant(new URLSearchParams(body));
      sendJson(res, granted ? 200 : 401, granted ?? OAUTH_DENIED);
      return record(granted ? 200 : 401);
    }
    const api = apiName(url.pathname);
    if (api === undefined) throw new FakeHttpError(400, 'Requested URI does not represent any resource', null);
    if (this.applyFault(req, res)) return record(res.headersSent ? res.statusCode : 0);
    const user = this.auth.authenticate(req);
    for (const [name, value] of Object.entries(this.limiter.check(user, api))) res.setHeader(name, value);
    handleApi(this.store, { req, res, url, body, baseUrl });
    record(res.statusCode, user);
  }

  /** True when a queued fault answered (or dropped) the request. */
  private applyFault(req: IncomingMessage, res: ServerResponse): boolean {
    const fault = this.faults.next(this.clock.now());
    switch (fault.kind) {
      case 'none':
        return false;
      case 'drop':
        req.socket.destroy();
        return true;
      case 'html-503':
        res.writeHead(503, { 'content-type': 'text/html', 'retry-after': String(fault.retryAfterS) });
        res.end(maintenancePage());
        return true;
      case 'error':
        throw fault.error;
    }
  }
}
