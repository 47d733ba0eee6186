import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { ConfigError } from '../../../src/core/errors.ts';
import type { Sink } from '../../../src/sinks/sink.ts';
import { createWebhookSink, verifyWebhookSignature } from '../../../src/sinks/webhook/index.ts';
import { ManualClock } from '../../../src/testing/manual-clock.ts';
import { makeEvent, makeEvents } from '../../unit/sinks/fixtures.ts';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.ts';

const SECRET = 'whsec-integration';

describe('webhook sink', () => {
  let receiver: WebhookReceiver;
  let sink: Sink | undefined;
  const clock = new ManualClock(Date.UTC(2026, 10, 24, 12, 0, 0));
  const signal = new AbortController().signal;

  before(async () => {
    receiver = await startWebhookReceiver();
  });
  after(() => receiver.close());
  afterEach(async () => {
    await sink?.close();
    sink = undefined;
    receiver.received.length = 0;
    receiver.respondWith(() => ({ status: 200 }));
  });

  it('POSTs each event as the contract object with idempotency key and a valid signature', async () => {
    sink = createWebhookSink({ url: receiver.url, secret: SECRET, headers: { 'x-tenant': 'acme' }, clock });
    const events = makeEvents(2);
    assert.deepEqual(await sink.deliver(events, signal), [{ kind: 'delivered' }, { kind: 'delivered' }]);
    assert.equal(receiver.received.length, 2);
    const [first] = receiver.received;
    assert.ok(first);
    assert.equal(first.path, '/hooks/genesys?token=t0ps3cret');
    assert.equal(first.headers['content-type'], 'application/json');
    assert.equal(first.headers['idempotency-key'], 'key-0000');
    assert.equal(first.headers['x-tenant'], 'acme');
    const timestamp = first.headers['x-genesys-relay-timestamp'];
    assert.equal(timestamp, String(clock.now() / 1000));
    const signature = first.headers['x-genesys-relay-signature'];
    assert.equal(typeof signature, 'string');
    const nowS = clock.now() / 1000;
    assert.equal(verifyWebhookSignature(SECRET, String(timestamp), first.body, String(signature), { nowS }), true);
    assert.deepEqual(JSON.parse(first.body), {
      topicName: events[0]?.topicName,
      version: '2',
      eventBody: events[0]?.eventBody,
      metadata: { CorrelationId: 'corr-0' },
      relay: events[0]?.relay,
    });
  });

  it('sends no signature without a secret, and one array POST in array mode', async () => {
    sink = createWebhookSink({ url: receiver.url, batch: 'array', clock });
    assert.equal(sink.maxBatch, 100);
    const outcomes = await sink.deliver(makeEvents(3), signal);
    assert.deepEqual(outcomes, Array(3).fill({ kind: 'delivered' }));
    assert.equal(receiver.received.length, 1);
    const [req] = receiver.received;
    assert.equal(req?.headers['x-genesys-relay-signature'], undefined);
    assert.match(String(req?.headers['idempotency-key']), /^batch-[0-9a-f]{32}$/);
    assert.equal((JSON.parse(req?.body ?? '') as unknown[]).length, 3);
  });

  it('429 with Retry-After → retryable with retryAfterMs, and the rest of the batch is not sent', async () => {
    receiver.respondWith(() => ({ status: 429, headers: { 'retry-after': '12' }, body: 'slow down' }));
    sink = createWebhookSink({ url: receiver.url, clock });
    const outcomes = await sink.deliver(makeEvents(3), signal);
    assert.equal(receiver.received.length, 1);
    assert.equal(outcomes.length, 3);
    for (const o of outcomes) {
      assert.equal(o.kind, 'retryable');
      assert.equal(o.kind === 'retryable' ? o.retryAfterMs : 0, 12_000);
    }
    const error = outcomes[0]?.kind === 'retryable' ? outcomes[0].error : '';
    assert.match(error, /HTTP 429 slow down/);
    assert.doesNotMatch(error, /t0ps3cret/, 'the query string never reaches an error');
  });

  it('401 → blocked (events stay queued), names what to check, and the rest of the batch is not sent', async () => {
    receiver.respondWith(() => ({ status: 401, body: '{"message":"bad token"}' }));
    sink = createWebhookSink({ url: receiver.url, clock });
    const outcomes = await sink.deliver(makeEvents(3), signal);
    assert.equal(receiver.received.length, 1);
    assert.deepEqual(
      outcomes.map((o) => o.kind),
      ['blocked', 'blocked', 'blocked'],
    );
    const error = outcomes[0]?.kind === 'blocked' ? outcomes[0].error : '';
    assert.match(error, /HTTP 401 bad token \(authentication failed: check the webhook headers\)/);
    assert.doesNotMatch(error, /t0ps3cret/, 'the query string never reaches an error');
  });

  it('500 → retryable, 400 → permanent (later events still sent)', async () => {
    receiver.respondWith((_req, i) => (i === 0 ? { status: 400, body: '{"message":"bad field"}' } : { status: 500 }));
    sink = createWebhookSink({ url: receiver.url, clock });
    const outcomes = await sink.deliver([makeEvent(1), makeEvent(2)], signal);
    assert.deepEqual(outcomes[0], {
      kind: 'permanent',
      error: `webhook POST ${receiver.url.split('?')[0]}: HTTP 400 bad field`,
    });
    assert.equal(outcomes[1]?.kind, 'retryable');
    assert.equal(receiver.received.length, 2);
  });

  it('a huge HTML error page → retryable with just its title', async () => {
    const page = `<html><head><title>502 Bad Gateway</title></head><body>${'x'.repeat(3 * 1024 * 1024)}</body></html>`;
    receiver.respondWith(() => ({ status: 502, headers: { 'content-type': 'text/html' }, body: page }));
    sink = createWebhookSink({ url: receiver.url, clock });
    const [outcome] = await sink.deliver([makeEvent(1)], signal);
    assert.equal(outcome?.kind, 'retryable');
    assert.match(outcome?.kind === 'retryable' ? outcome.error : '', /HTTP 502 502 Bad Gateway$/);
  });

  it('a server that never answers → retryable after timeoutMs', async () => {
    receiver.respondWith(() => undefined);
    sink = createWebhookSink({ url: receiver.url, timeoutMs: 150, clock });
    const [outcome] = await sink.deliver([makeEvent(1)], signal);
    assert.equal(outcome?.kind, 'retryable');
    assert.match(outcome?.kind === 'retryable' ? outcome.error : '', /timed out/);
  });

  it('connection refused → retryable', async () => {
    sink = createWebhookSink({ url: 'http://127.0.0.1:1/hook', timeoutMs: 1000, clock });
    const [outcome] = await sink.deliver([makeEvent(1)], signal);
    assert.equal(outcome?.kind, 'retryable');
    assert.match(outcome?.kind === 'retryable' ? outcome.error : '', /ECONNREFUSED/);
  });

  it('an event that cannot be serialised → permanent for that event only', async () => {
    sink = createWebhookSink({ url: receiver.url, clock });
    const outcomes = await sink.deliver([makeEvent(1, { eventBody: { n: 1n } }), makeEvent(2)], signal);
    assert.equal(outcomes[0]?.kind, 'permanent');
    assert.deepEqual(outcomes[1], { kind: 'delivered' });
    assert.equal(receiver.received.length, 1);
  });

  it('rejects bad URLs and attempts to override relay headers at construction', () => {
    assert.throws(() => createWebhookSink({ url: 'ftp://x' }), ConfigError);
    assert.throws(() => createWebhookSink({ url: 'not a url' }), ConfigError);
    assert.throws(
      () => createWebhookSink({ url: 'http://x', headers: { 'Idempotency-Key': 'mine' } }),
      (err: unknown) => err instanceof ConfigError && err.field === 'webhook.headers.Idempotency-Key',
    );
    assert.throws(() => createWebhookSink({ url: 'http://x', headers: { 'x-a': 'v\r\nx-b: injected' } }), ConfigError);
    assert.throws(() => createWebhookSink({ url: 'http://x', headers: { 'bad name': 'v' } }), ConfigError);
  });
});
