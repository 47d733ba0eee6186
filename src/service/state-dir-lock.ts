import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname as osHostname, uptime } from 'node:os';
import { join, resolve } from 'node:path';
import { systemClock, type Clock } from '../core/clock.ts';
import { RelayError } from '../core/errors.ts';

/** The lock file inside a state directory. */
export const LOCK_FILE = 'relay.lock';

/** What the lock file holds: enough to tell whether its owner still runs. */
export interface LockOwner {
  pid: number;
  hostname: string;
  /** Epoch ms (wall clock). */
  startedAt: number;
}

export interface StateDirLockOptions {
  /**
   * Wall clock for `startedAt`, which is compared with the host's boot time; not the relay's (possibly manual) clock.
   * @default systemClock
   */
  clock?: Clock;
  /** @default process.pid */
  pid?: number;
  /** @default os.hostname() */
  hostname?: string;
  /** @default signal 0: alive unless ESRCH */
  isAlive?: (pid: number) => boolean;
  /** Epoch ms this host booted: a lock started before it predates a reboot. @default now - os.uptime() */
  bootedAt?: number;
  /** Told when a stale lock is taken over. */
  onTakeover?: (info: { path: string; previous: LockOwner | undefined; reason: string }) => void;
}

export interface StateDirLock {
  readonly path: string;
  readonly owner: LockOwner;
  /** Removes the lock file if it is still ours; idempotent. */
  release(): void;
}

/** Another live relay holds the state dir. Not a ConfigError: the configuration is fine, the directory is busy. */
export class StateDirLockedError extends RelayError {
  constructor(message: string) {
    super('GENESYS_RELAY_ERR_OUTBOX', message);
  }
}

/** A lock file with no readable owner younger than this is probably being written by a relay starting right now. */
const UNREADABLE_GRACE_MS = 10_000;
const MAX_ATTEMPTS = 3;

/** Lock paths held by relays in this process: tells "ours, still in use" from "left by an earlier process with our pid". */
const heldHere = new Set<string>();

/**
 * Takes `<stateDir>/relay.lock`, created with O_EXCL so that exactly one relay gets it. An existing lock whose owner
 * is gone (dead pid, a reboot since it started, or our own pid left by an earlier process such as a restarted
 * container's pid 1) is taken over and reported; a live owner, or one on another host that cannot be checked, is
 * refused with StateDirLockedError. Read-only commands (status, dlq, replay) never take it.
 */
export function acquireStateDirLock(stateDir: string, options: StateDirLockOptions = {}): StateDirLock {
  const path = resolve(join(stateDir, LOCK_FILE));
  const clock = options.clock ?? systemClock;
  const owner: LockOwner = {
    pid: options.pid ?? process.pid,
    hostname: options.hostname ?? osHostname(),
    startedAt: clock.now(),
  };
  mkdirSync(stateDir, { recursive: true });
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (tryCreate(path, owner)) return held(path, owner);
    const raw = readIfPresent(path);
    if (raw === undefined) continue; // Released between our create and our read: try again.
    const previous = parseOwner(raw);
    const stale = staleReason(path, previous, owner, options, clock.now());
    if (stale === undefined) throw lockedError(stateDir, path, previous, owner.hostname);
    options.onTakeover?.({ path, previous, reason: stale });
    // Remove only the lock we judged: if it changed meanwhile, another relay took it over first.
    if (readIfPresent(path) === raw) rmSync(path, { force: true });
  }
  throw new StateDirLockedError(`state dir ${stateDir}: could not take ${path} (another relay is starting?)`);
}

function tryCreate(path: string, owner: LockOwner): boolean {
  try {
    writeFileSync(path, `${JSON.stringify(owner)}\n`, { flag: 'wx', mode: 0o644 });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

function held(path: string, owner: LockOwner): StateDirLock {
  heldHere.add(path);
  let released = false;
  return {
    path,
    owner,
    release: () => {
      if (released) return;
      released = true;
      heldHere.delete(path);
      // A lock taken over by someone else (we were judged stale) is theirs now.
      const current = parseOwner(readIfPresent(path) ?? '');
      if (current && sameOwner(current, owner)) rmSync(path, { force: true });
    },
  };
}

/** Why the lock's owner is gone, or undefined if it may still be running. */
function staleReason(
  path: string,
  previous: LockOwner | undefined,
  self: LockOwner,
  options: StateDirLockOptions,
  nowMs: number,
): string | undefined {
  if (!previous) {
    const ageMs = nowMs - statSync(path).mtimeMs;
    return ageMs > UNREADABLE_GRACE_MS ? `unreadable lock file, ${Math.round(ageMs / 1000)} s old` : undefined;
  }
  if (previous.hostname !== self.hostname) return undefined;
  const bootedAt = options.bootedAt ?? Date.now() - uptime() * 1000;
  if (previous.startedAt < bootedAt) return `pid ${previous.pid} started before this host booted`;
  if (previous.pid === self.pid) {
    return heldHere.has(path) ? undefined : `pid ${previous.pid} is this process, which did not take the lock`;
  }
  return (options.isAlive ?? isAlive)(previous.pid) ? undefined : `pid ${previous.pid} is not running`;
}

function lockedError(
  stateDir: string,
  path: string,
  previous: LockOwner | undefined,
  ownHost: string,
): StateDirLockedError {
  if (!previous) {
    return new StateDirLockedError(`state dir ${stateDir} is being locked by another relay starting now (${path})`);
  }
  const started = new Date(previous.startedAt).toISOString();
  const host = previous.hostname === ownHost ? '' : ` on host ${previous.hostname}`;
  const advice = host ? `; if that relay is gone, remove ${path}` : '';
  return new StateDirLockedError(
    `state dir ${stateDir} is in use by pid ${previous.pid}${host} (started ${started}); ` +
      `use another --state-dir or stop that relay${advice}`,
  );
}

/** Signal 0 checks existence without signalling; EPERM means it exists but belongs to another user. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readIfPresent(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

function parseOwner(raw: string): LockOwner | undefined {
  try {
    const value = JSON.parse(raw) as Partial<Record<keyof LockOwner, unknown>> | null;
    if (typeof value?.pid !== 'number' || typeof value.hostname !== 'string' || typeof value.startedAt !== 'number') {
      return undefined;
    }
    return { pid: value.pid, hostname: value.hostname, startedAt: value.startedAt };
  } catch {
    return undefined;
  }
}

function sameOwner(a: LockOwner, b: LockOwner): boolean {
  return a.pid === b.pid && a.hostname === b.hostname && a.startedAt === b.startedAt;
}
