import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { startEmulator } from '../../../src/emulator/index.ts';
import { createRelay } from '../../../src/service/relay.ts';
import { emulatorRelayConfig, memoryLogger, until } from './relay-harness.ts';

const TOPIC = 'v2.users.55555555-5555-5555-5555-555555555555.presence';
const SECRET = 'retry-warn-secret-77';

/** A real webhook receiver whose answer can be switched from 503 to 200. */
async function receiver(): Promise<{
  server: Server;
  url: string;
  setStatus: (s: number) => void;
  hits: () => number;
}> {
  let status = 503;
  let hits = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hits += 1;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 503 ? 'Service Unavailable' : 'ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { server, url: `http://127.0.0.1:${port}/hook`, setStatus: (s) => (status = s), hits: () => hits };
}

describe('retried failures are visible at warn, rate-limited (issue 9)', () => {
  it('a webhook answering 503 and a login host answering 503: one warn line each, then a recovery line', async () => {
    const emulator = await startEmulator({ heartbeatMs: 500, clients: [{ id: 'svc', secret: SECRET }] });
    const hook = await receiver();
    const dir = mkdtempSync(join(tmpdir(), 'genesys-relay-retry-warn-'));
    const { logger, lines } = memoryLogger([SECRET]);
    const parsed = (): Array<Record<string, unknown>> => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    const withEvent = (event: string) => parsed().filter((l) => l.event === event);
    const file = {
      topics: [TOPIC],
      stateDir: join(dir, 'state'),
      session: { heartbeatMs: 500 },
      // Fast retries: many attempts within the test, far fewer than maxAttempts, so nothing dead-letters.
      outbox: { retryBaseMs: 20, retryMaxMs: 50, maxAttempts: 1000 },
      sinks: [{ type: 'webhook', url: hook.url }],
    };
    const config = emulatorRelayConfig(emulator, file, { id: 'svc', secret: SECRET });
    const relay = createRelay(config, { logger, stdout: new PassThrough() });
    try {
      // The login host answers 503 to the first two token requests.
      emulator.fault({ kind: 'server-error', target: 'login', count: 2, status: 503 });
      await relay.start();
      const tokenRetry = withEvent('token.retry');
      assert.equal(tokenRetry.length, 1, 'two 503s within one refresh: one warn line');
      assert.equal(tokenRetry[0]?.level, 40);
      assert.equal(tokenRetry[0]?.status, 503);
      assert.match(String(tokenRetry[0]?.nextAttemptAt), /^\d{4}-\d\d-\d\dT/);
      assert.match(String(tokenRetry[0]?.msg), /token request to 127\.0\.0\.1:\d+ failed .*next attempt at/);
      await until(() => withEvent('token.recovered').length === 1, 'the login recovery line');
      assert.match(String(withEvent('token.recovered')[0]?.msg), /answers after 2 failed attempt\(s\)/);

      emulator.publish(TOPIC, undefined, 3);
      await until(() => hook.hits() >= 20, 'the webhook to be retried many times');
      const retries = withEvent('delivery.retry');
      assert.equal(retries.length, 1, `${hook.hits()} failed requests, one warn line (the next comes after 30 s)`);
      const [line] = retries;
      assert.equal(line?.level, 40);
      assert.equal(line?.sink, 'webhook');
      assert.equal(line?.status, 503);
      assert.match(String(line?.nextAttemptAt), /^\d{4}-\d\d-\d\dT/);
      assert.match(
        String(line?.msg),
        /^sink webhook: \d+ event\(s\) not delivered \(webhook POST .*: HTTP 503.*next attempt at /,
      );

      hook.setStatus(200);
      await until(() => withEvent('delivery.recovered').length === 1, 'the delivery recovery line');
      assert.match(String(withEvent('delivery.recovered')[0]?.msg), /^sink webhook delivers again after \d+ failed/);
      assert.ok(!lines.some((l) => l.includes(SECRET)), 'no secret in any line');
    } finally {
      await relay.close();
      await emulator.close();
      await new Promise((resolve) => hook.server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
