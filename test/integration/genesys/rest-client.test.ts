import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { RefreshingTokenProvider } from '../../../src/auth/refreshing-token-provider.ts';
import { ApiError } from '../../../src/core/errors.ts';
import {
  GenesysRestClient,
  type GenesysRestClientOptions,
  type RestRequestEvent,
} from '../../../src/genesys/rest-client.ts';
import { startEmulator, type EmulatorHandle } from '../../../src/emulator/index.ts';

const USER = '0b8c3d6e-1f2a-4b5c-8d9e-0a1b2c3d4e5f';
const DENIED = `v2.users.${USER}.routingStatus`;

describe('GenesysRestClient against the emulator', () => {
  let emu: EmulatorHandle;
  let tokens: RefreshingTokenProvider;
  const clients: GenesysRestClient[] = [];

  before(async () => {
    emu = await startEmulator({ port: 0, clients: [{ id: 'demo', secret: 'demo', deniedTopics: [DENIED] }] });
    tokens = RefreshingTokenProvider.clientCredentials({
      loginBase: emu.loginBase,
      clientId: 'demo',
      clientSecret: 'demo',
    });
  });
  afterEach(async () => {
    emu.fault({ kind: 'clear' });
    await Promise.all(clients.splice(0).map((c) => c.close()));
  });
  after(async () => {
    tokens.close();
    await emu.close();
  });

  /** A client whose every HTTP exchange is recorded with its wall-clock time. */
  function client(options: Partial<GenesysRestClientOptions> = {}) {
    const requests: Array<RestRequestEvent & { at: number }> = [];
    const api = new GenesysRestClient({
      apiBase: emu.apiBase,
      tokens,
      backoff: { baseMs: 20, maxMs: 200, firstImmediate: false },
      onRequest: (e) => requests.push({ ...e, at: Date.now() }),
      ...options,
    });
    clients.push(api);
    return { api, requests };
  }

  it('round-trips a channel and its subscriptions, with Rejected topics under ignoreErrors', async () => {
    const { api } = client();
    const channel = await api.createChannel();
    assert.match(channel.connectUri, /^ws:\/\/.*\/channels\//);
    assert.ok(channel.expiresAt > Date.now());
    assert.equal(await api.channelExists(channel.id), true);
    assert.equal(await api.channelExists('streaming-0-doesnotexist'), false);

    const presence = `v2.users.${USER}.presence`;
    const put = await api.replaceSubscriptions(channel.id, [presence, DENIED], { ignoreErrors: true });
    assert.deepEqual(put.permitted, [presence]);
    assert.deepEqual(
      put.rejected.map((t) => t.id),
      [DENIED],
    );
    const added = await api.addSubscriptions(channel.id, ['v2.routing.queues.q1.conversations']);
    assert.ok(added.permitted.includes('v2.routing.queues.q1.conversations'));
    const listed = (await api.getSubscriptions(channel.id)).map((t) => t.id).sort();
    assert.deepEqual(listed, [presence, 'v2.routing.queues.q1.conversations'].sort());
    await api.deleteSubscriptions(channel.id);
    assert.deepEqual(await api.getSubscriptions(channel.id), []);
    assert.ok((await api.listChannels()).some((c) => c.id === channel.id));
    assert.ok((await api.availableTopics(['schema'])).length > 0);
  });

  it('fails a subscribe with a denied topic at once without ignoreErrors (403 is not retried)', async () => {
    const { api, requests } = client();
    const channel = await api.createChannel();
    const err = await api.replaceSubscriptions(channel.id, [DENIED]).catch((e: unknown) => e);
    assert.ok(
      err instanceof ApiError && err.status === 403 && err.apiCode === 'notification.unauthorized.topic',
      String(err),
    );
    assert.equal(requests.filter((r) => r.operation === 'replaceSubscriptions').length, 1);
  });

  it('waits Retry-After before every retry during a 429 storm', async () => {
    const { api, requests } = client();
    emu.fault({ kind: 'rate-limit', count: 3, retryAfterS: 0.2 });
    await api.createChannel();
    assert.deepEqual(
      requests.map((r) => r.status),
      [429, 429, 429, 200],
    );
    for (let i = 1; i < requests.length; i++) {
      const gap = requests[i]!.at - requests[i - 1]!.at;
      assert.ok(gap >= 199, `request ${i} came ${gap} ms after the previous one`);
    }
  });

  it('recovers from a 5xx burst within maxAttempts', async () => {
    const { api, requests } = client();
    emu.fault({ kind: 'server-error', count: 2, status: 503 });
    const channel = await api.createChannel();
    assert.ok(channel.id);
    assert.deepEqual(
      requests.map((r) => r.status),
      [503, 503, 200],
    );
  });

  it('does not hammer a permanently failing API: the retry budget caps the extra requests', async () => {
    const { api } = client({ maxAttempts: 4, retryBudget: { ratio: 0, minRetriesPerWindow: 3, windowMs: 60_000 } });
    emu.fault({ kind: 'server-error', count: 1_000, status: 500 });
    const before = emu.state().counters.serverErrors;
    for (let i = 0; i < 10; i++) {
      await assert.rejects(api.createChannel(), (err: unknown) => err instanceof ApiError && err.status === 500);
    }
    // 10 calls × 4 attempts would be 40 requests; the budget allows 10 + 3.
    assert.equal(emu.state().counters.serverErrors - before, 13);
  });
});
