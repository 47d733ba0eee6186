import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { systemClock, type Clock, type TimerHandle } from '../core/clock.ts';
import { ClosedError, errorMessage } from '../core/errors.ts';
import type { RelayEvent } from '../envelope/envelope.ts';
import { eventJson } from '../envelope/event-json.ts';
import { EventRowWriter, type EventRow } from './event-rows.ts';
import { callHook, GroupCommit, type CommittedGroup, type GroupCommitOptions } from './group-commit.ts';
import { migrate } from './migrations.ts';
import type {
  AppendResult,
  ClaimedBatch,
  DeadLetter,
  DeadSelector,
  EventPage,
  Outbox,
  OutboxStats,
  PruneResult,
  ReplayFrom,
  Settlement,
} from './outbox.ts';
import { isWriteLockContention, OutboxError } from './outbox-error.ts';
import { createPrivateFile, ensurePrivateDir, makePrivate } from './private-files.ts';
import { RecentKeys } from './recent-keys.ts';
import { SqliteBacklog } from './sqlite-backlog.ts';
import { SqliteDeliveryQueue } from './sqlite-delivery-queue.ts';
import { SqliteRetention } from './sqlite-retention.ts';

export interface SqliteOutboxOptions {
  /** The database file; its directory is created if missing. */
  path: string;
  /** @default systemClock */
  clock?: Clock;
  /** Commit as soon as this many appends are buffered. @default 512 */
  groupCommitMaxEvents?: number;
  /** Commit at the latest this long after the first buffered append. @default 5 */
  flushIntervalMs?: number;
  /**
   * Rate-following group commit (GroupCommit's `maxIntervalMs`): while appends come often enough that waiting longer
   * puts more of them in one commit, wait up to this long instead of `flushIntervalMs`. Fewer fsyncs (and sink
   * wake-ups) a second at a calm rate, for at most this much latency. The relay sets `outbox.flushIntervalMaxMs`.
   * @default flushIntervalMs (a fixed interval)
   */
  flushIntervalMaxMs?: number;
  /** Finished events (delivered to every sink that had them) are kept this long, for `replay`. @default 86400000 (24 h) */
  retentionMs?: number;
  /** Upper bound on stored events; the oldest finished events go first. Undelivered events are never evicted. @default 1000000 */
  maxRows?: number;
  /** How often retention runs on its own; 0 turns that off. @default 60000 */
  pruneIntervalMs?: number;
  /**
   * How long opening the file (migration, inflight recovery) waits for another process to release it. @default 5000
   */
  busyTimeoutMs?: number;
  /**
   * How long each later write waits, synchronously, for another process's write lock. The relay sets 0: its event
   * loop must never stall on a lock; a busy commit is retried asynchronously like any failed commit.
   * @default busyTimeoutMs
   */
  writeBusyTimeoutMs?: number;
  /**
   * Pause after the first failed commit; doubles per failure up to `commitRetryMaxMs`. A commit refused for another
   * process's write lock is retried sooner, after a random 1-10 ms (see GroupCommit's `isContention`). @default 10
   */
  commitRetryBaseMs?: number;
  /** @default 500 */
  commitRetryMaxMs?: number;
  /**
   * Least pause (a synchronous sleep, as long as the last chunk's hold) between the short transactions of a bulk
   * `replay`/`requeueDead`/`purgeDead`, so a relay writing the same file gets the lock in between. For the CLI, never
   * the relay itself. @default 0
   */
  bulkChunkPauseMs?: number;
  /** Commit failures and recovery: called once per transition, plus `onFailure` per failed commit. */
  writeHooks?: OutboxWriteHooks;
  /**
   * De-duplication by `relay.key` covers the newest this many events (recent-keys.ts says why it is bounded); an
   * older copy is stored and delivered again (at-least-once). Their keys are read back at open. Heap: about 110 bytes
   * a key read back, 170 for one appended (it is a slice of its 64-hex digest), so 5-9 MB at the default.
   * @default 50000
   */
  dedupeWindowEvents?: number;
  /**
   * Put rows left `inflight` by a previous process back to pending. Only the process that runs the dispatcher may do
   * this; the CLI, opening the file beside a running relay, must not. @default true
   */
  recoverInflight?: boolean;
}

/** What the relay hears about failed commits (all optional; none may throw). */
export interface OutboxWriteHooks {
  /** Commits started failing: the events stay buffered and are retried; `reason` is SQLite's message. */
  onBlocked?(reason: string): void;
  /** A commit succeeded again after `failures` failed ones. */
  onRecovered?(failures: number): void;
  /** Every failed commit. */
  onFailure?(reason: string): void;
}

export const sqliteOutboxDefaults = {
  groupCommitMaxEvents: 512,
  flushIntervalMs: 5,
  retentionMs: 86_400_000,
  maxRows: 1_000_000,
  pruneIntervalMs: 60_000,
  busyTimeoutMs: 5_000,
  dedupeWindowEvents: 50_000,
  recoverInflight: true,
} as const satisfies Omit<
  Required<SqliteOutboxOptions>,
  | 'path'
  | 'clock'
  | 'flushIntervalMaxMs'
  | 'writeBusyTimeoutMs'
  | 'commitRetryBaseMs'
  | 'commitRetryMaxMs'
  | 'writeHooks'
  | 'bulkChunkPauseMs'
>;

/**
 * The outbox on better-sqlite3: WAL journal with `synchronous=FULL`, so every commit is fsynced and survives power
 * loss, and group commit so that fsync is paid once per batch of appends rather than per event
 * (shared/ecosystem.md §2). The API is synchronous; each transaction is kept short.
 */
export class SqliteOutbox implements Outbox {
  private readonly db: Database.Database;
  private readonly clock: Clock;
  private readonly writer: GroupCommit<PendingAppend, AppendResult>;
  private readonly queue: SqliteDeliveryQueue;
  private readonly backlog: SqliteBacklog;
  private readonly retention: SqliteRetention;
  private readonly listeners = new Set<() => void>();
  private readonly rows: EventRowWriter;
  private readonly recentKeys: RecentKeys;
  /** Built once: better-sqlite3 wraps a transaction function anew on every `db.transaction` call. */
  private readonly insertGroup: (events: readonly PendingAppend[], now: number) => AppendResult[];
  private pruneTimer: TimerHandle | undefined;
  private reader: EventReader | undefined;
  private closed = false;

  constructor(options: SqliteOutboxOptions) {
    const o = { ...sqliteOutboxDefaults, ...options };
    this.clock = options.clock ?? systemClock;
    this.db = openDatabase(o.path, o.busyTimeoutMs);
    this.queue = new SqliteDeliveryQueue(this.db, this.clock);
    this.backlog = new SqliteBacklog(this.db, this.clock, this.queue.cursors, sleeper(o.bulkChunkPauseMs ?? 0));
    if (o.recoverInflight) this.queue.recoverInflight();
    this.recentKeys = loadRecentKeys(this.db, o.dedupeWindowEvents);
    this.db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(o.writeBusyTimeoutMs ?? o.busyTimeoutMs))}`);
    this.retention = new SqliteRetention(this.db, this.clock, this.queue.cursors, o.retentionMs, o.maxRows);
    this.rows = new EventRowWriter(this.db);
    this.insertGroup = this.db.transaction((events: readonly PendingAppend[], now: number) =>
      this.insertEvents(events, now),
    );
    this.writer = new GroupCommit({
      clock: this.clock,
      maxItems: o.groupCommitMaxEvents,
      intervalMs: o.flushIntervalMs,
      ...(o.flushIntervalMaxMs === undefined ? {} : { maxIntervalMs: o.flushIntervalMaxMs }),
      commit: (events) => this.commitEvents(events),
      // After the commit, not inside it: a throwing listener must not make a written group look failed.
      onCommitted: ({ results }) => {
        if (results.some((r) => !r.duplicate)) this.notify();
      },
      ...writeRetryOptions(o),
    });
    this.schedulePrune(o.pruneIntervalMs);
  }

  append(event: RelayEvent): Promise<AppendResult> {
    try {
      return this.writer.push(this.prepareAppend(event));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * Like `append` (same durability: resolves only after the fsynced commit that holds `event`), for a caller that
   * acts once per commit: the promise is that commit's, the same object for every event of it, and resolves with all
   * of its events and their results in order. No promise per event, no callback per event.
   */
  appendToBatch(event: RelayEvent): Promise<CommittedAppends> {
    try {
      return this.writer.pushToGroup(this.prepareAppend(event));
    } catch (err) {
      return Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
  }

  appendSync(event: RelayEvent): AppendResult {
    return this.writer.pushSync(this.prepareAppend(event));
  }

  flush(): void {
    this.writer.flush();
  }

  /** Reads a pragma on the outbox's own connection (what its commits really run with), for diagnostics and tests. */
  pragma(name: 'synchronous' | 'journal_mode' | 'busy_timeout'): unknown {
    return this.open().db.pragma(name, { simple: true });
  }

  /** SQLite's reason while commits fail (disk full, locked, I/O error); undefined while they succeed. */
  get writeBlockedReason(): string | undefined {
    const error = this.writer.blockedBy;
    return error === undefined ? undefined : sqliteReason(error);
  }

  /** Appends buffered and not yet durable (they grow while commits fail). */
  get uncommitted(): number {
    return this.writer.size;
  }

  setActiveSinks(names: readonly string[]): void {
    this.open().queue.setActiveSinks(names);
  }

  sinkNames(): string[] {
    return this.open().queue.sinkNames();
  }

  claim(sink: string, limit: number): ClaimedBatch {
    return this.open().queue.claim(sink, limit);
  }

  settle(sink: string, settlements: readonly Settlement[]): void {
    this.open().queue.settle(sink, settlements);
  }

  release(sink: string, seqs: readonly number[]): void {
    this.open().queue.release(sink, seqs);
  }

  listDead(sink: string, limit: number): DeadLetter[] {
    return this.open().backlog.listDead(sink, limit);
  }

  requeueDead(sink: string, selector: DeadSelector): number {
    return this.open().backlog.requeueDead(sink, selector);
  }

  purgeDead(sink: string, selector: DeadSelector): number {
    return this.open().backlog.purgeDead(sink, selector);
  }

  replay(sink: string, from: ReplayFrom): number {
    return this.open().backlog.replay(sink, from);
  }

  /** Forgets an inactive sink and every row it still had (see Outbox.dropSink). Returns how many rows. */
  dropSink(sink: string): number {
    return this.open().backlog.dropSink(sink);
  }

  prune(): PruneResult {
    return this.open().retention.prune();
  }

  stats(): OutboxStats {
    return this.open().retention.stats();
  }

  readAfter(afterSeq: number, limit: number, topicPrefixes: readonly string[]): EventPage {
    this.open();
    // Own statements, prepared on first use: the reader touches only the events table, nothing of delivery state.
    this.reader ??= prepareEventReader(this.db);
    const rows = this.reader.page.all(afterSeq, Math.max(1, Math.trunc(limit)));
    const lastSeq = this.reader.lastSeq.get()?.seq ?? 0;
    const oldest = this.reader.oldest.get()?.seq;
    const events = rows
      .filter((row) => topicPrefixes.length === 0 || topicPrefixes.some((prefix) => row.topic.startsWith(prefix)))
      .map((row) => ({ seq: row.seq, event: JSON.parse(row.payload) as RelayEvent }));
    return { events, scannedTo: rows.at(-1)?.seq ?? afterSeq, oldestSeq: oldest ?? lastSeq + 1, lastSeq };
  }

  onCommit(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Commits what is buffered and closes the database. Idempotent. If commits still fail, the buffered events cannot
   * be kept: their appends reject, and close throws an OutboxError saying how many (the caller records the gap).
   */
  close(): void {
    if (this.closed) return;
    this.writer.flush();
    const reason = this.writeBlockedReason;
    const abandoned = reason === undefined ? 0 : this.writer.abandon(new ClosedError(`outbox closed: ${reason}`));
    this.closed = true;
    this.clock.clearTimeout(this.pruneTimer);
    this.listeners.clear();
    this.db.close();
    if (abandoned > 0) {
      throw new OutboxError(`outbox closed with ${abandoned} event(s) never committed: ${reason ?? 'unknown'}`);
    }
  }

  private open(): this {
    if (this.closed) throw new ClosedError('outbox is closed');
    return this;
  }

  /** Serialises before buffering, so one unserialisable event fails alone instead of failing its whole group. */
  private prepareAppend(event: RelayEvent): PendingAppend {
    if (this.closed) throw new ClosedError('outbox is closed');
    try {
      return { event, payload: eventJson(event) };
    } catch (err) {
      throw new OutboxError(`cannot serialise event ${event.relay.key}: ${errorMessage(err)}`, { cause: err });
    }
  }

  /**
   * One transaction for the whole group; a key among the recent ones (or earlier in the group) inserts nothing. Only
   * the events are written: each active sink's cursor (sink-cursor.ts) owes it every seq above it, so there is no
   * per-sink row to fan out.
   */
  private commitEvents(events: readonly PendingAppend[]): AppendResult[] {
    try {
      const results = this.insertGroup(events, this.clock.now());
      // Only keys that are committed: a failed group is retried whole, and must not find its own keys "seen".
      for (const r of results) if (!r.duplicate) this.recentKeys.add(r.key);
      return results;
    } catch (err) {
      throw new OutboxError(`could not commit ${events.length} event(s): ${errorMessage(err)}`, {
        cause: err,
        retryable: true,
      });
    }
  }

  /** A group's rows, without the events whose key is among the recent ones or earlier in the group. */
  private insertEvents(events: readonly PendingAppend[], now: number): AppendResult[] {
    const inGroup = new Set<string>();
    const rows: EventRow[] = [];
    const results = events.map(({ event, payload }): AppendResult => {
      const key = event.relay.key;
      if (this.recentKeys.has(key) || inGroup.has(key)) return { key, seq: undefined, duplicate: true };
      inGroup.add(key);
      const receivedAt = Date.parse(event.relay.receivedAt);
      rows.push({ key, topic: event.topicName, payload, receivedAt: Number.isNaN(receivedAt) ? now : receivedAt });
      return { key, seq: undefined, duplicate: false };
    });
    const seqs = this.rows.insert(rows);
    let next = 0;
    for (const result of results) if (!result.duplicate) result.seq = seqs[next++];
    return results;
  }

  /** Each listener on its own: one that throws must not keep the others (a sink's wake-up) from hearing of it. */
  private notify(): void {
    for (const listener of this.listeners) callHook(listener);
  }

  private schedulePrune(intervalMs: number): void {
    if (intervalMs <= 0) return;
    this.pruneTimer = this.clock.setTimeout(
      () => this.pruneStep(this.retention.pruneInSteps(pruneRowsPerStep), intervalMs),
      intervalMs,
    );
  }

  /** One retention transaction, then the event loop's turn (socket reads, commits, deliveries) before the next. */
  private pruneStep(steps: Generator<void, PruneResult, void>, intervalMs: number): void {
    if (this.closed) return;
    let done = true;
    try {
      done = steps.next().done === true;
    } catch {
      // Retention is housekeeping: a busy or full disk must not take the relay down; the next run tries again.
    }
    if (done) this.schedulePrune(intervalMs);
    else this.pruneTimer = this.clock.setTimeout(() => this.pruneStep(steps, intervalMs), 0);
  }
}

/**
 * Events deleted per transaction by the timed retention: ~13 ms of event loop each with two sinks on the project's
 * machine (1,000 events at 1,000 events/s; 60,000 in one go took 773 ms).
 */
const pruneRowsPerStep = 1_000;

interface EventReader {
  page: Database.Statement<[number, number], { seq: number; topic: string; payload: string }>;
  oldest: Database.Statement<[], { seq: number | null }>;
  lastSeq: Database.Statement<[], { seq: number }>;
}

function prepareEventReader(db: Database.Database): EventReader {
  return {
    page: db.prepare('SELECT seq, topic, payload FROM events WHERE seq > ? ORDER BY seq LIMIT ?'),
    oldest: db.prepare('SELECT MIN(seq) AS seq FROM events'),
    // AUTOINCREMENT keeps the highest sequence ever given here, even once retention deleted that row.
    lastSeq: db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'"),
  };
}

/** One commit's appends (`appendToBatch`): `items[i].event` was appended with result `results[i]`. */
export type CommittedAppends = CommittedGroup<{ readonly event: RelayEvent }, AppendResult>;

/** The keys of the newest `capacity` events stored, oldest first, so a reopened outbox still drops their copies. */
function loadRecentKeys(db: Database.Database, capacity: number): RecentKeys {
  const recent = new RecentKeys(capacity);
  const newest = db.prepare('SELECT key FROM events ORDER BY seq DESC LIMIT ?').pluck().all(capacity) as string[];
  for (let i = newest.length - 1; i >= 0; i--) recent.add(newest[i] as string);
  return recent;
}

interface PendingAppend {
  event: RelayEvent;
  payload: string;
}

function writeRetryOptions(o: SqliteOutboxOptions): Partial<GroupCommitOptions<PendingAppend, AppendResult>> {
  const hooks = o.writeHooks ?? {};
  return {
    ...(o.commitRetryBaseMs === undefined ? {} : { retryBaseMs: o.commitRetryBaseMs }),
    ...(o.commitRetryMaxMs === undefined ? {} : { retryMaxMs: o.commitRetryMaxMs }),
    isContention: isWriteLockContention,
    onBlocked: (error) => hooks.onBlocked?.(sqliteReason(error)),
    onRecovered: (failures) => hooks.onRecovered?.(failures),
    onFailure: (error) => hooks.onFailure?.(sqliteReason(error)),
  };
}

/**
 * The pause between bulk chunks: as long as the last chunk held the lock (at least `minMs`, at most 100 ms), so a
 * writer in another process, retrying a refused commit after a random 1-10 ms (group-commit.ts), finds the lock
 * free about half the time, every attempt anew. A synchronous sleep: the CLI's bulk operations are synchronous by
 * design. Nothing when `minMs` is 0.
 */
function sleeper(minMs: number): (lastHoldMs: number) => void {
  if (minMs <= 0) return () => undefined;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  return (lastHoldMs) => void Atomics.wait(cell, 0, 0, Math.min(100, Math.max(minMs, Math.ceil(lastHoldMs))));
}

/** SQLite's own words ("database or disk is full", "database is locked"), without our wrapping. */
function sqliteReason(error: unknown): string {
  return errorMessage(error instanceof OutboxError && error.cause !== undefined ? error.cause : error);
}

/**
 * Page size of a new outbox file (an existing file keeps its own: SQLite changes it only when the file is empty).
 * In WAL mode each page a commit touches costs two writes to the WAL and, at the checkpoint, a read and a write
 * more: every one a system call, and system calls are much of a commit's cost (issue 10). Twice SQLite's default
 * halves them for the same bytes. Measured in a minimal script (groups of 500 rows, FULL, 200–30,000-byte rows):
 * 10–30 % less CPU an event than 4096. Not larger: 16384 took three times the CPU there.
 */
const OUTBOX_PAGE_SIZE = 8192;

function openDatabase(path: string, busyTimeoutMs: number): Database.Database {
  let db: Database.Database | undefined;
  try {
    ensurePrivateDir(dirname(path));
    createPrivateFile(path);
    db = new Database(path, { timeout: busyTimeoutMs });
    db.pragma(`page_size = ${OUTBOX_PAGE_SIZE}`);
    db.pragma('journal_mode = WAL');
    makePrivate([path, `${path}-wal`, `${path}-shm`]);
    // FULL: a commit is fsynced before it returns, so "append resolved" means "survives power loss".
    db.pragma('synchronous = FULL');
    migrate(db);
    return db;
  } catch (err) {
    db?.close();
    if (err instanceof OutboxError) throw err;
    throw new OutboxError(`cannot open outbox ${path}: ${errorMessage(err)}${openHint(err)}`, { cause: err });
  }
}

/** What to do about a file SQLite cannot use; nothing for errors with their own obvious cause (e.g. EACCES). */
function openHint(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
    return (
      ' — the file is damaged or not an outbox. Stop every relay using this state dir, move the file (and any -wal/-shm' +
      ' beside it) aside or restore it from a backup, then start again; a fresh outbox is created, and undelivered' +
      ' events of the old one are only in the moved file'
    );
  }
  return '';
}
