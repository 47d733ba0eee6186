import { spawn, type ChildProcess } from 'node:child_process';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OutboxWriteHooks } from '../src/outbox/sqlite-outbox.ts';
import type { Prng } from './prng.ts';

export type StorageFaultKind = 'disk-full' | 'write-lock';

/** One storage fault: from the moment it bit (disk filled, lock taken) to the moment it was lifted. */
export interface StorageWindow {
  kind: StorageFaultKind;
  from: number;
  to: number;
  /** Bytes of ballast that filled the tmpfs (disk-full). */
  ballastBytes?: number;
  /** How long the outbox's commits were failing inside this window (its write hooks). */
  blockedMs: number;
  error?: string;
}

/** The outbox's commits failing: from its onBlocked to its onRecovered. */
export interface BlockedSpan {
  from: number;
  to: number | undefined;
  reason: string;
}

export interface StorageFaultOptions {
  /** The outbox file; the lock holder opens it. */
  outboxPath: string;
  /** The tmpfs the outbox lives on, for the ballast; undefined = no disk-full windows. */
  tmpfsDir: string | undefined;
  random: Prng;
  /** Mean time between storage faults (exponential, at least 1 s); 0 turns them off. */
  meanIntervalMs: number;
  /** How long the disk stays full / the lock stays held. */
  holdMs: number;
  log: (line: string) => void;
}

const lockHolder = fileURLToPath(new URL('../test/integration/outbox/fixtures/hold-write-lock.ts', import.meta.url));

/**
 * Storage faults on the outbox, independent of the socket faults: the tmpfs filled by a ballast file for `holdMs`,
 * then freed; another process holding SQLite's write lock (BEGIN IMMEDIATE) for `holdMs`. They alternate, disk-full
 * first. Both are backpressure: commits fail and are retried, reading pauses, nothing read may be lost.
 */
export class StorageFaults {
  readonly windows: StorageWindow[] = [];
  readonly blocked: BlockedSpan[] = [];
  commitFailures = 0;
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private child: ChildProcess | undefined;

  constructor(private readonly options: StorageFaultOptions) {}

  /** For the outbox: records when commits start and stop failing. */
  hooks(): OutboxWriteHooks {
    return {
      onBlocked: (reason) => this.blocked.push({ from: Date.now(), to: undefined, reason }),
      onRecovered: () => {
        const open = this.blocked.at(-1);
        if (open && open.to === undefined) open.to = Date.now();
      },
      onFailure: () => void this.commitFailures++,
    };
  }

  start(): void {
    if (this.options.meanIntervalMs <= 0) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Stops scheduling, lifts a fault in progress and waits for it to be recorded. */
  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    const kinds: StorageFaultKind[] =
      this.options.tmpfsDir === undefined ? ['write-lock'] : ['disk-full', 'write-lock'];
    for (let n = 0; this.running; n++) {
      await this.pause(Math.max(1_000, this.options.random.exponential(this.options.meanIntervalMs)));
      if (!this.running) return;
      const kind = kinds[n % kinds.length] ?? 'write-lock';
      const window = kind === 'disk-full' ? await this.diskFull() : await this.writeLock();
      window.blockedMs = this.blockedWithin(window.from, window.to);
      this.windows.push(window);
      this.options.log(`storage fault ${kind}: ${window.to - window.from} ms, commits failing ${window.blockedMs} ms`);
    }
  }

  /** Fills the tmpfs with a ballast file (async writes, so the event loop keeps reading), holds, then frees it. */
  private async diskFull(): Promise<StorageWindow> {
    const ballast = join(this.options.tmpfsDir ?? '.', 'ballast');
    const chunk = Buffer.alloc(1024 * 1024);
    const file = await open(ballast, 'w');
    let ballastBytes = 0;
    let error: string | undefined;
    try {
      for (;;) ballastBytes += (await file.write(chunk)).bytesWritten;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') error = (err as Error).message;
      // ENOSPC may come with a partial chunk left unwritten: fill the last bytes too.
      for (let size = chunk.length / 2; size >= 512 && error === undefined; size /= 2) {
        try {
          ballastBytes += (await file.write(chunk.subarray(0, size))).bytesWritten;
        } catch {
          // this size no longer fits: try half
        }
      }
    } finally {
      await file.close();
    }
    const from = Date.now();
    await this.pause(this.options.holdMs, true);
    await rm(ballast, { force: true });
    return { kind: 'disk-full', from, to: Date.now(), ballastBytes, blockedMs: 0, ...(error ? { error } : {}) };
  }

  /** A second process takes the write lock; the window runs from "locked" to "released". */
  private async writeLock(): Promise<StorageWindow> {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', lockHolder, this.options.outboxPath, String(this.options.holdMs)],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    this.child = child;
    let out = '';
    let from = 0;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      out += chunk;
      if (from === 0 && out.includes('locked')) from = Date.now();
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    this.child = undefined;
    const to = Date.now();
    const released = out.includes('released');
    const error = released ? undefined : `lock holder exited ${code} before releasing`;
    return { kind: 'write-lock', from: from || to, to, blockedMs: 0, ...(error ? { error } : {}) };
  }

  /** Milliseconds of [from, to] during which commits were failing. */
  private blockedWithin(from: number, to: number): number {
    const now = Date.now();
    return this.blocked.reduce((sum, b) => sum + Math.max(0, Math.min(to, b.to ?? now) - Math.max(from, b.from)), 0);
  }

  /** Sleeps `ms`; `stop()` cuts the sleep short unless `uninterruptible` (a fault in progress runs its course). */
  private pause(ms: number, uninterruptible = false): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      if (!uninterruptible) this.wake = done;
    });
  }

  /** Kills a lock holder left behind (error path). */
  kill(): void {
    this.child?.kill('SIGKILL');
  }
}
