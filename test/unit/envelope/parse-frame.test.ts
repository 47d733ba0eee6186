import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseFrame } from '../../../src/envelope/parse-frame.ts';
import { DedupeWindow } from '../../../src/envelope/dedupe.ts';
import { eventKey } from '../../../src/envelope/envelope.ts';
import { relayFields } from '../../../src/envelope/relay-fields.ts';

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

  it('reports oversize frames with their size, topic and CorrelationId, without parsing them', () => {
    const raw = JSON.stringify({
      topicName: 'v2.x',
      version: '2',
      eventBody: { blob: 'x'.repeat(20_000) },
      metadata: { CorrelationId: 'c-1', type: 't' },
    });
    assert.deepEqual(parseFrame(raw, 1000), {
      kind: 'oversized',
      bytes: Buffer.byteLength(raw),
      topic: 'v2.x',
      correlationId: 'c-1',
    });
    assert.equal(parseFrame(raw, 100_000).kind, 'event');
    const notJson = `{"topicName":${'['.repeat(5000)}`;
    assert.deepEqual(parseFrame(notJson, 1000), {
      kind: 'oversized',
      bytes: 5013,
      topic: undefined,
      correlationId: undefined,
    });
  });

  it('counts UTF-8 bytes, not characters', () => {
    const raw = JSON.stringify({ topicName: 'v2.x', eventBody: 'é'.repeat(600), metadata: {} });
    assert.equal(parseFrame(raw, 1000).kind, 'oversized', '1,200+ bytes in 630 characters');
  });

  it('delivers multi-MiB events under the default limit (16 MiB)', () => {
    const raw = JSON.stringify({ topicName: 'v2.x', eventBody: { blob: 'x'.repeat(5 * 1024 * 1024) }, metadata: {} });
    assert.equal(parseFrame(raw).kind, 'event');
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

describe('relayFields', () => {
  it('computes the key lazily and exposes it to JSON, spread and structuredClone', () => {
    const fields = relayFields('2026-01-01T00:00:00.000Z', 'ch', 'v2.a', 'c', { n: 1 });
    const expected = eventKey('v2.a', 'c', { n: 1 });
    assert.equal(fields.key, expected);
    assert.equal((JSON.parse(JSON.stringify(fields)) as { key: string }).key, expected);
    assert.equal({ ...fields }.key, expected);
    assert.equal(structuredClone(fields).key, expected);
  });
});

describe('eventKey (event identity)', () => {
  it('distinct bodies under one CorrelationId are distinct events', () => {
    const keys = new Set([0, 1, 2].map((n) => eventKey('v2.users.u.presence', 'same-id', { presence: n })));
    assert.equal(keys.size, 3);
  });

  it('copies of one event share the key: same topic (any case), CorrelationId and body, whatever the spacing', () => {
    const a = JSON.parse('{"id":"u","presence":{"name":"Away"},"n":1.0}') as unknown;
    const b = JSON.parse('{ "id": "u", "presence": { "name": "\\u0041way" }, "n": 1 }') as unknown;
    assert.equal(eventKey('v2.Users.U.presence', 'c', a), eventKey('v2.users.u.presence', 'c', b));
  });

  it('differs by topic and by CorrelationId, and is 32 hex chars', () => {
    const body = { x: 1 };
    const key = eventKey('v2.a', 'c', body);
    assert.match(key, /^[0-9a-f]{32}$/);
    assert.notEqual(key, eventKey('v2.b', 'c', body));
    assert.notEqual(key, eventKey('v2.a', 'd', body));
    assert.notEqual(key, eventKey('v2.a', undefined, body));
    assert.notEqual(eventKey('v2.a', undefined, { x: 1 }), eventKey('v2.a', undefined, { x: 2 }));
  });
});
