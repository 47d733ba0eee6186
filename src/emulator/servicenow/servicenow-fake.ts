import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../../core/clock.ts';
import { FakeAuth, OAUTH_DENIED } from './fake-auth.ts';
import { FakeHttpError, readBody, sendError, sendJson } from './fake-http.ts';
import { FaultQueue, maintenancePage, RateLimiter } from './fake-limits.ts';
import type { FakeRequestLog, ServiceNowFake, ServiceNowFakeOptions } from './fake-options.ts';
import { apiName, handleApi } from './fake-routes.ts';
import { FakeStore } from './fake-store.ts';

/**
 * Starts a real HTTP server that behaves like the parts of a ServiceNow instance the relay uses: Basic and
 * Bearer auth, `/oauth_token.do`, the Import Set API (single and insertMultiple, transformed synchronously with
 * coalesce), the Table API (GET with `field=value` queries, POST, PATCH), rate limiting with the documented 429,
 * and injectable faults. Error bodies follow `{"error":{"message","detail"},"status":"failure"}`.
 */
export async function startServiceNowFake(options: ServiceNowFakeOptions = {}): Promise<ServiceNowFake> {
  const clock = options.clock ?? systemClock;
  const auth = new FakeAuth(options, clock);
  const store = new FakeStore(options, clock);
  const faults = new FaultQueue(options.faults);
  const limiter = new RateLimiter(options.rateLimit, clock);
  const log: FakeRequestLog[] = [];
  let baseUrl = '';

  const server = createServer((req, res) => {
    const startedAt = clock.now();
    const record = (status: number, user?: string): void => {
      log.push({ method: req.method ?? '', path: req.url ?? '', status, at: startedAt, ...(user ? { user } : {}) });
    };
    handle({ req, res, baseUrl, record }).catch((err: unknown) => {
      const failure = err instanceof FakeHttpError ? err : new FakeHttpError(500, 'Internal Server Error', String(err));
      record(failure.status);
      if (!res.headersSent) sendError(res, failure);
      else res.destroy();
    });
  });

  interface Ctx {
    req: IncomingMessage;
    res: ServerResponse;
    baseUrl: string;
    record: (status: number, user?: string) => void;
  }

  async function handle({ req, res, baseUrl: base, record }: Ctx): Promise<void> {
    const url = new URL(req.url ?? '/', base);
    const body = await readBody(req, options.maxBodyBytes ?? 10 * 1024 * 1024);
    if (url.pathname === '/oauth_token.do' && req.method === 'POST') {
      const granted = auth.grant(new URLSearchParams(body));
      sendJson(res, granted ? 200 : 401, granted ?? OAUTH_DENIED);
      record(granted ? 200 : 401);
      return;
    }
    const api = apiName(url.pathname);
    if (api === undefined) throw new FakeHttpError(400, 'Requested URI does not represent any resource', null);
    const fault = faults.next(clock.now());
    if (fault.kind === 'drop') {
      record(0);
      req.socket.destroy();
      return;
    }
    if (fault.kind === 'html-503') {
      res.writeHead(503, { 'content-type': 'text/html', 'retry-after': String(fault.retryAfterS) });
      res.end(maintenancePage());
      record(503);
      return;
    }
    if (fault.kind === 'error') throw fault.error;
    const user = auth.authenticate(req);
    for (const [name, value] of Object.entries(limiter.check(user, api))) res.setHeader(name, value);
    handleApi(store, { req, res, url, body, baseUrl: base });
    record(res.statusCode, user);
  }

  let port = options.port ?? 0;
  const host = options.host ?? '127.0.0.1';
  await listen(server, port, host);
  port = (server.address() as AddressInfo).port;
  baseUrl = `http://${host}:${port}`;
  let down = false;

  return {
    url: baseUrl,
    records: (table) => store.rows(table),
    get importSets() {
      return store.importSets.map((s) => ({ ...s }));
    },
    get requests() {
      return log.map((r) => ({ ...r }));
    },
    fault: (fault) => faults.add(fault),
    async setDown(value: boolean): Promise<void> {
      if (value === down) return;
      down = value;
      if (value) await stop(server);
      else await listen(server, port, host);
    },
    revokeTokens: () => auth.revokeAll(),
    async close(): Promise<void> {
      if (!down) await stop(server);
      down = true;
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Stops accepting and drops keep-alive connections, so clients really see the instance go away. */
function stop(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
