import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RelayEvent } from '../../../src/client/index.ts';
import { envsClosedAfter, userTopic, waitFor } from './helpers.ts';

describe('NotificationClient topics, sharding and rate limits', () => {
  const env = envsClosedAfter();

  it('2,500 topics are sharded over 3 channels and all receive', async () => {
    const topics = Array.from({ length: 2_500 }, (_, i) => userTopic(1000 + i));
    const e = await env(topics);
    await e.client.start();
    const shards = e.client.status().shards;
    assert.deepEqual(
      shards.map((s) => [s.state, s.topics]),
      [
        ['open', 1000],
        ['open', 1000],
        ['open', 500],
      ],
    );
    assert.deepEqual(
      e.emu
        .state()
        .channels.map((c) => c.topics.length)
        .sort(),
      [1000, 1000, 500].sort(),
    );
    for (const topic of topics) e.emu.publish(topic);
    await waitFor(() => e.events.length === 2_500, '2,500 events', 15_000);
    assert.equal(new Set(e.events.map((ev) => ev.topicName)).size, 2_500);
    assert.equal(new Set(e.events.map((ev) => ev.relay.channelId)).size, 3);
  });

  it('more topics than the channel limit allows: start() rejects with a clear error', async () => {
    const topics = Array.from({ length: 7 }, (_, i) => userTopic(5000 + i));
    const e = await env(topics, { client: { maxTopicsPerChannel: 2, maxChannels: 4 } });
    await assert.rejects(e.client.start(), /7 topics do not fit.*3 channels × 2 topics/);
    assert.equal(e.client.status().phase, 'closed');
    assert.equal(e.emu.state().counters.channelsCreated, 0);
  });

  it('addTopics / removeTopics at runtime: PUT without reconnecting, new shard when full', async () => {
    const [a, b, c, d] = [userTopic(21), userTopic(22), userTopic(23), userTopic(24)];
    const e = await env([a, b], { client: { maxTopicsPerChannel: 3 } });
    await e.client.start();
    const first = e.client.status().shards[0]?.channelId;
    await e.client.addTopics([c, d]);
    assert.deepEqual(
      e.client.status().shards.map((s) => s.topics),
      [3, 1],
    );
    assert.equal(e.client.status().shards[0]?.channelId, first, 'shard 0 kept its channel');
    assert.equal(e.emu.state().counters.socketsOpened, 2, 'one socket per shard, no reconnect');
    for (const t of [a, b, c, d]) e.emu.publish(t);
    await waitFor(() => e.events.length === 4, '4 events');

    await e.client.removeTopics([b, d]);
    assert.deepEqual(
      e.client.status().shards.map((s) => s.topics),
      [2],
    );
    const stored = e.emu.state().channels.find((ch) => ch.id === first)?.topics ?? [];
    assert.deepEqual(stored.sort(), [a, c].sort());
    e.emu.publish(b);
    e.emu.publish(a);
    await waitFor(() => e.events.length === 5, 'the event for a kept topic');
    assert.equal(e.events.at(-1)?.topicName, a);
    assert.equal(e.emu.state().counters.socketsOpened, 2);
    assert.equal(e.client.counters.reconnects, 0);
  });

  it('a 429 storm during re-subscription: no request before Retry-After', async () => {
    const topic = userTopic(30);
    const requests: Array<{ at: number; sentAt: number; operation: string; status: number | undefined }> = [];
    const e = await env([topic], { onRequest: (r) => requests.push(r) });
    await e.client.start();
    const channelId = e.client.status().shards[0]?.channelId;
    e.emu.fault({ kind: 'rate-limit', count: 2, retryAfterS: 2 });
    e.emu.fault({ kind: 'expire-channel' });
    await waitFor(
      () => e.client.status().shards[0]?.channelId !== channelId && e.client.status().shards[0]?.state === 'open',
      'a new channel after the storm',
      10_000,
    );
    const limited = requests.filter((r) => r.status === 429);
    assert.equal(limited.length, 2, JSON.stringify(requests));
    for (const r of limited) {
      const next = requests.find((x) => x.sentAt >= r.sentAt && x !== r && x.at > r.at);
      // Retry-After is 2 s. The send time is estimated from the client side (response time minus duration), which
      // can only make the wait look shorter under event-loop lag, so allow 10%.
      if (next)
        assert.ok(
          next.sentAt - r.at >= 1_800,
          `request sent ${next.sentAt - r.at} ms after a 429: ${JSON.stringify(requests)}`,
        );
    }
    e.emu.publish(topic);
    await waitFor(() => e.events.length === 1, 'an event after the storm');
  });

  it('a slow events() consumer: reading pauses (backpressure), nothing is dropped, no gap', async () => {
    const topic = userTopic(41);
    const e = await env([topic], { client: { bufferSize: 50 } });
    const seqs: number[] = [];
    let maxBuffered = 0;
    const consumer = (async () => {
      for await (const ev of e.client.events()) {
        seqs.push(Number(ev.metadata['emulatorSequence']));
        maxBuffered = Math.max(maxBuffered, e.client.status().buffered);
        if (seqs.length % 10 === 0) await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await e.client.start();
    e.emu.publish(topic, { pad: 'x'.repeat(200) }, 2_000);
    await waitFor(() => seqs.length === 2_000, '2,000 events through a slow consumer', 20_000);
    // Without the pause the buffer would hold most of the 2,000; with it, the limit plus what was already read
    // off the TCP socket when reading stopped.
    assert.ok(maxBuffered >= 50, `the buffer filled (${maxBuffered})`);
    assert.ok(maxBuffered < 500, `reading paused near the limit (${maxBuffered} buffered at most)`);
    assert.equal(e.client.counters.overflowDropped, 0);
    assert.equal(e.client.counters.gaps, 0);
    assert.ok(
      seqs.every((s, i) => s === i + 1),
      'in order, none missing',
    );
    await e.client.close();
    await consumer;
  });

  it('events(): an async iterable that ends after close()', async () => {
    const topic = userTopic(40);
    const e = await env([topic]);
    const iterated: RelayEvent[] = [];
    const consumer = (async () => {
      for await (const ev of e.client.events()) iterated.push(ev);
    })();
    await e.client.start();
    e.emu.publish(topic, {}, 5);
    await waitFor(() => iterated.length === 5, 'five iterated events');
    await e.client.close();
    await consumer;
    assert.equal(iterated.length, 5);
  });
});
