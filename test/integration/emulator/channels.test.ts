import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ManualClock } from '../../../src/testing/index.ts';
import { getToken, openSession, Probe, sessionFor, startsWith } from './helpers.ts';

const CHANNELS = '/api/v2/notifications/channels';

describe('emulator: channels', () => {
  it('creates a channel with the real id, connectUri and expires shapes', async () => {
    const clock = new ManualClock(Date.UTC(2026, 5, 1, 12, 0, 0, 123));
    const { emu, api, createChannel } = await openSession({ clock });
    try {
      const channel = await createChannel();
      assert.match(channel.id, /^streaming-0-[a-z2-7]{26}$/);
      assert.equal(channel.connectUri, `${emu.apiBase.replace('http://', 'ws://')}/channels/${channel.id}`);
      // 24 h, capped by the creating token's 86 399 s lifetime (channels end with their token by default).
      assert.equal(channel.expires, '2026-06-02T11:59:59.123Z');
      assert.equal((await api(`${CHANNELS}/${channel.id}`, { method: 'HEAD' })).status, 200);
      const missing = await api(`${CHANNELS}/streaming-0-aaaaaaaaaaaaaaaaaaaaaaaaaa`, { method: 'HEAD' });
      assert.equal(missing.status, 404);
      assert.equal(await missing.text(), '');
    } finally {
      await emu.close();
    }
  });

  it('lists the token’s channels, and with includechannels=oauthclient the others without ids', async () => {
    const { emu, api, createChannel } = await openSession();
    try {
      const mine = await createChannel();
      const other = sessionFor(emu, await getToken(emu));
      const theirs = await other.createChannel();
      const byToken = (await (await api(CHANNELS)).json()) as { entities: Array<Record<string, unknown>> };
      assert.deepEqual(
        byToken.entities.map((c) => c.id),
        [mine.id],
      );
      const byClient = (await (await api(`${CHANNELS}?includechannels=oauthclient`)).json()) as {
        entities: Array<Record<string, unknown>>;
      };
      assert.equal(byClient.entities.length, 2);
      assert.deepEqual(
        byClient.entities.find((c) => c.id === undefined),
        { expires: theirs.expires },
      );
      assert.equal(emu.state().channels.length, 2);
    } finally {
      await emu.close();
    }
  });

  it('a channel of another OAuth client does not exist for this one', async () => {
    const { emu, createChannel } = await openSession({
      clients: [
        { id: 'demo', secret: 'demo' },
        { id: 'b', secret: 'b' },
      ],
    });
    try {
      const channel = await createChannel();
      const b = sessionFor(emu, await getToken(emu, 'b', 'b'));
      assert.equal((await b.api(`${CHANNELS}/${channel.id}`, { method: 'HEAD' })).status, 404);
      const subs = await b.api(`${CHANNELS}/${channel.id}/subscriptions`);
      assert.equal(subs.status, 404);
      assert.equal(((await subs.json()) as { code: string }).code, 'not.found');
    } finally {
      await emu.close();
    }
  });

  it('the 21st channel evicts the least recently used one, unconnected channels first', async () => {
    const clock = new ManualClock();
    const { emu, api, createChannel } = await openSession({ clock });
    try {
      const created = [];
      for (let i = 0; i < 20; i++) {
        created.push(await createChannel());
        clock.advance(1000);
      }
      const [oldest, second] = created as [(typeof created)[0], (typeof created)[0]];
      const probe = await Probe.open(oldest.connectUri);
      const newest = await createChannel();
      assert.equal((await api(`${CHANNELS}/${second.id}`, { method: 'HEAD' })).status, 404, 'unconnected goes first');
      assert.equal((await api(`${CHANNELS}/${oldest.id}`, { method: 'HEAD' })).status, 200);
      assert.equal(emu.state().channels.length, 20);
      // Connect every remaining channel; now the oldest connected one must go, with a system message.
      const probes = [];
      for (const channel of [...created.slice(2), newest]) probes.push(await Probe.open(channel.connectUri));
      await createChannel();
      const notice = await probe.next(startsWith('v2.system.no_longer_subscribed.'));
      assert.equal(notice.topicName, `v2.system.no_longer_subscribed.${oldest.id}`);
      assert.equal(notice.eventBody?.reason, 'another_channel_subscribed');
      assert.equal(notice.eventBody?.channelId, oldest.id);
      assert.equal((await probe.closed).code, 1000);
      assert.equal((await api(`${CHANNELS}/${oldest.id}`, { method: 'HEAD' })).status, 404);
      assert.equal(emu.state().counters.channelsEvicted, 2);
      for (const p of probes) p.close();
    } finally {
      await emu.close();
    }
  });

  it('a channel expires channelTtlMs after its last subscribe; a subscribe extends it', async () => {
    const clock = new ManualClock();
    const { emu, api, createChannel, subscribe } = await openSession({ clock, channelTtlMs: 10_000 });
    try {
      const channel = await createChannel();
      clock.advance(6000);
      const res = await subscribe(channel.id, ['v2.users.u1.presence']);
      assert.equal(res.status, 200);
      const listed = (await (await api(CHANNELS)).json()) as { entities: Array<{ expires: string }> };
      assert.equal(listed.entities[0]?.expires, new Date(clock.now() + 10_000).toISOString());
      const probe = await Probe.open(channel.connectUri);
      clock.advance(9999);
      assert.equal((await api(`${CHANNELS}/${channel.id}`, { method: 'HEAD' })).status, 200);
      clock.advance(1);
      assert.equal((await probe.closed).code, 1000);
      assert.equal((await api(`${CHANNELS}/${channel.id}`, { method: 'HEAD' })).status, 404);
      assert.equal(emu.state().counters.channelsExpired, 1);
    } finally {
      await emu.close();
    }
  });

  it('by default a channel ends when its token expires, even after a subscribe', async () => {
    const clock = new ManualClock();
    const { emu, api, createChannel, subscribe } = await openSession({ clock, tokenTtlS: 100 });
    try {
      const channel = await createChannel();
      assert.equal(channel.expires, new Date(clock.now() + 100_000).toISOString());
      const probe = await Probe.open(channel.connectUri);
      clock.advance(50_000);
      assert.equal((await subscribe(channel.id, ['v2.users.u1.presence'])).status, 200);
      clock.advance(50_000);
      await probe.closed;
      assert.equal((await api(`${CHANNELS}/${channel.id}`, { method: 'HEAD' })).status, 401, 'the token is gone too');
      assert.equal(emu.state().channels.length, 0);
    } finally {
      await emu.close();
    }
  });

  it('with channelsEndWithToken: false a channel outlives its token', async () => {
    const clock = new ManualClock();
    const { emu, createChannel } = await openSession({ clock, tokenTtlS: 100, channelsEndWithToken: false });
    try {
      const channel = await createChannel();
      assert.equal(channel.expires, new Date(clock.now() + 86_400_000).toISOString());
      const probe = await Probe.open(channel.connectUri);
      clock.advance(100_000);
      assert.equal(emu.state().channels.length, 1);
      assert.equal(emu.state().channels[0]?.connected, true);
      probe.ws.close();
    } finally {
      await emu.close();
    }
  });

  it('sendSocketClosingOnExpiry warns socketClosingLeadMs before the expiry close', async () => {
    const clock = new ManualClock();
    const { emu, createChannel } = await openSession({
      clock,
      channelTtlMs: 100_000,
      socketClosingLeadMs: 30_000,
      sendSocketClosingOnExpiry: true,
    });
    try {
      const channel = await createChannel();
      const probe = await Probe.open(channel.connectUri);
      clock.advance(69_999);
      await probe.sync();
      assert.equal(
        probe.frames.some((f) => f.topicName === 'v2.system.socket_closing'),
        false,
      );
      clock.advance(1);
      const warning = await probe.next((f) => f.topicName === 'v2.system.socket_closing');
      assert.equal(warning.eventBody?.channelId, channel.id);
      clock.advance(30_000);
      await probe.closed;
      assert.equal(emu.state().channels.length, 0);
    } finally {
      await emu.close();
    }
  });
});
