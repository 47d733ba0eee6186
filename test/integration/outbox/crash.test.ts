import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Dispatcher } from '../../../src/outbox/dispatcher.ts';
import { SqliteOutbox } from '../../../src/outbox/sqlite-outbox.ts';
import { RecordingSink, tempDir, waitFor } from './helpers.ts';

const fixture = fileURLToPath(new URL('./fixtures/append-forever.ts', import.meta.url));

/** Runs the appender, kills it with SIGKILL once `atLeast` keys were reported durable, returns the reported keys. */
async function appendThenKill(path: string, atLeast: number): Promise<string[]> {
  const child = spawn(process.execPath, ['--import', 'tsx', fixture, path], { stdio: ['ignore', 'pipe', 'inherit'] });
  let text = '';
  let killed = false;
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    text += chunk;
    if (!killed && text.split('\n').length > atLeast) {
      killed = true;
      child.kill('SIGKILL');
    }
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
    child.on('close', (c, s) => resolve([c, s])),
  );
  assert.equal(signal, 'SIGKILL', `the appender should have been killed (exit code ${code})`);
  // Only complete lines count: a key is reported once, whole, after its append resolved.
  return text.split('\n').slice(0, -1);
}

describe('outbox crash safety', () => {
  const { dir, cleanup } = tempDir();
  after(cleanup);

  // Fails fast instead of hanging the suite if delivery stalls (the finally closes the dispatcher too).
  it(
    'after kill -9, every key reported durable is there, and all of it gets delivered',
    { timeout: 60_000 },
    async () => {
      const path = join(dir, 'outbox.sqlite');
      const reported = await appendThenKill(path, 3_000);
      assert.ok(reported.length >= 3_000);

      const outbox = new SqliteOutbox({ path, pruneIntervalMs: 0 });
      let dispatcher: Dispatcher | undefined;
      try {
        const stored = outbox.stats();
        assert.ok(stored.events >= reported.length, `${stored.events} stored < ${reported.length} reported`);
        const sink = new RecordingSink('rec', 500);
        dispatcher = new Dispatcher({ outbox, sinks: [sink] });
        dispatcher.start();
        await waitFor(() => sink.delivered.length >= stored.events, 'every stored event delivered', 20_000);
        await dispatcher.close();
        const delivered = new Set(sink.delivered);
        assert.equal(delivered.size, sink.delivered.length, 'no duplicates without a crash in between');
        const missing = reported.filter((k) => !delivered.has(k));
        assert.deepEqual(missing, [], 'keys reported durable but not delivered');
        assert.deepEqual(sink.delivered, [...sink.delivered].sort(), 'in append order');
      } finally {
        await dispatcher?.close({ drainTimeoutMs: 1_000 });
        outbox.close();
      }
    },
  );
});
