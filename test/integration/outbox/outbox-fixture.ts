import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'node:test';
import { SqliteOutbox, type SqliteOutboxOptions } from '../../../src/outbox/sqlite-outbox.ts';
import { ManualClock } from '../../../src/testing/manual-clock.ts';
import { makeEvent, tempDir } from './helpers.ts';

/** A real SQLite outbox file per test, on a ManualClock, with the steps the outbox tests share. */
export interface OutboxFixture {
  /** This test's temp directory (removed after it). */
  readonly dir: string;
  /** The outbox file `open` uses unless told another. */
  readonly path: string;
  /** Starts at 2026-01-01T00:00:00Z for every test. */
  readonly clock: ManualClock;
  /** Opens the outbox (pruning off, this clock); closed after the test. */
  open: (options?: Partial<SqliteOutboxOptions>) => SqliteOutbox;
  /** Appends events `ids` (see makeEvent) received now on the clock. */
  append: (outbox: SqliteOutbox, ...ids: number[]) => void;
  /** Claims everything due for `sink` and acks it; returns the seqs. */
  deliverAll: (outbox: SqliteOutbox, sink: string) => number[];
  /** Counts committed rows through a second connection, as another process would see them. */
  committed: (table?: string) => number;
}

/** Registers the per-test set-up and tear-down in the calling describe, and gives that test's outbox steps. */
export function useOutboxFixture(): OutboxFixture {
  let dir = '';
  let cleanup = (): void => {};
  let clock = new ManualClock(Date.UTC(2026, 0, 1));
  const opened: SqliteOutbox[] = [];
  beforeEach(() => {
    ({ dir, cleanup } = tempDir());
    clock = new ManualClock(Date.UTC(2026, 0, 1));
  });
  afterEach(() => {
    for (const o of opened.splice(0)) o.close();
    cleanup();
  });
  const fixture: OutboxFixture = {
    get dir() {
      return dir;
    },
    get path() {
      return join(dir, 'outbox.sqlite');
    },
    get clock() {
      return clock;
    },
    open: (options = {}) => {
      const outbox = new SqliteOutbox({ path: fixture.path, clock, pruneIntervalMs: 0, ...options });
      opened.push(outbox);
      return outbox;
    },
    append: (outbox, ...ids) => {
      for (const i of ids) outbox.appendSync(makeEvent(i, 0, new Date(clock.now()).toISOString()));
    },
    deliverAll: (outbox, sink) => {
      const claimed = outbox.claim(sink, 1_000).events;
      outbox.settle(
        sink,
        claimed.map((c) => ({ seq: c.seq, action: 'ack' as const })),
      );
      return claimed.map((c) => c.seq);
    },
    committed: (table = 'events') => {
      const db = new Database(fixture.path, { readonly: true });
      try {
        return db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number;
      } finally {
        db.close();
      }
    },
  };
  return fixture;
}
