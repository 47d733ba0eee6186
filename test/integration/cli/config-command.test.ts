import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { runCli, tempDir } from './helpers.ts';

const EXAMPLE = join(import.meta.dirname, '..', '..', '..', 'examples', 'relay.example.yaml');
const SECRETS = {
  'genesys-client-secret': 'genesys-Secret-0001',
  'webhook-signing-secret': 'webhook-Secret-0002',
  'servicenow-client-secret': 'servicenow-Secret-0003',
};
const DB_PASSWORD = 'db-Pa55-0004';
/** Deadline for one CLI run: tsx compiles the sources at each start, seconds on a loaded CI machine. */
const SLOW_START_MS = 60_000;
/** Nothing of the caller's environment may leak into what is validated. */
const CLEAN_ENV = {
  GENESYS_CLIENT_ID: '',
  GENESYS_CLIENT_SECRET: '',
  GENESYS_CLIENT_SECRET_FILE: '',
  GENESYS_REGION: '',
  GENESYS_API_BASE: '',
  GENESYS_LOGIN_BASE: '',
  GENESYS_RELAY_COORDINATION_URL: '',
  GENESYS_RELAY_LOG_LEVEL: '',
};

describe('genesys-relay config validate | print', () => {
  const { dir, cleanup } = tempDir('genesys-relay-config-');
  after(cleanup);
  // The example with its /run/secrets paths pointing at real files in a temp dir.
  for (const [name, value] of Object.entries(SECRETS)) writeFileSync(join(dir, name), `${value}\n`);
  const example = join(dir, 'relay.yaml');
  writeFileSync(example, readFileSync(EXAMPLE, 'utf8').replaceAll('/run/secrets', dir));

  it('validates the example config: exit 0 and a summary', async () => {
    const result = await runCli(['config', 'validate', '--config', example], CLEAN_ENV, SLOW_START_MS);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /relay\.yaml: valid \(2 topic\(s\); sinks: ndjson, hooks, servicenow; state dir /);
  });

  it('rejects a bad file with exit 2, naming every bad field', async () => {
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      [
        'genesys: { region: nowhere }',
        'session: { heartbeatMs: soon }',
        'sinks: [{ type: webhook, url: "ftp://x", colour: blue }]',
      ].join('\n'),
    );
    const result = await runCli(['config', 'validate', '--config', bad], CLEAN_ENV, SLOW_START_MS);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /invalid configuration: /);
    for (const field of [/session\.heartbeatMs: must be a duration/, /sinks\[0\]\.url: must be an http\(s\) URL/]) {
      assert.match(result.stderr, field);
    }
    assert.match(result.stderr, /sinks\[0\]\.colour: unknown field/);
    const missing = await runCli(['config', 'validate', '--config', join(dir, 'nope.yaml')], CLEAN_ENV, SLOW_START_MS);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--config: cannot read .*nope\.yaml/);
  });

  it('notes missing credentials without failing (they usually come from the environment at run time)', async () => {
    const bare = join(dir, 'bare.yaml');
    writeFileSync(bare, 'topics: [v2.users.u1.presence]\n');
    const result = await runCli(['config', 'validate', '--config', bare], CLEAN_ENV, SLOW_START_MS);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /note: genesys\.clientId: missing/);
  });

  it('prints the effective merged config (file < env < flags) with every secret redacted', async () => {
    const env = {
      ...CLEAN_ENV,
      GENESYS_RELAY_COORDINATION_URL: `postgres://relay:${DB_PASSWORD}@db:5432/relay`,
      GENESYS_RELAY_LOG_LEVEL: 'debug',
    };
    const yaml = await runCli(['config', 'print', '--config', example, '--metrics-port', '9999'], env, SLOW_START_MS);
    const json = await runCli(['config', 'print', '--json', '--config', example], env, SLOW_START_MS);
    for (const result of [yaml, json]) {
      assert.equal(result.code, 0, result.stderr);
      for (const secret of [...Object.values(SECRETS), DB_PASSWORD]) assert.ok(!result.stdout.includes(secret), secret);
    }
    const printed = parse(yaml.stdout) as {
      genesys: { clientSecret: string; region: string };
      sinks: Array<{ name: string; secret?: string; auth?: { clientSecret: string } }>;
      coordination: { url: string };
      metrics: { port: number };
      log: { level: string };
      session: { heartbeatMs: number };
    };
    assert.equal(printed.genesys.clientSecret, '[redacted]');
    assert.equal(printed.sinks.find((s) => s.name === 'hooks')?.secret, '[redacted]');
    assert.equal(printed.sinks.find((s) => s.name === 'servicenow')?.auth?.clientSecret, '[redacted]');
    assert.equal(printed.coordination.url, 'postgres://relay:[redacted]@db:5432/relay');
    assert.equal(printed.genesys.region, 'mypurecloud.ie', 'from the file');
    assert.equal(printed.log.level, 'debug', 'the environment beats the file');
    assert.equal(printed.metrics.port, 9999, 'a flag beats the file');
    assert.equal(printed.session.heartbeatMs, 30_000, 'durations resolved to ms');
    assert.deepEqual(JSON.parse(json.stdout), { ...printed, metrics: { ...printed.metrics, port: 9464 } });
  });
});
