import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { loadConfig } from '../../../src/config/load.ts';
import { CLI_FROM_SOURCE } from '../cli/helpers.ts';

const FILE = '/etc/relay.yaml';
const load = (env: Record<string, string>, metricsHost?: string, file = 'metrics: { host: 10.0.0.1 }\n'): string =>
  loadConfig({ configFile: FILE, ...(metricsHost === undefined ? {} : { metricsHost }) }, { env, readFile: () => file })
    .metrics.host;

describe('metrics bind address: metrics.host, GENESYS_RELAY_METRICS_HOST, --metrics-host', () => {
  it('defaults to 127.0.0.1; file < environment < flag', () => {
    assert.equal(load({}, undefined, ''), '127.0.0.1');
    assert.equal(load({}), '10.0.0.1');
    assert.equal(load({ GENESYS_RELAY_METRICS_HOST: '0.0.0.0' }), '0.0.0.0');
    assert.equal(load({ GENESYS_RELAY_METRICS_HOST: '0.0.0.0' }, '::'), '::');
    assert.equal(load({ GENESYS_RELAY_METRICS_HOST: '' }), '10.0.0.1', 'an empty variable is unset');
  });

  it('reaches the effective configuration through the real CLI (config print)', () => {
    const print = (args: string[], env: Record<string, string> = {}): unknown => {
      const result = spawnSync(process.execPath, [...CLI_FROM_SOURCE, 'config', 'print', ...args], {
        encoding: 'utf8',
        env: { ...process.env, ...env },
      });
      assert.equal(result.status, 0, result.stderr);
      return (parseYaml(result.stdout) as { metrics: { host: string } }).metrics.host;
    };
    assert.equal(print(['--metrics-host', '0.0.0.0'], { GENESYS_RELAY_METRICS_HOST: '::1' }), '0.0.0.0');
    assert.equal(print([], { GENESYS_RELAY_METRICS_HOST: '::1' }), '::1');
  });
});
