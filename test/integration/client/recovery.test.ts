import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import type { Gap } from '../../../src/client/index.ts';
import { audit, envsClosedAfter, publishSteadily, userTopic, waitFor, type Env } from './helpers.ts';

/** Publishes one event and waits for it, proving the shard delivers again. */
async function flowing(e: Env, topic: string, what: string): Promise<void> {
  const before = e.events.length;
  e.emu.publish(topic, { probe: what });
  await waitFor(() => e.events.length > before, `an event after ${what}`, 5_000);
}

describe('NotificationClient recovery', () => {
  const env = envsClosedAfter();

  for (const [name, fault] of [
    ['drop (no close frame)', { kind: 'drop' }],
    ['unwarned close 1001', { kind: 'close', code: 1001 }],
    ['socket-closing without warning', { kind: 'socket-closing', warn: false }],
  ] as const) {
    it(`${name}: reconnects to the same channel fast and records a gap`, async () => {
      const topic = userTopic(10);
      const e = await env([topic]);
      const gaps: Gap[] = [];
      e.client.on('gap', (g) => gaps.push(g));
      await e.client.start();
      const channelId = e.client.status().shards[0]?.channelId;
      const created = e.emu.state().counters.channelsCreated;
      e.emu.fault(fault);
      const ms = await waitFor(() => gaps.length === 1, 'a gap', 5_000);
      assert.ok(ms < 1_000, `recovered in ${ms} ms`);
      await flowing(e, topic, name);
      assert.equal(e.client.status().shards[0]?.channelId, channelId, 'same channel');
      assert.equal(e.emu.state().counters.channelsCreated, created, 'no new channel');
      assert.equal(gaps[0]?.channelId, channelId);
      assert.deepEqual(gaps[0]?.topics, [topic]);
      assert.ok((gaps[0]?.endAt ?? 0) >= (gaps[0]?.startAt ?? 1));
      assert.equal(e.client.counters.reconnects, 1);
    });
  }

  it('zombie: detected within the watchdog window and recovered', async () => {
    const topic = userTopic(11);
    const e = await env([topic]);
    const gaps: Gap[] = [];
    e.client.on('gap', (g) => gaps.push(g));
    await e.client.start();
    const faultAt = Date.now();
    e.emu.fault({ kind: 'zombie' });
    await waitFor(() => gaps.length === 1, 'zombie detection', 5_000);
    const detectedMs = Date.now() - faultAt;
    assert.ok(detectedMs < 600 + 400, `detected after ${detectedMs} ms (watchdog 600 ms)`);
    assert.match(gaps[0]?.reason ?? '', /stale/);
    await flowing(e, topic, 'zombie');
  });

  it('expire-channel: HEAD says 404, so a new channel is created and subscribed', async () => {
    const topic = userTopic(12);
    const e = await env([topic]);
    await e.client.start();
    const channelId = e.client.status().shards[0]?.channelId;
    e.emu.fault({ kind: 'expire-channel' });
    await waitFor(
      () => e.client.status().shards[0]?.channelId !== channelId && e.client.status().shards[0]?.state === 'open',
      'a new channel',
      5_000,
    );
    await flowing(e, topic, 'expiry');
    assert.equal(e.client.counters.gaps, 1);
  });

  it('21st-channel eviction by another client: recovers on a new channel', async () => {
    const topic = userTopic(13);
    const e = await env([topic], { emulator: { maxChannelsPerClient: 3 } });
    await e.client.start();
    const channelId = e.client.status().shards[0]?.channelId ?? '';
    // Another process with the same OAuth client fills the quota; the emulator evicts our (oldest) channel.
    const other = await startEnvLikeOtherProcess(e);
    after(() => other.close());
    for (let i = 0; i < 3; i++) await other.createChannel();
    await waitFor(() => e.client.status().shards[0]?.channelId !== channelId, 'moved off the evicted channel', 5_000);
    await waitFor(() => e.client.status().shards[0]?.state === 'open', 'open again', 5_000);
    await flowing(e, topic, 'eviction');
  });

  it('channel TTL: renews by re-subscribing before expiry, keeping the same channel', async () => {
    const topic = userTopic(14);
    // Renewed half-way through each 600 ms life: 300 ms of margin for a timer and a PUT on a loaded CI machine (at
    // 400 ms and the default 80 %, 80 ms was sometimes too little and the channel expired).
    const e = await env([topic], { emulator: { channelTtlMs: 600 }, client: { session: { renewFraction: 0.5 } } });
    await e.client.start();
    const channelId = e.client.status().shards[0]?.channelId;
    await new Promise((r) => setTimeout(r, 1_800));
    await flowing(e, topic, 'three lifetimes');
    assert.equal(e.client.status().shards[0]?.channelId, channelId);
    assert.equal(e.client.counters.gaps, 0);
  });

  it('token TTL of 1 s over a multi-second run keeps flowing', async () => {
    const topic = userTopic(15);
    // Channels live 1.5 s (renewed at ~1.2 s by a PUT made with whatever token is current) and outlive their token
    // here; token-bound channels are the next test.
    const e = await env([topic], { emulator: { tokenTtlS: 1, channelTtlMs: 1_500, channelsEndWithToken: false } });
    const gaps: string[] = [];
    e.client.on('gap', (g) => gaps.push(g.reason));
    await e.client.start();
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 500));
      await flowing(e, topic, `tick ${i}`);
    }
    assert.ok(e.emu.state().counters.tokensIssued >= 3, `${e.emu.state().counters.tokensIssued} tokens`);
    assert.deepEqual(gaps, []);
    assert.equal(e.client.counters.errors, 0);
  });

  it('channels end with their token: rolled over make-before-break before each token expires, 0 lost, 0 gaps', async () => {
    const topic = userTopic(17);
    // 3 s tokens, 24 h channels: only the token ends a channel (channelsEndWithToken, the emulator's default). The
    // session rolls over half the token's life (1.5 s) before it expires, with a token that outlives it.
    const e = await env([topic], { emulator: { tokenTtlS: 3, channelsEndWithToken: true } });
    const gaps: Gap[] = [];
    const reasons: string[] = [];
    e.client.on('gap', (g) => gaps.push(g));
    e.client.on('rollover', (r) => reasons.push(r.reason));
    await e.client.start();
    const firstChannel = e.client.status().shards[0]?.channelId;
    // At least 8 s of continuous publishing: about three token lifetimes.
    const published = await publishSteadily(e.emu, topic, 400, 20);
    await waitFor(() => audit(e.events, topic, published).missing.length === 0, 'every event', 5_000).catch(() => 0);
    // Retired channels still end with their token later (counters.channelsExpired), but never one being read from.
    const { missing, duplicates } = audit(e.events, topic, published);
    assert.deepEqual(missing, [], 'nothing lost');
    assert.deepEqual(duplicates, [], 'nothing delivered twice');
    assert.deepEqual(gaps, [], 'no gap: every channel was replaced before its token ended it');
    assert.ok(reasons.length >= 2, `rollovers: ${reasons.join(', ')}`);
    assert.ok(
      reasons.every((r) => r === 'tokenExpiring'),
      reasons.join(', '),
    );
    assert.equal(e.client.counters.rollovers, reasons.length);
    assert.notEqual(e.client.status().shards[0]?.channelId, firstChannel);
    // Each replacement was created with a newer token than the one ending its predecessor.
    assert.ok(e.emu.state().counters.tokensIssued >= reasons.length + 1);
  });

  it('malformed and oversized frames: counted and skipped', async () => {
    const topic = userTopic(16);
    const e = await env([topic], { client: { maxFrameBytes: 1_000 } });
    await e.client.start();
    e.emu.fault({ kind: 'malformed-frame', payload: '{"topicName":"v2.users' });
    e.emu.fault({ kind: 'malformed-frame', payload: 'x'.repeat(100) });
    e.emu.fault({
      kind: 'malformed-frame',
      payload: JSON.stringify({ topicName: topic, eventBody: 'y'.repeat(2_000) }),
    });
    const { counters } = e.client;
    await waitFor(() => counters.malformedFrames === 2 && counters.oversizedFrames === 1, '2 malformed, 1 oversized');
    await flowing(e, topic, 'malformed');
    assert.equal(e.client.counters.gaps, 0);
  });
});

/** A raw user of the same OAuth client, as another process would be: creates channels and connects to them. */
async function startEnvLikeOtherProcess(e: Env): Promise<{ createChannel: () => Promise<void>; close: () => void }> {
  const token = await e.tokens.getToken();
  const sockets: WebSocket[] = [];
  return {
    createChannel: async () => {
      const res = await fetch(`${e.emu.apiBase}/api/v2/notifications/channels`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token.value}` },
      });
      assert.equal(res.status, 200);
      const channel = (await res.json()) as { connectUri: string };
      const ws = new WebSocket(channel.connectUri);
      sockets.push(ws);
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
    },
    close: () => sockets.forEach((ws) => ws.terminate()),
  };
}
