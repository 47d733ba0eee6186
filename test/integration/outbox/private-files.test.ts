import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadConfig } from '../../../src/config/load.ts';
import { SqliteOutbox } from '../../../src/outbox/sqlite-outbox.ts';
import { acquireStateDirLock } from '../../../src/service/state-dir-lock.ts';
import { createNdjsonSink } from '../../../src/sinks/ndjson/ndjson-sink.ts';
import { makeEvent, tempDir } from './helpers.ts';

const modeOf = (path: string): string => (statSync(path).mode & 0o777).toString(8).padStart(4, '0');

/** Runs `work` with the process umask set to `mask` (node:test runs each file in its own process). */
async function withUmask<T>(mask: number, work: () => Promise<T>): Promise<T> {
  const previous = process.umask(mask);
  try {
    return await work();
  } finally {
    process.umask(previous);
  }
}

describe('private files, whatever the umask', () => {
  it('umask 000: state dir 0700; outbox, WAL, SHM and relay.lock 0600; ndjson file 0600', async () => {
    const { dir, cleanup } = tempDir();
    const stateDir = join(dir, 'state');
    const lines = join(dir, 'out', 'events.ndjson');
    try {
      await withUmask(0o000, async () => {
        const lock = acquireStateDirLock(stateDir);
        const outbox = new SqliteOutbox({ path: join(stateDir, 'outbox.sqlite'), pruneIntervalMs: 0 });
        outbox.setActiveSinks(['ndjson']);
        outbox.appendSync(makeEvent(1));
        const sink = createNdjsonSink(lines);
        const outcomes = await sink.deliver([makeEvent(1)], new AbortController().signal);
        assert.deepEqual(outcomes, [{ kind: 'delivered' }]);
        assert.equal(modeOf(stateDir), '0700');
        for (const file of ['outbox.sqlite', 'outbox.sqlite-wal', 'outbox.sqlite-shm', 'relay.lock']) {
          assert.equal(modeOf(join(stateDir, file)), '0600', file);
        }
        assert.equal(modeOf(lines), '0600', 'ndjson file');
        await sink.close();
        outbox.close();
        lock.release();
      });
    } finally {
      cleanup();
    }
  });

  it('the ndjson mode option is honoured exactly (umask 077 does not narrow it), from config as octal text', async () => {
    const { dir, cleanup } = tempDir();
    try {
      const file = {
        topics: ['v2.users.x.presence'],
        sinks: [{ type: 'ndjson', path: join(dir, 'a.ndjson'), mode: '0640' }],
      };
      const config = loadConfig({ configFile: 'x' }, { env: {}, readFile: () => JSON.stringify(file) });
      const entry = config.sinks[0];
      assert.ok(entry?.type === 'ndjson');
      assert.equal(entry.mode, 0o640);
      assert.throws(() =>
        loadConfig(
          { configFile: 'x' },
          { env: {}, readFile: () => JSON.stringify({ ...file, sinks: [{ type: 'ndjson', path: 'b', mode: '999' }] }) },
        ),
      );
      await withUmask(0o077, async () => {
        const sink = createNdjsonSink(entry.path, { mode: entry.mode ?? 0o600 });
        await sink.deliver([makeEvent(1)], new AbortController().signal);
        await sink.close();
      });
      assert.equal(modeOf(join(dir, 'a.ndjson')), '0640');
    } finally {
      cleanup();
    }
  });
});
