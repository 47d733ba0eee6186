import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { LockOwner } from '../../../src/service/state-dir-lock.ts';
import { PRESENCE_A, emulatorWithEnv, runCli, spawnCli, tempDir, type CliProcess } from './helpers.ts';

function lockOwner(stateDir: string): LockOwner | undefined {
  const path = join(stateDir, 'relay.lock');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as LockOwner) : undefined;
}

describe('genesys-relay run: one relay per state dir', () => {
  it('refuses a second run on a held state dir, frees it on SIGTERM, and takes over after kill -9', async () => {
    const { emulator, env } = await emulatorWithEnv();
    const { dir, cleanup } = tempDir();
    const stateDir = join(dir, 'state');
    const args = ['run', '--topic', PRESENCE_A, '--sink', `ndjson:${join(dir, 'out.ndjson')}`, '--state-dir', stateDir];
    const started: CliProcess[] = [];
    const start = async (): Promise<CliProcess> => {
      const cli = spawnCli(args, env);
      started.push(cli);
      await cli.waitForStderr(/"state":"open"/);
      return cli;
    };
    try {
      const first = await start();
      assert.equal(lockOwner(stateDir)?.pid, first.child.pid);

      const second = await runCli(args, env);
      assert.equal(second.code, 1, second.stderr);
      const message = new RegExp(
        `state dir ${stateDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is in use by pid ${first.child.pid} ` +
          String.raw`\(started \d{4}-\d\d-\d\dT[\d:.]+Z, last heartbeat \d+\.\d s ago; taken over after 30\.0 s without one\); ` +
          'use another --state-dir or stop that relay',
      );
      assert.match(second.stderr, message);
      assert.equal(lockOwner(stateDir)?.pid, first.child.pid, 'the refused run left the lock alone');

      // Read-only commands do not take the lock: they work beside the running relay.
      const status = await runCli(['status', '--state-dir', stateDir, '--json']);
      assert.equal(status.code, 0, status.stderr);
      const dlq = await runCli(['dlq', 'list', '--state-dir', stateDir, '--sink', 'ndjson']);
      assert.equal(dlq.code, 0, dlq.stderr);

      first.kill('SIGTERM');
      assert.equal((await first.exited).code, 0, first.stderr.join('\n'));
      assert.equal(lockOwner(stateDir), undefined, 'a clean stop removes the lock');

      const third = await start();
      assert.equal(lockOwner(stateDir)?.pid, third.child.pid);
      third.kill('SIGKILL');
      await third.exited;
      assert.equal(lockOwner(stateDir)?.pid, third.child.pid, 'kill -9 leaves a stale lock');

      const fourth = await start();
      const takeover = await fourth.waitForStderr(/took over a stale state dir lock/);
      assert.match(takeover, new RegExp(`pid ${third.child.pid} is not running`));
      assert.equal(lockOwner(stateDir)?.pid, fourth.child.pid);
      fourth.kill('SIGTERM');
      assert.equal((await fourth.exited).code, 0, fourth.stderr.join('\n'));
    } finally {
      for (const cli of started) cli.kill();
      await Promise.all(started.map((cli) => cli.exited));
      await emulator.close();
      cleanup();
    }
  });
});
