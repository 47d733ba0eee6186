import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SqliteOutbox } from '../../../src/outbox/sqlite-outbox.ts';
import { outboxPath } from '../../../src/outbox/state-dir.ts';
import { CLI_FROM_SOURCE } from '../cli/helpers.ts';
import { makeEvent, tempDir } from './helpers.ts';

function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [...CLI_FROM_SOURCE, ...args], (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('replay and dlq commands', () => {
  const { dir, cleanup } = tempDir();
  const key = (i: number): string => makeEvent(i).relay.key;
  const state = (): { states: string[] } => {
    const outbox = new SqliteOutbox({ path: outboxPath(dir), pruneIntervalMs: 0, recoverInflight: false });
    try {
      const s = outbox.stats().sinks.find((x) => x.sink === 'rec');
      return {
        states: [`pending=${s?.pending}`, `delivered=${s?.delivered}`, `dead=${s?.dead}`],
      };
    } finally {
      outbox.close();
    }
  };

  before(() => {
    // Events 1-3 delivered, 4-5 dead after 3 attempts.
    const outbox = new SqliteOutbox({ path: outboxPath(dir), pruneIntervalMs: 0 });
    outbox.setActiveSinks(['rec']);
    for (let i = 1; i <= 5; i++) outbox.appendSync(makeEvent(i));
    outbox.claim('rec', 10);
    outbox.settle('rec', [
      ...[1, 2, 3].map((seq) => ({ seq, action: 'ack' as const })),
      ...[4, 5].map((seq) => ({ seq, action: 'deadLetter' as const, reason: `gave up: 503 for ${seq}` })),
    ]);
    outbox.close();
  });
  after(cleanup);

  it('lists dead letters with key, topic, attempts and last error', async () => {
    const [table, json] = await Promise.all([
      cli('dlq', 'list', '--state-dir', dir, '--sink', 'rec'),
      cli('dlq', 'list', '--state-dir', dir, '--sink', 'rec', '--limit', '1', '--json'),
    ]);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.equal(lines[0], 'seq\tkey\ttopic\tattempts\tdead_at\tlast_error');
    assert.equal(lines.length, 3);
    assert.match(
      lines[1] ?? '',
      new RegExp(`^4\\t${key(4)}\\tv2\\.users\\.u4\\.presence\\t1\\t.*\\tgave up: 503 for 4$`),
    );
    assert.deepEqual(
      json.stdout
        .trimEnd()
        .split('\n')
        .map((l) => (JSON.parse(l) as { key: string }).key),
      [key(4)],
    );
  });

  it('fails clearly on a missing state dir, an unknown sink, and purge without a selection', async () => {
    const [missing, unknown, purge] = await Promise.all([
      cli('dlq', 'list', '--state-dir', join(dir, 'nope'), '--sink', 'rec'),
      cli('replay', '--state-dir', dir, '--sink', 'webhook', '--all'),
      cli('dlq', 'purge', '--state-dir', dir, '--sink', 'rec'),
    ]);
    assert.equal(missing.code, 2, 'a bad --state-dir is a usage error, as for `status`');
    assert.match(missing.stderr, /^genesys-relay: invalid configuration: --state-dir: .*nope does not exist/);
    assert.equal(unknown.code, 2, 'so is an unknown --sink');
    assert.match(unknown.stderr, /--sink: unknown sink "webhook" \(known: rec\)/);
    assert.equal(purge.code, 2, 'a usage error');
    assert.match(purge.stderr, /--key KEY or --all/);
    assert.deepEqual(state().states, ['pending=0', 'delivered=3', 'dead=2'], 'failed commands changed nothing');
  });

  it('retries one dead letter, purges the other, and replays from a sequence number', async () => {
    const retry = await cli('dlq', 'retry', '--state-dir', dir, '--sink', 'rec', '--key', key(4));
    assert.equal(retry.stdout, 'requeued 1 dead letter(s) of sink "rec"\n');
    const purge = await cli('dlq', 'purge', '--state-dir', dir, '--sink', 'rec', '--all');
    assert.equal(purge.stdout, 'purged 1 dead letter(s) of sink "rec"\n');
    const replay = await cli('replay', '--state-dir', dir, '--sink', 'rec', '--from-seq', '2');
    // 2 and 3 were delivered; 5's dead letter was purged, so it is given a fresh row too.
    assert.equal(replay.stdout, 'marked 3 event(s) of sink "rec" for re-delivery\n');
    assert.deepEqual(state().states, ['pending=4', 'delivered=1', 'dead=0']);
  });
});
