import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { startEmulator } from '../../../src/emulator/index.ts';
import { ManualClock } from '../../../src/testing/index.ts';
import { getToken, requestToken, sessionFor } from './helpers.ts';

describe('emulator: OAuth token endpoint', () => {
  it('issues a bearer token with the configured TTL', async () => {
    const emu = await startEmulator({ tokenTtlS: 600 });
    try {
      const res = await requestToken(emu);
      assert.equal(res.status, 200);
      const body = (await res.json()) as Record<string, unknown>;
      assert.equal(body.token_type, 'bearer');
      assert.equal(body.expires_in, 600);
      assert.match(String(body.access_token), /^[A-Za-z0-9_-]{32,}$/);
      assert.deepEqual(
        emu.state().tokens.map((t) => ({ clientId: t.clientId, revoked: t.revoked })),
        [{ clientId: 'demo', revoked: false }],
      );
      assert.equal(
        JSON.stringify(emu.state()).includes(String(body.access_token)),
        false,
        'state never shows token values',
      );
    } finally {
      await emu.close();
    }
  });

  it('answers 400 client not found, 401 authentication failed, 400 unsupported_grant_type', async () => {
    const emu = await startEmulator({
      clients: [
        { id: 'demo', secret: 'demo' },
        { id: 'other', secret: 's3' },
      ],
    });
    try {
      const unknown = await requestToken(emu, 'nobody', 'x');
      assert.equal(unknown.status, 400);
      assert.deepEqual(await unknown.json(), {
        error: 'invalid_client',
        description: 'client not found',
        error_description: 'client not found',
      });
      const wrong = await requestToken(emu, 'other', 'wrong');
      assert.equal(wrong.status, 401);
      assert.deepEqual(await wrong.json(), {
        error: 'invalid_client',
        description: 'authentication failed',
        error_description: 'authentication failed',
      });
      const grant = await requestToken(emu, 'other', 's3', 'password');
      assert.equal(grant.status, 400);
      assert.equal(((await grant.json()) as { error: string }).error, 'unsupported_grant_type');
      assert.equal((await requestToken(emu, 'other', 's3')).status, 200);
    } finally {
      await emu.close();
    }
  });
});

describe('emulator: API authentication', () => {
  it('401 authentication.required without a bearer, bad.credentials for an unknown token', async () => {
    const emu = await startEmulator();
    try {
      const session = sessionFor(emu, 'not-a-token');
      const none = await session.api('/api/v2/notifications/channels', { token: null });
      assert.equal(none.status, 401);
      assert.deepEqual(await none.json(), {
        message: 'No authentication bearer token specified in authorization header.',
        code: 'authentication.required',
        status: 401,
        messageParams: {},
        details: [],
        errors: [],
      });
      const bad = await session.api('/api/v2/notifications/channels');
      assert.equal(bad.status, 401);
      assert.equal(((await bad.json()) as { code: string }).code, 'bad.credentials');
      assert.match(bad.headers.get('inin-correlation-id') ?? '', /^[0-9a-f-]{36}$/);
    } finally {
      await emu.close();
    }
  });

  it('a token stops working when its TTL passes', async () => {
    const clock = new ManualClock();
    const emu = await startEmulator({ clock, tokenTtlS: 300 });
    try {
      const session = sessionFor(emu, await getToken(emu));
      assert.equal((await session.api('/api/v2/notifications/channels')).status, 200);
      clock.advance(299_999);
      assert.equal((await session.api('/api/v2/notifications/channels')).status, 200);
      clock.advance(1);
      const expired = await session.api('/api/v2/notifications/channels');
      assert.equal(expired.status, 401);
      assert.equal(((await expired.json()) as { code: string }).code, 'bad.credentials');
    } finally {
      await emu.close();
    }
  });
});

describe('emulator: rate limit', () => {
  it('sends inin-ratelimit headers and 429 with Retry-After once the per-token budget is spent', async () => {
    const clock = new ManualClock();
    const emu = await startEmulator({ clock, rateLimitPerMinute: 3 });
    try {
      const session = sessionFor(emu, await getToken(emu));
      for (let i = 1; i <= 3; i++) {
        const res = await session.api('/api/v2/notifications/channels');
        assert.equal(res.status, 200);
        assert.equal(res.headers.get('inin-ratelimit-allowed'), '3');
        assert.equal(res.headers.get('inin-ratelimit-count'), String(i));
        assert.equal(res.headers.get('inin-ratelimit-reset'), '60');
      }
      clock.advance(20_000);
      const limited = await session.api('/api/v2/notifications/channels', { method: 'POST' });
      assert.equal(limited.status, 429);
      assert.equal(limited.headers.get('retry-after'), '40');
      assert.deepEqual(await limited.json(), {
        message: 'Rate limit exceeded the maximum. Retry the request in [40] seconds',
        code: 'too.many.requests.retry.after',
        status: 429,
        messageParams: {},
        details: [],
        errors: [],
      });
      const other = sessionFor(emu, await getToken(emu));
      assert.equal((await other.api('/api/v2/notifications/channels')).status, 200, 'the budget is per token');
      clock.advance(40_000);
      assert.equal((await session.api('/api/v2/notifications/channels')).status, 200, 'a new window opens');
      assert.equal(emu.state().counters.rateLimited, 1);
    } finally {
      await emu.close();
    }
  });

  it('rate-limit and server-error faults answer the next N API calls, then normal service resumes', async () => {
    const emu = await startEmulator();
    try {
      const session = sessionFor(emu, await getToken(emu));
      assert.deepEqual(emu.fault({ kind: 'rate-limit', count: 2, retryAfterS: 7 }), { applied: 2 });
      for (let i = 0; i < 2; i++) {
        const res = await session.api('/api/v2/notifications/channels', { method: 'POST' });
        assert.equal(res.status, 429);
        assert.equal(res.headers.get('retry-after'), '7');
        assert.equal(((await res.json()) as { code: string }).code, 'too.many.requests.retry.after');
      }
      assert.equal(emu.fault({ kind: 'server-error', count: 1 }).applied, 1);
      const unavailable = await session.api('/api/v2/notifications/channels');
      assert.equal(unavailable.status, 503);
      assert.equal(((await unavailable.json()) as { code: string }).code, 'service.unavailable');
      emu.fault({ kind: 'server-error', count: 1, status: 502, target: 'login' });
      assert.equal((await requestToken(emu)).status, 502);
      assert.equal((await session.api('/api/v2/notifications/channels')).status, 200);
      assert.equal(emu.state().counters.serverErrors, 2);
      emu.fault({ kind: 'rate-limit', count: 1, match: 'PUT /api/v2/notifications/channels/' });
      const channel = await session.createChannel();
      assert.equal(
        (await session.subscribe(channel.id, ['v2.users.a.presence'], 'POST')).status,
        200,
        'POST is not matched',
      );
      assert.equal((await session.subscribe(channel.id, ['v2.users.a.presence'])).status, 429);
      assert.equal((await session.subscribe(channel.id, ['v2.users.a.presence'])).status, 200);
    } finally {
      await emu.close();
    }
  });
});
