import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { systemClock } from '../../core/clock.ts';
import { FakeRequestHandler } from './fake-handler.ts';
import type { ServiceNowFake, ServiceNowFakeOptions } from './fake-options.ts';

/**
 * Starts a real HTTP server that behaves like the parts of a ServiceNow instance the relay uses: Basic and
 * Bearer auth, `/oauth_token.do`, the Import Set API (single and insertMultiple, transformed synchronously with
 * coalesce), the Table API (GET with `field=value` queries, POST, PATCH), rate limiting with the documented 429,
 * and injectable faults. Error bodies follow `{"error":{"message","detail"},"status":"failure"}`.
 */
export async function startServiceNowFake(options: ServiceNowFakeOptions = {}): Promise<ServiceNowFake> {
  const handler = new FakeRequestHandler(options, options.clock ?? systemClock);
  let baseUrl = '';
  const server = createServer((req, res) => void handler.handle(req, res, baseUrl));
  const host = options.host ?? '127.0.0.1';
  await listen(server, options.port ?? 0, host);
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://${host}:${port}`;
  let down = false;

  return {
    url: baseUrl,
    records: (table) => handler.store.rows(table),
    get importSets() {
      return handler.store.importSets.map((s) => ({ ...s }));
    },
    get requests() {
      return handler.log.map((r) => ({ ...r }));
    },
    fault: (fault) => handler.faults.add(fault),
    async setDown(value: boolean): Promise<void> {
      if (value === down) return;
      down = value;
      // Same port when coming back, so clients configured with `url` reconnect.
      await (value ? stop(server) : listen(server, port, host));
    },
    setUser: (name, password) => handler.auth.setUser(name, password),
    revokeTokens: () => handler.auth.revokeAll(),
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
