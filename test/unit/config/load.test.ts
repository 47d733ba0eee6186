import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadConfig, requireCredentials } from '../../../src/config/load.ts';
import { formatDurationMs, parseDurationMs } from '../../../src/config/duration.ts';
import { configError, files } from './config-fixtures.ts';

const SECRET = 'sup3r-s3cret-value';

describe('duration', () => {
  it('parses numbers and unit strings', () => {
    assert.equal(parseDurationMs(250), 250);
    assert.equal(parseDurationMs('250'), 250);
    assert.equal(parseDurationMs('250ms'), 250);
    assert.equal(parseDurationMs('30s'), 30_000);
    assert.equal(parseDurationMs('5m'), 300_000);
    assert.equal(parseDurationMs('1.5h'), 5_400_000);
    assert.equal(parseDurationMs('7d'), 604_800_000);
  });
  it('rejects garbage and negatives', () => {
    for (const bad of ['', 'abc', '-5s', '5 weeks', -1, Number.NaN])
      assert.equal(parseDurationMs(bad), undefined, String(bad));
  });
  it('formats compactly', () => {
    assert.equal(formatDurationMs(500), '500ms');
    assert.equal(formatDurationMs(1_500), '1.5s');
    assert.equal(formatDurationMs(90_000), '1m30s');
    assert.equal(formatDurationMs(3_600_000), '1h');
  });
});

describe('loadConfig', () => {
  it('applies defaults, with stdout ndjson as the default sink', () => {
    const config = loadConfig({}, { env: {} });
    assert.equal(config.genesys.region, 'mypurecloud.com');
    assert.equal(config.stateDir, './.state');
    assert.equal(config.session.heartbeatMs, 30_000);
    assert.equal(config.session.watchdogMs, undefined);
    assert.equal(config.outbox.maxAttempts, 10);
    assert.equal(config.metrics.port, undefined);
    assert.deepEqual(config.sinks, [{ type: 'ndjson', path: '-', name: 'ndjson' }]);
  });

  it('layers defaults < file < env < flags', () => {
    const yaml = [
      'genesys: { clientId: file-id, region: mypurecloud.ie }',
      'topics: [v2.users.a.presence]',
      'stateDir: /file/state',
      'session: { watchdogMs: 2m }',
      'metrics: { port: 9000 }',
    ].join('\n');
    const config = loadConfig(
      { configFile: 'relay.yaml', topics: ['v2.users.b.presence'], metricsPort: 0, stateDir: '/flag/state' },
      { env: { GENESYS_CLIENT_ID: 'env-id', GENESYS_CLIENT_SECRET: SECRET }, readFile: files({ 'relay.yaml': yaml }) },
    );
    assert.equal(config.genesys.clientId, 'env-id');
    assert.equal(config.genesys.region, 'mypurecloud.ie');
    assert.deepEqual(config.topics, ['v2.users.b.presence']);
    assert.equal(config.stateDir, '/flag/state');
    assert.equal(config.session.watchdogMs, 120_000);
    assert.equal(config.metrics.port, 0);
    assert.equal(requireCredentials(config).genesys.clientSecret, SECRET);
  });

  it('reads JSON config files too', () => {
    const config = loadConfig(
      { configFile: 'c.json' },
      { env: {}, readFile: files({ 'c.json': '{"topics":["v2.x"]}' }) },
    );
    assert.deepEqual(config.topics, ['v2.x']);
  });

  it('reads secrets from files, env file beating the config file', () => {
    const readFile = files({
      'c.yaml': 'genesys: { clientId: a, clientSecret: from-file-config }',
      '/run/secret': `${SECRET}\n`,
    });
    const config = loadConfig(
      { configFile: 'c.yaml' },
      { env: { GENESYS_CLIENT_SECRET_FILE: '/run/secret' }, readFile },
    );
    assert.equal(config.genesys.clientSecret, SECRET);
  });

  it('names the missing credential without leaking anything', () => {
    const config = loadConfig({}, { env: { GENESYS_CLIENT_ID: 'x' } });
    const err = configError(() => requireCredentials(config));
    assert.equal(err.field, 'genesys.clientSecret');
    assert.match(
      err.message,
      /^genesys\.clientSecret: missing — set GENESYS_CLIENT_SECRET or genesys\.clientSecretFile$/,
    );
  });

  it('names the field path of an invalid sink URL', () => {
    const yaml = 'sinks:\n  - { type: ndjson, path: out.ndjson }\n  - { type: webhook, url: "ftp://nope" }\n';
    const err = configError(() =>
      loadConfig({ configFile: 'c.yaml' }, { env: {}, readFile: files({ 'c.yaml': yaml }) }),
    );
    assert.equal(err.field, 'sinks[1].url');
    assert.equal(err.message, 'sinks[1].url: must be an http(s) URL');
  });

  it('rejects unknown fields and bad durations by path', () => {
    const unknown = configError(() =>
      loadConfig({ configFile: 'c.yaml' }, { env: {}, readFile: files({ 'c.yaml': 'session: { heartbeatMS: 5 }' }) }),
    );
    assert.equal(unknown.field, 'session.heartbeatMS');
    const duration = configError(() =>
      loadConfig({ configFile: 'c.yaml' }, { env: {}, readFile: files({ 'c.yaml': 'outbox: { retentionMs: soon }' }) }),
    );
    assert.equal(duration.field, 'outbox.retentionMs');
  });

  it('never puts a secret from a bad config into the error', () => {
    const yaml = `genesys: { clientSecret: ${SECRET}, region: 7 }\nsinks: [{ type: webhook, url: "http://x", secret: ${SECRET}, bogus: 1 }]`;
    const err = configError(() =>
      loadConfig({ configFile: 'c.yaml' }, { env: {}, readFile: files({ 'c.yaml': yaml }) }),
    );
    assert.ok(!err.message.includes(SECRET), err.message);
  });

  it('reports unreadable and unparsable files', () => {
    assert.equal(
      configError(() => loadConfig({ configFile: 'missing.yaml' }, { env: {}, readFile: files({}) })).field,
      '--config',
    );
    const bad = configError(() =>
      loadConfig({ configFile: 'c.yaml' }, { env: {}, readFile: files({ 'c.yaml': 'a: [' }) }),
    );
    assert.equal(bad.field, '--config');
  });
});

describe('--sink specs', () => {
  const yaml = [
    'sinks:',
    '  - { type: webhook, url: "https://hooks.example/in", secret: whsec-123456, maxBatch: 10 }',
    '  - type: servicenow',
    '    instanceUrl: https://dev1.service-now.com',
    '    auth: { kind: basic, username: relay, passwordFile: /run/sn }',
  ].join('\n');
  const readFile = files({ 'c.yaml': yaml, '/run/sn': 'pw-abcdef' });

  it('parses ndjson, webhook and servicenow and takes options from the matching file sink', () => {
    const config = loadConfig(
      {
        configFile: 'c.yaml',
        sinks: [
          'ndjson:-',
          'ndjson:/tmp/out.ndjson',
          'webhook:https://hooks.example/in/',
          'servicenow:https://dev1.service-now.com',
        ],
      },
      { env: {}, readFile },
    );
    assert.deepEqual(
      config.sinks.map((s) => [s.type, s.name]),
      [
        ['ndjson', 'ndjson'],
        ['ndjson', 'ndjson-2'],
        ['webhook', 'webhook'],
        ['servicenow', 'servicenow'],
      ],
    );
    const webhook = config.sinks[2];
    assert.ok(webhook?.type === 'webhook');
    assert.equal(webhook.maxBatch, 10);
    assert.equal(webhook.batch, 'single');
    assert.equal(webhook.secret, 'whsec-123456');
    const sn = config.sinks[3];
    assert.ok(sn?.type === 'servicenow' && sn.auth.kind === 'basic');
    assert.equal(sn.auth.password, 'pw-abcdef');
    assert.equal(sn.mode, 'import-set');
  });

  it('rejects unknown types, empty targets and servicenow without options', () => {
    assert.equal(configError(() => loadConfig({ sinks: ['kafka:x'] }, { env: {} })).field, 'sinks[0]');
    assert.equal(configError(() => loadConfig({ sinks: ['ndjson:'] }, { env: {} })).field, 'sinks[0]');
    assert.equal(
      configError(() => loadConfig({ sinks: ['servicenow:https://x.example'] }, { env: {} })).field,
      'sinks[0].auth',
    );
    assert.equal(configError(() => loadConfig({ sinks: ['webhook:not a url'] }, { env: {} })).field, 'sinks[0].url');
  });

  it('rejects duplicate explicit names', () => {
    const dup = 'sinks: [{ type: ndjson, name: a, path: x }, { type: ndjson, name: a, path: y }]';
    const err = configError(() =>
      loadConfig({ configFile: 'c.yaml' }, { env: {}, readFile: files({ 'c.yaml': dup }) }),
    );
    assert.equal(err.field, 'sinks[1].name');
  });
});
