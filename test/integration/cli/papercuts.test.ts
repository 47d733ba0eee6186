import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { SqliteOutbox } from '../../../src/outbox/sqlite-outbox.ts';
import { outboxPath } from '../../../src/outbox/state-dir.ts';
import { PRESENCE_A, runCli, tempDir } from './helpers.ts';

/** The CLI from the sources, runnable from any working directory (tsx resolved from here, not from the cwd). */
const CLI = [
  '--import',
  import.meta.resolve('tsx'),
  join(import.meta.dirname, '..', '..', '..', 'src', 'cli', 'main-entry.ts'),
];
const DELIVERED = 100;
/** Events in the outbox; all but DELIVERED are dead letters. */
const DEAD_LETTERS = 3_000;
/** Deadline for one CLI run: tsx compiles the sources at each start, seconds on a loaded CI machine. */
const SLOW_START_MS = 60_000;

/** Fills a state dir's outbox with dead letters for sink "webhook": far more output than a pipe buffer holds. */
function outboxWithDeadLetters(dir: string): void {
  const outbox = new SqliteOutbox({ path: outboxPath(dir), pruneIntervalMs: 0 });
  try {
    outbox.setActiveSinks(['webhook']);
    for (let n = 0; n < DEAD_LETTERS; n += 1) {
      outbox.appendSync({
        topicName: PRESENCE_A,
        version: '2',
        eventBody: { n, padding: 'x'.repeat(200) },
        metadata: {},
        relay: { receivedAt: new Date().toISOString(), channelId: 'ch', key: `key-${n}` },
      });
    }
    const { events } = outbox.claim('webhook', DEAD_LETTERS);
    // The first DELIVERED were delivered (what replay re-sends), the rest dead-lettered.
    outbox.settle(
      'webhook',
      events.map((e, i) =>
        i < DELIVERED
          ? { seq: e.seq, action: 'ack' as const }
          : { seq: e.seq, action: 'deadLetter' as const, reason: `permanent: 400 for ${e.seq}` },
      ),
    );
  } finally {
    outbox.close();
  }
}

describe('CLI papercuts', () => {
  const { dir, cleanup } = tempDir();
  before(() => outboxWithDeadLetters(dir));
  after(cleanup);

  it('`dlq list --json | head -1` ends quietly with exit 0 when the reader goes away (no EPIPE trace)', async () => {
    const head = spawn(
      process.execPath,
      [...CLI, 'dlq', 'list', '--json', '--limit', String(DEAD_LETTERS), '--sink', 'webhook', '--state-dir', dir],
      { env: { ...process.env, CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    head.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => head.once('exit', resolve));
    const firstChunk = await new Promise<string>((resolve) =>
      head.stdout.once('data', (c: Buffer) => resolve(c.toString())),
    );
    head.stdout.destroy(); // what `head -1` does after its first line
    assert.match(firstChunk.split('\n')[0] ?? '', new RegExp(`^\\{"seq":${DELIVERED + 1},"key":"key-${DELIVERED}"`));
    assert.equal(await exited, 0, stderr);
    assert.equal(stderr, '', 'no stack trace, no message');
  });

  it('`replay --sink X` without a range refuses (exit 2) and changes nothing; --all replays', async () => {
    const bare = await runCli(['replay', '--state-dir', dir, '--sink', 'webhook'], {}, SLOW_START_MS);
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /replay needs a range: --from-seq N, --since ISO, or --all/);
    const both = await runCli(
      ['replay', '--state-dir', dir, '--sink', 'webhook', '--all', '--from-seq', '3'],
      {},
      SLOW_START_MS,
    );
    assert.equal(both.code, 2);
    const all = await runCli(['replay', '--state-dir', dir, '--sink', 'webhook', '--all'], {}, SLOW_START_MS);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, new RegExp(`^marked ${DELIVERED} event\\(s\\) of sink "webhook"`));
  });

  it('a bad flag value or a missing required option exits 2, not 1', async () => {
    // One after the other: each is a whole CLI start, slow on a loaded 2-core machine.
    const badValue = await runCli(['run', '--metrics-port', 'abc'], {}, SLOW_START_MS);
    assert.equal(badValue.code, 2, badValue.stderr);
    assert.match(badValue.stderr, /--metrics-port .*'abc' is invalid/);
    const missing = await runCli(['dlq', 'list', '--state-dir', dir], {}, SLOW_START_MS);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(missing.stderr, /required option '--sink <name>' not specified/);
  });
});
