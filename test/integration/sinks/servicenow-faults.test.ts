import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { startServiceNowFake, type ServiceNowFake } from '../../../src/emulator/servicenow/index.ts';
import { createServiceNowSink } from '../../../src/sinks/servicenow/index.ts';
import type { DeliveryOutcome, Sink } from '../../../src/sinks/sink.ts';
import { ManualClock } from '../../../src/testing/manual-clock.ts';
import { makeEvents } from '../../unit/sinks/fixtures.ts';

const signal = new AbortController().signal;
const HOUR_MS = 3_600_000;

function retryable(outcome: DeliveryOutcome | undefined): { error: string; retryAfterMs: number | undefined } {
  assert.equal(outcome?.kind, 'retryable', JSON.stringify(outcome));
  return outcome?.kind === 'retryable'
    ? { error: outcome.error, retryAfterMs: outcome.retryAfterMs }
    : { error: '', retryAfterMs: undefined };
}

describe('ServiceNow sink under faults', () => {
  let fake: ServiceNowFake;
  let sink: Sink;
  // 12:15 inside an hourly window that resets at 13:00.
  const clock = new ManualClock(Date.UTC(2026, 10, 24, 12, 15, 0));

  before(async () => {
    fake = await startServiceNowFake({ clock, rateLimit: { perWindow: 1000, windowMs: HOUR_MS } });
  });
  after(() => fake.close());
  before(() => {
    sink = createServiceNowSink({
      instanceUrl: fake.url,
      allowInsecureHttp: true,
      auth: { kind: 'basic', username: 'admin', password: 'admin' },
      clock,
      mode: 'table',
    });
  });
  after(() => sink.close());
  afterEach(() => clock.advance(HOUR_MS)); // a fresh rate-limit window per test

  it('a 429 storm → retryable with Retry-After, untried events keep the same verdict', async () => {
    fake.fault({ kind: 'rate-limit', count: 3, retryAfterS: 17 });
    for (let i = 0; i < 3; i++) {
      const outcomes = await sink.deliver(makeEvents(3, 10 * i), signal);
      const first = retryable(outcomes[0]);
      assert.equal(first.retryAfterMs, 17_000);
      assert.match(first.error, /HTTP 429 Rate limit exceeded: Rate limit of \d+ requests per hour/);
      assert.equal(retryable(outcomes[2]).retryAfterMs, 17_000);
    }
    assert.equal(fake.requests.filter((r) => r.status === 429).length, 3, 'one request per storm round, not three');
    assert.deepEqual(await sink.deliver(makeEvents(1, 99), signal), [{ kind: 'delivered' }]);
  });

  it('over the per-hour rate limit → Retry-After until the window resets', async () => {
    const limited = await startServiceNowFake({ clock, rateLimit: { perWindow: 2, windowMs: HOUR_MS } });
    const importSink = createServiceNowSink({
      instanceUrl: limited.url,
      allowInsecureHttp: true,
      auth: { kind: 'basic', username: 'admin', password: 'admin' },
      clock,
    });
    try {
      await importSink.deliver(makeEvents(1), signal);
      await importSink.deliver(makeEvents(1, 1), signal);
      const msToReset = HOUR_MS - (clock.now() % HOUR_MS);
      const [outcome] = await importSink.deliver(makeEvents(1, 2), signal);
      assert.equal(retryable(outcome).retryAfterMs, Math.ceil(msToReset / 1000) * 1000);
      assert.match(retryable(outcome).error, /for Import Set API exceeded/);
      clock.advance(msToReset);
      assert.deepEqual(await importSink.deliver(makeEvents(1, 2), signal), [{ kind: 'delivered' }]);
    } finally {
      await importSink.close();
      await limited.close();
    }
  });

  it('instance down (connection refused) → retryable; back up → delivered', async () => {
    await sink.deliver(makeEvents(1, 200), signal); // leaves a keep-alive connection that must not mask the outage
    await fake.setDown(true);
    try {
      // The first attempt may still pick the kept-alive socket the server just closed (a reset); the next one
      // has to connect and is refused. Both are retryable.
      const [stale] = await sink.deliver(makeEvents(1, 201), signal);
      assert.match(retryable(stale).error, /ECONNREFUSED|UND_ERR_SOCKET|ECONNRESET/);
      const [outcome] = await sink.deliver(makeEvents(1, 201), signal);
      assert.match(retryable(outcome).error, /connection refused \(ECONNREFUSED\)/);
    } finally {
      await fake.setDown(false);
    }
    assert.deepEqual(await sink.deliver(makeEvents(1, 201), signal), [{ kind: 'delivered' }]);
  });

  it('connection dropped mid-request → retryable', async () => {
    fake.fault({ kind: 'down' });
    const [outcome] = await sink.deliver(makeEvents(1, 300), signal);
    assert.match(retryable(outcome).error, /closed|reset|socket/i);
  });

  it('HTML maintenance 503 → retryable with a short message and its Retry-After', async () => {
    fake.fault({ kind: 'html-503', retryAfterS: 120 });
    const [outcome] = await sink.deliver(makeEvents(1, 400), signal);
    const { error, retryAfterMs } = retryable(outcome);
    assert.equal(retryAfterMs, 120_000);
    assert.match(error, /HTTP 503 Instance Unavailable$/);
    assert.doesNotMatch(error, /<|maintenance/);
  });

  it('500 → retryable', async () => {
    fake.fault({ kind: 'server-error' });
    const [outcome] = await sink.deliver(makeEvents(1, 500), signal);
    assert.match(retryable(outcome).error, /HTTP 500 Internal Server Error/);
  });
});
