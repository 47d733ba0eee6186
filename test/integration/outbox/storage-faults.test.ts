import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { closeSync, openSync, rmSync, writeSync } from 'node:fs';
import { describe, it } from 'node:test';
import { tempDir } from './helpers.ts';
import { join, keysOf, metric, mountTmpfs, publish, readyz, startRelay, until } from './relay-storage.ts';
import { holdWriteLock } from './write-lock-holder.ts';

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

describe('stopping a relay whose outbox cannot commit', () => {
  it(
    'close() ends after the drain timeout and records the uncommitted events as a gap',
    { timeout: 60_000 },
    async (t) => {
      const { dir, cleanup } = tempDir();
      const mount = mountTmpfs(join(dir, 'fs'), 2);
      if (typeof mount === 'string') {
        cleanup();
        return t.skip(mount);
      }
      const under = await startRelay(join(dir, 'fs', 'state'));
      try {
        await until(async () => ((await readyz(under.base)).status === 200 ? true : undefined), 'readyz 200');
        fillDisk(join(dir, 'fs', 'filler'));
        publish(under.emulator, 50, 'stuck');
        await until(async () => ((await readyz(under.base)).status === 503 ? true : undefined), 'readyz 503');
        await under.relay.close({ drainTimeoutMs: 500 });
        const gap = under.logLines.find((l) => l.includes('"event":"gap"') && l.includes('never committed'));
        assert.ok(gap, `a gap names the events lost at shutdown:\n${under.logLines.slice(-5).join('\n')}`);
        assert.match(gap, /outbox closed with \d+ event\(s\) never committed: database or disk is full/);
      } finally {
        await under.stop();
        mount.unmount();
        cleanup();
      }
    },
  );
});

const HOLD_MS = 8_000;
/** The old relay waited synchronously up to its busy_timeout (5 s) per commit; any stall near that is the bug. */
const MAX_TIMER_LATENESS_MS = 2_000;

/** Records the worst lateness of a 20 ms interval timer: how long the event loop was blocked. */
function lagProbe(): { stop(): number } {
  let worst = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    worst = Math.max(worst, now - last - 20);
    last = now;
  }, 20);
  return {
    stop: () => {
      clearInterval(timer);
      return worst;
    },
  };
}

describe('another process holding the outbox write lock', () => {
  it('8 s lock: readyz 503, event loop not blocked, nothing lost, each event once', async (t) => {
    const { dir, cleanup } = tempDir();
    const under = await startRelay(join(dir, 'state'));
    let holder: ChildProcess | undefined;
    try {
      await until(async () => ((await readyz(under.base)).status === 200 ? true : undefined), 'readyz 200');
      const lock = await holdWriteLock(join(dir, 'state', 'outbox.sqlite'), HOLD_MS);
      holder = lock.child;
      const lag = lagProbe();
      const lockedAt = performance.now();
      publish(under.emulator, 200, 'locked');
      const down = await until(async () => {
        const r = await readyz(under.base);
        return r.status === 503 ? r : undefined;
      }, 'readyz 503 while the lock is held');
      assert.equal(down.reason, 'outbox: database is locked');
      assert.equal(under.lines.length, 0, 'nothing delivered while the lock is held');
      await lock.released;
      const worstLagMs = lag.stop();
      t.diagnostic(`worst timer lateness while the lock was held: ${Math.round(worstLagMs)} ms`);
      assert.ok(performance.now() - lockedAt >= HOLD_MS - 500, 'the lock was really held for the whole period');
      assert.ok(worstLagMs < MAX_TIMER_LATENESS_MS, `event loop blocked ${Math.round(worstLagMs)} ms`);
      await until(() => Promise.resolve(under.lines.length >= 200 ? true : undefined), 'all 200 events delivered');
      await until(async () => ((await readyz(under.base)).status === 200 ? true : undefined), 'readyz 200 again');
      const keys = keysOf(under.lines);
      assert.equal(new Set(keys).size, 200, 'every published event');
      assert.equal(keys.length, 200, 'each once');
      // The sink's claims failed about once a second while the lock was held: one warn line, then one info line.
      const logged = under.logLines.map((line) => JSON.parse(line) as { event?: string; level?: number });
      const retries = logged.filter((l) => l.event === 'outbox.retry');
      t.diagnostic(`outbox.retry lines: ${retries.length}; all log lines: ${logged.length}`);
      assert.equal(retries.length, 1, 'the failing bookkeeping is logged once, not once per attempt');
      assert.equal(retries[0]?.level, 40);
      await until(
        () => Promise.resolve(under.logLines.some((l) => l.includes('"outbox.recovered"')) ? true : undefined),
        'the outbox recovery line',
      );
    } finally {
      holder?.kill('SIGKILL');
      await under.stop();
      cleanup();
    }
  });
});
