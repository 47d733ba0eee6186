import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openSession } from './helpers.ts';

interface Listing {
  entities: Array<{ id: string; state?: string; rejectionReason?: string; missingPermissions?: string[] }>;
}

const subsPath = (id: string): string => `/api/v2/notifications/channels/${id}/subscriptions`;

describe('emulator: subscriptions', () => {
  it('PUT replaces, POST adds without duplicates, GET lists, DELETE clears', async () => {
    const { emu, api, createChannel, subscribe } = await openSession();
    try {
      const { id } = await createChannel();
      await subscribe(id, ['v2.users.a.presence', 'v2.users.b.presence']);
      const put = (await (await subscribe(id, ['v2.users.c.presence'])).json()) as Listing;
      assert.deepEqual(
        put.entities.map((e) => [e.id, e.state]),
        [['v2.users.c.presence', 'Permitted']],
      );
      await subscribe(id, ['v2.users.c.presence', 'v2.users.d.presence'], 'POST');
      const listed = (await (await api(subsPath(id))).json()) as Listing;
      assert.deepEqual(listed.entities, [
        { id: 'v2.users.c.presence', selfUri: subsPath(id) },
        { id: 'v2.users.d.presence', selfUri: subsPath(id) },
      ]);
      const deleted = await api(subsPath(id), { method: 'DELETE' });
      assert.equal(deleted.status, 200);
      assert.equal(await deleted.text(), '');
      assert.deepEqual(((await (await api(subsPath(id))).json()) as Listing).entities, []);
    } finally {
      await emu.close();
    }
  });

  it('rejects garbage, system and wildcard topics and non-array bodies with 400 bad.request', async () => {
    const { emu, api, createChannel, subscribe } = await openSession();
    try {
      const { id } = await createChannel();
      for (const topic of [
        'users.a.presence',
        'v2.users..presence',
        'v2.users.{id}.presence',
        'channel.metadata',
        'v2.system.socket_closing',
        'v2',
      ]) {
        const res = await subscribe(id, [topic]);
        assert.equal(res.status, 400, topic);
        assert.equal(((await res.json()) as { code: string }).code, 'bad.request');
      }
      assert.equal((await api(subsPath(id), { method: 'PUT', body: { id: 'v2.users.a.presence' } })).status, 400);
      const unknown = await subscribe('streaming-0-aaaaaaaaaaaaaaaaaaaaaaaaaa', ['v2.users.a.presence']);
      assert.equal(unknown.status, 404);
      assert.equal(((await unknown.json()) as { code: string }).code, 'not.found');
    } finally {
      await emu.close();
    }
  });

  it('allows 1000 topics, refuses 1001 with 400, and counts a combined topic once', async () => {
    const { emu, createChannel, subscribe } = await openSession();
    try {
      const { id } = await createChannel();
      const topics = Array.from({ length: 999 }, (_, i) => `v2.users.u${i}.presence`);
      const combined = 'v2.users.zz?presence&routingStatus&conversations';
      assert.equal((await subscribe(id, [...topics, combined])).status, 200);
      const tooMany = await subscribe(id, ['v2.users.extra.presence'], 'POST');
      assert.equal(tooMany.status, 400);
      assert.equal(((await tooMany.json()) as { code: string }).code, 'bad.request');
      assert.equal(emu.state().channels[0]?.topics.length, 1000, 'a refused request changes nothing');
      const long = `v2.users.${'x'.repeat(170)}?presence&routingStatus`;
      assert.ok(long.length >= 200);
      assert.equal((await subscribe(id, [long])).status, 400);
    } finally {
      await emu.close();
    }
  });

  it('denied topics: 403 notification.unauthorized.topic, or Rejected entities with ignoreErrors=true', async () => {
    const { emu, api, createChannel, subscribe } = await openSession({
      clients: [
        { id: 'demo', secret: 'demo', deniedTopics: ['^v2\\.routing\\.queues\\.', 'v2.users.boss.routingStatus'] },
      ],
    });
    try {
      const { id } = await createChannel();
      const forbidden = await subscribe(id, ['v2.users.a.presence', 'v2.routing.queues.q1.conversations']);
      assert.equal(forbidden.status, 403);
      const error = (await forbidden.json()) as { code: string; message: string; status: number };
      assert.equal(error.code, 'notification.unauthorized.topic');
      assert.equal(error.status, 403);
      assert.match(error.message, /required for topic "v2\.routing\.queues\.q1\.conversations"/);
      assert.equal(emu.state().channels[0]?.topics.length, 0);

      const body = [
        { id: 'v2.users.a.presence' },
        { id: 'v2.routing.queues.q1.conversations' },
        { id: 'v2.users.boss?presence&routingStatus' },
      ];
      const res = await api(`${subsPath(id)}?ignoreErrors=true`, { method: 'PUT', body });
      assert.equal(res.status, 200);
      const listing = (await res.json()) as Listing;
      const summary = listing.entities.map((e) => [e.id, e.state]);
      assert.deepEqual(summary, [
        ['v2.users.a.presence', 'Permitted'],
        ['v2.users.boss?presence&routingStatus', 'Permitted'],
        ['v2.routing.queues.q1.conversations', 'Rejected'],
        ['v2.users.boss.routingStatus', 'Rejected'],
      ]);
      const rejected = listing.entities[2];
      assert.ok(rejected?.rejectionReason);
      assert.deepEqual(rejected.missingPermissions, ['routing:queue:view']);
      // The refused expansion gets no events; the permitted one does.
      assert.equal(emu.publish('v2.users.boss.routingStatus').delivered + emu.state().channels[0]!.dropped, 0);
      emu.publish('v2.users.boss.presence');
      assert.equal(emu.state().channels[0]?.dropped, 1);
    } finally {
      await emu.close();
    }
  });

  it('deny-topic fault adds a refusal at runtime', async () => {
    const { emu, createChannel, subscribe } = await openSession();
    try {
      const { id } = await createChannel();
      assert.equal(emu.fault({ kind: 'deny-topic', pattern: 'v2.users.x.presence' }).applied, 1);
      assert.equal((await subscribe(id, ['v2.users.x.presence'])).status, 403);
      assert.equal((await subscribe(id, ['v2.users.y.presence'])).status, 200);
    } finally {
      await emu.close();
    }
  });

  it('serves availabletopics for the generated families', async () => {
    const { emu, api } = await openSession();
    try {
      const res = await api('/api/v2/notifications/availabletopics?expand=schema');
      const ids = ((await res.json()) as Listing).entities.map((e) => e.id);
      assert.ok(ids.includes('v2.users.{id}.presence'));
      assert.ok(ids.includes('v2.analytics.queues.{id}.observations'));
    } finally {
      await emu.close();
    }
  });
});
