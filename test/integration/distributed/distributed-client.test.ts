import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { RefreshingTokenProvider } from '../../../src/auth/refreshing-token-provider.ts';
import { systemClock } from '../../../src/core/clock.ts';
import { startEmulator, type EmulatorHandle } from '../../../src/emulator/index.ts';
import type { RelayEvent } from '../../../src/envelope/envelope.ts';
import { fencingOf } from '../../../src/envelope/fencing.ts';
import { GenesysRestClient } from '../../../src/genesys/rest-client.ts';
import { createLogger } from '../../../src/logging/logger.ts';
import type { Gap } from '../../../src/session/gap.ts';
import { DistributedClient } from '../../../src/service/distributed/distributed-client.ts';
import { OauthClients } from '../../../src/service/distributed/oauth-clients.ts';
import { planDistributedShards } from '../../../src/service/distributed/shard-plan.ts';
import { waitFor } from '../cli/helpers.ts';
import { InMemoryLeaseStore } from '../../unit/coordination/in-memory-lease-store.ts';
import { SECOND_CLIENT, connectedChannelsPerTopic, userTopics } from './helpers.ts';

const TTL_MS = 1_500;
const RENEW_MS = 300;
const TOPICS = userTopics(4);

/** One worker: a DistributedClient over the shared in-memory store, recording the events it hands on. */
function worker(emulator: EmulatorHandle, store: InMemoryLeaseStore, id: string, resync?: (gap: Gap) => Promise<void>) {
  const events: RelayEvent[] = [];
  const registry = new Registry();
  const tokens = RefreshingTokenProvider.clientCredentials({
    loginBase: emulator.loginBase,
    clientId: 'demo',
    clientSecret: 'demo',
  });
  const api = new GenesysRestClient({ apiBase: emulator.apiBase, tokens });
  const oauth = new OauthClients({
    primary: { clientId: 'demo', tokens, api },
    extra: [{ clientId: SECOND_CLIENT.id, clientSecret: SECOND_CLIENT.secret }],
    apiBase: emulator.apiBase,
    loginBase: emulator.loginBase,
    clock: systemClock,
    onRefresh: () => undefined,
  });
  const client = new DistributedClient({
    coordination: { url: 'postgres://unused', workerId: id, leaseTtlMs: TTL_MS, renewEveryMs: RENEW_MS },
    shards: planDistributedShards(TOPICS, { maxTopicsPerChannel: 1, maxChannels: 20, clients: 2 }),
    oauth,
    base: { heartbeatMs: 1_000, onEvent: (event) => void events.push(event), ...(resync ? { resync } : {}) },
    logger: createLogger({ level: process.env.DBG ? 'info' : 'silent' }),
    clock: systemClock,
    openStore: () => Promise.resolve(store),
    registry,
  });
  const close = async (): Promise<void> => {
    await client.close();
    tokens.close();
    await api.close();
  };
  return { client, events, close, metrics: () => registry.metrics() };
}

describe('DistributedClient (emulator + in-memory lease store)', () => {
  let emulator: EmulatorHandle | undefined;
  const closers: Array<() => Promise<void>> = [];

  before(async () => {
    emulator = await startEmulator({
      heartbeatMs: 1_000,
      clients: [
        { id: 'demo', secret: 'demo' },
        { id: SECOND_CLIENT.id, secret: SECOND_CLIENT.secret },
      ],
    });
  });

  after(async () => {
    await Promise.allSettled(closers.map((close) => close()));
    await emulator?.close();
  });

  it('stamps events with shard + epoch, rebalances with overlap, and hands a fenced shard over make-before-break', async () => {
    assert.ok(emulator);
    const emu = emulator;
    const store = new InMemoryLeaseStore(systemClock);
    const a = worker(emu, store, 'a');
    closers.push(a.close);
    await a.client.start();
    assert.equal(a.client.held().size, 4, 'alone, a worker takes every shard');
    assert.deepEqual(
      a.client
        .status()
        .shards.map((s) => s.shardId)
        .sort(),
      ['shard-0', 'shard-1', 'shard-2', 'shard-3'],
    );
    const clientIds = new Set(emu.state().channels.map((c) => c.clientId));
    assert.deepEqual([...clientIds].sort(), ['demo', SECOND_CLIENT.id].sort());

    emu.publish(TOPICS[0] ?? '', { n: 1 }, 1);
    const first = await waitFor(() => a.events[0], 'an event');
    assert.deepEqual(fencingOf(first), { shard: 'shard-0', epoch: 1 });
    assert.match(first.relay.key, /^[0-9a-f]{32}$/);
    const stored = JSON.parse(JSON.stringify(first)) as RelayEvent;
    assert.deepEqual(fencingOf(stored), { shard: 'shard-0', epoch: 1 }, 'the stamp survives serialisation (outbox)');

    // A second worker joins: a sheds 2 shards, keeping each socket until b holds the lease (never zero sockets).
    const b = worker(emu, store, 'b');
    closers.push(b.close);
    let uncovered = 0;
    let overlapped = 0;
    const watch = setInterval(() => {
      if (connectedChannelsPerTopic(emu, TOPICS).some((n) => n === 0)) uncovered++;
      if (connectedChannelsPerTopic(emu, TOPICS).some((n) => n === 2)) overlapped++;
    }, 20);
    await b.client.start();
    await waitFor(() => (a.client.held().size === 2 && b.client.held().size === 2 ? true : undefined), '2 + 2');
    await waitFor(() => {
      const bOpen = b.client.status().shards.filter((s) => s.state === 'open').length === 2;
      return bOpen && connectedChannelsPerTopic(emu, TOPICS).every((n) => n === 1) ? true : undefined;
    }, "b's sockets open and a's shed ones closed");
    clearInterval(watch);
    assert.equal(uncovered, 0, 'a topic was without a socket during the rebalance');
    assert.ok(overlapped > 0, 'make-before-break: old and new sockets overlapped');

    // Another worker acquires one of a's shards behind its back (as after a's renewals failed): a notices on its next
    // renew and hands the shard over like a release, reading on until the new holder reports its socket open.
    const [fenced] = [...a.client.held().keys()];
    assert.ok(fenced);
    const row = store.rows.get(fenced);
    assert.ok(row);
    const intruderEpoch = row.epoch + 1;
    store.rows.set(fenced, {
      owner: 'intruder',
      epoch: intruderEpoch,
      expiresAt: Date.now() + 60_000,
      renewedAt: Date.now(),
    });
    const topic = TOPICS[Number(fenced.slice('shard-'.length))] ?? '';
    await waitFor(() => (a.client.held().has(fenced) ? undefined : true), 'the fence noticed', 5_000);
    await new Promise((resolve) => setTimeout(resolve, RENEW_MS * 3));
    assert.equal(
      connectedChannelsPerTopic(emu, [topic])[0],
      1,
      'make-before-break: reading until the successor connects',
    );
    assert.ok(await store.markConnected(fenced, 'intruder', intruderEpoch));
    await waitFor(
      () => (connectedChannelsPerTopic(emu, [topic])[0] === 0 ? true : undefined),
      'the fenced shard closed once its new holder reported its socket open',
      5_000,
    );
    assert.ok(a.client.counters.eventsDelivered >= 1, 'counters keep what stopped shards counted');
    const text = await a.metrics();
    assert.match(text, /^genesys_relay_shards_held 1$/m);
    assert.match(text, /^genesys_relay_shard_acquisitions_total 4$/m);
    assert.match(text, /^genesys_relay_shard_losses_total\{reason="released"\} 2$/m);
    assert.match(text, /^genesys_relay_shard_losses_total\{reason="fenced"\} 1$/m);

    // More workers than free shards: the newcomer holds none and says it is a standby (ready, not broken).
    const c = worker(emu, store, 'c');
    closers.push(c.close);
    assert.equal(c.client.standby(), false, 'not before it has joined');
    await c.client.start();
    assert.equal(c.client.held().size, 0);
    assert.equal(c.client.standby(), true);
    assert.equal(b.client.standby(), false);
    const view = c.client.coordination();
    assert.deepEqual(
      { degraded: view?.degraded, unheld: view?.unheldShards },
      { degraded: false, unheld: [] },
      'ready as a standby: the lease table shows every shard held by a live worker',
    );
  });

  it('reports one gap, and resyncs, per shard taken over from an expired lease; none for released or new ones', async () => {
    assert.ok(emulator);
    const store = new InMemoryLeaseStore(systemClock);
    const lastRenewedAt = Date.now() - TTL_MS - 500;
    // shard-0: its holder crashed (lease expired); shard-1: released by a graceful worker; the others: never held.
    store.rows.set('shard-0', {
      owner: 'ghost',
      epoch: 3,
      expiresAt: lastRenewedAt + TTL_MS,
      renewedAt: lastRenewedAt,
    });
    store.rows.set('shard-1', { owner: undefined, epoch: 2, expiresAt: undefined, renewedAt: lastRenewedAt });
    const resynced: Gap[] = [];
    const e = worker(emulator, store, 'e', (gap) => Promise.resolve(void resynced.push(gap)));
    closers.push(e.close);
    const gaps: Gap[] = [];
    e.client.on('gap', (gap) => gaps.push(gap));
    await e.client.start();
    await waitFor(() => (gaps.length > 0 && resynced.length > 0 ? true : undefined), 'the takeover gap');
    assert.equal(gaps.length, 1, JSON.stringify(gaps));
    const [gap] = gaps;
    assert.ok(gap);
    assert.deepEqual(
      { shardId: gap.shardId, startAt: gap.startAt, channelId: gap.channelId, reason: gap.reason, topics: gap.topics },
      {
        shardId: 'shard-0',
        startAt: lastRenewedAt,
        channelId: undefined,
        reason: 'takeover: worker ghost stopped renewing its lease',
        topics: [TOPICS[0]],
      },
    );
    assert.ok(gap.endAt > lastRenewedAt + TTL_MS);
    assert.deepEqual(resynced, gaps, 'the resync hook ran for it');
    assert.equal(e.client.counters.gaps, 1);
  });
});

describe('DistributedClient: a shard that dies of a fatal error stops the worker', () => {
  let emulator: EmulatorHandle | undefined;
  const closers: Array<() => Promise<void>> = [];

  after(async () => {
    await Promise.allSettled(closers.map((close) => close()));
    await emulator?.close();
  });

  it('closes every shard when one OAuth client is revoked, so the relay exits and the leases move', async () => {
    emulator = await startEmulator({
      heartbeatMs: 1_000,
      clients: [
        { id: 'demo', secret: 'demo' },
        { id: SECOND_CLIENT.id, secret: SECOND_CLIENT.secret },
      ],
    });
    const store = new InMemoryLeaseStore(systemClock);
    const d = worker(emulator, store, 'd');
    closers.push(d.close);
    await d.client.start();
    assert.equal(d.client.status().shards.filter((s) => s.state === 'open').length, 4);

    // Rotate the second client's secret on the server and revoke its tokens: shards 1 and 3 can never reconnect.
    const rotated = await fetch(`${emulator.controlBase}/control/clients`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: SECOND_CLIENT.id, secret: 'rotated-secret' }),
    });
    assert.ok(rotated.status < 300);
    emulator.fault({ kind: 'revoke-token', clientId: SECOND_CLIENT.id });
    await waitFor(
      () => (d.client.status().shards.every((s) => s.state === 'closed') ? true : undefined),
      'every shard closed (the relay then reports the failure)',
      15_000,
    );
    assert.equal(store.owners().size, 4, 'leases stay until the relay shuts the worker down');
    await d.close();
    assert.equal(store.owners().size, 0, 'shutdown released every lease');
  });
});
