import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { RefreshingTokenProvider, type TokenRefreshEvent } from '../../../src/auth/refreshing-token-provider.ts';
import { AuthError } from '../../../src/core/errors.ts';
import { GenesysRestClient, type RestRequestEvent } from '../../../src/genesys/rest-client.ts';
import { startEmulator, type EmulatorHandle } from '../../../src/emulator/index.ts';

describe('auth against the emulator', () => {
  let emu: EmulatorHandle;
  before(async () => {
    emu = await startEmulator({ port: 0, clients: [{ id: 'demo', secret: 'demo' }] });
  });
  after(() => emu.close());

  const provider = (
    clientId: string,
    clientSecret: string,
    extra: { onRefresh?: (e: TokenRefreshEvent) => void } = {},
  ) => RefreshingTokenProvider.clientCredentials({ loginBase: emu.loginBase, clientId, clientSecret, ...extra });

  it('obtains a token the API accepts', async () => {
    const tokens = provider('demo', 'demo');
    const api = new GenesysRestClient({ apiBase: emu.apiBase, tokens });
    try {
      const token = await tokens.getToken();
      assert.ok(token.expiresAt > Date.now() + 3_600_000);
      assert.ok(Array.isArray(await api.listChannels()));
    } finally {
      tokens.close();
      await api.close();
    }
  });

  it('fails fast on a wrong secret: every waiter gets the advice, one request is made', async () => {
    const before = emu.state().counters.loginRequests;
    const tokens = provider('demo', 'wrong-secret-value');
    try {
      const results = await Promise.allSettled(Array.from({ length: 5 }, () => tokens.getToken()));
      for (const r of results) {
        assert.equal(r.status, 'rejected');
        const err: unknown = r.status === 'rejected' ? r.reason : undefined;
        assert.ok(err instanceof AuthError && !err.retryable);
        assert.match(err.message, /GENESYS_CLIENT_SECRET/);
        assert.ok(!err.message.includes('wrong-secret-value'));
      }
      await assert.rejects(tokens.getToken(), AuthError);
      assert.equal(emu.state().counters.loginRequests - before, 1);
    } finally {
      tokens.close();
    }
  });

  it('names the client id when it is unknown', async () => {
    const tokens = provider('nobody', 'x');
    try {
      await assert.rejects(
        tokens.getToken(),
        (err: unknown) => err instanceof AuthError && /client id "nobody"/.test(err.message),
      );
    } finally {
      tokens.close();
    }
  });

  it('recovers from a revoked token: 401 → one refresh → success', async () => {
    const tokens = provider('demo', 'demo');
    const statuses: number[] = [];
    const api = new GenesysRestClient({
      apiBase: emu.apiBase,
      tokens,
      onRequest: (e: RestRequestEvent) => statuses.push(e.status ?? 0),
    });
    try {
      const first = await tokens.getToken();
      await api.listChannels();
      const issued = emu.state().counters.tokensIssued;
      emu.fault({ kind: 'revoke-token', clientId: 'demo' });
      await api.listChannels();
      assert.deepEqual(statuses, [200, 401, 200]);
      assert.equal(emu.state().counters.tokensIssued - issued, 1);
      assert.notEqual((await tokens.getToken()).value, first.value);
    } finally {
      tokens.close();
      await api.close();
    }
  });
});

describe('short-lived tokens against the emulator', () => {
  let emu: EmulatorHandle;
  before(async () => {
    emu = await startEmulator({ port: 0, tokenTtlS: 1 });
  });
  after(() => emu.close());

  it('refreshes a 1 s token several times, one request per refresh, and concurrent callers never fail', async () => {
    const refreshes: TokenRefreshEvent[] = [];
    const tokens = RefreshingTokenProvider.clientCredentials({
      loginBase: emu.loginBase,
      clientId: 'demo',
      clientSecret: 'demo',
      onRefresh: (e) => refreshes.push(e),
    });
    const statuses: number[] = [];
    const api = new GenesysRestClient({ apiBase: emu.apiBase, tokens, onRequest: (e) => statuses.push(e.status ?? 0) });
    const startedAt = Date.now();
    const loginBefore = emu.state().counters.loginRequests;
    try {
      // Five callers each make a call every ~100 ms for 3.2 s: the token lapses three times meanwhile.
      let failedCalls = 0;
      const caller = async (): Promise<void> => {
        while (Date.now() - startedAt < 3_200) {
          await api.channelExists('streaming-0-none').catch(() => failedCalls++);
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
      };
      await Promise.all(Array.from({ length: 5 }, caller));
      const loginRequests = emu.state().counters.loginRequests - loginBefore;
      // A token handed out up to 25 ms before it lapses can still lapse in flight on a loaded machine: the server's
      // 401 is then answered with one fresh token. Bounds follow from that, not from timing.
      const refused = statuses.filter((status) => status === 401).length;
      assert.equal(failedCalls, 0, 'every call succeeded');
      // Refresh at 90% of 1 s: about one per 0.9 s plus the first (+ one per refusal); one login request each.
      // At least the first token and two lapses, even when a loaded machine stretches the callers' pauses.
      assert.ok(loginRequests >= 3 && loginRequests <= 6 + refused, `login requests: ${loginRequests}`);
      assert.equal(refreshes.length, loginRequests);
      assert.ok(
        refreshes.every((e) => e.outcome === 'ok' && e.attempts === 1),
        JSON.stringify(refreshes.map((e) => [e.outcome, e.reason, e.attempts])),
      );
      assert.ok(statuses.length > 50, `${statuses.length} calls`);
    } finally {
      tokens.close();
      await api.close();
    }
  });
});
