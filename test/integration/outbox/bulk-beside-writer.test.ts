import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SqliteOutbox } from '../../../src/outbox/sqlite-outbox.ts';
import { makeEvent, tempDir } from './helpers.ts';

const fixture = fileURLToPath(new URL('./fixtures/bulk-replay.ts', import.meta.url));
const ROWS = 60_000;
/** The relay's retry pause is capped at this; a commit waits about one chunk plus one pause, not the whole replay. */
const RETRY_MAX_MS = 50;

/**
 * An outbox whose `rows` events were all delivered to sink `rec` (what `replay --all` re-queues), or all
 * dead-lettered (what `dlq retry --all` re-queues).
 */
async function settledOutbox(path: string, rows: number, fate: 'ack' | 'deadLetter'): Promise<void> {
  const outbox = new SqliteOutbox({ path, pruneIntervalMs: 0, groupCommitMaxEvents: 5_000 });
  outbox.setActiveSinks(['rec']);
  const appends = [];
  for (let i = 0; i < rows; i++) appends.push(outbox.append(makeEvent(i, 100)));
  await Promise.all(appends);
  for (let batch = outbox.claim('rec', 5_000).events; batch.length > 0; batch = outbox.claim('rec', 5_000).events) {
    outbox.settle(
      'rec',
      batch.map((c) => (fate === 'ack' ? { seq: c.seq, action: fate } : { seq: c.seq, action: fate, reason: 'x' })),
    );
  }
  outbox.close();
}

function bulkInChild(stateDir: string, op: 'replay' | 'requeue'): Promise<{ count: number; ms: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, stateDir, 'rec', op], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (out += chunk));
  return new Promise((resolve, reject) =>
    child.on('close', (code) =>
      code === 0
        ? resolve(JSON.parse(out) as { count: number; ms: number })
        : reject(new Error(`replay exited ${code}`)),
    ),
  );
}

describe('bulk CLI operations beside a running writer', () => {
  for (const [op, fate, what] of [
    ['replay', 'ack', 'replay --all over 60k delivered events'],
    ['requeue', 'deadLetter', 'dlq retry --all over 60k dead letters'],
  ] as const) {
    it(`${what} runs in short transactions: the writer keeps committing meanwhile`, (t) => besideWriter(t, op, fate));
  }
});

async function besideWriter(
  t: { diagnostic(message: string): void },
  op: 'replay' | 'requeue',
  fate: 'ack' | 'deadLetter',
): Promise<void> {
  const { dir, cleanup } = tempDir();
  const path = join(dir, 'outbox.sqlite');
  await settledOutbox(path, ROWS, fate);
  // The relay's writer: no synchronous busy wait, retries a busy commit after at most RETRY_MAX_MS. Its hooks say
  // how long each run of commits refused for the lock lasted (CPU or disk stalls of a loaded machine do not count).
  const blocked = { since: undefined as number | undefined, longest: 0 };
  const writer = new SqliteOutbox({
    path,
    pruneIntervalMs: 0,
    writeBusyTimeoutMs: 0,
    commitRetryMaxMs: RETRY_MAX_MS,
    writeHooks: {
      onBlocked: () => (blocked.since = performance.now()),
      onRecovered: () => {
        blocked.longest = Math.max(blocked.longest, performance.now() - (blocked.since ?? performance.now()));
        blocked.since = undefined;
      },
    },
  });
  try {
    const replay = bulkInChild(dir, op);
    let done = false;
    void replay.finally(() => (done = true)).catch(() => undefined);
    const latencies: number[] = [];
    for (let i = 0; !done; i++) {
      const started = performance.now();
      await writer.append(makeEvent(ROWS + i));
      latencies.push(performance.now() - started);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const { count, ms } = await replay;
    const worst = Math.max(...latencies);
    t.diagnostic(
      `${op} of ${count} rows took ${ms} ms; ${latencies.length} commits beside it, worst ${Math.round(worst)} ms, ` +
        `longest refused for the lock ${Math.round(blocked.longest)} ms`,
    );
    assert.equal(count, ROWS);
    assert.ok(latencies.length >= 5, `the writer committed only ${latencies.length} times during the ${op}`);
    // One transaction for the whole operation would refuse every commit for about its whole duration. Measured as
    // the writer's runs of lock refusals, not its commit latency, which on a loaded machine also waits for the CPU
    // and the disk. A replay only moves the cursor back in one short write (its scan runs outside the lock), so its
    // short duration bounds nothing: checked on requeue.
    if (op === 'requeue') {
      assert.ok(
        blocked.longest < ms / 2,
        `commits were refused for ${Math.round(blocked.longest)} ms of a ${ms} ms ${op}`,
      );
    }
    assert.equal(writer.stats().sinks[0]?.pending, ROWS + latencies.length, 'every replayed row and new event pending');
  } finally {
    writer.close();
    cleanup();
  }
}
