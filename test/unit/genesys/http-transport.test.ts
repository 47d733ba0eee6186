import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { systemClock } from '../../../src/core/clock.ts';
import { NetworkError, TimeoutError } from '../../../src/core/errors.ts';
import { UndiciTransport } from '../../../src/genesys/http-transport.ts';

describe('UndiciTransport', () => {
  it('returns status, headers and body; times out hung requests; maps resets to NetworkError', async () => {
    const hung: ServerResponse[] = [];
    const server = createServer((req, res) => {
      if (req.url?.startsWith('/hang')) return void hung.push(res);
      if (req.url === '/reset') return void req.socket.destroy();
      res.writeHead(200, { 'x-thing': 'yes' });
      res.end(req.method === 'HEAD' ? undefined : 'hello');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    // Only the hung request may time out: the others get a deadline no loaded CI machine reaches.
    const transport = new UndiciTransport({ clock: systemClock, requestTimeoutMs: 30_000 });
    const impatient = new UndiciTransport({ clock: systemClock, requestTimeoutMs: 100 });
    try {
      const res = await transport.send({ method: 'GET', url: `${base}/ok`, headers: {} });
      assert.equal(res.status, 200);
      assert.equal(res.text, 'hello');
      assert.equal(res.header('X-Thing'), 'yes');
      const head = await transport.send({ method: 'HEAD', url: `${base}/ok`, headers: {} });
      assert.equal(head.text, '');
      await assert.rejects(
        impatient.send({ method: 'GET', url: `${base}/hang?secret=1`, headers: {} }),
        (err: unknown) => err instanceof TimeoutError && err.retryable && !err.message.includes('secret'),
      );
      await assert.rejects(
        transport.send({ method: 'POST', url: `${base}/reset`, headers: {}, body: 'x' }),
        NetworkError,
      );
    } finally {
      for (const res of hung) res.destroy();
      await transport.close();
      await impatient.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
