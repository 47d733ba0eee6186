import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventKey, type RelayEvent } from '../../../src/envelope/envelope.ts';
import { eventJson } from '../../../src/envelope/event-json.ts';
import { keyedBodyJson, relayFields } from '../../../src/envelope/relay-fields.ts';

/** An event as the client makes it: relay fields whose key is computed from the body on first read. */
function clientEvent(topicName: string, eventBody: unknown, version: string | undefined = '2'): RelayEvent {
  const correlationId = 'c-1';
  const relay = relayFields('2026-12-01T00:00:00.000Z', 'ch-1', topicName, correlationId, eventBody);
  return { topicName, version, eventBody, metadata: { CorrelationId: correlationId }, relay };
}

const BODIES: readonly unknown[] = [
  { id: 'u1', presence: { systemPresence: 'Available' }, list: [1, 2.5, -0, 1e21, null, true] },
  { text: 'zoë \u2028 "quoted" \\ back \u0000 nul 🚀', nested: { deeper: [{ a: 'é' }] } },
  'a bare string',
  42,
  null,
  [],
];

describe('eventJson', () => {
  it('is JSON.stringify(event), byte for byte, and reuses the body text the key was computed from', () => {
    for (const body of BODIES) {
      const event = clientEvent('v2.users.u1.presence', body);
      const json = eventJson(event);
      assert.equal(json, JSON.stringify(event));
      assert.equal(keyedBodyJson(event.relay, event.eventBody), JSON.stringify(body), 'the key kept the text');
      assert.equal(event.relay.key, eventKey('v2.users.u1.presence', 'c-1', body), 'the key is unchanged');
    }
  });

  it('an undefined version or body is left out, as JSON.stringify does', () => {
    const noVersion = clientEvent('v2.a', { n: 1 }, undefined);
    assert.equal(eventJson(noVersion), JSON.stringify(noVersion));
    const noBody = clientEvent('v2.a', undefined);
    assert.equal(eventJson(noBody), JSON.stringify(noBody));
    assert.ok(!eventJson(noBody).includes('eventBody'));
  });

  it('a body replaced after the key was read is serialised anew, not taken from the key', () => {
    const event = clientEvent('v2.a', { n: 1 });
    void event.relay.key;
    const replaced = { ...event, eventBody: { n: 2 } };
    assert.equal(keyedBodyJson(replaced.relay, replaced.eventBody), undefined);
    assert.equal(eventJson(replaced), JSON.stringify(replaced));
    assert.match(eventJson(replaced), /"eventBody":\{"n":2\}/);
  });

  it('falls back to JSON.stringify when another field holds the mark, or the event was not made by the client', () => {
    const marked = clientEvent('\u0000genesys-relay:eventBody\u0000', { n: 1 });
    assert.equal(eventJson(marked), JSON.stringify(marked));
    const plain: RelayEvent = {
      topicName: 'v2.a',
      version: '2',
      eventBody: { n: 1 },
      metadata: {},
      relay: { receivedAt: '2026-12-01T00:00:00.000Z', channelId: 'ch', key: 'k' },
    };
    assert.equal(eventJson(plain), JSON.stringify(plain));
  });

  it('throws what JSON.stringify throws for an unserialisable body', () => {
    const body: Record<string, unknown> = {};
    body.self = body;
    const event = clientEvent('v2.a', body);
    assert.equal(typeof event.relay.key, 'string', 'the key never throws');
    assert.throws(() => eventJson(event), TypeError);
  });
});
