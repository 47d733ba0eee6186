import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClientCounters, ClientStatus } from '../../../src/client/index.ts';
import { newCounters } from '../../../src/client/counters.ts';
import { ClientMetricsMirror } from '../../../src/metrics/client-metrics.ts';
import { createMetrics } from '../../../src/metrics/metrics.ts';
import { deliveryMetricsHooks, updateOutboxGauges } from '../../../src/metrics/outbox-gauges.ts';

function counters(overrides: Partial<ClientCounters> = {}): ClientCounters {
  return { ...newCounters(), ...overrides };
}

function status(states: string[]): ClientStatus {
  return {
    phase: 'running',
    topics: 1,
    buffered: 0,
    shards: states.map((state, i) => ({
      shardId: `shard-${i}`,
      state,
      channelId: undefined,
      expiresAt: undefined,
      topics: 1,
    })),
  } as ClientStatus;
}

async function value(
  metrics: ReturnType<typeof createMetrics>,
  name: string,
  labels: Record<string, string> = {},
): Promise<number | undefined> {
  const metric = await metrics.registry.getSingleMetric(name)?.get();
  const match = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return match?.value;
}

describe('ClientMetricsMirror', () => {
  it('adds only the change of each client counter since the last sync', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const mirror = new ClientMetricsMirror(metrics);
    mirror.sync(counters({ reconnects: 2, malformedFrames: 1 }), status(['open']));
    const later = { reconnects: 3, malformedFrames: 1, rollovers: 4, duplicatesDropped: 5, oversizedFrames: 2 };
    mirror.sync(counters(later), status(['open']));
    assert.equal(await value(metrics, 'genesys_relay_reconnects_total'), 3);
    assert.equal(await value(metrics, 'genesys_relay_events_malformed_total'), 1);
    assert.equal(await value(metrics, 'genesys_relay_rollovers_total'), 4);
    assert.equal(await value(metrics, 'genesys_relay_events_duplicate_total'), 5);
    assert.equal(await value(metrics, 'genesys_relay_events_oversized_total'), 2);
  });

  it('keeps exactly one state per shard at 1 and counts open sockets', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const mirror = new ClientMetricsMirror(metrics);
    mirror.sync(counters(), status(['open', 'connecting']));
    mirror.sync(counters(), status(['backingOff', 'rollingOver']));
    assert.equal(await value(metrics, 'genesys_relay_socket_state', { shard: 'shard-0', state: 'open' }), 0);
    assert.equal(await value(metrics, 'genesys_relay_socket_state', { shard: 'shard-0', state: 'backingOff' }), 1);
    assert.equal(await value(metrics, 'genesys_relay_socket_state', { shard: 'shard-1', state: 'connecting' }), 0);
    assert.equal(await value(metrics, 'genesys_relay_sockets_open'), 1);
  });

  it("exports each open shard's last-frame age and drops the series of a shard that lost its socket", async () => {
    const metrics = createMetrics({ processMetrics: false });
    const mirror = new ClientMetricsMirror(metrics);
    const AGE = 'genesys_relay_last_frame_age_seconds';
    const withFrames = (lastFrameAt: Array<number | undefined>): ClientStatus => {
      const s = status(lastFrameAt.map((at) => (at === undefined ? 'connecting' : 'open')));
      s.shards.forEach((shard, i) => {
        const at = lastFrameAt[i];
        if (at !== undefined) shard.lastFrameAt = at;
      });
      return s;
    };
    mirror.sync(counters(), withFrames([100_000, 40_000]), 130_000);
    assert.equal(await value(metrics, AGE, { shard: 'shard-0' }), 30);
    assert.equal(await value(metrics, AGE, { shard: 'shard-1' }), 90);
    mirror.sync(counters(), withFrames([129_500, undefined]), 130_000);
    assert.equal(await value(metrics, AGE, { shard: 'shard-0' }), 0.5);
    assert.equal(await value(metrics, AGE, { shard: 'shard-1' }), undefined);
    // A second mirror on the same registry shares the gauge instead of failing to register it.
    assert.doesNotThrow(() => new ClientMetricsMirror(metrics));
  });
});

describe('delivery metrics', () => {
  it('counts deliveries, failures, dead letters and latency from the dispatcher hooks', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const dead: string[] = [];
    const hooks = deliveryMetricsHooks(metrics, { onDeadLettered: (_sink, _n, reason) => dead.push(reason) });
    hooks.onDelivered?.('webhook', 3);
    hooks.onRetry?.('webhook', 2, '503', Date.now() + 1_000);
    hooks.onDeadLettered?.('webhook', 1, 'permanent: 400');
    hooks.onLatency?.('webhook', 250);
    assert.equal(await value(metrics, 'genesys_relay_events_delivered_total', { sink: 'webhook' }), 3);
    assert.equal(await value(metrics, 'genesys_relay_events_failed_total', { sink: 'webhook' }), 3);
    assert.equal(await value(metrics, 'genesys_relay_events_dead_lettered_total', { sink: 'webhook' }), 1);
    assert.deepEqual(dead, ['permanent: 400']);
    const latency = await metrics.registry.getSingleMetric('genesys_relay_delivery_latency_seconds')?.get();
    assert.equal(latency?.values.find((v) => (v as { metricName?: string }).metricName?.endsWith('_count'))?.value, 1);
  });

  it('sets depth and oldest age per sink from an outbox snapshot', async () => {
    const metrics = createMetrics({ processMetrics: false });
    const sinks = [
      { sink: 'a', active: true, pending: 4, inflight: 1, delivered: 9, dead: 0, oldestPendingAt: 10_000 },
      { sink: 'b', active: true, pending: 0, inflight: 0, delivered: 9, dead: 0, oldestPendingAt: undefined },
    ];
    updateOutboxGauges(metrics, { events: 13, lastSeq: 13, sinks }, 25_000);
    assert.equal(await value(metrics, 'genesys_relay_outbox_depth', { sink: 'a' }), 4);
    assert.equal(await value(metrics, 'genesys_relay_outbox_oldest_age_seconds', { sink: 'a' }), 15);
    assert.equal(await value(metrics, 'genesys_relay_outbox_oldest_age_seconds', { sink: 'b' }), 0);
  });
});
