import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RelayEvent } from '../../../src/envelope/envelope.ts';
import { resyncStrategies } from '../../../src/resync/index.ts';
import { EntityStates } from '../../../soak/entity-states.ts';
import { analyseHealing, healingLine, type EntityFate, type HealingContext } from '../../../soak/healing.ts';

const ctx = (failed: string[] = []): HealingContext => ({
  hasStrategy: (topic) => !topic.includes('observations'),
  failedTopics: new Set(failed),
});

const fate = (over: Partial<EntityFate>): EntityFate => ({
  entity: 'presence:u1',
  topic: 'v2.users.u1.presence',
  lostInGap: 1,
  finalState: 'S2',
  delivered: { state: 'S2', source: 'resync' },
  ...over,
});

describe('soak gap healing', () => {
  it('counts an entity healed when its last delivered state is its final state, by resync or live', () => {
    const report = analyseHealing(
      [
        fate({ entity: 'a' }),
        fate({ entity: 'b', delivered: { state: 'S2', source: 'notification' } }),
        fate({ entity: 'c', lostInGap: 3, delivered: { state: 'S1', source: 'notification' } }),
      ],
      ctx(),
    );
    assert.equal(report.entities, 3);
    assert.equal(report.lostEvents, 5);
    assert.equal(report.healed, 2);
    assert.equal(report.byResync, 1);
    assert.equal(report.notHealed.unexplained, 1);
    assert.deepEqual(report.unexplainedSamples, [
      { entity: 'c', topic: 'v2.users.u1.presence', lostInGap: 3, delivered: 'an older live state' },
    ]);
    assert.equal(
      healingLine(report),
      '2 of 3 entities whose events were lost in gaps ended with their final state delivered (1 of them by resync)',
    );
  });

  it('"state unchanged": a gap that ended where it began needs no resync event and counts as healed, not by resync', () => {
    // Available → (gap: Away, Available) → the sink still holds the Available it had before the gap.
    const report = analyseHealing(
      [fate({ finalState: 'AV', delivered: { state: 'AV', source: 'notification' } })],
      ctx(),
    );
    assert.deepEqual([report.healed, report.byResync, report.notHealed.unexplained], [1, 0, 0]);
  });

  it('explains entities of topics without a strategy and of gaps whose resync gave up; ignores entities without gap loss', () => {
    const report = analyseHealing(
      [
        fate({
          entity: 'obs',
          topic: 'v2.analytics.queues.q1.observations',
          finalState: undefined,
          delivered: undefined,
        }),
        fate({ entity: 'r', topic: 'v2.users.u2.routingStatus', delivered: undefined }),
        fate({ entity: 'n', delivered: undefined }),
        fate({ entity: 'none', lostInGap: 0, delivered: undefined }),
      ],
      ctx(['v2.users.u2.routingstatus']),
    );
    assert.equal(report.entities, 3);
    assert.deepEqual(report.notHealed, { 'no-strategy': 1, 'resync-failed': 1, unexplained: 1 });
    assert.deepEqual(
      report.unexplainedSamples.map((s) => [s.entity, s.delivered]),
      [['n', 'nothing']],
    );
  });
});

describe('soak entity states', () => {
  const topic = 'v2.users.00000001-0001-4000-8000-000000000001.presence';
  const body = (presence: string, id: string): Record<string, unknown> => ({
    id: 'u',
    source: 'PURECLOUD',
    presenceDefinition: { id, systemPresence: presence },
    message: '',
    modifiedDate: '2026-11-30T00:00:00.000Z',
  });
  const event = (eventBody: unknown, source: 'notification' | 'resync'): RelayEvent => ({
    topicName: topic,
    version: '2',
    eventBody,
    metadata: {},
    relay: { receivedAt: '', channelId: 'c', key: 'k', source },
  });

  it('follows the final published state and the last delivered one per entity, in delivery order', () => {
    const states = new EntityStates(resyncStrategies({ presence: true, conversations: true }));
    states.published(topic, 1, body('Available', 'd1'));
    states.published(topic, 2, body('Away', 'd2'));
    states.delivered(event(body('Available', 'd1'), 'notification'));
    const entity = states.entityAt(topic, 2) ?? '';
    assert.equal(entity, states.entityAt(topic, 1));
    const [before] = states.fates(new Map([[entity, 1]]));
    assert.notEqual(before?.delivered?.state, before?.finalState);
    // The resync's body casing differs (REST upper-cases systemPresence): the strategy's fingerprint ignores it.
    states.delivered(event(body('AWAY', 'd2'), 'resync'));
    const [after] = states.fates(new Map([[entity, 1]]));
    assert.equal(after?.delivered?.state, after?.finalState);
    assert.equal(after?.delivered?.source, 'resync');
  });

  it('a topic without a strategy is one entity with no comparable state', () => {
    const states = new EntityStates(resyncStrategies({ presence: true, conversations: true }));
    const observations = 'v2.analytics.queues.q1.observations';
    states.published(observations, 1, { data: [] });
    states.delivered({ ...event({ data: [] }, 'notification'), topicName: observations });
    const [f] = states.fates(new Map([[`topic:${observations}`, 1]]));
    assert.equal(f?.finalState, undefined);
    assert.equal(states.unidentified, 1);
    assert.equal(
      analyseHealing(states.fates(new Map([[`topic:${observations}`, 1]])), ctx()).notHealed['no-strategy'],
      1,
    );
  });
});
