import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEmulator, type EmulatorHandle } from '../../../src/emulator/index.ts';
import { MAX_SEGMENTS_PER_CONVERSATION } from '../../../src/emulator/resync-store.ts';
import { conversationBody, presenceBody, userId } from './rig.ts';

let emulator: EmulatorHandle;

interface ParticipantShape {
  sessions: Array<{ segments: Array<{ segmentType: string }> }>;
}
let token: string;

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: unknown }> {
  const res = await fetch(`${emulator.apiBase}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: await res.json() };
}

describe('emulator state endpoints (what a resync reads)', () => {
  before(async () => {
    emulator = await startEmulator();
    const res = await fetch(`${emulator.loginBase}/oauth/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from('demo:demo').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    token = ((await res.json()) as { access_token: string }).access_token;
  });
  after(() => emulator.close());

  it('bulk presence follows published events, answers Offline for a user never seen, refuses 51 ids', async () => {
    emulator.publish(`v2.users.${userId(1)}.presence`, presenceBody('Busy', Date.now()));
    const { status, json } = await api('GET', `/api/v2/users/presences/purecloud/bulk?id=${userId(1)},${userId(2)}`);
    assert.equal(status, 200);
    const [one, two] = json as Array<{ userId: string; presenceDefinition: { systemPresence: string } }>;
    assert.deepEqual([one?.userId, one?.presenceDefinition.systemPresence], [userId(1), 'Busy']);
    assert.deepEqual([two?.userId, two?.presenceDefinition.systemPresence], [userId(2), 'Offline']);
    const ids = Array.from({ length: 51 }, (_, i) => userId(i)).join(',');
    assert.equal((await api('GET', `/api/v2/users/presences/purecloud/bulk?id=${ids}`)).status, 400);
  });

  it('the details query finds conversations by queue with their segments; GET by id returns the latest body or 404', async () => {
    const queue = 'q-emu';
    emulator.publish(
      `v2.routing.queues.${queue}.conversations`,
      conversationBody('c-emu', queue, userId(5), 'alerting'),
    );
    emulator.publish(
      `v2.routing.queues.${queue}.conversations`,
      conversationBody('c-emu', queue, userId(5), 'disconnected'),
    );
    const interval = `${new Date(Date.now() - 60_000).toISOString()}/${new Date().toISOString()}`;
    const query = { interval, segmentFilters: [{ type: 'or', predicates: [{ dimension: 'queueId', value: queue }] }] };
    const { json } = await api('POST', '/api/v2/analytics/conversations/details/query', query);
    const found = json as {
      totalHits: number;
      conversations: Array<{ conversationEnd?: string; participants: unknown[] }>;
    };
    assert.equal(found.totalHits, 1);
    assert.ok(found.conversations[0]?.conversationEnd, 'ended: every participant disconnected');
    const other = await api('POST', '/api/v2/analytics/conversations/details/query', {
      interval,
      segmentFilters: [{ type: 'or', predicates: [{ dimension: 'queueId', value: 'nope' }] }],
    });
    assert.deepEqual(other.json, { totalHits: 0 });
    const conversation = await api('GET', '/api/v2/conversations/c-emu');
    assert.equal((conversation.json as { state: string }).state, 'disconnected');
    assert.equal((await api('GET', '/api/v2/conversations/missing')).status, 404);
  });

  it('a conversation keeps its newest MAX_SEGMENTS_PER_CONVERSATION segments, however many changes it had', async () => {
    const queue = 'q-long';
    const topic = `v2.routing.queues.${queue}.conversations`;
    const changes = MAX_SEGMENTS_PER_CONVERSATION + 20;
    for (let i = 0; i < changes; i++) {
      emulator.publish(
        topic,
        conversationBody('c-long', queue, userId(7), i === changes - 1 ? 'disconnected' : 'connected'),
      );
    }
    const interval = `${new Date(Date.now() - 60_000).toISOString()}/${new Date(Date.now() + 1_000).toISOString()}`;
    const query = { interval, segmentFilters: [{ type: 'or', predicates: [{ dimension: 'queueId', value: queue }] }] };
    const { json } = await api('POST', '/api/v2/analytics/conversations/details/query', query);
    const [conversation] = (json as { conversations: Array<{ participants: ParticipantShape[] }> }).conversations;
    const segments = conversation?.participants.flatMap((p) => p.sessions.flatMap((s) => s.segments)) ?? [];
    assert.equal(segments.length, MAX_SEGMENTS_PER_CONVERSATION);
    assert.equal(segments.at(-1)?.segmentType, 'wrapup', 'the newest change is kept');
  });

  it('the details query sorts by order/orderBy, refuses an unknown orderBy, and can be told to ignore orderBy', async () => {
    const queue = 'q-order';
    const topic = `v2.routing.queues.${queue}.conversations`;
    const pause = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 3));
    // Starts a < b < c; ends c < a (b still active): orders by start and by end differ.
    for (const id of ['o-a', 'o-b', 'o-c']) {
      emulator.publish(topic, conversationBody(id, queue, userId(6), 'connected'));
      await pause();
    }
    for (const id of ['o-c', 'o-a']) {
      emulator.publish(topic, conversationBody(id, queue, userId(6), 'disconnected'));
      await pause();
    }
    const interval = `${new Date(Date.now() - 60_000).toISOString()}/${new Date().toISOString()}`;
    const segmentFilters = [{ type: 'or', predicates: [{ dimension: 'queueId', value: queue }] }];
    const ids = async (extra: Record<string, unknown>): Promise<string[]> => {
      const { status, json } = await api('POST', '/api/v2/analytics/conversations/details/query', {
        interval,
        segmentFilters,
        ...extra,
      });
      assert.equal(status, 200);
      return ((json as { conversations?: Array<{ conversationId: string }> }).conversations ?? []).map(
        (c) => c.conversationId,
      );
    };
    assert.deepEqual(await ids({}), ['o-a', 'o-b', 'o-c'], 'default: conversationStart asc');
    assert.deepEqual(await ids({ order: 'desc' }), ['o-c', 'o-b', 'o-a']);
    assert.deepEqual(await ids({ order: 'desc', orderBy: 'conversationEnd' }), ['o-a', 'o-c', 'o-b'], 'no end: last');
    assert.deepEqual(await ids({ order: 'asc', orderBy: 'conversationEnd' }), ['o-c', 'o-a', 'o-b']);
    const ended = {
      conversationFilters: [{ type: 'and', predicates: [{ dimension: 'conversationEnd', operator: 'exists' }] }],
    };
    assert.deepEqual(await ids({ ...ended, order: 'desc', orderBy: 'segmentEnd' }), ['o-a', 'o-c']);
    assert.deepEqual(await ids({ order: 'desc', orderBy: 'segmentStart' }), ['o-a', 'o-c', 'o-b']);
    const query = { interval, segmentFilters };
    const bad = await api('POST', '/api/v2/analytics/conversations/details/query', { ...query, orderBy: 'wrapUpCode' });
    assert.equal(bad.status, 400);
    assert.match(JSON.stringify(bad.json), /orderBy/);
    const badOrder = await api('POST', '/api/v2/analytics/conversations/details/query', { ...query, order: 'up' });
    assert.equal(badOrder.status, 400);

    const quirks = async (body: unknown): Promise<{ status: number; json: unknown }> => {
      const res = await fetch(`${emulator.controlBase}/control/resync-quirks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, json: await res.json() };
    };
    assert.deepEqual(await quirks({ ignoreOrderBy: true }), { status: 200, json: { ignoreOrderBy: true } });
    try {
      assert.deepEqual(await ids({ order: 'desc', orderBy: 'conversationEnd' }), ['o-c', 'o-b', 'o-a'], 'by start');
    } finally {
      await quirks({ ignoreOrderBy: false });
    }
    assert.equal((await quirks({ ignoreOrderBy: 'yes' })).status, 400);
    assert.equal((await quirks({ sortBy: true })).status, 400);
  });

  it('applies armed faults to the state endpoints like to the others', async () => {
    emulator.fault({ kind: 'server-error', count: 1, match: '/api/v2/users/presences' });
    assert.equal((await api('GET', `/api/v2/users/presences/purecloud/bulk?id=${userId(1)}`)).status, 503);
    assert.equal((await api('GET', `/api/v2/users/presences/purecloud/bulk?id=${userId(1)}`)).status, 200);
  });
});
