import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { INFRA_PATH_ENV, SKIP_INFRA_ENV } from '../../helpers/infra.ts';
import { findNatsServer } from '../../helpers/nats-server.ts';
import { findPgBin } from '../../helpers/pg-server.ts';
import { provisionInfra, serversNeeded } from '../../helpers/provision-infra.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const NATS_TEST = join(ROOT, 'test', 'integration', 'nats', 'jetstream-sink.test.ts');
const SCALE_OUT_TEST = join(ROOT, 'test', 'integration', 'distributed', 'scale-out.test.ts');

// The set-up step scripts/run-tests.mjs runs before the suite. Binaries are hidden with GENESYS_RELAY_INFRA_PATH
// (an empty directory), never uninstalled.
describe('provision-infra', () => {
  const empty = mkdtempSync(join(tmpdir(), 'genesys-relay-noinfra-'));
  after(() => rmSync(empty, { recursive: true, force: true }));
  const hidden = { ...process.env, [INFRA_PATH_ENV]: empty, [SKIP_INFRA_ENV]: undefined };

  it('knows which servers a test file starts from the helper it imports', () => {
    assert.deepEqual(
      serversNeeded([SCALE_OUT_TEST]).map((s) => s.label),
      ['PostgreSQL (initdb, pg_ctl)', 'nats-server'],
    );
    assert.deepEqual(
      serversNeeded([NATS_TEST]).map((s) => s.label),
      ['nats-server'],
    );
    assert.deepEqual(serversNeeded([join(ROOT, 'test', 'unit', 'core.test.ts')]), []);
  });

  it('finds binaries in any directory of the search path, not only Debian paths', () => {
    const dir = mkdtempSync(join(tmpdir(), 'genesys-relay-bin-'));
    try {
      for (const name of ['nats-server', 'pg_ctl', 'initdb']) {
        writeFileSync(join(dir, name), '#!/bin/sh\n');
        chmodSync(join(dir, name), 0o755);
      }
      const env = { [INFRA_PATH_ENV]: `${empty}:${dir}` };
      assert.equal(findNatsServer(env), join(dir, 'nats-server'));
      assert.equal(findPgBin(env), dir);
      assert.equal(findNatsServer({ [INFRA_PATH_ENV]: empty }), undefined);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('without root, names the install command in one line', () => {
    const line = provisionInfra(serversNeeded([SCALE_OUT_TEST]), { env: hidden, isRoot: false });
    assert.ok(line !== undefined);
    assert.doesNotMatch(line, /\n/);
    assert.match(line, /PostgreSQL .* and nats-server not found.*install with: sudo \.ci\/install-infra\.sh/);
  });

  it('as root runs the installer, and says so when it fails', () => {
    let runs = 0;
    const install = (): number => {
      runs += 1;
      return spawnSync('sh', ['-c', 'exit 100']).status ?? 1;
    };
    const line = provisionInfra(serversNeeded([NATS_TEST]), { env: hidden, isRoot: true, install });
    assert.equal(runs, 1);
    assert.match(String(line), /nats-server not found .*install-infra\.sh exited 100/);
  });

  it('passes when skipping was asked for, or when nothing is needed', () => {
    const needed = serversNeeded([SCALE_OUT_TEST]);
    assert.equal(provisionInfra(needed, { env: { ...hidden, [SKIP_INFRA_ENV]: '1' }, isRoot: false }), undefined);
    assert.equal(provisionInfra([], { env: hidden, isRoot: false }), undefined);
  });

  it('npm test stops before the suite with that line (exit 1), instead of cancelled tests and fail 0', () => {
    const run = spawnSync(process.execPath, [join(ROOT, 'scripts', 'run-tests.mjs'), NATS_TEST], {
      cwd: ROOT,
      env: { ...hidden, PATH: '/usr/bin:/bin' },
      encoding: 'utf8',
    });
    assert.equal(run.status, 1);
    const lines = run.stderr.trim().split('\n');
    assert.match(lines.at(-1) ?? '', /^run-tests: nats-server not found .*sudo \.ci\/install-infra\.sh/);
    assert.doesNotMatch(run.stdout, /cancelled|✖/);
  });
});
