import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import {
  acquireStateDirLock,
  LOCK_FILE,
  StateDirLockedError,
  type LockOwner,
} from '../../../src/service/state-dir-lock.ts';

const HOLDER = join(import.meta.dirname, 'lock-holder.ts');
const HEARTBEAT_MS = 100;
const root = mkdtempSync(join(tmpdir(), 'genesys-relay-lock-takeover-'));
after(() => rmSync(root, { recursive: true, force: true }));

function readLock(dir: string): LockOwner {
  return JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as LockOwner;
}

/** Polls the lock file (every heartbeat interval) until `done` holds for its content. */
async function until(dir: string, done: (owner: LockOwner) => boolean): Promise<LockOwner> {
  for (;;) {
    const owner = readLock(dir);
    if (done(owner)) return owner;
    await sleep(HEARTBEAT_MS / 2);
  }
}

describe('state dir lock across processes (a replaced container)', () => {
  it('refuses while the other process heartbeats, takes over once it stops (pid still alive, other host), and the old owner learns it lost', async () => {
    const dir = join(root, 'state');
    const child = spawn(process.execPath, ['--import', 'tsx', HOLDER, dir, 'pod-old', String(HEARTBEAT_MS)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines: string[] = [];
    const waiters: Array<() => void> = [];
    createInterface({ input: child.stdout }).on('line', (line) => {
      lines.push(line);
      for (const w of waiters.splice(0)) w();
    });
    const line = async (pattern: RegExp): Promise<string> => {
      for (;;) {
        const seen = lines.find((l) => pattern.test(l));
        if (seen) return seen;
        await new Promise<void>((resolve) => waiters.push(resolve));
      }
    };
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      await line(/^locked$/);
      const first = readLock(dir);
      assert.equal(first.pid, child.pid);
      assert.equal(first.staleAfterMs, 3 * HEARTBEAT_MS);
      const beating = await until(dir, (o) => (o.heartbeatAt ?? 0) > (first.heartbeatAt ?? 0));
      assert.equal(beating.startedAt, first.startedAt, 'a heartbeat rewrites only heartbeatAt');

      // A replacement with another hostname while the owner heartbeats: refused.
      assert.throws(() => acquireStateDirLock(dir, { hostname: 'pod-new' }), StateDirLockedError);

      // The owner stops refreshing while its pid stays alive (frozen, as a partitioned or paused container).
      child.kill('SIGSTOP');
      const frozen = readLock(dir);
      await until(dir, () => Date.now() - (frozen.heartbeatAt ?? 0) > (frozen.staleAfterMs ?? 0));
      const reasons: string[] = [];
      const lock = acquireStateDirLock(dir, {
        hostname: 'pod-new',
        heartbeatIntervalMs: HEARTBEAT_MS,
        onTakeover: (info) => reasons.push(info.reason),
      });
      assert.match(
        reasons[0] ?? '',
        new RegExp(`^no heartbeat from pid ${child.pid} on host pod-old for \\d+\\.\\d s$`),
      );
      assert.equal(readLock(dir).hostname, 'pod-new');

      // The old owner resumes: its next heartbeat sees the lock is not its own any more, and it stops.
      child.kill('SIGCONT');
      assert.match(await line(/^lost: /), /was removed or replaced by another relay/);
      assert.equal(await exited, 3);
      const mine = readLock(dir);
      assert.equal(mine.hostname, 'pod-new', "the old owner never wrote over the successor's lock");
      assert.equal(mine.pid, process.pid);
      lock.release();
    } finally {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
      await exited;
    }
  });
});
