import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, describe, it } from 'node:test';
import { ConfigError } from '../../../src/core/errors.ts';
import type { RelayEvent } from '../../../src/envelope/envelope.ts';
import { formatNdjsonLine } from '../../../src/sinks/ndjson/ndjson-format.ts';
import { createNdjsonSink } from '../../../src/sinks/ndjson/ndjson-sink.ts';

const event = (i: number, extra: Partial<RelayEvent> = {}): RelayEvent => ({
  topicName: 'v2.users.u1.presence',
  version: '2',
  eventBody: { id: i, presenceDefinition: { systemPresence: 'Available' } },
  metadata: { CorrelationId: `c${i}` },
  relay: { receivedAt: '2026-01-01T00:00:00.000Z', channelId: 'ch', key: `k${i}` },
  ...extra,
});
const signal = new AbortController().signal;
const dir = mkdtempSync(join(tmpdir(), 'genesys-relay-ndjson-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('ndjson line format', () => {
  it('has exactly the contract fields at top level plus relay', () => {
    const line = formatNdjsonLine(event(1));
    assert.ok(line.endsWith('\n') && !line.slice(0, -1).includes('\n'));
    const parsed = JSON.parse(line) as Record<string, unknown>;
    assert.deepEqual(Object.keys(parsed), ['topicName', 'version', 'eventBody', 'metadata', 'relay']);
    assert.deepEqual(parsed.relay, { receivedAt: '2026-01-01T00:00:00.000Z', channelId: 'ch', key: 'k1' });
    assert.deepEqual(parsed.eventBody, event(1).eventBody);
  });

  it('keeps a missing version as null and drops unknown relay fields', () => {
    const e = event(2, { version: undefined });
    (e.relay as unknown as Record<string, unknown>).internal = 'secret';
    const parsed = JSON.parse(formatNdjsonLine(e)) as Record<string, unknown>;
    assert.equal(parsed.version, null);
    assert.deepEqual(Object.keys(parsed.relay as object), ['receivedAt', 'channelId', 'key']);
  });
});

describe('ndjson sink', () => {
  it('appends one line per event to a file, creating its directory', async () => {
    const path = join(dir, 'sub', 'events.ndjson');
    const sink = createNdjsonSink(path);
    assert.deepEqual(await sink.deliver([event(1), event(2)], signal), [{ kind: 'delivered' }, { kind: 'delivered' }]);
    await sink.close();
    const again = createNdjsonSink(path);
    await again.deliver([event(3)], signal);
    await again.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    assert.deepEqual(
      lines.map((l) => (JSON.parse(l) as RelayEvent).relay.key),
      ['k1', 'k2', 'k3'],
    );
  });

  it('writes multi-byte text exactly (stored and parsed paths); an unserialisable event fails alone', async () => {
    const path = join(dir, 'utf8.ndjson');
    const sink = createNdjsonSink(path);
    const text = 'café ☕ 𝄞 Zoë';
    const wide = event(1, { eventBody: { id: 1, note: text } });
    const broken = event(2, { eventBody: { id: 2, big: 1n } });
    const stored = { event: event(3, { eventBody: { id: 3, note: text } }), payload: '' };
    stored.payload = JSON.stringify(stored.event);
    assert.deepEqual(await sink.deliver([wide, broken, event(4)], signal), [
      { kind: 'delivered' },
      { kind: 'permanent', error: 'cannot serialise event: Do not know how to serialize a BigInt' },
      { kind: 'delivered' },
    ]);
    assert.deepEqual(await sink.deliverStored?.([stored], signal), [{ kind: 'delivered' }]);
    await sink.close();
    const lines = readFileSync(path, 'utf8').trimEnd().split('\n');
    assert.deepEqual(
      lines,
      [formatNdjsonLine(wide), formatNdjsonLine(event(4)), formatNdjsonLine(stored.event)].map((l) => l.trimEnd()),
    );
    assert.equal((JSON.parse(lines[2] ?? '') as { eventBody: { note: string } }).eventBody.note, text);
  });

  it('reports ENOSPC as retryable, not a crash', async () => {
    const sink = createNdjsonSink('/dev/full', { name: 'full' });
    const outcomes = await sink.deliver([event(1)], signal);
    await sink.close();
    assert.equal(outcomes[0]?.kind, 'retryable');
    assert.match((outcomes[0] as { error: string }).error, /ENOSPC/);
  });

  it('turns EPIPE on the stream into retryable outcomes and absorbs the error event', async () => {
    const stream = new Writable({
      write(_chunk, _enc, cb) {
        cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const sink = createNdjsonSink('-', { stream });
    const first = await sink.deliver([event(1), event(2)], signal);
    assert.deepEqual(
      first.map((o) => o.kind),
      ['retryable', 'retryable'],
    );
    const second = await sink.deliver([event(3)], signal);
    assert.equal(second[0]?.kind, 'retryable');
    await sink.close();
  });

  it('writes to a stream and waits for it to flush', async () => {
    const chunks: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _enc, cb) {
        chunks.push(chunk.toString());
        setImmediate(cb);
      },
    });
    const sink = createNdjsonSink('-', { stream, maxBatch: 2 });
    assert.equal(sink.maxBatch, 2);
    assert.deepEqual(await sink.deliver([event(1)], signal), [{ kind: 'delivered' }]);
    assert.equal(chunks.join(''), formatNdjsonLine(event(1)));
    await sink.close();
  });

  it('rejects an empty target', () => {
    assert.throws(() => createNdjsonSink(''), ConfigError);
  });
});
