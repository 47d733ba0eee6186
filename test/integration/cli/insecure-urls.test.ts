import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli, tempDir } from './helpers.ts';

const ENV = { GENESYS_CLIENT_ID: 'x', GENESYS_CLIENT_SECRET: 'not-logged', GENESYS_RELAY_COORDINATION_URL: '' };

function config(dir: string, name: string, sink: string): string {
  const path = join(dir, name);
  writeFileSync(
    path,
    [
      "topics: ['v2.users.6c3a0000-0000-4000-8000-000000000000.presence']",
      'sinks:',
      `  - { type: servicenow, ${sink}, auth: { kind: basic, username: u, password: hunter2 } }`,
    ].join('\n'),
  );
  return path;
}

describe('a plain http:// ServiceNow instance URL', () => {
  const { dir, cleanup } = tempDir('genesys-relay-insecure-');
  after(cleanup);

  it('is a configuration error (exit 2) naming the field, for validate and for run', async () => {
    const path = config(dir, 'http.yaml', 'instanceUrl: http://acme.service-now.com');
    for (const args of [
      ['config', 'validate', '--config', path],
      ['run', '--config', path, '--state-dir', join(dir, 'state')],
    ]) {
      const result = await runCli(args, ENV);
      assert.equal(result.code, 2, `${args[0]}: ${result.stderr}`);
      assert.match(result.stderr, /sinks\[0\]\.instanceUrl: must be https:\/\/.*allowInsecureHttp: true/);
      assert.doesNotMatch(result.stderr, /hunter2|not-logged/);
    }
  });

  it('is accepted with allowInsecureHttp: true (a local fake)', async () => {
    const path = config(dir, 'fake.yaml', 'instanceUrl: http://127.0.0.1:9, allowInsecureHttp: true');
    const result = await runCli(['config', 'validate', '--config', path], ENV);
    assert.equal(result.code, 0, result.stderr);
  });
});
