import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../../src/testing/index.ts';
import { isTopic, openSession, Probe, type Frame } from './helpers.ts';

const control = (base: string, path: string, body?: unknown): Promise<Response> =>
  fetch(`${base}/control/${path}`, body === undefined ? {} : { method: 'POST', body: JSON.stringify(body) });

describe('emulator: publishing', () => {
  it('a burst (count > 1, written corked) reaches the socket whole and in order, and later frames still flow', async () => {
    const { emu, createChannel, subscribe } = await openSession();
    try {
      const channel = await createChannel();
      await subscribe(channel.id, ['v2.users.u2.presence']);
      const probe = await Probe.open(channel.connectUri);
      assert.deepEqual(emu.publish('v2.users.u2.presence', { k: 1 }, 3_000), { published: 3_000, delivered: 3_000 });
      const sequences: (number | undefined)[] = [];
      for (let i = 0; i < 3_000; i++)
        sequences.push((await probe.next(isTopic('v2.users.u2.presence'))).metadata?.emulatorSequence);
      assert.deepEqual(
        sequences,
        Array.from({ length: 3_000 }, (_, i) => i + 1),
      );
      emu.publish('v2.users.u2.presence', { k: 2 });
      assert.equal(
        (await probe.next(isTopic('v2.users.u2.presence'))).metadata?.emulatorSequence,
        3_001,
        'uncorked after',
      );
      probe.close();
    } finally {
      await emu.close();
    }
  });

  it('one publish is one event: the same CorrelationId and sequence reach every subscribed channel', async () => {
    const { emu, createChannel, subscribe } = await openSession();
    try {
      const a = await createChannel();
      const b = await createChannel();
      await subscribe(a.id, ['v2.users.u1.presence']);
      await subscribe(b.id, ['v2.users.u1?presence&routingStatus']);
      const pa = await Probe.open(a.connectUri);
      const pb = await Probe.open(b.connectUri);
      const res = await control(emu.controlBase, 'publish', {
        topic: 'v2.users.u1.presence',
        eventBody: { k: 1 },
        count: 2,
      });
      assert.deepEqual(await res.json(), { published: 2, delivered: 4 });
      const fa: Frame[] = [await pa.next(), await pa.next()];
      const fb: Frame[] = [await pb.next(), await pb.next()];
      assert.deepEqual(fa, fb);
      assert.deepEqual(
        fa.map((f) => f.metadata?.emulatorSequence),
        [1, 2],
      );
      assert.notEqual(fa[0]?.metadata?.CorrelationId, fa[1]?.metadata?.CorrelationId);
      assert.deepEqual(Object.keys(fa[0] ?? {}), ['topicName', 'version', 'eventBody', 'metadata']);
      assert.equal(fa[0]?.version, '2');
      emu.publish('v2.users.u1.routingStatus');
      const routing = await pb.next(isTopic('v2.users.u1.routingStatus'));
      assert.equal(routing.metadata?.emulatorSequence, 1, 'sequences are per expanded topic');
      assert.ok(routing.eventBody?.routingStatus, 'a realistic body is generated');
      assert.deepEqual(emu.state().publishedByTopic, { 'v2.users.u1.presence': 2, 'v2.users.u1.routingStatus': 1 });
      pa.close();
      pb.close();
    } finally {
      await emu.close();
    }
  });

  it('publishing a combined topic publishes each expanded name', async () => {
    const { emu } = await openSession();
    try {
      assert.deepEqual(emu.publish('v2.users.u9?presence&routingStatus'), { published: 2, delivered: 0 });
      const bad = await control(emu.controlBase, 'publish', { topic: 'nonsense' });
      assert.equal(bad.status, 400);
    } finally {
      await emu.close();
    }
  });

  it('events for a channel without a socket are lost and counted as dropped', async () => {
    const { emu, createChannel, subscribe } = await openSession();
    try {
      const channel = await createChannel();
      await subscribe(channel.id, ['v2.users.u1.presence']);
      assert.deepEqual(emu.publish('v2.users.u1.presence', {}, 3), { published: 3, delivered: 0 });
      const probe = await Probe.open(channel.connectUri);
      emu.publish('v2.users.u1.presence', { live: true });
      const frame = await probe.next();
      assert.deepEqual(frame.eventBody, { live: true }, 'no replay of lost events');
      assert.equal(frame.metadata?.emulatorSequence, 4);
      const state = (await (await control(emu.controlBase, 'state')).json()) as {
        channels: Array<{ dropped: number; sent: number; connected: boolean }>;
        counters: { published: number; dropped: number; sent: number };
      };
      assert.deepEqual(
        state.channels.map((c) => [c.dropped, c.sent, c.connected]),
        [[3, 1, true]],
      );
      assert.equal(state.counters.published, 4);
      assert.equal(state.counters.dropped, 3);
      assert.equal(emu.state().counters.unreached, 3, 'the three events before the socket reached nobody');

      // A second, unconnected subscriber loses each event on its channel, but the event is not gone.
      const idle = await createChannel();
      await subscribe(idle.id, ['v2.users.u1.presence']);
      emu.publish('v2.users.u1.presence', {}, 2);
      await probe.next();
      await probe.next();
      assert.equal(emu.state().counters.dropped, 5);
      assert.equal(emu.state().counters.unreached, 3);
      await control(emu.controlBase, 'reset-counters', {});
      assert.equal(emu.state().counters.published, 0);
      probe.close();
    } finally {
      await emu.close();
    }
  });

  it('the generator spreads eventsPerSecond over the subscribed topics with realistic bodies', async () => {
    const clock = new ManualClock();
    const { emu, createChannel, subscribe } = await openSession({ clock });
    try {
      const channel = await createChannel();
      const topics = [
        'v2.users.u1.presence',
        'v2.users.u1.routingStatus',
        'v2.users.u1.conversations',
        'v2.routing.queues.q1.conversations',
        'v2.analytics.queues.q1.observations',
      ];
      await subscribe(channel.id, topics);
      const probe = await Probe.open(channel.connectUri);
      const res = await control(emu.controlBase, 'generator', { eventsPerSecond: 400 });
      assert.deepEqual(await res.json(), { eventsPerSecond: 400 });
      clock.advance(1000);
      const frames: Frame[] = [];
      for (let i = 0; i < 400; i++) frames.push(await probe.next());
      assert.equal(emu.state().counters.published, 400);
      const byTopic = new Map(frames.map((f) => [f.topicName, f.eventBody]));
      assert.equal(byTopic.size, 5, 'every subscribed topic gets events');
      const presence = byTopic.get('v2.users.u1.presence') as { presenceDefinition: { systemPresence: string } };
      assert.equal(typeof presence.presenceDefinition.systemPresence, 'string');
      const observation = byTopic.get('v2.analytics.queues.q1.observations') as { data: unknown[] };
      assert.ok(Array.isArray(observation.data));
      const conversation = byTopic.get('v2.routing.queues.q1.conversations') as { participants: unknown[] };
      assert.equal(conversation.participants.length, 2);
      await control(emu.controlBase, 'generator', { eventsPerSecond: 0 });
      clock.advance(1000);
      assert.equal(emu.state().counters.published, 400);
      probe.close();
    } finally {
      await emu.close();
    }
  });

  it('control routes validate their input', async () => {
    const { emu } = await openSession();
    try {
      assert.equal((await control(emu.controlBase, 'generator', { eventsPerSecond: -1 })).status, 400);
      assert.equal((await control(emu.controlBase, 'publish', { topic: 'v2.users.a.presence', count: 0 })).status, 400);
      assert.equal((await control(emu.controlBase, 'nope', {})).status, 404);
      const added = await control(emu.controlBase, 'clients', { id: 'x', secret: 'y' });
      assert.equal(added.status, 200);
      const token = await fetch(`${emu.loginBase}/oauth/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from('x:y').toString('base64')}` },
        body: 'grant_type=client_credentials',
      });
      assert.equal(token.status, 200);
    } finally {
      await emu.close();
    }
  });
});
