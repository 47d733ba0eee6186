import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatNdjsonLine } from '../../../src/sinks/ndjson/ndjson-format.ts';
import { AUTH, TOKEN, appendRange, event, metricValue, streamFixture } from './helpers.ts';
import { SseReader } from './sse-reader.ts';

const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('browser stream: auth', () => {
  it('refuses a missing or wrong token with 401 and no stream; accepts Bearer and access_token', async () => {
    const f = await streamFixture();
    try {
      const none = await SseReader.open(f.url());
      assert.equal(none.status, 401);
      assert.match(String(none.headers['www-authenticate']), /^Bearer/);
      const wrong = await SseReader.open(f.url(), { Authorization: `Bearer ${TOKEN}x` });
      assert.equal(wrong.status, 401);
      const short = await SseReader.open(f.url([], { access_token: 'x' }));
      assert.equal(short.status, 401);
      assert.equal(await metricValue(f.registry, 'genesys_relay_stream_rejected_total', { status: '401' }), 3);

      const bearer = await SseReader.open(f.url(), AUTH);
      const query = await SseReader.open(f.url([], { access_token: TOKEN }));
      assert.equal(bearer.status, 200);
      assert.match(String(bearer.headers['content-type']), /^text\/event-stream/);
      assert.equal(query.status, 200);
      await appendRange(f.outbox, 0, 3);
      await bearer.waitFor((r) => r.seqs().length === 3, 'three events');
      await query.waitFor((r) => r.seqs().length === 3, 'three events');
      assert.equal(await metricValue(f.registry, 'genesys_relay_stream_clients'), 2);
      bearer.close();
      query.close();
    } finally {
      await f.close();
    }
  });
});

describe('browser stream: events', () => {
  it('sends only topics under the given prefixes, id = outbox seq, data = the NDJSON line object', async () => {
    const f = await streamFixture();
    try {
      const queues = await SseReader.open(f.url(['v2.routing.queues.']), AUTH);
      const both = await SseReader.open(f.url(['v2.routing.queues.', 'v2.users.u1.']), AUTH);
      const made = range(1, 20).map((i) => (i % 2 ? event(i) : event(i, `v2.routing.queues.q${i % 3}.conversations`)));
      for (const e of made) await f.outbox.append(e);
      const wantQueues = range(1, 20).filter((i) => i % 2 === 0);
      const wantBoth = range(1, 20).filter((i) => i % 2 === 0 || i % 5 === 1);
      await queues.waitFor((r) => r.seqs().length === wantQueues.length, 'queue events');
      await both.waitFor((r) => r.seqs().length === wantBoth.length, 'queue and u1 events');
      assert.deepEqual(queues.seqs(), wantQueues);
      assert.deepEqual(both.seqs(), wantBoth);
      for (const sse of queues.events) {
        assert.equal(`${sse.data}\n`, formatNdjsonLine(made[Number(sse.id) - 1]!));
      }
      assert.equal(await metricValue(f.registry, 'genesys_relay_stream_events_sent_total'), 10 + 12);
      queues.close();
      both.close();
    } finally {
      await f.close();
    }
  });

  it('Last-Event-ID (header or lastEventId query) resumes with exactly the missed events', async () => {
    const f = await streamFixture();
    try {
      const first = await SseReader.open(f.url(), AUTH);
      await appendRange(f.outbox, 0, 50);
      await first.waitFor((r) => r.seqs().length === 50, '50 events');
      first.close();
      await appendRange(f.outbox, 50, 80);
      const header = await SseReader.open(f.url(), { ...AUTH, 'Last-Event-ID': first.lastEventId ?? '' });
      const query = await SseReader.open(f.url([], { lastEventId: '50' }), AUTH);
      await header.waitFor((r) => r.seqs().length === 30, '30 missed events');
      await query.waitFor((r) => r.seqs().length === 30, '30 missed events');
      assert.deepEqual(header.seqs(), range(51, 80));
      assert.deepEqual(query.seqs(), range(51, 80));
      await appendRange(f.outbox, 80, 81);
      await header.waitFor((r) => r.seqs().length === 31, 'then live');
      assert.deepEqual(header.seqs().slice(-1), [81]);
      assert.equal(await metricValue(f.registry, 'genesys_relay_stream_resumes_total'), 2);
      assert.equal(await metricValue(f.registry, 'genesys_relay_stream_resets_total'), 0);
      header.close();
      query.close();
    } finally {
      await f.close();
    }
  });

  it('a Last-Event-ID older than retention gets event: reset, then everything from the oldest kept', async () => {
    const f = await streamFixture({}, { retentionMs: 60_000 });
    try {
      const longAgo = new Date(Date.now() - 3_600_000).toISOString();
      await appendRange(f.outbox, 0, 20, (i) => event(i, undefined, 0, longAgo));
      assert.equal(f.outbox.prune().expired, 20);
      await appendRange(f.outbox, 20, 25);
      const old = await SseReader.open(f.url(), { ...AUTH, 'Last-Event-ID': '3' });
      await old.waitFor((r) => r.seqs().length === 5, 'the 5 retained events');
      assert.equal(old.events[0]?.event, 'reset');
      assert.deepEqual(JSON.parse(old.events[0].data), { requested: 3, oldestSeq: 21, resumeFrom: 20 });
      assert.equal(old.events[0]?.id, '20');
      assert.deepEqual(old.seqs(), range(21, 25));
      // A sequence this outbox never had (a replaced state dir): reset to the newest, then live.
      const future = await SseReader.open(f.url(), { ...AUTH, 'Last-Event-ID': '9999' });
      await future.waitFor((r) => r.events.length === 1, 'reset');
      assert.equal(future.events[0]?.event, 'reset');
      assert.equal(future.events[0]?.id, '25');
      await appendRange(f.outbox, 25, 26);
      await future.waitFor((r) => r.seqs().length === 1, 'the next event');
      assert.deepEqual(future.seqs(), [26]);
      assert.equal(await metricValue(f.registry, 'genesys_relay_stream_resets_total'), 2);
      const bad = await SseReader.open(f.url(), { ...AUTH, 'Last-Event-ID': 'abc' });
      assert.equal(bad.status, 400);
      old.close();
      future.close();
    } finally {
      await f.close();
    }
  });

  it('sends a heartbeat comment every heartbeatMs', async () => {
    const f = await streamFixture({ heartbeatMs: 20 });
    try {
      const r = await SseReader.open(f.url(), AUTH);
      // One comment opens the stream; the rest are heartbeats.
      await r.waitFor((x) => x.comments >= 4, 'three heartbeats');
      assert.equal(r.events.length, 0);
      r.close();
    } finally {
      await f.close();
    }
  });
});
