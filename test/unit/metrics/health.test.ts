import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startHealthServer } from '../../../src/metrics/health.ts';
import { createMetrics } from '../../../src/metrics/metrics.ts';
import { evaluateReadiness, type Readiness } from '../../../src/metrics/readiness.ts';

describe('evaluateReadiness', () => {
  it('needs an open socket and recent activity', () => {
    assert.equal(evaluateReadiness({ socketsOpen: 0, lastActivityAt: 1_000 }, 1_000, 90_000).ready, false);
    assert.equal(evaluateReadiness({ socketsOpen: 1, lastActivityAt: undefined }, 1_000, 90_000).ready, false);
    assert.equal(evaluateReadiness({ socketsOpen: 1, lastActivityAt: 1_000 }, 91_001, 90_000).ready, false);
    assert.equal(
      evaluateReadiness({ socketsOpen: 1, lastActivityAt: 1_000, closing: true }, 1_000, 90_000).ready,
      false,
    );
    assert.deepEqual(evaluateReadiness({ socketsOpen: 2, lastActivityAt: 1_000 }, 31_000, 90_000), {
      ready: true,
      reason: 'ok',
      lastActivityAgeMs: 30_000,
    });
  });
});

describe('health server', () => {
  const metrics = createMetrics();
  let readiness: Readiness = { ready: false, reason: 'no notification socket is open' };
  const serverPromise = startHealthServer({ port: 0, registry: metrics.registry, readiness: () => readiness });
  after(async () => (await serverPromise).close());

  it('serves /metrics with the relay metrics and process metrics', async () => {
    const server = await serverPromise;
    metrics.eventsReceived.inc(3);
    metrics.eventsDelivered.inc({ sink: 'ndjson' }, 2);
    const res = await fetch(`${server.url}/metrics`);
    assert.equal(res.status, 200);
    const text = await res.text();
    assert.match(text, /^genesys_relay_events_received_total 3$/m);
    assert.match(text, /^genesys_relay_events_delivered_total\{sink="ndjson"\} 2$/m);
    assert.match(text, /^genesys_relay_process_cpu_seconds_total /m);
  });

  it('answers /livez 200 and /readyz truthfully', async () => {
    const server = await serverPromise;
    assert.equal((await fetch(`${server.url}/livez`)).status, 200);
    const notReady = await fetch(`${server.url}/readyz`);
    assert.equal(notReady.status, 503);
    assert.deepEqual(await notReady.json(), { ready: false, reason: 'no notification socket is open' });
    readiness = { ready: true, reason: 'ok', lastActivityAgeMs: 5 };
    assert.equal((await fetch(`${server.url}/readyz`)).status, 200);
    assert.equal((await fetch(`${server.url}/nope`)).status, 404);
  });

  it('keeps registries apart between relays', () => {
    const other = createMetrics({ processMetrics: false });
    assert.notEqual(other.registry, metrics.registry);
  });
});
