import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AuthError } from '../../../src/core/errors.ts';
import { NotificationClient, type Gap } from '../../../src/client/index.ts';
import { systemClock } from '../../../src/core/clock.ts';
import type { EmulatorHandle } from '../../../src/emulator/index.ts';
import { createWsSocketFactory, type SocketFactory } from '../../../src/session/socket.ts';
import { audit, publishSteadily, envsClosedAfter, userTopic, waitFor } from './helpers.ts';

const MiB = 1024 * 1024;

describe('NotificationClient against the emulator', () => {
  const env = envsClosedAfter();

  it('starts, receives events with relay fields, and closes cleanly', async () => {
    const topic = userTopic(1);
    const e = await env([topic]);
    await e.client.start();
    assert.equal(e.client.status().shards[0]?.state, 'open');
    e.emu.publish(topic, { hello: 1 }, 3);
    await waitFor(() => e.events.length === 3, '3 events');
    const first = e.events[0];
    assert.equal(first?.topicName, topic);
    assert.deepEqual(first?.eventBody, { hello: 1 });
    assert.match(first?.relay.key ?? '', /^[0-9a-f]{32}$/);
    assert.equal(first?.relay.channelId, e.client.status().shards[0]?.channelId);
    await e.client.close();
    await e.client.close();
    assert.equal(e.client.status().phase, 'closed');
    await waitFor(() => e.emu.state().channels.every((c) => !c.connected), 'sockets closed on the server');
  });

  it('socket_closing with continuous publishing: make-before-break, copies dropped, 0 lost, 0 duplicates, no gap', async () => {
    const topic = userTopic(2);
    // Real ws sockets. When the replacement socket opens, and before the client hears of it (and closes the old
    // one), a burst is published: both channels are subscribed with open sockets, so every event of the burst
    // reaches both, real copies of the overlap that the client must drop.
    const target: { emu?: EmulatorHandle } = {};
    let burst = 0;
    let opens = 0;
    const real = createWsSocketFactory({ clock: systemClock });
    const sockets: SocketFactory = {
      open: (url, handlers) =>
        real.open(url, {
          ...handlers,
          onOpen: () => {
            if (++opens === 2 && target.emu) burst = target.emu.publish(topic, undefined, 25).published;
            handlers.onOpen();
          },
        }),
    };
    const e = await env([topic], { client: { sockets } });
    target.emu = e.emu;
    const gaps: Gap[] = [];
    e.client.on('gap', (g) => gaps.push(g));
    await e.client.start();
    const before = e.client.status().shards[0]?.channelId;
    const publishing = publishSteadily(e.emu, topic, 300, 2);
    await new Promise((r) => setTimeout(r, 100));
    e.emu.fault({ kind: 'socket-closing' });
    const published = (await publishing) + burst;
    await waitFor(() => e.client.counters.rollovers === 1, 'rollover');
    assert.equal(burst, 25, 'the burst was published while both sockets were open');
    await waitFor(() => e.events.length >= published, `${published} events`, 5_000).catch(() => undefined);
    const { missing, duplicates } = audit(e.events, topic, published);
    assert.deepEqual(missing, [], 'lost events');
    assert.deepEqual(duplicates, [], 'duplicated events');
    assert.equal(e.events.length, published);
    assert.ok(e.client.counters.duplicatesDropped >= burst, `${e.client.counters.duplicatesDropped} copies dropped`);
    assert.equal(e.client.counters.eventsReceived, published + e.client.counters.duplicatesDropped);
    assert.notEqual(e.client.status().shards[0]?.channelId, before, 'moved to a new channel');
    assert.deepEqual(gaps, [], 'a planned rollover is not a gap');
    assert.equal(e.client.counters.reconnects, 0);
  });

  it('frames of any size keep the socket: 3 MiB delivered, 6 MiB over a 4 MiB limit skipped and reported', async () => {
    const topic = userTopic(7);
    const warnings: Array<Record<string, unknown>> = [];
    const logger = {
      debug: () => {},
      info: () => {},
      warn: (obj: object) => void warnings.push(obj as Record<string, unknown>),
      error: () => {},
    };
    // Liveness scaled to the frames: a loaded CI machine may take seconds to write and read 6 MiB, and a stale
    // verdict meanwhile would replace the socket this test says is kept.
    const liveness = { watchdogMs: 20_000, pingIntervalMs: 5_000, pongTimeoutMs: 10_000 };
    const e = await env([topic], { client: { maxFrameBytes: 4 * MiB, logger, ...liveness } });
    const gaps: Gap[] = [];
    e.client.on('gap', (g) => gaps.push(g));
    await e.client.start();
    const channel = e.client.status().shards[0]?.channelId;
    e.emu.publish(topic, { i: 'before' });
    e.emu.publish(topic, { blob: 'a'.repeat(3 * MiB) });
    e.emu.publish(topic, { blob: 'b'.repeat(6 * MiB) }, 1, 'big-one');
    e.emu.publish(topic, { i: 'behind' }, 20);
    await waitFor(() => e.events.length === 22, '22 events', 20_000);
    assert.equal(e.client.counters.oversizedFrames, 1);
    assert.equal(e.client.counters.malformedFrames, 0);
    const sequences = e.events.map((ev) => Number(ev.metadata['emulatorSequence']));
    assert.deepEqual(
      sequences,
      [1, 2, ...Array.from({ length: 20 }, (_, i) => i + 4)],
      'all but the 6 MiB one, in order',
    );
    assert.equal((e.events[1]?.eventBody as { blob: string }).blob.length, 3 * MiB);
    const report = warnings.find((w) => w['event'] === 'frame.oversized');
    assert.equal(report?.['topic'], topic);
    assert.equal(report?.['correlationId'], 'big-one');
    assert.ok(Number(report?.['bytes']) > 6 * MiB);
    assert.equal(report?.['audit'], true);
    assert.equal(e.client.status().shards[0]?.channelId, channel, 'same channel');
    assert.equal(e.client.counters.reconnects, 0, 'socket not closed');
    assert.deepEqual(gaps, []);
    assert.equal(warnings.filter((w) => 'code' in w).length, 0, 'no socket close');
    // A close the server makes is logged at warn with its cause and shard (not at debug).
    e.emu.fault({ kind: 'close', code: 1001 });
    await waitFor(() => warnings.some((w) => w['code'] === 1001), 'a warn line for the close');
    const close = warnings.find((w) => w['code'] === 1001);
    assert.equal(close?.['shardId'], e.client.status().shards[0]?.shardId);
    assert.equal(close?.['channelId'], channel);
    assert.equal(close?.['requested'], false);
  });

  it('rollover() on request: new channels for every shard, no gap, nothing lost', async () => {
    const topics = [userTopic(4), userTopic(5)];
    const e = await env(topics, { client: { maxTopicsPerChannel: 1 } });
    await e.client.start();
    const before = e.client.status().shards.map((s) => s.channelId);
    const publishing = Promise.all(topics.map((t) => publishSteadily(e.emu, t, 100, 2)));
    await new Promise((r) => setTimeout(r, 30));
    e.client.rollover();
    const counts = await publishing;
    await waitFor(() => e.client.counters.rollovers === 2, 'two rollovers');
    await waitFor(() => e.events.length >= 200, '200 events', 5_000).catch(() => undefined);
    topics.forEach((t, i) => assert.deepEqual(audit(e.events, t, counts[i] ?? 0), { missing: [], duplicates: [] }));
    const after = e.client.status().shards.map((s) => s.channelId);
    assert.ok(after.every((id, i) => id !== before[i]));
    assert.equal(e.client.counters.gaps, 0);
  });

  it('builds (and closes) its own REST client from apiBase + tokens', async () => {
    const topic = userTopic(6);
    const e = await env([]);
    const own = new NotificationClient({
      apiBase: e.emu.apiBase,
      tokens: e.tokens,
      topics: [topic],
      heartbeatMs: 40,
      watchdogMs: 600,
    });
    let received = 0;
    const consumer = (async () => {
      for await (const _ of own.events()) received++;
    })();
    await own.start();
    e.emu.publish(topic, {}, 2);
    await waitFor(() => received === 2, 'two events');
    await own.close();
    await consumer;
  });

  it('invalid secret: start() rejects fast with AuthError and no retry storm', async () => {
    const e = await env([userTopic(3)], { clientSecret: 'wrong' });
    const started = Date.now();
    await assert.rejects(e.client.start(), AuthError);
    assert.ok(Date.now() - started < 3_000, `took ${Date.now() - started} ms`);
    await new Promise((r) => setTimeout(r, 300));
    const { loginRequests, apiRequests } = e.emu.state().counters;
    assert.ok(loginRequests <= 2, `${loginRequests} token requests`);
    assert.equal(apiRequests, 0);
    assert.equal(e.client.status().phase, 'closed');
  });
});
