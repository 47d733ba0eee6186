import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { startServiceNowFake, type ServiceNowFake } from '../../../src/emulator/servicenow/index.ts';
import { createServiceNowSink, type ServiceNowOAuthAuth } from '../../../src/sinks/servicenow/index.ts';
import type { Sink } from '../../../src/sinks/sink.ts';
import { ManualClock } from '../../../src/testing/manual-clock.ts';
import { makeEvents } from '../../unit/sinks/fixtures.ts';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts';

const signal = new AbortController().signal;
const CLIENT_SECRET = 'client-Secret-42';
const PASSWORD = 'user-Pa55';

describe('ServiceNow sink (OAuth)', () => {
  let fake: ServiceNowFake;
  const clock = new ManualClock(Date.UTC(2026, 10, 24, 12, 0, 0));
  const sinks: Sink[] = [];
  const open = (auth: Partial<ServiceNowOAuthAuth> = {}): Sink => {
    const sink = createServiceNowSink({
      instanceUrl: fake.url,
      allowInsecureHttp: true,
      auth: {
        kind: 'oauth',
        clientId: 'relay-client',
        clientSecret: CLIENT_SECRET,
        username: 'relay',
        password: PASSWORD,
        ...auth,
      },
      clock,
    });
    sinks.push(sink);
    return sink;
  };
  const tokenRequests = (): number => fake.requests.filter((r) => r.path === '/oauth_token.do').length;

  before(async () => {
    fake = await startServiceNowFake({
      users: { relay: PASSWORD, integration: 'x' },
      oauthClients: {
        'relay-client': { secret: CLIENT_SECRET },
        'cc-client': { secret: CLIENT_SECRET, clientCredentialsUser: 'integration' },
      },
      tokenTtlS: 1799,
      clock,
    });
  });
  after(() => fake.close());
  afterEach(async () => {
    await Promise.all(sinks.splice(0).map((s) => s.close()));
  });

  it('password grant: concurrent deliveries share one token; it is refreshed before it expires', async () => {
    const sink = open();
    const before = tokenRequests();
    const batches = [makeEvents(2, 0), makeEvents(2, 10), makeEvents(2, 20)];
    const first = await Promise.all(batches.map((b) => sink.deliver(b, signal)));
    assert.ok(first.flat().every((o) => o.kind === 'delivered'));
    assert.equal(tokenRequests(), before + 1);

    clock.advance(1000_000); // 1000 s: well inside the 1799 s lifetime → cached
    await sink.deliver(makeEvents(1, 30), signal);
    assert.equal(tokenRequests(), before + 1);

    clock.advance(760_000); // 1760 s: within 60 s of expiry → one proactive refresh for all
    const second = await Promise.all(batches.map((b) => sink.deliver(b, signal)));
    assert.ok(second.flat().every((o) => o.kind === 'delivered'));
    assert.equal(tokenRequests(), before + 2);
    assert.equal(fake.requests.filter((r) => r.status === 401).length, 0, 'no request ever used an expired token');
  });

  it('a 401 on a revoked token → one refresh and the same request again', async () => {
    const sink = open();
    await sink.deliver(makeEvents(1, 40), signal);
    const before = tokenRequests();
    fake.revokeTokens();
    assert.deepEqual(await sink.deliver(makeEvents(1, 41), signal), [{ kind: 'delivered' }]);
    assert.equal(tokenRequests(), before + 1);
    assert.equal(fake.records('u_genesys_event').filter((r) => r['u_event_key'] === 'key-0041').length, 1);
  });

  it('wrong password → blocked (events stay queued), clear message, no secret in it', async () => {
    const sink = open({ password: 'not-the-Pa55' });
    const outcomes = await sink.deliver(makeEvents(2, 50), signal);
    assert.equal(outcomes.length, 2);
    for (const outcome of outcomes) {
      assert.equal(outcome.kind, 'blocked');
      const error = outcome.kind === 'blocked' ? outcome.error : '';
      assert.match(error, /OAuth token request: HTTP 401 access_denied/);
      assert.match(error, /check servicenow\.auth clientId, clientSecret, username and password/);
      assert.doesNotMatch(error, /not-the-Pa55|client-Secret-42|user-Pa55/);
    }
    // The verdict is remembered for a while: no failed login per batch.
    const before = tokenRequests();
    assert.equal((await sink.deliver(makeEvents(1, 52), signal))[0]?.kind, 'blocked');
    assert.equal(tokenRequests(), before);
    clock.advance(30_000);
    assert.equal((await sink.deliver(makeEvents(1, 53), signal))[0]?.kind, 'blocked');
    assert.equal(tokenRequests(), before + 1);
  });

  it('client_credentials works when enabled for the client, and says what to enable when not', async () => {
    const cc = open({ clientId: 'cc-client', grant: 'client_credentials' });
    assert.deepEqual(await cc.deliver(makeEvents(1, 60), signal), [{ kind: 'delivered' }]);
    assert.equal(fake.requests.at(-1)?.user, 'integration');
    const disabled = open({ grant: 'client_credentials' });
    const [outcome] = await disabled.deliver(makeEvents(1, 61), signal);
    assert.equal(outcome?.kind, 'blocked');
    assert.match(outcome?.kind === 'blocked' ? outcome.error : '', /client_credentials grant is enabled/);
  });
});

describe('ServiceNow OAuth token endpoint trouble', () => {
  let receiver: WebhookReceiver;
  let sink: Sink;
  const clock = new ManualClock(Date.UTC(2026, 10, 24, 12, 0, 0));

  before(async () => {
    receiver = await startWebhookReceiver();
    sink = createServiceNowSink({
      instanceUrl: new URL(receiver.url).origin,
      allowInsecureHttp: true,
      auth: { kind: 'oauth', clientId: 'c', clientSecret: CLIENT_SECRET, grant: 'client_credentials' },
      clock,
    });
  });
  after(async () => {
    await sink.close();
    await receiver.close();
  });

  it('a 503 maintenance page from /oauth_token.do → retryable with its Retry-After', async () => {
    receiver.respondWith(() => ({
      status: 503,
      headers: { 'content-type': 'text/html', 'retry-after': '45' },
      body: '<html><head><title>Instance Unavailable</title></head></html>',
    }));
    const [outcome] = await sink.deliver(makeEvents(1), signal);
    assert.deepEqual(outcome, {
      kind: 'retryable',
      error:
        'ServiceNow POST /api/now/import/u_genesys_event_import/insertMultiple (1 records): ServiceNow OAuth token request: HTTP 503 Instance Unavailable',
      retryAfterMs: 45_000,
    });
    assert.equal(receiver.received[0]?.path, '/oauth_token.do');
    assert.match(receiver.received[0]?.body ?? '', /grant_type=client_credentials/);
  });

  it('a 200 without a token → retryable, not a crash', async () => {
    receiver.respondWith(() => ({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"oops":1}' }));
    const [outcome] = await sink.deliver(makeEvents(1), signal);
    assert.equal(outcome?.kind, 'retryable');
    assert.match(outcome?.kind === 'retryable' ? outcome.error : '', /no access_token/);
  });
});
