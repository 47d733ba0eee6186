import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { resyncEndpointOf } from '../../../src/metrics/resync-metrics.ts';
import {
  conversationStrategy,
  expandTopics,
  LastStateMap,
  mergeGaps,
  PacedReader,
  presenceStrategy,
  resyncEvent,
  type ReadStateFn,
} from '../../../src/resync/index.ts';
import { ManualClock } from '../../../src/testing/index.ts';

const flush = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('PacedReader', () => {
  it('starts at most maxRequestsPerMinute calls in any 60 s and the rest when the window moves on', async () => {
    const clock = new ManualClock();
    const calls: number[] = [];
    const read: ReadStateFn = () => {
      calls.push(clock.now());
      return Promise.resolve({ status: 200, body: [] });
    };
    const reader = new PacedReader({ read, clock, concurrency: 10, maxRequestsPerMinute: 3 });
    const all = Promise.all(Array.from({ length: 5 }, (_, i) => reader.get(`/x/${i}`)));
    await flush();
    assert.equal(calls.length, 3);
    await clock.advanceAsync(59_999);
    assert.equal(calls.length, 3, 'not before the first call is a minute old');
    await clock.advanceAsync(1);
    await all;
    assert.equal(calls.length, 5);
    assert.equal(calls[3], calls[0]! + 60_000);
  });

  it('keeps at most `concurrency` calls in flight', async () => {
    const clock = new ManualClock();
    let inFlight = 0;
    let peak = 0;
    const releases: Array<() => void> = [];
    const read: ReadStateFn = () => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      return new Promise((resolve) =>
        releases.push(() => {
          inFlight--;
          resolve({ status: 200, body: null });
        }),
      );
    };
    const reader = new PacedReader({ read, clock, concurrency: 2, maxRequestsPerMinute: 100 });
    const all = Promise.all(Array.from({ length: 6 }, () => reader.get('/x')));
    for (let i = 0; i < 6; i++) {
      await flush();
      releases.shift()?.();
    }
    await all;
    assert.equal(peak, 2);
  });
});

describe('LastStateMap', () => {
  it('evicts the least recently updated entity beyond its bound', () => {
    const map = new LastStateMap(2);
    map.set('a', '1', 1);
    map.set('b', '1', 2);
    map.set('a', '2', 3);
    map.set('c', '1', 4);
    assert.equal(map.get('b'), undefined);
    assert.deepEqual(map.get('a'), { fingerprint: '2', updatedAt: 3 });
    assert.equal(map.size, 2);
  });

  it('seeding (newest first) keeps the first state seen and stops when full', () => {
    const map = new LastStateMap(2);
    map.setIfAbsent('a', 'newest', 0);
    map.setIfAbsent('a', 'older', 0);
    map.setIfAbsent('b', 'x', 0);
    map.setIfAbsent('c', 'x', 0);
    assert.equal(map.get('a')?.fingerprint, 'newest');
    assert.equal(map.get('c'), undefined);
  });
});

describe('resync helpers', () => {
  it('expands combined topics into the names events arrive under', () => {
    assert.deepEqual(expandTopics(['v2.users.u1?presence&routingStatus', 'v2.users.u1.presence', 'v2.x.y']), [
      'v2.users.u1.presence',
      'v2.users.u1.routingStatus',
      'v2.x.y',
    ]);
  });

  it('merges gaps into their union with an id that does not depend on their order', () => {
    const a = { id: 'a', startAt: 10, endAt: 20, topics: ['t1'], reason: 'x' };
    const b = { id: 'b', startAt: 5, endAt: 15, topics: ['t1', 't2'], reason: 'y' };
    const merged = mergeGaps([a, b]);
    assert.deepEqual([merged.startAt, merged.endAt, merged.topics], [5, 20, ['t1', 't2']]);
    assert.equal(mergeGaps([b, a]).id, merged.id);
    assert.equal(mergeGaps([a]), a);
  });

  it('gives a resync event a key stable for (gap, entity, state) and marks it as resync', () => {
    const gap = { id: 'g', startAt: 0, endAt: 1_000, topics: [], reason: 'r' };
    const state = { entity: 'presence:u', fingerprint: 'f', topicName: 'v2.users.u.presence', eventBody: {} };
    const one = resyncEvent(state, gap, 5);
    assert.equal(resyncEvent(state, gap, 99).relay.key, one.relay.key, 'receive time is not part of the key');
    assert.notEqual(resyncEvent({ ...state, fingerprint: 'g' }, gap, 5).relay.key, one.relay.key);
    assert.notEqual(resyncEvent(state, { ...gap, id: 'h' }, 5).relay.key, one.relay.key);
    assert.equal(one.relay.source, 'resync');
    assert.deepEqual(one.relay.gap, {
      id: 'g',
      startAt: '1970-01-01T00:00:00.000Z',
      endAt: '1970-01-01T00:00:01.000Z',
    });
  });

  it('presence states compare systemPresence case-insensitively (REST and events differ in casing)', () => {
    const body = (system: string): unknown => ({
      presenceDefinition: { id: 'd', systemPresence: system },
      message: '',
    });
    const rest = presenceStrategy.identify('v2.users.u.presence', body('On Queue'));
    const live = presenceStrategy.identify('v2.users.u.presence', body('ON QUEUE'));
    assert.deepEqual(rest, live);
    assert.equal(presenceStrategy.handles('v2.users.u.routingStatus'), true);
    assert.equal(presenceStrategy.handles('v2.users.u.conversations'), false);
  });

  it('conversation states ignore the fields only REST has', () => {
    const live = { id: 'c', participants: [{ id: 'p', state: 'connected' }] };
    const rest = {
      ...live,
      selfUri: '/x',
      startTime: 't',
      participants: [{ id: 'p', state: 'connected', queueName: 'Q' }],
    };
    const topic = 'v2.routing.queues.q.conversations';
    assert.deepEqual(conversationStrategy.identify(topic, rest), conversationStrategy.identify(topic, live));
  });

  it('labels resync requests by endpoint without ids', () => {
    assert.equal(resyncEndpointOf('/api/v2/users/presences/purecloud/bulk?id=a,b'), 'presence_bulk');
    assert.equal(resyncEndpointOf('/api/v2/users?id=a&expand=routingStatus'), 'users');
    assert.equal(resyncEndpointOf('/api/v2/users/a/routingstatus'), 'routing_status');
    assert.equal(resyncEndpointOf('/api/v2/analytics/conversations/details/query'), 'conversation_details');
    assert.equal(resyncEndpointOf('/api/v2/conversations/abc'), 'conversation');
  });
});
