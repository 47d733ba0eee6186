import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { FetchTransport } from '../../../src/browser/fetch-transport.ts';
import { systemClock } from '../../../src/core/clock.ts';
import { NetworkError, TimeoutError } from '../../../src/core/errors.ts';
import { ResponseTooLargeError } from '../../../src/genesys/http.ts';

/** A real HTTP server: each path answers differently (the same cases UndiciTransport's tests force). */
function route(path: string, res: ServerResponse): void {
  if (path === '/ok') return void res.writeHead(200, { 'content-type': 'application/json', 'x-a': 'b' }).end('{"a":1}');
  if (path === '/big-ok') return void res.writeHead(200).end('y'.repeat(5_000));
  if (path === '/big-error') return void res.writeHead(503).end('e'.repeat(5_000));
  if (path === '/endless') {
    // A body that never ends: the cap must stop the read, or this test never finishes.
    res.writeHead(500);
    const chunk = 'z'.repeat(1_024);
    const pump = (): void => {
      while (res.write(chunk));
      res.once('drain', pump);
    };
    return pump();
  }
  if (path === '/hang') return; // headers never come
  res.writeHead(404).end();
}

describe('FetchTransport (the browser client over fetch)', () => {
  let server: Server;
  let base: string;
  const sockets = new Set<Socket>();

  before(async () => {
    server = createServer((req, res) => route((req.url ?? '').split('?')[0] ?? '', res));
    server.on('connection', (s) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  });

  const transport = (maxResponseBytes = 1_000, requestTimeoutMs = 30_000): FetchTransport =>
    new FetchTransport({ clock: systemClock, maxResponseBytes, requestTimeoutMs });

  it('returns status, body and headers by lower-case name; HEAD reads no body', async () => {
    const res = await transport().send({ method: 'GET', url: `${base}/ok`, headers: {} });
    assert.deepEqual([res.status, res.text, res.header('x-a'), res.header('absent')], [200, '{"a":1}', 'b', undefined]);
    const head = await transport().send({ method: 'HEAD', url: `${base}/ok`, headers: {} });
    assert.deepEqual([head.status, head.text], [200, '']);
  });

  it('a 2xx body over the cap fails the call (ResponseTooLargeError, PROTOCOL); an error body is cut at the cap', async () => {
    await assert.rejects(transport().send({ method: 'GET', url: `${base}/big-ok`, headers: {} }), (err) => {
      assert.ok(err instanceof ResponseTooLargeError);
      assert.equal(err.code, 'GENESYS_RELAY_ERR_PROTOCOL');
      return true;
    });
    const res = await transport().send({ method: 'GET', url: `${base}/big-error`, headers: {} });
    assert.deepEqual([res.status, res.text.length, res.truncated], [503, 1_000, { limitBytes: 1_000 }]);
  });

  it('an endless error body is read up to the cap only (the stream is cancelled)', async () => {
    const res = await transport().send({ method: 'GET', url: `${base}/endless`, headers: {} });
    assert.deepEqual([res.status, res.text.length, res.truncated?.limitBytes], [500, 1_000, 1_000]);
  });

  it('no answer within requestTimeoutMs is a retryable TimeoutError naming the path, not the query', async () => {
    await assert.rejects(
      transport(1_000, 150).send({ method: 'GET', url: `${base}/hang?secret=1`, headers: {} }),
      (err) => {
        assert.ok(err instanceof TimeoutError && err.retryable);
        assert.match(err.message, /GET \/hang timed out after 150 ms/);
        assert.doesNotMatch(err.message, /secret/);
        return true;
      },
    );
  });

  it('a refused connection is a retryable NetworkError', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    await assert.rejects(
      transport().send({ method: 'POST', url: `http://127.0.0.1:${port}/x`, headers: {}, body: '{}' }),
      (err) => {
        assert.ok(err instanceof NetworkError && err.retryable);
        assert.match(err.message, /^POST \/x failed/);
        return true;
      },
    );
  });

  it("the caller's abort reason is rethrown unchanged, before and during the exchange", async () => {
    const reason = new Error('shard closing');
    await assert.rejects(
      transport().send({ method: 'GET', url: `${base}/ok`, headers: {}, signal: AbortSignal.abort(reason) }),
      (err) => err === reason,
    );
    const controller = new AbortController();
    const pending = transport().send({ method: 'GET', url: `${base}/hang`, headers: {}, signal: controller.signal });
    controller.abort(reason);
    await assert.rejects(pending, (err) => err === reason);
  });
});
