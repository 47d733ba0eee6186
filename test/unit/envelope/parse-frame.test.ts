import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFrame } from '../../../src/envelope/parse-frame.ts';
import { DedupeWindow } from '../../../src/envelope/dedupe.ts';

describe('parseFrame', () => {
  const cases: Array<[string, string, string]> = [
    ['heartbeat', '{"topicName":"channel.metadata","eventBody":{"message":"WebSocket Heartbeat"}}', 'heartbeat'],
    ['pong', '{"topicName":"channel.metadata","eventBody":{"message":"pong"}}', 'pong'],
    ['socket closing', '{"topicName":"v2.system.socket_closing","eventBody":{"message":"bye"}}', 'socketClosing'],
    ['token revoked', '{"topicName":"v2.system.token_revoked.abc","eventBody":{}}', 'tokenRevoked'],
    ['evicted', '{"topicName":"v2.system.no_longer_subscribed.abc","eventBody":{}}', 'noLongerSubscribed'],
    ['other system', '{"topicName":"v2.system.abc.def","eventBody":{}}', 'system'],
    ['result 404', '{"result":"404","message":"gone"}', 'result'],
    ['not json', 'hello', 'malformed'],
    ['array', '[1,2]', 'malformed'],
    ['no topic', '{"eventBody":{}}', 'malformed'],
    ['no body', '{"topicName":"v2.users.1.presence"}', 'malformed'],
    ['bad metadata', '{"topicName":"v2.users.1.presence","eventBody":{},"metadata":5}', 'malformed'],
    ['bad version', '{"topicName":"v2.users.1.presence","eventBody":{},"version":2}', 'malformed'],
    ['empty topic', '{"topicName":"","eventBody":{}}', 'malformed'],
  ];
  for (const [name, raw, kind] of cases) {
    it(`classifies ${name} as ${kind}`, () => {
      assert.equal(parseFrame(raw).kind, kind);
    });
  }

  it('extracts an event with its CorrelationId and extra metadata', () => {
    const raw = JSON.stringify({
      topicName: 'v2.users.1.presence',
      version: '2',
      eventBody: { a: 1 },
      metadata: { CorrelationId: 'c-1', emulatorSequence: 7 },
    });
    const parsed = parseFrame(raw);
    assert.equal(parsed.kind, 'event');
    if (parsed.kind !== 'event') return;
    assert.equal(parsed.correlationId, 'c-1');
    assert.equal(parsed.frame.version, '2');
    assert.deepEqual(parsed.frame.eventBody, { a: 1 });
    assert.equal(parsed.frame.metadata?.['emulatorSequence'], 7);
  });

  it('rejects oversize frames before parsing them', () => {
    const raw = JSON.stringify({ topicName: 'v2.x', eventBody: 'x'.repeat(2000) });
    const parsed = parseFrame(raw, 1000);
    assert.equal(parsed.kind, 'malformed');
    assert.match(parsed.kind === 'malformed' ? parsed.reason : '', /larger than 1000/);
    assert.equal(parseFrame(raw, 10_000).kind, 'event');
  });
});

describe('DedupeWindow', () => {
  it('drops a key seen within the window', () => {
    const d = new DedupeWindow({ maxEntries: 10, maxAgeMs: 1000 });
    assert.equal(d.add('a', 0), true);
    assert.equal(d.add('a', 500), false);
    assert.equal(d.add('b', 500), true);
  });

  it('forgets keys older than maxAgeMs', () => {
    const d = new DedupeWindow({ maxEntries: 10, maxAgeMs: 1000 });
    d.add('a', 0);
    assert.equal(d.add('a', 1001), true);
  });

  it('is bounded by count, evicting the oldest first', () => {
    const d = new DedupeWindow({ maxEntries: 3, maxAgeMs: 60_000 });
    for (const k of ['a', 'b', 'c', 'd']) d.add(k, 0);
    assert.equal(d.size, 3);
    assert.equal(d.has('a', 0), false);
    assert.equal(d.has('d', 0), true);
  });
});
