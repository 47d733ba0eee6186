import assert from 'node:assert/strict';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { describe, it } from 'node:test';
import { tempDir } from './helpers.ts';
import { join, keysOf, metric, mountTmpfs, publish, readyz, startRelay, until } from './relay-storage.ts';

/** Writes zeros into `path` until the filesystem refuses (ENOSPC). */
function fillDisk(path: string): number {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024);
  let written = 0;
  try {
    for (;;) written += writeSync(fd, chunk);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
  } finally {
    closeSync(fd);
  }
  return written;
}

describe('outbox storage faults under a running relay', () => {
  it('disk full on a real tmpfs: readyz 503 naming the cause, then every event delivered exactly once', async (t) => {
    const { dir, cleanup } = tempDir();
    const mount = mountTmpfs(join(dir, 'fs'), 2);
    if (typeof mount === 'string') {
      cleanup();
      return t.skip(mount);
    }
    const filler = join(dir, 'fs', 'filler');
    const under = await startRelay(join(dir, 'fs', 'state'));
    try {
      await until(async () => ((await readyz(under.base)).status === 200 ? true : undefined), 'readyz 200');
      publish(under.emulator, 20, 'before');
      await until(() => Promise.resolve(under.lines.length >= 20 ? true : undefined), 'the first 20 delivered');

      assert.ok(fillDisk(filler) > 0);
      publish(under.emulator, 300, 'full');
      const down = await until(async () => {
        const r = await readyz(under.base);
        return r.status === 503 ? r : undefined;
      }, 'readyz 503 while the disk is full');
      assert.equal(down.reason, 'outbox: database or disk is full');
      assert.equal(await metric(under.base, 'genesys_relay_outbox_write_blocked'), 1);
      assert.ok(((await metric(under.base, 'genesys_relay_outbox_write_failures_total')) ?? 0) >= 1);
      assert.equal(under.relay.status().readiness.ready, false);

      rmSync(filler);
      await until(() => Promise.resolve(under.lines.length >= 320 ? true : undefined), 'all 320 events delivered');
      await until(async () => ((await readyz(under.base)).status === 200 ? true : undefined), 'readyz 200 again');
      assert.equal(await metric(under.base, 'genesys_relay_outbox_write_blocked'), 0);

      const keys = keysOf(under.lines);
      assert.equal(new Set(keys).size, 320, 'every published event, each once');
      assert.equal(keys.length, 320, 'no event delivered twice');
      const transitions = under.logLines.filter((l) => /outbox\.write-(blocked|recovered)/.test(l));
      assert.equal(transitions.length, 2, `one line per transition, not per retry: ${transitions.join('\n')}`);
      assert.match(transitions[0] ?? '', /"level":40.*database or disk is full/);
    } finally {
      await under.stop();
      mount.unmount();
      cleanup();
    }
  });
});
