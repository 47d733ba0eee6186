import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { startHealthServer } from '../../../src/metrics/health.ts';
import { createMetrics } from '../../../src/metrics/metrics.ts';
import { evaluateReadiness, type Readiness, type ReadinessInput } from '../../../src/metrics/readiness.ts';

describe('evaluateReadiness', () => {
  const WINDOW = 90_000;
  const NOW = 1_000_000;
  const open = (shardId: string, ageMs: number): ReadinessInput['shards'][number] => ({
    shardId,
    state: 'open',
    lastFrameAt: NOW - ageMs,
  });
  const ready = (input: ReadinessInput): boolean => evaluateReadiness(input, NOW, WINDOW).ready;

  it('decides per shard: every held shard open with a frame within the window', () => {
    const table: Array<[string, ReadinessInput, boolean]> = [
      ['one fresh shard', { shards: [open('a', 30_000)] }, true],
      ['frame exactly at the window edge', { shards: [open('a', WINDOW)] }, true],
      ['one ms past the window', { shards: [open('a', WINDOW + 1)] }, false],
      ['rolling over counts as open', { shards: [{ ...open('a', 5), state: 'rollingOver' }] }, true],
      ['no shard at all', { shards: [] }, false],
      ['open but no frame read yet', { shards: [{ shardId: 'a', state: 'open' }] }, false],
      ['reconnecting shard', { shards: [{ shardId: 'a', state: 'connecting' }] }, false],
      ['3 shards, one zombie', { shards: [open('a', 1), open('b', WINDOW + 5_000), open('c', 2)] }, false],
      ['3 shards, one lost', { shards: [open('a', 1), { shardId: 'b', state: 'backingOff' }, open('c', 2)] }, false],
      ['3 fresh shards', { shards: [open('a', 1), open('b', 80_000), open('c', 2)] }, true],
      ['closing, though fresh', { shards: [open('a', 1)], closing: true }, false],
      ['standby worker holding no shard', { shards: [], standby: true }, true],
      ['standby but closing', { shards: [], standby: true, closing: true }, false],
    ];
    for (const [name, input, expected] of table) assert.equal(ready(input), expected, name);
  });

  it('reports the oldest frame age when ready', () => {
    assert.deepEqual(evaluateReadiness({ shards: [open('a', 1_000), open('b', 30_000)] }, NOW, WINDOW), {
      ready: true,
      reason: 'ok',
      lastActivityAgeMs: 30_000,
    });
  });

  it('names the failing shards and the age of their last frame', () => {
    const shards = [
      open('shard-0', 1_000),
      open('shard-1', 95_000),
      { shardId: 'shard-2', state: 'connecting' as const },
    ];
    assert.deepEqual(evaluateReadiness({ shards }, NOW, WINDOW), {
      ready: false,
      reason:
        '2 of 3 shards not live (window 90000 ms): shard-1 silent for 95000 ms (open); shard-2 has no open socket (connecting)',
      failing: [
        { shardId: 'shard-1', state: 'open', lastFrameAgeMs: 95_000 },
        { shardId: 'shard-2', state: 'connecting' },
      ],
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
