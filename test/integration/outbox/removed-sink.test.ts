import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { describe, it } from 'node:test';
import { loadConfig, requireCredentials } from '../../../src/config/load.ts';
import { systemClock } from '../../../src/core/clock.ts';
import { createMetrics } from '../../../src/metrics/metrics.ts';
import { updateOutboxGauges } from '../../../src/metrics/outbox-gauges.ts';
import { SqliteOutbox } from '../../../src/outbox/sqlite-outbox.ts';
import { outboxPath } from '../../../src/outbox/state-dir.ts';
import { createDispatcher } from '../../../src/service/pipeline.ts';
import { CLI_FROM_SOURCE } from '../cli/helpers.ts';
import { memoryLogger } from '../service/relay-harness.ts';
import { RecordingSink, makeEvent, tempDir } from './helpers.ts';

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...CLI_FROM_SOURCE, ...args], (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

describe('a sink removed from the config', () => {
  it('keeps its backlog visible (warn at start, depth metric, status) until `outbox drop-sink` forgets it', async () => {
    const { dir, cleanup } = tempDir();
    try {
      // A previous run delivered to "old" and "kept"; "old" still owes 3 events.
      const first = new SqliteOutbox({ path: outboxPath(dir), pruneIntervalMs: 0 });
      first.setActiveSinks(['old', 'kept']);
      for (let i = 1; i <= 3; i++) first.appendSync(makeEvent(i));
      first.close();

      // This run configures only "kept".
      const file = { topics: ['v2.users.x.presence'], stateDir: dir, sinks: [{ type: 'ndjson', name: 'kept' }] };
      const env = { GENESYS_CLIENT_ID: 'id', GENESYS_CLIENT_SECRET: 'secret' };
      const config = requireCredentials(loadConfig({ configFile: 'x' }, { env, readFile: () => JSON.stringify(file) }));
      const { logger, lines } = memoryLogger([]);
      const metrics = createMetrics({ processMetrics: false });
      const outbox = new SqliteOutbox({ path: outboxPath(dir), pruneIntervalMs: 0 });
      createDispatcher({ config, clock: systemClock, logger, metrics }, outbox, [new RecordingSink('kept')]);
      const warning = lines.find((l) => l.includes('outbox.removed-sink'));
      assert.ok(warning, 'a warning at start');
      assert.match(warning, /"level":40/);
      assert.match(warning, /sink \\"old\\" is no longer configured but has 3 undelivered event\(s\)/);
      assert.ok(warning.includes(`genesys-relay outbox drop-sink --sink old --state-dir ${dir}`), warning);
      updateOutboxGauges(metrics, outbox.stats(), Date.now());
      assert.match(await metrics.registry.metrics(), /^genesys_relay_outbox_depth\{sink="old"\} 3$/m);
      outbox.close();

      const status = await cli('status', '--state-dir', dir);
      assert.match(status.stdout, /^old\s+no\s+3\b/m, status.stdout);

      const refused = await cli('outbox', 'drop-sink', '--sink', 'kept', '--state-dir', dir);
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /still configured/);
      const dropped = await cli('outbox', 'drop-sink', '--sink', 'old', '--state-dir', dir);
      assert.equal(dropped.code, 0, dropped.stderr);
      assert.match(dropped.stdout, /dropped sink "old": 3 row\(s\), of which 3 undelivered event\(s\)/);

      const after = new SqliteOutbox({ path: outboxPath(dir), pruneIntervalMs: 0, recoverInflight: false });
      assert.deepEqual(after.sinkNames(), ['kept']);
      assert.equal(after.stats().sinks[0]?.pending, 3, "the kept sink's rows are untouched");
      after.close();
      const help = await cli('outbox', 'drop-sink', '--help');
      assert.match(help.stdout, /no longer configured/);
    } finally {
      cleanup();
    }
  });
});
