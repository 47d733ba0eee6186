import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AUTH, metricValue, streamFixture } from './helpers.ts';
import { SseReader } from './sse-reader.ts';

async function preflight(url: string, origin: string): Promise<Response> {
  return fetch(url, {
    method: 'OPTIONS',
    headers: {
      Origin: origin,
      'Access-Control-Request-Method': 'GET',
      'Access-Control-Request-Headers': 'authorization',
    },
  });
}

describe('browser stream: CORS', () => {
  it('answers a preflight from an allowed origin, refuses other origins with 403', async () => {
    const f = await streamFixture({ corsOrigins: ['https://board.example'] });
    try {
      const ok = await preflight(f.url(), 'https://board.example');
      assert.equal(ok.status, 204);
      assert.equal(ok.headers.get('access-control-allow-origin'), 'https://board.example');
      assert.match(ok.headers.get('access-control-allow-headers') ?? '', /Authorization/);
      assert.match(ok.headers.get('access-control-allow-headers') ?? '', /Last-Event-ID/);
      const other = await preflight(f.url(), 'https://evil.example');
      assert.equal(other.status, 403);
      assert.equal(other.headers.get('access-control-allow-origin'), null);

      const stream = await SseReader.open(f.url(), { ...AUTH, Origin: 'https://board.example' });
      assert.equal(stream.status, 200);
      assert.equal(stream.headers['access-control-allow-origin'], 'https://board.example');
      stream.close();
      const refused = await SseReader.open(f.url(), { ...AUTH, Origin: 'https://evil.example' });
      assert.equal(refused.status, 403);
      // A request without Origin (not from a page: curl, a server) is not a CORS matter.
      const plain = await SseReader.open(f.url(), AUTH);
      assert.equal(plain.status, 200);
      assert.equal(plain.headers['access-control-allow-origin'], undefined);
      plain.close();
      assert.equal(await metricValue(f.registry, 'genesys_relay_stream_rejected_total', { status: '403' }), 2);
    } finally {
      await f.close();
    }
  });

  it("'*' allows any origin", async () => {
    const f = await streamFixture({ corsOrigins: ['*'] });
    try {
      const res = await preflight(f.url(), 'http://127.0.0.1:1234');
      assert.equal(res.status, 204);
      assert.equal(res.headers.get('access-control-allow-origin'), 'http://127.0.0.1:1234');
    } finally {
      await f.close();
    }
  });
});

describe('browser stream: limits', () => {
  it('refuses streams beyond maxClients with 503 until one closes', async () => {
    const f = await streamFixture({ maxClients: 2 });
    try {
      const a = await SseReader.open(f.url(), AUTH);
      const b = await SseReader.open(f.url(), AUTH);
      const c = await SseReader.open(f.url(), AUTH);
      assert.deepEqual([a.status, b.status, c.status], [200, 200, 503]);
      assert.equal(c.headers['retry-after'], '5');
      a.close();
      const deadline = Date.now() + 10_000;
      while (f.server.clientCount() > 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      const d = await SseReader.open(f.url(), AUTH);
      assert.equal(d.status, 200);
      assert.equal(await metricValue(f.registry, 'genesys_relay_stream_rejected_total', { status: '503' }), 1);
      b.close();
      d.close();
    } finally {
      await f.close();
    }
  });

  it('limits new connections per address (burst, then per minute) with 429, before checking the token', async () => {
    const f = await streamFixture({ connectionBurst: 3, connectionsPerMinute: 1 });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await SseReader.open(f.url(), AUTH);
        statuses.push(r.status);
        r.close();
      }
      const limited = await SseReader.open(f.url(), AUTH);
      const guess = await SseReader.open(f.url(), { Authorization: 'Bearer guess' });
      assert.deepEqual(statuses, [200, 200, 200]);
      assert.equal(limited.status, 429);
      assert.equal(guess.status, 429, 'a token guesser is limited too');
      assert.equal(await metricValue(f.registry, 'genesys_relay_stream_rejected_total', { status: '429' }), 2);
    } finally {
      await f.close();
    }
  });
});
