import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { RelayEvent } from '../../../src/envelope/envelope.ts';
import { relayFields } from '../../../src/envelope/relay-fields.ts';
import { resyncEvent } from '../../../src/resync/resync-event.ts';
import { formatNdjsonLine } from '../../../src/sinks/ndjson/ndjson-format.ts';
import { createNdjsonSink } from '../../../src/sinks/ndjson/ndjson-sink.ts';
import { storedNdjsonLine } from '../../../src/sinks/ndjson/ndjson-stored-line.ts';

/** Built the way client/event-delivery.ts builds a notification (relay fields: receivedAt, channelId, source, key). */
function notification(i: number, eventBody: unknown, metadata: Record<string, unknown> = {}): RelayEvent {
  const topicName = `v2.users.u${i}.presence`;
  return {
    topicName,
    version: '2',
    eventBody,
    metadata: { CorrelationId: `c-${i}`, ...metadata },
    relay: relayFields('2026-01-01T00:00:00.000Z', 'ch-1', topicName, `c-${i}`, eventBody),
  };
}

const stored = (event: RelayEvent): { payload: string; event: RelayEvent } => ({
  payload: JSON.stringify(event),
  event,
});

describe('ndjson line from the stored event text (serialise once)', () => {
  const spliced: RelayEvent[] = [
    notification(1, { id: 'u1', presenceDefinition: { systemPresence: 'Available' } }),
    notification(2, { text: 'quote " backslash \\ newline \n unicode é 😀', nested: { relay: { key: 'x' } } }),
    notification(3, [1, 2.5, null, true], { relay: { receivedAt: 'in metadata' }, extra: '},"relay":{' }),
    resyncEvent(
      { entity: 'u4', fingerprint: 'f', topicName: 'v2.users.u4.presence', eventBody: { id: 'u4' } },
      { id: 'gap-1', startAt: 0, endAt: 1_000, topics: [], reason: 'test' },
      Date.UTC(2026, 0, 1),
    ),
  ];

  for (const [i, event] of spliced.entries()) {
    it(`is byte for byte the formatted line, without a parse (case ${i + 1})`, () => {
      assert.equal(storedNdjsonLine(JSON.stringify(event)), formatNdjsonLine(event));
    });
  }

  it('declines text that is not of the record shape, so the sink formats the parsed event', () => {
    const noVersion = { ...notification(5, {}), version: undefined };
    const unknownRelayField = notification(6, {});
    (unknownRelayField.relay as unknown as Record<string, unknown>).internal = 'x';
    const { metadata, ...rest } = notification(7, {});
    const reordered = { metadata, ...rest };
    for (const event of [noVersion, unknownRelayField, reordered]) {
      assert.equal(storedNdjsonLine(JSON.stringify(event)), undefined, JSON.stringify(event));
    }
    assert.equal(storedNdjsonLine('not json'), undefined);
  });

  it('the file sink writes the same bytes from stored events as from events, fallbacks included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'genesys-relay-ndjson-stored-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const events = [...spliced, { ...notification(8, { a: 1 }), version: undefined }];
    const signal = new AbortController().signal;
    const fromEvents = createNdjsonSink(join(dir, 'events.ndjson'));
    const fromStored = createNdjsonSink(join(dir, 'stored.ndjson'));
    assert.ok(fromStored.deliverStored !== undefined);
    const outcomes = await fromStored.deliverStored(events.map(stored), signal);
    assert.deepEqual(
      outcomes.map((o) => o.kind),
      events.map(() => 'delivered'),
    );
    await fromEvents.deliver(events, signal);
    await Promise.all([fromEvents.close(), fromStored.close()]);
    const expected = readFileSync(join(dir, 'events.ndjson'), 'utf8');
    assert.equal(readFileSync(join(dir, 'stored.ndjson'), 'utf8'), expected);
    assert.equal(expected, events.map(formatNdjsonLine).join(''));
  });
});
