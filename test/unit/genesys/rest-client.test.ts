import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { AccessToken, TokenProvider } from '../../../src/auth/token-provider.ts';
import { ApiError, AuthError, ConfigError, NetworkError } from '../../../src/core/errors.ts';
import { classifyFailure } from '../../../src/session/close-policy.ts';
import { GenesysApiError } from '../../../src/genesys/error-body.ts';
import {
  GenesysRestClient,
  type GenesysRestClientOptions,
  type RestRetryEvent,
} from '../../../src/genesys/rest-client.ts';
import { ManualClock } from '../../../src/testing/manual-clock.ts';
import { ScriptedTransport, type ScriptedReply } from './scripted-transport.ts';
import type { HttpRequest } from '../../../src/genesys/http-transport.ts';

/** Hands out t1, t2, … and records invalidations. */
class CountingTokens implements TokenProvider {
  issued = 0;
  invalidated: string[] = [];
  private current: AccessToken | undefined;
  getToken(): Promise<AccessToken> {
    this.current ??= { value: `token-${++this.issued}`, expiresAt: Number.MAX_SAFE_INTEGER };
    return Promise.resolve(this.current);
  }
  invalidate(token: AccessToken): void {
    this.invalidated.push(token.value);
    if (this.current?.value === token.value) this.current = undefined;
  }
}

function setup(
  script: (req: HttpRequest, index: number) => ScriptedReply,
  options: Partial<GenesysRestClientOptions> = {},
) {
  const clock = new ManualClock(0);
  const transport = new ScriptedTransport(clock, script);
  const tokens = new CountingTokens();
  const retries: RestRetryEvent[] = [];
  const client = new GenesysRestClient({
    apiBase: 'https://api.example.test',
    tokens,
    clock,
    transport,
    random: () => 0.5,
    onRetry: (e) => retries.push(e),
    ...options,
  });
  return { clock, transport, tokens, client, retries };
}

const channelBody = {
  connectUri: 'wss://streaming.example.test/channels/c1',
  id: 'c1',
  expires: '2026-01-02T00:00:00.000Z',
};
const errorBody = (status: number, code: string) => ({ message: `${code} happened`, code, status, contextId: 'ctx-1' });

async function settle<T>(clock: ManualClock, work: Promise<T>, ms = 600_000): Promise<T | Error> {
  const outcome = work.then(
    (v) => v,
    (e: unknown) => (e instanceof Error ? e : new Error(String(e))),
  );
  await clock.advanceAsync(ms);
  return outcome;
}

describe('GenesysRestClient mapping', () => {
  it('creates a channel with a bearer token and reads expires as epoch ms', async () => {
    const { client, transport } = setup(() => ({ status: 200, body: channelBody }));
    assert.deepEqual(await client.createChannel(), {
      id: 'c1',
      connectUri: channelBody.connectUri,
      expiresAt: Date.parse(channelBody.expires),
      tokenExpiresAt: Number.MAX_SAFE_INTEGER,
    });
    const req = transport.requests[0]!;
    assert.equal(req.url, 'https://api.example.test/api/v2/notifications/channels');
    assert.equal(req.headers.authorization, 'Bearer token-1');
  });

  it('resolves the API host from a region when no apiBase is given', async () => {
    const clock = new ManualClock(0);
    const transport = new ScriptedTransport(clock, () => ({ status: 200 }));
    const client = new GenesysRestClient({ region: 'eu_west_1', tokens: new CountingTokens(), clock, transport });
    assert.equal(await client.channelExists('c1'), true);
    assert.equal(transport.requests[0]!.url, 'https://api.mypurecloud.ie/api/v2/notifications/channels/c1');
  });

  it('PUTs subscriptions with ignoreErrors and splits permitted from rejected', async () => {
    const { client, transport } = setup(() => ({
      status: 200,
      body: {
        entities: [
          { id: 'v2.users.a?presence&routingStatus', state: 'Permitted' },
          {
            id: 'v2.users.a.routingStatus',
            state: 'Rejected',
            rejectionReason: 'no permission',
            missingPermissions: ['x:view'],
          },
          { id: 'v2.users.b.presence' },
        ],
      },
    }));
    const result = await client.replaceSubscriptions(
      'c 1',
      ['v2.users.a?presence&routingStatus', 'v2.users.b.presence'],
      {
        ignoreErrors: true,
      },
    );
    assert.deepEqual(result.permitted, ['v2.users.a?presence&routingStatus', 'v2.users.b.presence']);
    assert.deepEqual(result.rejected, [
      {
        id: 'v2.users.a.routingStatus',
        state: 'Rejected',
        rejectionReason: 'no permission',
        missingPermissions: ['x:view'],
      },
    ]);
    const req = transport.requests[0]!;
    assert.equal(req.method, 'PUT');
    assert.equal(
      req.url,
      'https://api.example.test/api/v2/notifications/channels/c%201/subscriptions?ignoreErrors=true',
    );
    assert.deepEqual(JSON.parse(req.body ?? ''), [
      { id: 'v2.users.a?presence&routingStatus' },
      { id: 'v2.users.b.presence' },
    ]);
  });

  it('answers channelExists from HEAD: 200 → true, 404 → false, without retrying the 404', async () => {
    const { client, transport } = setup((_, i) => ({ status: i === 0 ? 200 : 404 }));
    assert.equal(await client.channelExists('c1'), true);
    assert.equal(await client.channelExists('gone'), false);
    assert.equal(transport.requests.length, 2);
    assert.equal(transport.requests[1]!.method, 'HEAD');
  });

  it('lists channels and subscriptions, and refuses unreadable 200 bodies', async () => {
    const { client } = setup((req) =>
      req.url.includes('includechannels')
        ? { status: 200, body: { entities: [channelBody, { id: 'masked' }] } }
        : req.url.endsWith('/subscriptions')
          ? { status: 200, body: { entities: [{ id: 'v2.users.a.presence' }] } }
          : { status: 200, body: '<html>' },
    );
    const channels = await client.listChannels('oauthclient');
    assert.deepEqual(channels[1], { id: 'masked' });
    assert.deepEqual(await client.getSubscriptions('c1'), [{ id: 'v2.users.a.presence' }]);
    await assert.rejects(client.availableTopics(['schema']), /not JSON/);
  });
});

describe('GenesysRestClient errors and retries', () => {
  it('parses ErrorBody into a typed error with code, contextId and correlation id', async () => {
    const { client, transport } = setup(() => ({
      status: 403,
      headers: { 'ININ-Correlation-Id': 'corr-9' },
      body: errorBody(403, 'notification.unauthorized.topic'),
    }));
    const err = await client.replaceSubscriptions('c1', ['v2.users.x.presence']).catch((e: unknown) => e);
    assert.ok(err instanceof GenesysApiError && err instanceof ApiError);
    assert.equal(err.status, 403);
    assert.equal(err.apiCode, 'notification.unauthorized.topic');
    assert.equal(err.contextId, 'ctx-1');
    assert.equal(err.correlationId, 'corr-9');
    assert.equal(err.retryable, false);
    assert.ok(!err.message.includes('token-1'));
    assert.equal(transport.requests.length, 1, '403 is not retried');
  });

  it('does not retry 400 or 404, and survives HTML or empty error bodies', async () => {
    for (const reply of [
      { status: 400, body: '<html><body>Bad</body></html>' },
      { status: 404, body: '' },
    ]) {
      const { client, transport } = setup(() => reply);
      const err = await client.createChannel().catch((e: unknown) => e);
      assert.ok(err instanceof ApiError && err.status === reply.status && !err.retryable);
      assert.match(err.message, /non-JSON body|empty body/);
      assert.equal(transport.requests.length, 1);
    }
  });

  it('on 401 invalidates the token and retries once with a fresh one', async () => {
    const { client, transport, tokens } = setup((req) =>
      req.headers.authorization === 'Bearer token-1'
        ? { status: 401, body: errorBody(401, 'bad.credentials') }
        : { status: 200, body: channelBody },
    );
    assert.equal((await client.createChannel()).id, 'c1');
    assert.deepEqual(tokens.invalidated, ['token-1']);
    assert.deepEqual(
      transport.requests.map((r) => r.headers.authorization),
      ['Bearer token-1', 'Bearer token-2'],
    );
  });

  it('a fresh token refused too is retried with backoff, and a lasting refusal ends in a retryable AuthError', async () => {
    const { client, transport, clock, retries } = setup(() => ({
      status: 401,
      body: errorBody(401, 'bad.credentials'),
    }));
    const err = await settle(clock, client.createChannel());
    assert.ok(err instanceof AuthError && err.retryable, err instanceof Error ? err.message : 'not an error');
    assert.match(err.message, /freshly issued token/);
    // The first 401 is answered at once with a fresh token (free); then maxAttempts (4) with backoff.
    assert.equal(transport.requests.length, 5);
    assert.deepEqual(
      retries.map((r) => r.delayMs),
      [500, 1_000, 2_000],
    );
  });

  it('a fresh token rejected once (a transient auth fault) does not fail the call', async () => {
    const { client, transport, clock } = setup((_, i) =>
      i < 2 ? { status: 401, body: errorBody(401, 'bad.credentials') } : { status: 200, body: channelBody },
    );
    const result = await settle(clock, client.createChannel());
    assert.ok(!(result instanceof Error), result instanceof Error ? result.message : '');
    assert.equal(transport.requests.length, 3);
    assert.deepEqual(
      transport.requests.map((r) => r.headers.authorization),
      ['Bearer token-1', 'Bearer token-2', 'Bearer token-3'],
    );
  });

  it('on 429 waits exactly Retry-After before each retry, never earlier', async () => {
    const { client, transport, clock, retries } = setup((_, i) =>
      i < 3
        ? { status: 429, headers: { 'Retry-After': '5' }, body: errorBody(429, 'too.many.requests.retry.after') }
        : { status: 200, body: channelBody },
    );
    const result = await settle(clock, client.createChannel());
    assert.ok(!(result instanceof Error), result instanceof Error ? result.message : '');
    assert.deepEqual(
      transport.requests.map((r) => r.at),
      [0, 5_000, 10_000, 15_000],
    );
    assert.deepEqual(
      retries.map((r) => [r.attempt, r.delayMs]),
      [
        [2, 5000],
        [3, 5000],
        [4, 5000],
      ],
    );
  });

  it('does not sit out a Retry-After longer than maxRetryAfterMs; the error carries it', async () => {
    const { client, transport } = setup(() => ({ status: 429, headers: { 'Retry-After': '3600' }, body: '' }));
    const err = await client.createChannel().catch((e: unknown) => e);
    assert.ok(err instanceof ApiError && err.retryable && err.retryAfterMs === 3_600_000);
    assert.equal(transport.requests.length, 1);
  });

  it('recovers from a 5xx burst with jittered backoff within maxAttempts', async () => {
    const { client, transport, clock } = setup((_, i) =>
      i < 2 ? { status: 503, body: errorBody(503, 'service.unavailable') } : { status: 200, body: channelBody },
    );
    const result = await settle(clock, client.createChannel());
    assert.ok(!(result instanceof Error), result instanceof Error ? result.message : '');
    // Full jitter with random 0.5: 1000·2^0·0.5, then 1000·2^1·0.5.
    assert.deepEqual(
      transport.requests.map((r) => r.at),
      [0, 500, 1_500],
    );
  });

  it('gives up after maxAttempts on a persistent 5xx or network failure', async () => {
    const { client, transport, clock } = setup(() => ({ error: new NetworkError('ECONNRESET') }), { maxAttempts: 3 });
    const err = await settle(clock, client.createChannel());
    assert.ok(err instanceof NetworkError);
    assert.equal(transport.requests.length, 3);
  });

  it('stops retrying when the retry budget is spent, so a dead API is not hammered', async () => {
    const { client, transport, clock } = setup(() => ({ status: 503, body: '' }), {
      retryBudget: { ratio: 0.1, minRetriesPerWindow: 2, windowMs: 3_600_000 },
    });
    for (let i = 0; i < 10; i++) {
      const err = await settle(clock, client.createChannel(), 60_000);
      assert.ok(err instanceof ApiError && err.status === 503);
    }
    // 10 calls: 10 first attempts + (2 + 0.1·10 = 3) retries; without a budget it would be 40.
    assert.equal(transport.requests.length, 13);
    assert.deepEqual(client.budgetSnapshot(), { requests: 10, retries: 3, allowedRetries: 3 });
  });

  it('stops waiting when the caller aborts', async () => {
    const { client, transport, clock } = setup(() => ({ status: 429, headers: { 'Retry-After': '30' }, body: '' }));
    const controller = new AbortController();
    const work = client.createChannel(controller.signal);
    await clock.advanceAsync(1_000);
    controller.abort(new Error('shutting down'));
    await assert.rejects(work, /shutting down/);
    assert.equal(transport.requests.length, 1);
  });
});

describe('GenesysRestClient connectUri scheme', () => {
  const reply = (connectUri: string) => () => ({ status: 200, body: { ...channelBody, connectUri } });

  it('refuses a ws:// connectUri from an https API with a fatal ConfigError naming the cause', async () => {
    for (const uri of ['ws://streaming.example.test/channels/c1', 'http://x.test/c1', 'not a url']) {
      const { client } = setup(reply(uri));
      const err = await client.createChannel().catch((e: unknown) => e);
      assert.ok(err instanceof ConfigError && !err.retryable, String(err));
      assert.equal(classifyFailure(err), 'fatal');
      assert.match(err.message, /connectUri/);
    }
  });

  it('accepts ws:// only when the API base itself is plain http (the local emulator)', async () => {
    const { client } = setup(reply('ws://127.0.0.1:4010/channels/c1'), { apiBase: 'http://127.0.0.1:4010' });
    assert.equal((await client.createChannel()).connectUri, 'ws://127.0.0.1:4010/channels/c1');
    const secure = setup(reply('wss://127.0.0.1:4010/channels/c1'), { apiBase: 'http://127.0.0.1:4010' });
    assert.equal((await secure.client.createChannel()).id, 'c1');
  });
});

describe('GenesysRestClient token-bound channels', () => {
  it('passes tokenMustOutlive to the TokenProvider and reports the creating token expiry', async () => {
    const asked: Array<number | undefined> = [];
    const clock = new ManualClock(0);
    const transport = new ScriptedTransport(clock, () => ({ status: 200, body: channelBody }));
    const tokens: TokenProvider = {
      getToken: (_signal, request) => {
        asked.push(request?.mustOutlive);
        return Promise.resolve({ value: 'fresh', expiresAt: 9_000 });
      },
      invalidate: () => undefined,
    };
    const client = new GenesysRestClient({ apiBase: 'https://api.example.test', tokens, clock, transport });
    const channel = await client.createChannel(undefined, { tokenMustOutlive: 5_000 });
    assert.equal(channel.tokenExpiresAt, 9_000);
    assert.deepEqual(asked, [5_000]);
  });
});
