import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { ManualClock } from '../../../src/testing/index.ts';
import {
  getToken,
  isHeartbeat,
  isPong,
  isTopic,
  openSession,
  Probe,
  sessionFor,
  startsWith,
  until,
} from './helpers.ts';

const TOPIC = 'v2.users.u1.presence';

async function connected(options: Parameters<typeof openSession>[0] = {}) {
  const session = await openSession(options);
  const channel = await session.createChannel();
  await session.subscribe(channel.id, [TOPIC]);
  const probe = await Probe.open(channel.connectUri);
  return { ...session, channel, probe };
}

describe('emulator: faults', () => {
  it('socket-closing warns, closes after the lead, and the channel survives a reconnect', async () => {
    const { emu, channel, probe, api } = await connected({ socketClosingLeadMs: 40 });
    try {
      const warnedAt = Date.now();
      assert.deepEqual(emu.fault({ kind: 'socket-closing' }), { applied: 1 });
      const warning = await probe.next(isTopic('v2.system.socket_closing'));
      assert.equal(warning.eventBody?.channelId, channel.id);
      const { code } = await probe.closed;
      assert.equal(code, 1001);
      assert.ok(Date.now() - warnedAt >= 35, 'closed only after the lead');
      assert.equal((await api(`/api/v2/notifications/channels/${channel.id}`, { method: 'HEAD' })).status, 200);
      const again = await Probe.open(channel.connectUri);
      emu.publish(TOPIC, { after: true });
      assert.deepEqual((await again.next(isTopic(TOPIC))).eventBody, { after: true });
      again.close();
    } finally {
      await emu.close();
    }
  });

  it('socket-closing: a client that reconnects within the lead keeps its new socket', async () => {
    const clock = new ManualClock();
    const { emu, channel, probe } = await connected({ clock, socketClosingLeadMs: 60_000 });
    try {
      emu.fault({ kind: 'socket-closing' });
      await probe.next(isTopic('v2.system.socket_closing'));
      const next = await Probe.open(channel.connectUri);
      await probe.closed;
      clock.advance(60_000);
      await next.sync();
      assert.equal(next.ws.readyState, WebSocket.OPEN);
      next.close();
    } finally {
      await emu.close();
    }
  });

  it('socket-closing with warn:false closes without the warning', async () => {
    const { emu, probe } = await connected();
    try {
      emu.fault({ kind: 'socket-closing', warn: false });
      await probe.closed;
      assert.equal(probe.frames.length, 0);
    } finally {
      await emu.close();
    }
  });

  it('drop destroys the TCP connection without a close frame (1006)', async () => {
    const { emu, probe } = await connected();
    try {
      emu.fault({ kind: 'drop' });
      assert.equal((await probe.closed).code, 1006);
      assert.equal(emu.state().channels[0]?.connected, false);
    } finally {
      await emu.close();
    }
  });

  it('close sends the requested code and reason; 1006 means drop', async () => {
    const { emu, probe, channel } = await connected();
    try {
      emu.fault({ kind: 'close', code: 4321, reason: 'bye' });
      assert.deepEqual(await probe.closed, { code: 4321, reason: 'bye' });
      const again = await Probe.open(channel.connectUri);
      emu.fault({ kind: 'close', code: 1006, channelId: channel.id });
      assert.equal((await again.closed).code, 1006);
      assert.throws(() => emu.fault({ kind: 'close', code: 1005 }));
    } finally {
      await emu.close();
    }
  });

  it('zombie: no heartbeats, events or pongs, but the socket stays open; clear heals it', async () => {
    const clock = new ManualClock();
    const { emu, probe } = await connected({ clock, heartbeatMs: 1000 });
    try {
      assert.equal(emu.fault({ kind: 'zombie' }).applied, 1);
      clock.advance(5000);
      emu.publish(TOPIC);
      probe.send({ message: 'ping' });
      await until(() => emu.state().counters.clientFrames === 1);
      assert.equal(probe.frames.length, 0);
      assert.equal(probe.ws.readyState, WebSocket.OPEN);
      assert.equal(emu.state().channels[0]?.dropped, 1);
      emu.fault({ kind: 'clear' });
      clock.advance(1000);
      assert.ok(isHeartbeat(await probe.next()), 'the first frame after healing is the next heartbeat');
      await probe.sync();
      probe.close();
    } finally {
      await emu.close();
    }
  });

  it('expire-channel closes the socket and the channel answers 404', async () => {
    const { emu, probe, channel, api } = await connected();
    try {
      assert.equal(emu.fault({ kind: 'expire-channel', channelId: channel.id }).applied, 1);
      await probe.closed;
      assert.equal((await api(`/api/v2/notifications/channels/${channel.id}`, { method: 'HEAD' })).status, 404);
      const late = new Probe(channel.connectUri);
      assert.equal((await late.next()).result, '404');
    } finally {
      await emu.close();
    }
  });

  it('evict-channel sends no_longer_subscribed, closes, and deletes the channel', async () => {
    const { emu, probe, channel } = await connected();
    try {
      emu.fault({ kind: 'evict-channel' });
      const notice = await probe.next(startsWith('v2.system.no_longer_subscribed.'));
      assert.equal(notice.eventBody?.reason, 'another_channel_subscribed');
      await probe.closed;
      assert.equal(
        emu.state().channels.some((c) => c.id === channel.id),
        false,
      );
    } finally {
      await emu.close();
    }
  });

  it('revoke-token sends token_revoked, closes the channel and the token gets 401', async () => {
    const { emu, probe, api, channel, token } = await connected();
    try {
      const bystander = sessionFor(emu, await getToken(emu));
      assert.deepEqual(emu.fault({ kind: 'revoke-token', token }), { applied: 1 });
      const notice = await probe.next(startsWith('v2.system.token_revoked.'));
      assert.equal(notice.topicName, 'v2.system.token_revoked.demo');
      assert.equal(notice.eventBody?.reason, 'user_tokens_revoked');
      await probe.closed;
      const res = await api('/api/v2/notifications/channels');
      assert.equal(res.status, 401);
      assert.equal(((await res.json()) as { code: string }).code, 'bad.credentials');
      assert.equal(
        (await bystander.api(`/api/v2/notifications/channels/${channel.id}`, { method: 'HEAD' })).status,
        404,
      );
      assert.equal((await bystander.api('/api/v2/notifications/channels')).status, 200);
      assert.equal(emu.fault({ kind: 'revoke-token', clientId: 'demo' }).applied, 1);
      assert.equal((await bystander.api('/api/v2/notifications/channels')).status, 401);
    } finally {
      await emu.close();
    }
  });

  it('reject-token refuses each of the next N issued tokens once (401 bad.credentials), then they work', async () => {
    const { emu, api } = await openSession();
    try {
      assert.deepEqual(emu.fault({ kind: 'reject-token', count: 2 }), { applied: 2 });
      for (let i = 0; i < 2; i++) {
        const fresh = sessionFor(emu, await getToken(emu));
        const refused = await fresh.api('/api/v2/notifications/channels');
        assert.equal(refused.status, 401);
        assert.equal(((await refused.json()) as { code: string }).code, 'bad.credentials');
        assert.equal((await fresh.api('/api/v2/notifications/channels')).status, 200, 'refused once only');
      }
      const third = sessionFor(emu, await getToken(emu));
      assert.equal((await third.api('/api/v2/notifications/channels')).status, 200, 'only the next two tokens');
      assert.equal((await api('/api/v2/notifications/channels')).status, 200, 'a token issued before is untouched');
    } finally {
      await emu.close();
    }
  });

  it('malformed-frame sends the payload verbatim', async () => {
    const { emu, probe } = await connected();
    try {
      emu.fault({ kind: 'malformed-frame', payload: '{"topicName": nope' });
      await probe.next((f) => f.message?.startsWith('<non-json>') ?? false);
      assert.equal(probe.raw[0], '{"topicName": nope');
      probe.close();
    } finally {
      await emu.close();
    }
  });

  it('pong-drop swallows pongs, pong-delay postpones them', async () => {
    const { emu, probe } = await connected();
    try {
      emu.fault({ kind: 'pong-drop', count: 1 });
      probe.send({ message: 'ping' });
      probe.send({ message: 'ping' });
      await probe.next(isPong);
      emu.publish(TOPIC, { marker: 1 });
      await probe.next(isTopic(TOPIC));
      assert.equal(probe.frames.filter(isPong).length, 1, 'the first pong was dropped');
      emu.fault({ kind: 'pong-delay', delayMs: 60 });
      const sentAt = Date.now();
      await probe.sync();
      assert.ok(Date.now() - sentAt >= 55);
      probe.close();
    } finally {
      await emu.close();
    }
  });

  it('ws-subscribe-error answers the next socket subscribe with 400', async () => {
    const { emu, probe } = await connected();
    try {
      emu.fault({ kind: 'ws-subscribe-error' });
      probe.send({ message: 'subscribe', topics: ['v2.users.u2.presence'], correlationId: 'a' });
      assert.equal((await probe.next()).result, '400');
      probe.send({ message: 'subscribe', topics: ['v2.users.u2.presence'], correlationId: 'b' });
      assert.equal((await probe.next()).result, '200');
      probe.close();
    } finally {
      await emu.close();
    }
  });

  it('the control API applies faults over HTTP and refuses unknown kinds with 400', async () => {
    const { emu, probe } = await connected();
    try {
      const post = (body: unknown) =>
        fetch(`${emu.controlBase}/control/faults`, { method: 'POST', body: JSON.stringify(body) });
      const unknown = await post({ kind: 'meteor' });
      assert.equal(unknown.status, 400);
      assert.match(((await unknown.json()) as { message: string }).message, /Unknown fault kind "meteor"/);
      const res = await post({ kind: 'drop' });
      assert.deepEqual(await res.json(), { applied: 1 });
      await probe.closed;
      assert.deepEqual(await (await post({ kind: 'drop' })).json(), { applied: 0 });
    } finally {
      await emu.close();
    }
  });
});
