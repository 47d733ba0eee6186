import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { EndOrderWitness } from '../../../src/resync/conversation-details.ts';
import { conversationBody, gapOver, sleep, startRig, userId, type ResyncRig } from './rig.ts';

/**
 * Conversation healing on a busy queue. The details query returns every conversation that started on a day the gap
 * touches, so a 1 s gap pages through the whole day unless the strategy can stop early (docs/resync.md).
 */

const QUEUE = 'queue-busy';
const QUEUE_TOPIC = `v2.routing.queues.${QUEUE}.conversations`;
const AGENT = userId(42);
/** Conversations on the queue that started and ended earlier the same day, before the gap. */
const EARLIER = 3_000;
/** Conversations started before those, changed in the gap: the first half end in it, the rest stay active. */
const CHANGED = 20;

let rig: ResyncRig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

async function setQuirks(r: ResyncRig, quirks: { ignoreOrderBy: boolean }): Promise<void> {
  const res = await fetch(`${r.emulator.controlBase}/control/resync-quirks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(quirks),
  });
  assert.equal(res.status, 200);
}

const changedId = (i: number): string => `changed-${String(i).padStart(3, '0')}`;

/**
 * Publishes the day: CHANGED long conversations start (1 ms apart), then `earlier` short ones start and end before
 * the gap; in the gap half of the long ones end (in start order, 1 ms apart) and the rest change state.
 * `overlapping`: the earlier ones run 50 at a time and end in reverse start order, as concurrent calls do;
 * otherwise one after the other (start, end, next), so their start and end orders agree. Returns the gap's start.
 */
async function busyDay(r: ResyncRig, earlier: number, overlapping: boolean): Promise<number> {
  for (let i = 0; i < CHANGED; i++) {
    r.deliverLive(QUEUE_TOPIC, conversationBody(changedId(i), QUEUE, AGENT, 'connected'));
    await sleep(1);
  }
  await sleep(2);
  const batch = overlapping ? 50 : 1;
  for (let first = 0; first < earlier; first += batch) {
    const ids = Array.from({ length: Math.min(batch, earlier - first) }, (_, k) => `early-${first + k}`);
    for (const id of ids) r.emulator.publish(QUEUE_TOPIC, conversationBody(id, QUEUE, AGENT, 'connected'));
    if (!overlapping) await sleep(1);
    for (const id of ids.reverse()) r.emulator.publish(QUEUE_TOPIC, conversationBody(id, QUEUE, AGENT, 'disconnected'));
    if (!overlapping) await sleep(1);
  }
  await sleep(5);
  const startAt = Date.now();
  await sleep(5);
  for (let i = 0; i < CHANGED; i++) {
    const state = i < CHANGED / 2 ? 'disconnected' : 'held';
    r.emulator.publish(QUEUE_TOPIC, conversationBody(changedId(i), QUEUE, AGENT, state));
    await sleep(1);
  }
  return startAt;
}

/** Every changed conversation healed once, with its latest state, and nothing else. */
function assertAllHealed(r: ResyncRig): void {
  assert.deepEqual(r.failed, []);
  const states = new Map(
    r.events.map((e) => {
      const body = e.eventBody as { id: string; participants: Array<{ purpose: string; state: string }> };
      return [body.id, body.participants.find((p) => p.purpose === 'agent')?.state];
    }),
  );
  assert.equal(r.events.length, CHANGED, 'one event per changed conversation, none for the earlier ones');
  for (let i = 0; i < CHANGED; i++) assert.equal(states.get(changedId(i)), i < CHANGED / 2 ? 'disconnected' : 'held');
}

describe('conversation healing on a busy queue', () => {
  it('stops paging ended conversations at the first page that ended before the gap: 2 details pages, not 31', async () => {
    rig = await startRig();
    const startAt = await busyDay(rig, EARLIER, true);
    rig.resyncer.enqueue(gapOver([QUEUE_TOPIC], startAt));
    await rig.resyncer.idle();

    assertAllHealed(rig);
    // 1 page of active conversations + 1 page of ended ones (newest end first). Measured on the previous strategy
    // (one query paged in full over the day's 3,020 conversations): conversationDetailsQuery 31.
    const { reads } = await rig.reads();
    assert.deepEqual(reads, { conversationDetailsQuery: 2, conversation: CHANGED });
  });

  it('an API that ignores orderBy: no early stop, the ended query is paged in full and heals all 20', async () => {
    rig = await startRig();
    await setQuirks(rig, { ignoreOrderBy: true });
    const startAt = await busyDay(rig, EARLIER, true);
    rig.resyncer.enqueue(gapOver([QUEUE_TOPIC], startAt));
    await rig.resyncer.idle();

    assertAllHealed(rig);
    // Sorted by conversationStart (newest first), the changed ones started first and are on the last page.
    const { reads } = await rig.reads();
    const pages = Math.ceil((EARLIER + CHANGED / 2) / 100);
    assert.deepEqual(reads, { conversationDetailsQuery: 1 + pages, conversation: CHANGED });
  });

  it('an API that ignores orderBy, on a queue whose conversations never overlap: no early stop either', async () => {
    // One after the other, a page sorted by start (newest first) is also sorted by end: it looks right. The
    // strategy stops early only once the pages prove they are not in conversationStart order; these never do.
    rig = await startRig();
    await setQuirks(rig, { ignoreOrderBy: true });
    const earlier = 250;
    const startAt = await busyDay(rig, earlier, false);
    rig.resyncer.enqueue(gapOver([QUEUE_TOPIC], startAt));
    await rig.resyncer.idle();

    assertAllHealed(rig);
    const { reads } = await rig.reads();
    assert.deepEqual(reads, {
      conversationDetailsQuery: 1 + Math.ceil((earlier + CHANGED / 2) / 100),
      conversation: CHANGED,
    });
  });
});

describe('EndOrderWitness (when the ended pages prove that the rest ended before the gap)', () => {
  const GAP = Date.parse('2026-11-30T12:00:00Z');
  /** An analytics conversation started and ended `startS` / `endS` seconds before the gap, its last segment at `lastS`. */
  const ended = (startS: number, endS: number | undefined, lastS = endS): Record<string, unknown> => ({
    conversationId: `c-${startS}`,
    conversationStart: new Date(GAP - startS * 1000).toISOString(),
    ...(endS === undefined ? {} : { conversationEnd: new Date(GAP - endS * 1000).toISOString() }),
    participants: [{ sessions: [{ segments: [{ segmentStart: new Date(GAP - (lastS ?? 0) * 1000).toISOString() }] }] }],
  });

  it('stops once the ends fall, the starts go both ways, and the last end is before the gap', () => {
    const witness = new EndOrderWitness(GAP);
    assert.equal(witness.observe([ended(100, -5), ended(300, -1), ended(200, 10)]), true);
    assert.equal(new EndOrderWitness(GAP).observe([ended(100, -5), ended(300, -1), ended(200, 0)]), false, 'at gap');
  });

  it('waits for the starts to go both ways, across pages', () => {
    const witness = new EndOrderWitness(GAP);
    assert.equal(witness.observe([ended(300, 20), ended(200, 30)]), false, 'starts only rise so far');
    assert.equal(witness.observe([ended(250, 40)]), true);
  });

  it('never stops once a page is out of end order, an end is missing, or a segment follows the end', () => {
    const unsorted = new EndOrderWitness(GAP);
    assert.equal(unsorted.observe([ended(100, 20), ended(300, 30), ended(200, 10)]), false);
    assert.equal(unsorted.observe([ended(500, 50), ended(400, 60), ended(450, 70)]), false, 'stays failed');
    const noEnd = new EndOrderWitness(GAP);
    assert.equal(noEnd.observe([ended(100, 20), ended(300, undefined), ended(200, 30)]), false);
    assert.equal(noEnd.observe([ended(500, 50), ended(400, 60), ended(450, 70)]), false);
    const activityAfterEnd = new EndOrderWitness(GAP);
    assert.equal(activityAfterEnd.observe([ended(100, 20), ended(300, 30, -1), ended(200, 40)]), false);
    assert.equal(activityAfterEnd.observe([ended(500, 50), ended(400, 60), ended(450, 70)]), false);
  });
});
