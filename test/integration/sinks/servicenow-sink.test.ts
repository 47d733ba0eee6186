import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { startServiceNowFake, type ServiceNowFake } from '../../../src/emulator/servicenow/index.ts';
import { createServiceNowSink, type ServiceNowSinkOptions } from '../../../src/sinks/servicenow/index.ts';
import type { Sink } from '../../../src/sinks/sink.ts';
import { makeEvents } from '../../unit/sinks/fixtures.ts';

const signal = new AbortController().signal;
const PASSWORD = 'S3cr3t-pa55';

describe('ServiceNow sink (basic auth)', () => {
  let fake: ServiceNowFake;
  const sinks: Sink[] = [];
  const open = (options: Partial<ServiceNowSinkOptions> = {}): Sink => {
    const sink = createServiceNowSink({
      instanceUrl: fake.url,
      allowInsecureHttp: true,
      auth: { kind: 'basic', username: 'relay', password: PASSWORD },
      ...options,
    });
    sinks.push(sink);
    return sink;
  };

  before(async () => {
    fake = await startServiceNowFake({ users: { relay: PASSWORD } });
  });
  after(() => fake.close());
  afterEach(async () => {
    await Promise.all(sinks.splice(0).map((s) => s.close()));
  });

  it('import-set mode: one insertMultiple per batch, rows land in the target table', async () => {
    const sink = open();
    assert.equal(sink.name, 'servicenow');
    assert.equal(sink.maxBatch, 100);
    const events = makeEvents(3, 100);
    assert.deepEqual(await sink.deliver(events, signal), Array(3).fill({ kind: 'delivered' }));
    const rows = fake.records('u_genesys_event').filter((r) => r['u_event_key']?.startsWith('key-01'));
    assert.deepEqual(
      rows.map((r) => r['u_event_key']),
      ['key-0100', 'key-0101', 'key-0102'],
    );
    assert.deepEqual(JSON.parse(rows[0]?.['u_event_body'] ?? ''), events[0]?.eventBody);
    assert.equal(rows[0]?.['u_correlation_id'], 'corr-100');
    const posts = fake.requests.filter((r) => r.path === '/api/now/import/u_genesys_event_import/insertMultiple');
    assert.equal(posts.length, 1);
    assert.equal(posts[0]?.user, 'relay');
  });

  it('sending the same batch twice does not duplicate rows (coalesce on u_event_key)', async () => {
    const sink = open({ batchSize: 50 });
    const events = makeEvents(4, 200);
    await sink.deliver(events, signal);
    const setsBefore = fake.importSets.length;
    assert.deepEqual(await sink.deliver(events, signal), Array(4).fill({ kind: 'delivered' }));
    assert.equal(fake.importSets.length, setsBefore + 1, 'the second batch was really sent');
    const rows = fake.records('u_genesys_event').filter((r) => r['u_event_key']?.startsWith('key-02'));
    assert.equal(rows.length, 4);
    assert.ok(rows.every((r) => r['sys_mod_count'] === '1'));
  });

  it('table mode: look-up then POST, and a re-send PATCHes instead of duplicating', async () => {
    const sink = open({ mode: 'table' });
    const events = makeEvents(2, 300);
    assert.deepEqual(await sink.deliver(events, signal), Array(2).fill({ kind: 'delivered' }));
    assert.deepEqual(await sink.deliver(events, signal), Array(2).fill({ kind: 'delivered' }));
    const rows = fake.records('u_genesys_event').filter((r) => r['u_event_key']?.startsWith('key-03'));
    assert.equal(rows.length, 2);
    const calls = fake.requests.filter((r) => r.path.startsWith('/api/now/table/u_genesys_event')).map((r) => r.method);
    assert.deepEqual(calls, ['GET', 'POST', 'GET', 'POST', 'GET', 'PATCH', 'GET', 'PATCH']);
    const lookup = fake.requests.find((r) => r.method === 'GET' && r.path.includes('sysparm_query'));
    assert.match(lookup?.path ?? '', /sysparm_query=u_event_key%3Dkey-0300&sysparm_fields=sys_id&sysparm_limit=1/);
  });

  it('wrong password → blocked (events stay queued), says what to check, never shows the password', async () => {
    const sink = createServiceNowSink({
      instanceUrl: fake.url,
      allowInsecureHttp: true,
      auth: { kind: 'basic', username: 'relay', password: 'wrong-Pa55word' },
    });
    sinks.push(sink);
    const [outcome] = await sink.deliver(makeEvents(1), signal);
    assert.equal(outcome?.kind, 'blocked');
    const error = outcome?.kind === 'blocked' ? outcome.error : '';
    assert.match(error, /HTTP 401 User Not Authenticated/);
    assert.match(error, /check servicenow\.auth username and password/);
    assert.doesNotMatch(error, /wrong-Pa55word|S3cr3t/);
  });

  it('table mode, wrong password: one failed request per batch, the rest blocked untried', async () => {
    const sink = createServiceNowSink({
      instanceUrl: fake.url,
      allowInsecureHttp: true,
      mode: 'table',
      auth: { kind: 'basic', username: 'relay', password: 'wrong-Pa55word' },
    });
    sinks.push(sink);
    const before = fake.requests.length;
    const outcomes = await sink.deliver(makeEvents(3, 400), signal);
    assert.deepEqual(
      outcomes.map((o) => o.kind),
      ['blocked', 'blocked', 'blocked'],
    );
    assert.equal(fake.requests.length, before + 1, 'no login attempt per event (account lockout)');
  });

  it('403 (ACL) → permanent; unknown table → permanent with the instance message', async () => {
    fake.fault({ kind: 'forbidden' });
    const sink = open();
    const [denied] = await sink.deliver(makeEvents(1), signal);
    assert.equal(denied?.kind, 'permanent');
    assert.match(denied?.kind === 'permanent' ? denied.error : '', /HTTP 403 Operation Failed: ACL Exception/);
    const wrong = open({ table: 'u_no_such_import' });
    const [missing] = await wrong.deliver(makeEvents(1), signal);
    assert.equal(missing?.kind, 'permanent');
    assert.match(missing?.kind === 'permanent' ? missing.error : '', /HTTP 400 Invalid table u_no_such_import/);
  });
});

describe('ServiceNow sink, payload limits', () => {
  it('a 413 batch is split until it fits; a record too large alone is permanent', async () => {
    const fake = await startServiceNowFake({ maxBodyBytes: 3000 });
    const sink = createServiceNowSink({
      instanceUrl: fake.url,
      allowInsecureHttp: true,
      auth: { kind: 'basic', username: 'admin', password: 'admin' },
    });
    try {
      const events = makeEvents(6, 700);
      const huge = makeEvents(1, 799)[0];
      assert.ok(huge);
      huge.eventBody = { blob: 'x'.repeat(4000) };
      const outcomes = await sink.deliver([...events, huge], signal);
      assert.deepEqual(outcomes.slice(0, 6), Array(6).fill({ kind: 'delivered' }));
      assert.equal(outcomes[6]?.kind, 'permanent');
      assert.match(outcomes[6]?.kind === 'permanent' ? outcomes[6].error : '', /HTTP 413 Request entity too large/);
      assert.equal(fake.records('u_genesys_event').length, 6);
      assert.ok(fake.requests.filter((r) => r.status === 413).length >= 2);
    } finally {
      await sink.close();
      await fake.close();
    }
  });
});
