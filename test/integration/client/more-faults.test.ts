import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NotificationClient, type Gap, type RolloverInfo } from '../../../src/client/index.ts';
import { audit, publishSteadily, envsClosedAfter, userTopic, waitFor, type Env } from './helpers.ts';

async function flowing(e: Env, topic: string, what: string): Promise<void> {
  const before = e.events.length;
  e.emu.publish(topic, { probe: what });
  await waitFor(() => e.events.length > before, `an event after ${what}`, 5_000);
}

describe('NotificationClient: tokens, pongs, channel limit, hooks', () => {
  const env = envsClosedAfter();

  it('revoked token: a fresh token and a new channel, and the resync hook sees the gap', async () => {
    const topic = userTopic(50);
    const resynced: Gap[] = [];
    const e = await env([topic], {
      client: {
        resync: (gap) => {
          resynced.push(gap);
          return Promise.resolve();
        },
      },
    });
    await e.client.start();
    const channelId = e.client.status().shards[0]?.channelId;
    const issued = e.emu.state().counters.tokensIssued;
    e.emu.fault({ kind: 'revoke-token' });
    await waitFor(() => resynced.length === 1, 'resync after the revocation gap', 5_000);
    assert.notEqual(e.client.status().shards[0]?.channelId, channelId);
    assert.ok(e.emu.state().counters.tokensIssued > issued, 'a new token was fetched');
    assert.deepEqual(resynced[0]?.topics, [topic]);
    assert.match(resynced[0]?.reason ?? '', /tokenRevoked/);
    await flowing(e, topic, 'revocation');
  });

  it('a fresh token rejected (twice in a row with the revoked one): retried with backoff, the shard keeps running', async () => {
    const topic = userTopic(55);
    const e = await env([topic]);
    const errors: Error[] = [];
    e.client.on('error', (err) => errors.push(err));
    await e.client.start();
    const channelId = e.client.status().shards[0]?.channelId;
    // The next two tokens issued are each refused once; revoking the current one makes the shard need a new token
    // and a new channel: 401 on the revoked token's successor, 401 on the one after, then a token that works.
    e.emu.fault({ kind: 'reject-token', count: 2 });
    e.emu.fault({ kind: 'revoke-token' });
    await waitFor(
      () => e.client.status().shards[0]?.state === 'open' && e.client.status().shards[0]?.channelId !== channelId,
      'open on a new channel',
      10_000,
    );
    await flowing(e, topic, 'rejected fresh tokens');
    assert.deepEqual(errors, [], 'no error reached the client: the refusal was transient');
    assert.ok(e.emu.state().counters.tokensIssued >= 4, `${e.emu.state().counters.tokensIssued} tokens issued`);
  });

  it('unanswered pings: the socket is declared stale and replaced', async () => {
    const topic = userTopic(51);
    const e = await env([topic]);
    const gaps: Gap[] = [];
    e.client.on('gap', (g) => gaps.push(g));
    await e.client.start();
    e.emu.fault({ kind: 'pong-drop' });
    await waitFor(() => gaps.length === 1, 'stale detection', 5_000);
    assert.match(gaps[0]?.reason ?? '', /pings unanswered/);
    await flowing(e, topic, 'pong drop');
  });

  it('a 5xx burst during start: retried, start() still resolves', async () => {
    const topic = userTopic(52);
    const e = await env([topic]);
    e.emu.fault({ kind: 'server-error', count: 6 });
    await e.client.start();
    assert.equal(e.emu.state().counters.serverErrors, 6);
    await flowing(e, topic, '5xx burst');
  });

  it('rollovers at the channel limit: one at a time, no live channel evicted, nothing lost', async () => {
    const [t1, t2] = [userTopic(53), userTopic(54)];
    const e = await env([t1, t2], {
      emulator: { maxChannelsPerClient: 3 },
      client: { maxChannels: 3, maxTopicsPerChannel: 1 },
    });
    const rollovers: RolloverInfo[] = [];
    const gaps: Gap[] = [];
    e.client.on('rollover', (r) => rollovers.push(r));
    e.client.on('gap', (g) => gaps.push(g));
    await e.client.start();
    assert.equal(e.client.status().shards.length, 2, 'two shards leave one channel of headroom');
    const publishing = Promise.all([publishSteadily(e.emu, t1, 200, 2), publishSteadily(e.emu, t2, 200, 2)]);
    await new Promise((r) => setTimeout(r, 50));
    e.emu.fault({ kind: 'socket-closing' });
    const [n1, n2] = await publishing;
    await waitFor(() => rollovers.length === 2, 'two rollovers', 5_000);
    await waitFor(() => e.events.length >= n1 + n2, 'every event', 5_000).catch(() => undefined);
    for (const [topic, n] of [
      [t1, n1],
      [t2, n2],
    ] as const) {
      const { missing, duplicates } = audit(e.events, topic, n);
      assert.deepEqual(missing, [], `${topic} lost`);
      assert.deepEqual(duplicates, [], `${topic} duplicated`);
    }
    assert.deepEqual(gaps, []);
    const live = new Set(e.client.status().shards.map((s) => s.channelId));
    assert.ok(
      e.emu
        .state()
        .channels.filter((c) => c.connected)
        .every((c) => live.has(c.id)),
      'only our live channels are connected',
    );
  });

  it('a forbidden topic: reported as rejected (ignoreErrors), the others flow; without ignoreErrors start() fails', async () => {
    const [ok, denied] = [userTopic(56), userTopic(57)];
    const e = await env([ok, denied]);
    e.emu.fault({ kind: 'deny-topic', pattern: denied });
    const rejected: string[] = [];
    e.client.on('rejectedTopics', (r) => rejected.push(...r.rejected.map((t) => t.id)));
    await e.client.start();
    assert.deepEqual(rejected, [denied]);
    assert.equal(e.client.counters.rejectedTopics, 1);
    await flowing(e, ok, 'a rejected sibling');

    const strict = new NotificationClient({ api: e.api, topics: [ok, denied], ignoreErrors: false, heartbeatMs: 40 });
    await assert.rejects(strict.start(), (err: Error & { status?: number }) => err.status === 403);
    assert.equal(strict.status().phase, 'closed');
  });

  it('close() waits for a slow async onEvent to finish', async () => {
    const topic = userTopic(55);
    let finished = 0;
    const e = await env([topic]);
    const slow = new NotificationClient({
      api: e.api,
      topics: [topic],
      heartbeatMs: 40,
      watchdogMs: 600,
      onEvent: async () => {
        await new Promise((r) => setTimeout(r, 100));
        finished++;
      },
    });
    await slow.start();
    e.emu.publish(topic, {}, 3);
    await waitFor(() => slow.counters.eventsDelivered === 3, 'three events handed over');
    await slow.close();
    assert.equal(finished, 3);
  });
});
