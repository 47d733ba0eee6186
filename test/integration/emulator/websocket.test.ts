import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { ManualClock } from '../../../src/testing/index.ts';
import { isHeartbeat, isPong, openSession, Probe } from './helpers.ts';

describe('emulator: WebSocket', () => {
  it('sends the exact heartbeat frame every heartbeatMs', async () => {
    const clock = new ManualClock();
    const { emu, createChannel } = await openSession({ clock, heartbeatMs: 30_000 });
    try {
      const probe = await Probe.open((await createChannel()).connectUri);
      clock.advance(29_999);
      await probe.sync();
      assert.equal(probe.raw.filter((f) => f.includes('Heartbeat')).length, 0, 'nothing before the interval');
      clock.advance(1);
      await probe.next(isHeartbeat);
      assert.ok(probe.raw.includes('{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}'));
      clock.advance(60_000);
      await probe.next(isHeartbeat);
      await probe.next(isHeartbeat);
      assert.equal(emu.state().counters.heartbeats, 3);
      probe.close();
    } finally {
      await emu.close();
    }
  });

  it('heartbeats flow in real time at a short interval', async () => {
    const { emu, createChannel } = await openSession({ heartbeatMs: 20 });
    try {
      const probe = await Probe.open((await createChannel()).connectUri);
      // Exact spacing is checked with the ManualClock above; wall-clock spacing is too noisy on a loaded machine.
      for (let i = 0; i < 3; i++) await probe.next(isHeartbeat);
      assert.ok(emu.state().counters.heartbeats >= 3);
      probe.close();
    } finally {
      await emu.close();
    }
  });

  it('answers {"message":"ping"} with the pong frame, and RFC 6455 pings with pongs', async () => {
    const { emu, createChannel } = await openSession();
    try {
      const probe = await Probe.open((await createChannel()).connectUri);
      probe.send({ message: 'ping' });
      await probe.next(isPong);
      assert.equal(probe.raw[0], '{"topicName":"channel.metadata","eventBody":{"message":"pong"}}');
      const pong = new Promise<void>((resolve) => probe.ws.once('pong', () => resolve()));
      probe.ws.ping();
      await pong;
      probe.close();
    } finally {
      await emu.close();
    }
  });

  it('subscribes and unsubscribes over the socket, and answers bad frames with the 400 result frame', async () => {
    const { emu, createChannel } = await openSession();
    try {
      const channel = await createChannel();
      const probe = await Probe.open(channel.connectUri);
      probe.send({ message: 'subscribe', topics: ['v2.users.u1.presence'], correlationId: 'c1' });
      assert.deepEqual(await probe.next(), {
        correlationId: 'c1',
        topics: ['v2.users.u1.presence'],
        result: '200',
        status: 'subscribed',
      });
      assert.deepEqual(emu.state().channels[0]?.topics, ['v2.users.u1.presence']);
      emu.publish('v2.users.u1.presence', { x: 1 });
      assert.deepEqual((await probe.next()).eventBody, { x: 1 });
      probe.send({ message: 'subscribe', correlationId: 'c2' });
      assert.deepEqual(await probe.next(), {
        correlationId: 'c2',
        topics: [],
        result: '400',
        status: 'error',
        message: 'Required data missing from subscribe request.',
      });
      probe.send('Tue Nov 24 16:00:00 UTC 2026');
      assert.equal((await probe.next()).result, '400', 'plain text is tolerated and answered');
      probe.send({ message: 'unsubscribe', topics: ['v2.users.u1.presence'], correlationId: 'c3' });
      assert.equal((await probe.next()).status, 'unsubscribed');
      assert.deepEqual(emu.state().channels[0]?.topics, []);
      assert.equal(probe.ws.readyState, WebSocket.OPEN);
      probe.close();
    } finally {
      await emu.close();
    }
  });

  it('socket subscribes obey permissions and the topic limit', async () => {
    const { emu, createChannel, subscribe } = await openSession({
      maxTopicsPerChannel: 2,
      clients: [{ id: 'demo', secret: 'demo', deniedTopics: ['v2.users.boss.presence'] }],
    });
    try {
      const channel = await createChannel();
      await subscribe(channel.id, ['v2.users.a.presence', 'v2.users.b.presence']);
      const probe = await Probe.open(channel.connectUri);
      probe.send({ message: 'subscribe', topics: ['v2.users.boss.presence'], correlationId: 'd' });
      const denied = await probe.next();
      assert.equal(denied.result, '403');
      assert.equal(denied.correlationId, 'd');
      probe.send({ message: 'subscribe', topics: ['v2.users.c.presence'], correlationId: 'l' });
      const limited = await probe.next();
      assert.equal(limited.result, '400');
      assert.match(limited.message ?? '', /limited to 2/);
      probe.send({ message: 'subscribe', topics: ['v2.system.socket_closing'], correlationId: 's' });
      assert.equal((await probe.next()).result, '400');
      assert.deepEqual(emu.state().channels[0]?.topics, ['v2.users.a.presence', 'v2.users.b.presence']);
      probe.close();
    } finally {
      await emu.close();
    }
  });

  it('a second socket on the same channel takes over and the older one is closed', async () => {
    const { emu, createChannel, subscribe } = await openSession({ takeoverCloseCode: 4000 });
    try {
      const channel = await createChannel();
      await subscribe(channel.id, ['v2.users.u1.presence']);
      const first = await Probe.open(channel.connectUri);
      const second = await Probe.open(channel.connectUri);
      assert.equal((await first.closed).code, 4000);
      emu.publish('v2.users.u1.presence', { n: 1 });
      assert.deepEqual((await second.next()).eventBody, { n: 1 });
      assert.equal(emu.state().channels[0]?.connected, true);
      second.close();
    } finally {
      await emu.close();
    }
  });

  it('an unknown channel gets a result 404 frame then a close, or a refused upgrade', async () => {
    const { emu } = await openSession();
    try {
      const url = `${emu.apiBase.replace('http', 'ws')}/channels/streaming-0-aaaaaaaaaaaaaaaaaaaaaaaaaa`;
      const probe = new Probe(url);
      const frame = await probe.next();
      assert.equal(frame.result, '404');
      assert.ok(frame.message);
      await probe.closed;
    } finally {
      await emu.close();
    }
    const rejecting = await openSession({ badChannelMode: 'reject-upgrade' });
    try {
      const url = `${rejecting.emu.apiBase.replace('http', 'ws')}/channels/streaming-0-aaaaaaaaaaaaaaaaaaaaaaaaaa`;
      await assert.rejects(Probe.open(url), /upgrade refused: 404/);
      assert.equal(rejecting.emu.state().counters.socketsRejected, 1);
    } finally {
      await rejecting.emu.close();
    }
  });

  it('close() ends sockets and frees the port', async () => {
    const { emu, createChannel } = await openSession();
    const probe = await Probe.open((await createChannel()).connectUri);
    await emu.close();
    await probe.closed;
    await assert.rejects(fetch(`${emu.controlBase}/control/state`));
  });
});
