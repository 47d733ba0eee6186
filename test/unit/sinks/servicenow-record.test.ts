import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from '../../../src/core/errors.ts';
import { resolveServiceNowOptions } from '../../../src/sinks/servicenow/options.ts';
import { mapEvent, toServiceNowRecord } from '../../../src/sinks/servicenow/record.ts';
import { makeEvent, USER_ID } from './fixtures.ts';

describe('toServiceNowRecord', () => {
  it('flattens an event into string columns, with the body as one JSON string', () => {
    const event = makeEvent(3);
    assert.deepEqual(toServiceNowRecord(event, 'u_event_key'), {
      u_event_key: 'key-0003',
      u_topic: `v2.users.${USER_ID}.presence`,
      u_topic_pattern: 'v2.users.{id}.presence',
      u_entity_id: USER_ID,
      u_event_id: USER_ID,
      u_version: '2',
      u_correlation_id: 'corr-3',
      u_received_at: '2026-11-24T12:00:03.000Z',
      u_channel_id: 'streaming-0-abc',
      u_event_body: JSON.stringify(event.eventBody),
    });
  });

  it('writes the key into a custom key field and blanks what is missing', () => {
    const record = toServiceNowRecord(
      makeEvent(1, { topicName: 'v2.system.x', version: undefined, eventBody: [1, 2], metadata: {} }),
      'correlation_id',
    );
    assert.equal(record['correlation_id'], 'key-0001');
    assert.equal(record['u_event_key'], undefined);
    assert.equal(record['u_entity_id'], '');
    assert.equal(record['u_event_id'], '');
    assert.equal(record['u_version'], '');
    assert.equal(record['u_correlation_id'], '');
    assert.equal(record['u_event_body'], '[1,2]');
    for (const value of Object.values(record)) assert.equal(typeof value, 'string');
  });
});

describe('mapEvent', () => {
  it('makes an unserialisable event permanent on its own instead of throwing', () => {
    const mapped = mapEvent(makeEvent(1, { eventBody: { n: 1n } }), 'u_event_key');
    assert.ok('outcome' in mapped);
    assert.equal(mapped.outcome.kind, 'permanent');
    assert.ok('record' in mapEvent(makeEvent(2), 'u_event_key'));
  });
});

describe('resolveServiceNowOptions', () => {
  const basic = { kind: 'basic', username: 'u', password: 'p' } as const;

  it('applies the defaults', () => {
    const r = resolveServiceNowOptions({ instanceUrl: 'https://acme.service-now.com', auth: basic });
    assert.equal(r.mode, 'import-set');
    assert.equal(r.table, 'u_genesys_event_import');
    assert.equal(r.keyField, 'u_event_key');
    assert.equal(r.batchSize, 100);
    assert.equal(r.name, 'servicenow');
    const t = resolveServiceNowOptions({ instanceUrl: 'https://acme.service-now.com/', auth: basic, mode: 'table' });
    assert.equal(t.table, 'u_genesys_event');
  });

  it('rejects bad options with the field and without echoing secrets', () => {
    const cases: Array<[Parameters<typeof resolveServiceNowOptions>[0], string]> = [
      [{ instanceUrl: 'https://acme.service-now.com', auth: basic, batchSize: 201 }, 'servicenow.batchSize'],
      [{ instanceUrl: 'https://acme.service-now.com/api', auth: basic }, 'servicenow.instanceUrl'],
      [{ instanceUrl: 'https://u:hunter2@acme.service-now.com', auth: basic }, 'servicenow.instanceUrl'],
      [{ instanceUrl: 'acme', auth: basic }, 'servicenow.instanceUrl'],
      [{ instanceUrl: 'https://a.example', auth: basic, table: 'Bad-Table' }, 'servicenow.table'],
      [
        { instanceUrl: 'https://a.example', auth: { kind: 'basic', username: 'u', password: '' } },
        'servicenow.auth.password',
      ],
      [
        {
          instanceUrl: 'https://a.example',
          auth: { kind: 'oauth', clientId: 'c', clientSecret: 's', grant: 'password' },
        },
        'servicenow.auth.username',
      ],
    ];
    for (const [options, field] of cases) {
      assert.throws(
        () => resolveServiceNowOptions(options),
        (err: unknown) => err instanceof ConfigError && err.field === field && !err.message.includes('hunter2'),
        field,
      );
    }
  });

  it('refuses a plain http:// instance URL unless allowInsecureHttp (a local fake) says so', () => {
    assert.throws(
      () => resolveServiceNowOptions({ instanceUrl: 'http://acme.service-now.com', auth: basic }),
      (err: unknown) =>
        err instanceof ConfigError && err.field === 'servicenow.instanceUrl' && /https:\/\//.test(err.message),
    );
    const local = resolveServiceNowOptions({
      instanceUrl: 'http://127.0.0.1:8080',
      auth: basic,
      allowInsecureHttp: true,
    });
    assert.equal(local.instanceUrl.protocol, 'http:');
  });

  it('accepts client_credentials without a user', () => {
    const r = resolveServiceNowOptions({
      instanceUrl: 'https://a.example',
      auth: { kind: 'oauth', clientId: 'c', clientSecret: 's', grant: 'client_credentials' },
    });
    assert.equal(r.auth.kind, 'oauth');
  });
});
