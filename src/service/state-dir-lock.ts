import {
  closeSync,
  fstatSync,
  ftruncateSync,
  fchmodSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { hostname as osHostname, uptime } from 'node:os';
import { join, resolve } from 'node:path';
import { systemClock, type Clock, type TimerHandle } from '../core/clock.ts';
import { RelayError } from '../core/errors.ts';
import { ensurePrivateDir } from '../outbox/private-files.ts';

/** The lock file inside a state directory. */
export const LOCK_FILE = 'relay.lock';

/** What the lock file holds: enough to tell whether its owner still runs. */
export interface LockOwner {
  pid: number;
  hostname: string;
  /** Epoch ms (wall clock). */
  startedAt: number;
  /** Epoch ms of the owner's last heartbeat; absent in locks written by 0.1 relays. */
  heartbeatAt?: number;
  /** The owner's promise: a heartbeat older than this means it stopped, whatever host it ran on. */
  staleAfterMs?: number;
}

export interface StateDirLockOptions {
  /**
   * Wall clock for `startedAt` and the heartbeats (compared by relays on other hosts, so keep hosts in NTP sync),
   * and the heartbeat timer. Not the relay's (possibly manual) clock. @default systemClock
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
  /** How often the owner rewrites `heartbeatAt`. @default 10000 */
  heartbeatIntervalMs?: number;
  /** Written into the lock: without a heartbeat for this long it may be taken over. @default 3 × heartbeatIntervalMs */
  staleAfterMs?: number;
  /** Told when a stale lock is taken over. */
  onTakeover?: (info: { path: string; previous: LockOwner | undefined; reason: string }) => void;
  /** Told once when the lock was taken over by another relay (we stopped heartbeating for too long): stop now. */
  onLost?: (reason: string) => void;
  /** Told when a heartbeat could not be written (disk full, I/O error); the next one tries again. */
  onHeartbeatError?: (error: Error) => void;
}

export interface StateDirLock {
  readonly path: string;
  readonly owner: LockOwner;
  /** Removes the lock file if it is still ours and stops the heartbeat; idempotent. */
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
const DEFAULT_HEARTBEAT_MS = 10_000;

/** Lock paths held by relays in this process: tells "ours, still in use" from "left by an earlier process with our pid". */
const heldHere = new Set<string>();

/**
 * Takes `<stateDir>/relay.lock`, created with O_EXCL so that exactly one relay gets it, and keeps it alive with a
 * heartbeat written through the descriptor that created it (so a relay that lost the lock never writes over its
 * successor's). An existing lock whose owner is gone is taken over and reported: no heartbeat within its
 * `staleAfterMs` (whatever host wrote it: a replaced container has a new hostname and pid namespace), or on this
 * host a dead pid, a reboot since it started, or our own pid left by an earlier process (a restarted container's
 * pid 1). A live owner is refused with StateDirLockedError. Read-only commands (status, dlq, replay) never take it.
 */
export function acquireStateDirLock(stateDir: string, options: StateDirLockOptions = {}): StateDirLock {
  const path = resolve(join(stateDir, LOCK_FILE));
  const clock = options.clock ?? systemClock;
  const heartbeatMs = options.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_MS;
  const now = clock.now();
  const owner: LockOwner = {
    pid: options.pid ?? process.pid,
    hostname: options.hostname ?? osHostname(),
    startedAt: now,
    heartbeatAt: now,
    staleAfterMs: options.staleAfterMs ?? 3 * heartbeatMs,
  };
  ensurePrivateDir(stateDir);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const fd = tryCreate(path, owner);
    if (fd !== undefined) return held(path, owner, fd, { ...options, clock, heartbeatMs });
    const raw = readIfPresent(path);
    if (raw === undefined) continue; // Released between our create and our read: try again.
    const previous = parseOwner(raw);
    const stale = staleReason(path, previous, owner, options, clock.now());
    if (stale === undefined) throw lockedError(stateDir, path, previous, owner.hostname, clock.now());
    options.onTakeover?.({ path, previous, reason: stale });
    // Remove only the lock we judged: if it changed meanwhile (a heartbeat, another relay's takeover), judge again.
    if (readIfPresent(path) === raw) rmSync(path, { force: true });
  }
  throw new StateDirLockedError(`state dir ${stateDir}: could not take ${path} (another relay is starting?)`);
}

function tryCreate(path: string, owner: LockOwner): number | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
    // Exactly 0600 whatever the umask: the lock names this host and process.
    fchmodSync(fd, 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw err;
  }
  try {
    writeOwner(fd, owner);
    return fd;
  } catch (err) {
    closeSync(fd);
    rmSync(path, { force: true });
    throw err;
  }
}

/** Writes the whole record at offset 0, then trims: a failed write leaves the previous record readable. */
function writeOwner(fd: number, owner: LockOwner): void {
  const bytes = Buffer.from(`${JSON.stringify(owner)}\n`);
  writeSync(fd, bytes, 0, bytes.length, 0);
  ftruncateSync(fd, bytes.length);
}

type HeldOptions = StateDirLockOptions & { clock: Clock; heartbeatMs: number };

function held(path: string, owner: LockOwner, fd: number, options: HeldOptions): StateDirLock {
  heldHere.add(path);
  let timer: TimerHandle | undefined;
  let open = true;
  const stop = (): boolean => {
    if (!open) return false;
    open = false;
    options.clock.clearTimeout(timer);
    heldHere.delete(path);
    const ours = lostReason(path, owner, fd) === undefined;
    closeSync(fd);
    return ours;
  };
  const beat = (): void => {
    const lost = lostReason(path, owner, fd);
    if (lost !== undefined) {
      stop();
      options.onLost?.(lost);
      return;
    }
    try {
      owner.heartbeatAt = options.clock.now();
      writeOwner(fd, owner);
    } catch (err) {
      options.onHeartbeatError?.(err instanceof Error ? err : new Error(String(err)));
    }
    timer = options.clock.setTimeout(beat, options.heartbeatMs);
  };
  timer = options.clock.setTimeout(beat, options.heartbeatMs);
  return {
    path,
    owner,
    // A lock taken over by someone else (we were judged stale) is theirs now.
    release: () => void (stop() && rmSync(path, { force: true })),
  };
}

/** Why the file at `path` is no longer the lock we created through `fd`, or undefined if it still is. */
function lostReason(path: string, owner: LockOwner, fd: number): string | undefined {
  let current: string | undefined;
  try {
    current = readIfPresent(path);
    if (current !== undefined && statSync(path).ino !== fstatSync(fd).ino) current = undefined;
  } catch {
    return undefined; // Cannot tell (I/O error): keep the lock; the next heartbeat looks again.
  }
  const other = parseOwner(current ?? '');
  if (current === undefined) return `${path} was removed or replaced by another relay`;
  if (other && !sameOwner(other, owner)) return `${path} was taken over by pid ${other.pid} on host ${other.hostname}`;
  return undefined;
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
  const silentMs = heartbeatAge(previous, nowMs);
  if (silentMs !== undefined && silentMs > (previous.staleAfterMs ?? 0)) {
    return `no heartbeat from pid ${previous.pid} on host ${previous.hostname} for ${seconds(silentMs)} s`;
  }
  if (previous.hostname !== self.hostname) return undefined;
  const bootedAt = options.bootedAt ?? Date.now() - uptime() * 1000;
  if (previous.startedAt < bootedAt) return `pid ${previous.pid} started before this host booted`;
  if (previous.pid === self.pid) {
    return heldHere.has(path) ? undefined : `pid ${previous.pid} is this process, which did not take the lock`;
  }
  return (options.isAlive ?? isAlive)(previous.pid) ? undefined : `pid ${previous.pid} is not running`;
}

/** Ms since the owner's last heartbeat, if it promised heartbeats (0.1 relays did not). */
function heartbeatAge(owner: LockOwner, nowMs: number): number | undefined {
  return owner.heartbeatAt === undefined || owner.staleAfterMs === undefined ? undefined : nowMs - owner.heartbeatAt;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}

function lockedError(
  stateDir: string,
  path: string,
  previous: LockOwner | undefined,
  ownHost: string,
  nowMs: number,
): StateDirLockedError {
  if (!previous) {
    return new StateDirLockedError(`state dir ${stateDir} is being locked by another relay starting now (${path})`);
  }
  const started = new Date(previous.startedAt).toISOString();
  const host = previous.hostname === ownHost ? '' : ` on host ${previous.hostname}`;
  const silentMs = heartbeatAge(previous, nowMs);
  const beat =
    silentMs === undefined
      ? ''
      : `, last heartbeat ${seconds(Math.max(0, silentMs))} s ago; taken over after ${seconds(previous.staleAfterMs ?? 0)} s without one`;
  const advice = host && silentMs === undefined ? `; if that relay is gone, remove ${path}` : '';
  return new StateDirLockedError(
    `state dir ${stateDir} is in use by pid ${previous.pid}${host} (started ${started}${beat}); ` +
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
    const owner: LockOwner = { pid: value.pid, hostname: value.hostname, startedAt: value.startedAt };
    if (typeof value.heartbeatAt === 'number' && typeof value.staleAfterMs === 'number') {
      owner.heartbeatAt = value.heartbeatAt;
      owner.staleAfterMs = value.staleAfterMs;
    }
    return owner;
  } catch {
    return undefined;
  }
}

function sameOwner(a: LockOwner, b: LockOwner): boolean {
  return a.pid === b.pid && a.hostname === b.hostname && a.startedAt === b.startedAt;
}
