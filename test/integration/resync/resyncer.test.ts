import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { ResponseTooLargeError } from '../../../src/genesys/http.ts';
import { PendingGapFile } from '../../../src/resync/index.ts';
import {
  conversationBody,
  gapOver,
  presenceBody,
  routingBody,
  sleep,
  startRig,
  userId,
  type ResyncRig,
} from './rig.ts';

const QUEUE = 'queue-0001';
const QUEUE_TOPIC = `v2.routing.queues.${QUEUE}.conversations`;

let rig: ResyncRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

/** The latest eventBody per topic among the resync events. */
function byTopic(r: ResyncRig): Map<string, Record<string, unknown>[]> {
  const out = new Map<string, Record<string, unknown>[]>();
  for (const e of r.events)
    out.set(e.topicName, [...(out.get(e.topicName) ?? []), e.eventBody as Record<string, unknown>]);
  return out;
}

describe('Resyncer against the emulator', () => {
  it('re-reads presence and routing status of 60 users in bulk and emits only the 50 that changed in the gap', async () => {
    rig = await startRig();
    const users = Array.from({ length: 60 }, (_, i) => userId(i));
    const before = Date.now() - 10_000;
    for (const u of users) {
      rig.deliverLive(`v2.users.${u}.presence`, presenceBody('Available', before));
      rig.deliverLive(`v2.users.${u}.routingStatus`, routingBody(u, 'IDLE', before));
    }
    const startAt = Date.now();
    // During the gap (nothing delivered live): 50 users go Away, then Busy; their routing goes INTERACTING.
    for (const u of users.slice(0, 50)) {
      rig.emulator.publish(`v2.users.${u}.presence`, presenceBody('Away', Date.now()));
      rig.emulator.publish(`v2.users.${u}.presence`, presenceBody('Busy', Date.now()));
      rig.emulator.publish(`v2.users.${u}.routingStatus`, routingBody(u, 'INTERACTING', Date.now()));
    }
    rig.resyncer.enqueue(
      gapOver(
        users.map((u) => `v2.users.${u}?presence&routingStatus`),
        startAt,
      ),
    );
    await rig.resyncer.idle();

    const topics = byTopic(rig);
    assert.equal(rig.events.length, 100, 'one presence and one routing event per changed user');
    for (const u of users.slice(0, 50)) {
      const [presence] = topics.get(`v2.users.${u}.presence`) ?? [];
      assert.deepEqual((presence?.presenceDefinition as { systemPresence: string }).systemPresence, 'Busy');
      const [routing] = topics.get(`v2.users.${u}.routingStatus`) ?? [];
      assert.equal((routing?.routingStatus as { status: string }).status, 'INTERACTING');
    }
    for (const u of users.slice(50)) assert.equal(topics.has(`v2.users.${u}.presence`), false, `${u} did not change`);
    for (const e of rig.events) {
      assert.equal(e.relay.source, 'resync');
      assert.equal(e.relay.gap?.id, `gap-${startAt}`);
      assert.equal(e.metadata.resync, true);
    }
    // 60 users: 2 bulk presence calls (50 ids each at most) and 2 users?id&expand=routingStatus calls.
    const { reads } = await rig.reads();
    assert.deepEqual(reads, { presenceBulk: 2, usersById: 2 });
    assert.deepEqual(rig.reports[0]?.strategies.presence, { topics: 120, read: 120, emitted: 100, unchanged: 20 });
  });

  it('a second run of the same gap emits nothing new (and would reuse the same keys)', async () => {
    rig = await startRig();
    const u = userId(1);
    rig.deliverLive(`v2.users.${u}.presence`, presenceBody('Available', Date.now() - 5_000));
    const startAt = Date.now();
    rig.emulator.publish(`v2.users.${u}.presence`, presenceBody('Away', Date.now()));
    const gap = gapOver([`v2.users.${u}.presence`], startAt);
    rig.resyncer.enqueue(gap);
    await rig.resyncer.idle();
    rig.resyncer.enqueue(gap);
    await rig.resyncer.idle();
    assert.equal(rig.events.length, 1);
    assert.equal(rig.reports[1]?.strategies.presence?.unchanged, 1);
  });

  it('finds the 20 conversations that changed on a queue during the gap and emits their latest state only', async () => {
    rig = await startRig();
    const agent = userId(99);
    const ids = Array.from({ length: 25 }, (_, i) => `conv-${String(i).padStart(4, '0')}`);
    for (const id of ids) rig.deliverLive(QUEUE_TOPIC, conversationBody(id, QUEUE, agent, 'alerting'));
    await sleep(20);
    const startAt = Date.now();
    await sleep(5);
    // 20 change in the gap: 10 get connected, 10 connected then disconnected (ended during the gap).
    for (const [i, id] of ids.slice(0, 20).entries()) {
      rig.emulator.publish(QUEUE_TOPIC, conversationBody(id, QUEUE, agent, 'connected'));
      if (i >= 10) rig.emulator.publish(QUEUE_TOPIC, conversationBody(id, QUEUE, agent, 'disconnected'));
    }
    rig.resyncer.enqueue(gapOver([QUEUE_TOPIC], startAt));
    await rig.resyncer.idle();

    assert.equal(rig.events.length, 20);
    const states = new Map(
      rig.events.map((e) => {
        const body = e.eventBody as { id: string; participants: Array<{ purpose: string; state: string }> };
        return [body.id, body.participants.find((p) => p.purpose === 'agent')?.state];
      }),
    );
    for (const [i, id] of ids.slice(0, 20).entries())
      assert.equal(states.get(id), i >= 10 ? 'disconnected' : 'connected');
    for (const id of ids.slice(20)) assert.equal(states.has(id), false, `${id} did not change`);
    for (const e of rig.events) {
      assert.equal(e.topicName, QUEUE_TOPIC);
      assert.equal((e.eventBody as Record<string, unknown>).selfUri, undefined, 'REST-only fields are dropped');
    }
    // Two details queries (active conversations, then ended ones newest end first), one page each.
    const { reads } = await rig.reads();
    assert.deepEqual(reads, { conversationDetailsQuery: 2, conversation: 20 });
  });

  it("heals long conversations whose details page is over the REST client's 1 MiB default body cap", async () => {
    rig = await startRig();
    const agent = userId(98);
    const ids = Array.from({ length: 100 }, (_, i) => `long-${String(i).padStart(4, '0')}`);
    for (const id of ids) rig.deliverLive(QUEUE_TOPIC, conversationBody(id, QUEUE, agent, 'alerting'));
    await sleep(20);
    const startAt = Date.now();
    await sleep(5);
    // Every state change is an analytics segment: 90 holds and resumes each make a page of 100 of them > 1 MiB.
    for (let flip = 0; flip < 90; flip++) {
      for (const id of ids)
        rig.emulator.publish(QUEUE_TOPIC, conversationBody(id, QUEUE, agent, flip % 2 ? 'held' : 'connected'));
    }
    for (const id of ids) rig.emulator.publish(QUEUE_TOPIC, conversationBody(id, QUEUE, agent, 'disconnected'));
    const query = {
      interval: `${new Date(startAt).toISOString()}/${new Date(Date.now() + 1_000).toISOString()}`,
      segmentFilters: [{ type: 'or', predicates: [{ type: 'dimension', dimension: 'queueId', value: QUEUE }] }],
      paging: { pageSize: 100, pageNumber: 1 },
    };
    await assert.rejects(
      rig.api.readState('POST', '/api/v2/analytics/conversations/details/query', { body: query }),
      ResponseTooLargeError,
      'the page is over the default cap (before: every such heal failed)',
    );
    rig.resyncer.enqueue(gapOver([QUEUE_TOPIC], startAt));
    await rig.resyncer.idle();

    assert.deepEqual(rig.failed, []);
    assert.equal(rig.events.length, 100);
    for (const e of rig.events) {
      const body = e.eventBody as { participants: Array<{ purpose: string; state: string }> };
      assert.equal(body.participants.find((p) => p.purpose === 'agent')?.state, 'disconnected');
    }
  });

  it('waits out a 429 (Retry-After) during a resync and still delivers every change', async () => {
    rig = await startRig();
    const u = userId(7);
    const startAt = Date.now();
    rig.emulator.publish(`v2.users.${u}.presence`, presenceBody('Away', Date.now()));
    rig.emulator.fault({ kind: 'rate-limit', count: 1, retryAfterS: 1, match: '/api/v2/users/presences' });
    rig.resyncer.enqueue(gapOver([`v2.users.${u}.presence`], startAt));
    await rig.resyncer.idle();
    assert.equal(rig.events.length, 1);
    assert.equal(rig.emulator.state().counters.rateLimited, 1, 'the emulator answered the first read with 429');
    assert.equal(rig.failed.length, 0);
  });

  it('reports topics without a strategy as unhealed and heals the rest of the gap', async () => {
    rig = await startRig();
    const u = userId(3);
    const startAt = Date.now();
    rig.emulator.publish(`v2.users.${u}.presence`, presenceBody('Away', Date.now()));
    const observations = `v2.analytics.queues.${QUEUE}.observations`;
    rig.resyncer.enqueue(gapOver([`v2.users.${u}.presence`, observations], startAt));
    await rig.resyncer.idle();
    assert.deepEqual(rig.reports[0]?.unhealed, [observations]);
    assert.equal(rig.events.length, 1);
    assert.deepEqual(rig.resyncer.status().lastUnhealedTopics, [observations]);
    assert.equal(rig.resyncer.status().unhealed, 1);
  });

  it('retries a resync the API keeps failing, then reports the gap as failed (never silently dropped)', async () => {
    rig = await startRig({ restAttempts: 1, maxAttempts: 3 });
    rig.emulator.fault({ kind: 'server-error', count: 100, match: '/api/v2/users/presences' });
    rig.resyncer.enqueue(gapOver([`v2.users.${userId(4)}.presence`], Date.now()));
    await rig.resyncer.idle();
    assert.equal(rig.retries, 2);
    assert.equal(rig.failed.length, 1);
    assert.equal(rig.failed[0]?.attempts, 3);
    assert.equal(rig.resyncer.status().failed, 1);
    assert.equal(rig.resyncer.status().pending, 0);
  });

  it('coalesces a storm of 20 gaps into one run over their union', async () => {
    rig = await startRig({ delayMs: 300 });
    const users = Array.from({ length: 20 }, (_, i) => userId(i));
    const startAt = Date.now();
    for (const [i, u] of users.entries()) {
      rig.emulator.publish(`v2.users.${u}.presence`, presenceBody('Away', Date.now()));
      rig.resyncer.enqueue(gapOver([`v2.users.${u}.presence`, QUEUE_TOPIC], startAt + i, `storm-${i}`));
    }
    await rig.resyncer.idle();
    assert.equal(rig.reports.length, 20, 'every gap is reported');
    assert.equal(new Set(rig.reports.map((r) => r.runId)).size, 1, 'in one run');
    assert.equal(rig.events.length, 20);
    const { reads } = await rig.reads();
    assert.deepEqual(reads, { presenceBulk: 1, conversationDetailsQuery: 2 }, 'details: active + ended conversations');
  });

  it('keeps unfinished gaps in the pending file when closed, for the next start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'resync-pending-'));
    try {
      const file = new PendingGapFile(join(dir, 'resync-pending.json'));
      rig = await startRig({ delayMs: 60_000, pending: file });
      const gap = gapOver([`v2.users.${userId(5)}.presence`], Date.now());
      rig.resyncer.enqueue(gap);
      assert.deepEqual(file.load(), [gap]);
      await rig.resyncer.close();
      assert.deepEqual(file.load(), [gap], 'still pending after close');
      assert.equal(rig.events.length, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Resyncer and live events', () => {
  it('does not overwrite a live event that arrived while the state was being re-read', async () => {
    rig = await startRig();
    const r = rig;
    const [u1, u2] = [userId(1), userId(2)];
    r.deliverLive(`v2.users.${u1}.presence`, presenceBody('Available', Date.now() - 5_000));
    r.deliverLive(`v2.users.${u2}.presence`, presenceBody('Available', Date.now() - 5_000));
    const startAt = Date.now();
    r.emulator.publish(`v2.users.${u1}.presence`, presenceBody('Away', Date.now()));
    r.emulator.publish(`v2.users.${u2}.presence`, presenceBody('Away', Date.now()));
    // The socket is back: while the bulk read is on its way, u1 changes again and that event is delivered live.
    r.emulator.fault({ kind: 'rate-limit', count: 1, retryAfterS: 1, match: '/api/v2/users/presences' });
    r.resyncer.enqueue(gapOver([`v2.users.${u1}.presence`, `v2.users.${u2}.presence`], startAt));
    await waitForRateLimited(r);
    // Seen live only (the re-read, begun earlier, still answers Away): the resync must not send Away after Busy.
    const busy = presenceBody('Busy', Date.now());
    r.resyncer.observe({
      topicName: `v2.users.${u1}.presence`,
      version: '2',
      eventBody: busy,
      metadata: {},
      relay: { receivedAt: new Date().toISOString(), channelId: 'live', key: 'live-busy', source: 'notification' },
    });
    await r.resyncer.idle();
    assert.deepEqual(
      r.events.map((e) => e.topicName),
      [`v2.users.${u2}.presence`],
      'u1 is left to its newer live event; u2 is healed',
    );
  });
});

async function waitForRateLimited(r: ResyncRig): Promise<void> {
  while (r.emulator.state().counters.rateLimited === 0) await sleep(5);
}
