import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load.ts';
import { configSecrets } from '../../../src/config/secrets.ts';
import { configError, files } from './config-fixtures.ts';

const PG_PASSWORD = 'pg-pa55word-xyz';

function fromYaml(yaml: string, extra: Parameters<typeof loadConfig>[0] = {}, env: NodeJS.ProcessEnv = {}) {
  return loadConfig({ configFile: 'c.yaml', ...extra }, { env, readFile: files({ 'c.yaml': yaml, 's.txt': 's2\n' }) });
}

describe('coordination config', () => {
  it('is absent by default and parses durations, env and flags (flags win)', () => {
    assert.equal(fromYaml('topics: []').coordination, undefined);
    const config = fromYaml('coordination: { url: "postgres://h/db", leaseTtlMs: 2s, renewEveryMs: 500, shards: 6 }');
    assert.deepEqual(config.coordination, { url: 'postgres://h/db', leaseTtlMs: 2000, renewEveryMs: 500, shards: 6 });
    const env = fromYaml(
      'coordination: { leaseTtlMs: 3s }',
      {},
      { GENESYS_RELAY_COORDINATION_URL: 'postgres://env/db' },
    );
    assert.equal(env.coordination?.url, 'postgres://env/db');
    assert.equal(env.coordination?.leaseTtlMs, 3000);
    const flags = fromYaml(
      'coordination: { url: "postgres://file/db" }',
      { coordinationUrl: 'postgresql://flag/db', workerId: 'w-1' },
      { GENESYS_RELAY_COORDINATION_URL: 'postgres://env/db' },
    );
    assert.equal(flags.coordination?.url, 'postgresql://flag/db');
    assert.equal(flags.coordination?.workerId, 'w-1');
    assert.equal(flags.coordination?.leaseTtlMs, 15_000);
  });

  it('reads the URL from coordination.urlFile or GENESYS_RELAY_COORDINATION_URL_FILE; a direct URL wins', () => {
    const read = (yaml: string, env: NodeJS.ProcessEnv = {}, extra: Parameters<typeof loadConfig>[0] = {}) =>
      loadConfig(
        { configFile: 'c.yaml', ...extra },
        { env, readFile: files({ 'c.yaml': yaml, 'pg.url': `postgres://u:${PG_PASSWORD}@file/db\n` }) },
      );
    const fromFile = read('coordination: { urlFile: pg.url }');
    assert.equal(fromFile.coordination?.url, `postgres://u:${PG_PASSWORD}@file/db`);
    assert.ok(configSecrets(fromFile).includes(PG_PASSWORD), 'the password read from the file is scrubbed');
    const fromEnvFile = read('coordination: { url: "postgres://yaml/db" }', {
      GENESYS_RELAY_COORDINATION_URL_FILE: 'pg.url',
    });
    assert.equal(fromEnvFile.coordination?.url, `postgres://u:${PG_PASSWORD}@file/db`, 'env beats the file');
    const flag = read('coordination: { urlFile: pg.url }', {}, { coordinationUrl: 'postgres://flag/db' });
    assert.equal(flag.coordination?.url, 'postgres://flag/db');
    const missing = configError(() => read('coordination: { urlFile: nope.url }'));
    assert.equal(missing.field, 'coordination.urlFile');
    assert.match(missing.message, /cannot read nope\.url/);
  });

  it('names the offending field, and never echoes the URL', () => {
    const bad = `mysql://u:${PG_PASSWORD}@h/db`;
    const url = configError(() => fromYaml(`coordination: { url: "${bad}" }`));
    assert.equal(url.field, 'coordination.url');
    assert.ok(!url.message.includes(PG_PASSWORD), url.message);
    assert.equal(
      configError(() => fromYaml('coordination: { leaseTtlMs: 1s }', { workerId: 'w' })).field,
      'coordination.url',
    );
    const renew = configError(() =>
      fromYaml('coordination: { url: "postgres://h/db", leaseTtlMs: 1s, renewEveryMs: 1s }'),
    );
    assert.equal(renew.field, 'coordination.renewEveryMs');
    for (const bad of ['0', '2s']) {
      const store = configError(() =>
        fromYaml(`coordination: { url: "postgres://h/db", leaseTtlMs: 2s, storeTimeoutMs: ${bad} }`),
      );
      assert.equal(store.field, 'coordination.storeTimeoutMs');
    }
    assert.equal(
      fromYaml('coordination: { url: "postgres://h/db", leaseTtlMs: 15s, storeTimeoutMs: 8s }').coordination
        ?.storeTimeoutMs,
      8_000,
    );
    assert.equal(
      configError(() => fromYaml('coordination: { url: "postgres://h/d", shards: 0 }')).field,
      'coordination.shards',
    );
    assert.equal(
      configError(() => fromYaml('coordination: { url: "postgres://h/d", leaseTtlMs: 0 }')).field,
      'coordination.leaseTtlMs',
    );
    assert.equal(
      configError(() => fromYaml('coordination: { url: "postgres://h/d", workerId: "a b" }')).field,
      'coordination.workerId',
    );
    assert.equal(
      configError(() => fromYaml('coordination: { url: "postgres://h/d", ttl: 1 }')).field,
      'coordination.ttl',
    );
  });

  it('scrubs the coordination password and every OAuth client secret', () => {
    const config = fromYaml(
      `coordination: { url: "postgres://relay:${PG_PASSWORD}@db:5432/relay" }\n` +
        'genesys: { clientSecret: main-secret, clients: [{ clientId: b, clientSecret: second-secret }, { clientId: c, clientSecretFile: s.txt }] }',
    );
    const secrets = configSecrets(config);
    for (const s of [PG_PASSWORD, 'main-secret', 'second-secret', 's2']) assert.ok(secrets.includes(s), s);
  });
});

describe('genesys.clients', () => {
  it('defaults to none, reads secret files, and names a client without a secret', () => {
    assert.deepEqual(fromYaml('topics: []').genesys.clients, []);
    const config = fromYaml('genesys: { clients: [{ clientId: b, clientSecretFile: s.txt }] }');
    assert.equal(config.genesys.clients[0]?.clientSecret, 's2');
    const missing = configError(() =>
      fromYaml('genesys: { clients: [{ clientId: b, clientSecret: x }, { clientId: c }] }'),
    );
    assert.equal(missing.field, 'genesys.clients[1].clientSecret');
    assert.equal(
      configError(() => fromYaml('genesys: { clients: [{ clientSecret: x }] }')).field,
      'genesys.clients[0].clientId',
    );
  });
});

describe('nats sink config', () => {
  it('parses --sink nats:URL and takes options from the file sink with that server', () => {
    const config = fromYaml(
      'sinks: [{ type: nats, servers: ["nats://n1:4222"], stream: RELAY, subjectPrefix: gen, duplicateWindowMs: 60000 }]',
      { sinks: ['nats:nats://n1:4222'] },
    );
    assert.deepEqual(config.sinks, [
      {
        type: 'nats',
        name: 'nats',
        servers: ['nats://n1:4222'],
        stream: 'RELAY',
        subjectPrefix: 'gen',
        duplicateWindowMs: 60_000,
      },
    ]);
    const bare = fromYaml('topics: []', { sinks: ['nats:nats://127.0.0.1:4222'] });
    assert.deepEqual(bare.sinks, [{ type: 'nats', name: 'nats', servers: ['nats://127.0.0.1:4222'] }]);
  });

  it('rejects a non-nats URL and a bad stream name by field', () => {
    assert.equal(configError(() => fromYaml('topics: []', { sinks: ['nats:http://x'] })).field, 'sinks[0].servers');
    assert.equal(
      configError(() => fromYaml('sinks: [{ type: nats, servers: "nats://h:1", stream: "a.b" }]')).field,
      'sinks[0].stream',
    );
  });
});
