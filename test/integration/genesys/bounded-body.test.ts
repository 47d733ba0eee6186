import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { fetchClientCredentialsToken } from '../../../src/auth/client-credentials.ts';
import { systemClock } from '../../../src/core/clock.ts';
import { ApiError, AuthError, RelayError } from '../../../src/core/errors.ts';
import { DEFAULT_MAX_RESPONSE_BYTES } from '../../../src/genesys/http-transport.ts';
import { GenesysRestClient } from '../../../src/genesys/rest-client.ts';

const HUGE_BYTES = 400 * 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 'x');

/** What the server saw of one oversized answer. */
interface Served {
  bytesWritten: number;
  /** The client closed the connection before the body was complete. */
  closedEarly: Promise<boolean>;
}

/**
 * A real HTTP server that answers every request with a 400 MiB body, streamed from one reused 64 KiB buffer and
 * written only as fast as the client reads (backpressure), so the test itself never holds 400 MiB.
 */
function hugeBodyServer(statusFor: (req: IncomingMessage) => number): { server: Server; served: Served[] } {
  const served: Served[] = [];
  const server = createServer((req, res) => {
    req.resume();
    const record: Served = { bytesWritten: 0, closedEarly: Promise.resolve(false) };
    record.closedEarly = new Promise((resolve) => res.on('close', () => resolve(record.bytesWritten < HUGE_BYTES)));
    served.push(record);
    res.writeHead(statusFor(req), { 'content-type': 'text/html', 'content-length': HUGE_BYTES });
    pump(res, record);
  });
  return { server, served };
}

function pump(res: ServerResponse, record: Served): void {
  while (record.bytesWritten < HUGE_BYTES && !res.destroyed) {
    record.bytesWritten += CHUNK.length;
    if (!res.write(CHUNK)) {
      res.once('drain', () => pump(res, record));
      return;
    }
  }
  if (!res.destroyed) res.end();
}

describe('bounded input: a 400 MiB answer from the API or the login host', () => {
  const { server, served } = hugeBodyServer((req) =>
    req.url?.startsWith('/oauth') ? 503 : req.url?.includes('ok') ? 200 : 400,
  );
  let base = '';
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const tokens = {
    getToken: () => Promise.resolve({ value: 't', expiresAt: Number.MAX_SAFE_INTEGER }),
    invalidate: () => undefined,
  };

  it('an error body is cut at 1 MiB: a clear error, the connection closed, memory bounded', async () => {
    const api = new GenesysRestClient({ apiBase: base, tokens, maxAttempts: 1 });
    try {
      global.gc?.();
      const before = process.memoryUsage();
      const err = await api.createChannel().catch((e: unknown) => e);
      const grown = process.memoryUsage().rss - before.rss;
      assert.ok(err instanceof ApiError && err.status === 400, String(err));
      assert.match(err.message, /POST \/api\/v2\/notifications\/channels failed with 400/);
      assert.match(err.message, new RegExp(`truncated at ${DEFAULT_MAX_RESPONSE_BYTES} bytes`));
      const record = served.at(-1);
      assert.ok(record);
      assert.equal(await record.closedEarly, true, 'the client closed the connection instead of reading on');
      // The server wrote what fits in the cap plus the socket buffers, far from 400 MiB.
      assert.ok(record.bytesWritten < 64 * 1024 * 1024, `server wrote ${record.bytesWritten} bytes`);
      // Bound derived from the cap, not a timing: reading 400 MiB would grow the process by hundreds of MiB.
      assert.ok(grown < 64 * 1024 * 1024, `rss grew ${grown} bytes`);
    } finally {
      await api.close();
    }
  });

  it('a 2xx body over the cap fails the call (truncated JSON is useless) and closes the connection', async () => {
    const api = new GenesysRestClient({ apiBase: `${base}/ok`, tokens, maxAttempts: 1 });
    try {
      const err = await api.createChannel().catch((e: unknown) => e);
      assert.ok(err instanceof RelayError && err.code === 'GENESYS_RELAY_ERR_PROTOCOL', String(err));
      assert.match(err.message, /answered 200 with a body over 1048576 bytes.*truncated/);
      assert.equal(await served.at(-1)?.closedEarly, true);
    } finally {
      await api.close();
    }
  });

  it('the login host: the token request error notes the truncation and stays retryable for a 5xx', async () => {
    const err = await fetchClientCredentialsToken({
      loginBase: base,
      clientId: 'c',
      clientSecret: 's3cret',
      clock: systemClock,
    }).catch((e: unknown) => e);
    assert.ok(err instanceof AuthError && err.retryable, String(err));
    assert.match(err.message, /failed with 503 .*truncated at 1048576 bytes/);
    assert.doesNotMatch(err.message, /s3cret/);
    assert.equal(await served.at(-1)?.closedEarly, true);
  });
});
