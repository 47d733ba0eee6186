import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ManualClock } from '../../../src/testing/manual-clock.ts';
import {
  acquireStateDirLock,
  LOCK_FILE,
  StateDirLockedError,
  type LockOwner,
} from '../../../src/service/state-dir-lock.ts';

const root = mkdtempSync(join(tmpdir(), 'genesys-relay-lock-'));
after(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;

function stateDirWith(owner?: LockOwner | string): string {
  const dir = join(root, `state-${dirs++}`);
  if (owner !== undefined) {
    mkdirSync(dir);
    writeFileSync(join(dir, LOCK_FILE), typeof owner === 'string' ? owner : JSON.stringify(owner));
  }
  return dir;
}

function readLock(dir: string): LockOwner {
  return JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as LockOwner;
}

/** A pid that certainly ran on this host and has exited. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(child.stdout);
}

describe('acquireStateDirLock', () => {
  it('creates the lock with pid, hostname and start time, and removes it on release', () => {
    const dir = stateDirWith();
    const lock = acquireStateDirLock(dir);
    const { startedAt } = lock.owner;
    assert.deepEqual(readLock(dir), {
      pid: process.pid,
      hostname: hostname(),
      startedAt,
      heartbeatAt: startedAt,
      staleAfterMs: 30_000,
    });
    lock.release();
    lock.release();
    assert.equal(existsSync(join(dir, LOCK_FILE)), false);
  });

  it('refuses a lock held by a live pid on this host, naming the dir, the pid and what to do', () => {
    const startedAt = Date.parse('2026-11-24T10:00:00.000Z');
    const dir = stateDirWith({ pid: process.ppid, hostname: hostname(), startedAt });
    assert.throws(
      () => acquireStateDirLock(dir, { bootedAt: 0 }),
      (err: unknown) =>
        err instanceof StateDirLockedError &&
        err.message ===
          `state dir ${dir} is in use by pid ${process.ppid} (started 2026-11-24T10:00:00.000Z); ` +
            'use another --state-dir or stop that relay',
    );
    assert.equal(readLock(dir).pid, process.ppid, 'the live owner keeps its lock');
  });

  it('takes over the lock of a dead pid, and says so', () => {
    const pid = deadPid();
    const dir = stateDirWith({ pid, hostname: hostname(), startedAt: Date.now() - 1_000 });
    const takeovers: string[] = [];
    const lock = acquireStateDirLock(dir, { bootedAt: 0, onTakeover: (info) => takeovers.push(info.reason) });
    assert.deepEqual(takeovers, [`pid ${pid} is not running`]);
    assert.equal(readLock(dir).pid, process.pid);
    lock.release();
  });

  it('takes over a lock from before the last boot even if its pid now belongs to someone else', () => {
    const dir = stateDirWith({ pid: process.ppid, hostname: hostname(), startedAt: 1_000 });
    const lock = acquireStateDirLock(dir, { bootedAt: 5_000, isAlive: () => true });
    assert.equal(readLock(dir).pid, process.pid);
    lock.release();
  });

  it('takes over its own pid left by an earlier process (a restarted container), but not from a relay in this process', () => {
    const dir = stateDirWith({ pid: 1, hostname: 'box', startedAt: Date.now() - 60_000 });
    const lock = acquireStateDirLock(dir, { pid: 1, hostname: 'box', bootedAt: 0, isAlive: () => true });
    assert.throws(() => acquireStateDirLock(dir, { pid: 1, hostname: 'box', bootedAt: 0 }), StateDirLockedError);
    lock.release();
    acquireStateDirLock(dir, { pid: 1, hostname: 'box', bootedAt: 0 }).release();
  });

  it('refuses a lock from another host, which it cannot check', () => {
    const dir = stateDirWith({ pid: 42, hostname: 'elsewhere', startedAt: Date.now() });
    assert.throws(
      () => acquireStateDirLock(dir, { isAlive: () => false }),
      /is in use by pid 42 on host elsewhere .*; if that relay is gone, remove .*relay\.lock$/,
    );
  });

  it('waits out an unreadable lock that may be being written, then takes it over', () => {
    const dir = stateDirWith('');
    assert.throws(() => acquireStateDirLock(dir), /being locked by another relay starting now/);
    const old = (Date.now() - 60_000) / 1000;
    utimesSync(join(dir, LOCK_FILE), old, old);
    acquireStateDirLock(dir).release();
  });

  it('does not remove a lock on release once another relay has taken it over', () => {
    const dir = stateDirWith();
    const lock = acquireStateDirLock(dir);
    const successor: LockOwner = { pid: 7, hostname: 'box', startedAt: 1 };
    writeFileSync(join(dir, LOCK_FILE), JSON.stringify(successor));
    lock.release();
    assert.deepEqual(readLock(dir), successor);
  });

  it('refreshes the heartbeat through its own descriptor, and a lock whose heartbeat stopped is taken over from another host', () => {
    const dir = stateDirWith();
    const oldClock = new ManualClock();
    const lost: string[] = [];
    const old = acquireStateDirLock(dir, {
      clock: oldClock,
      hostname: 'relay-0-old',
      heartbeatIntervalMs: 1_000,
      onLost: (reason) => lost.push(reason),
    });
    const startedAt = oldClock.now();
    oldClock.advance(1_000);
    assert.equal(readLock(dir).heartbeatAt, startedAt + 1_000, 'one heartbeat per interval');

    // A replacement (new hostname, same pid namespace number) 2 s after the last heartbeat: the owner is alive.
    const newClock = new ManualClock(startedAt + 3_000);
    const replacement = {
      clock: newClock,
      hostname: 'relay-0-new',
      pid: 1,
      isAlive: () => false,
      heartbeatIntervalMs: 1_000,
    };
    assert.throws(
      () => acquireStateDirLock(dir, replacement),
      new RegExp(
        `in use by pid ${process.pid} on host relay-0-old \\(started .*, last heartbeat 2\\.0 s ago; ` +
          'taken over after 3\\.0 s without one\\); use another --state-dir or stop that relay$',
      ),
    );
    // The old owner stops refreshing (its clock no longer runs); 3 s after its last heartbeat it is stale.
    newClock.advance(1_001);
    const takeovers: string[] = [];
    const successor = acquireStateDirLock(dir, { ...replacement, onTakeover: (info) => takeovers.push(info.reason) });
    assert.deepEqual(takeovers, [`no heartbeat from pid ${process.pid} on host relay-0-old for 3.0 s`]);
    assert.equal(readLock(dir).hostname, 'relay-0-new');

    // The old owner wakes up: its next heartbeat finds the lock gone and says so, without writing over the successor's.
    oldClock.advance(1_000);
    assert.equal(lost.length, 1);
    assert.match(lost[0] ?? '', /was removed or replaced by another relay/);
    assert.equal(oldClock.pendingCount, 0, 'the lost lock stops its heartbeat');
    assert.equal(readLock(dir).hostname, 'relay-0-new');
    old.release();
    assert.equal(readLock(dir).hostname, 'relay-0-new', "releasing a lost lock leaves the successor's alone");
    newClock.advance(1_000);
    assert.equal(readLock(dir).heartbeatAt, newClock.now(), 'the successor heartbeats');
    successor.release();
    assert.equal(existsSync(join(dir, LOCK_FILE)), false);
    assert.equal(newClock.pendingCount, 0, 'release stops the heartbeat');
  });

  it('still refuses a live owner on another host whose 0.1 lock has no heartbeat, advising removal', () => {
    const dir = stateDirWith({ pid: 42, hostname: 'elsewhere', startedAt: 1 });
    assert.throws(() => acquireStateDirLock(dir), /on host elsewhere .*if that relay is gone, remove/);
  });
});
