import type { Database } from 'better-sqlite3';
import { OutboxError } from './outbox-error.ts';

/** One schema step. `version` is stored in SQLite's `user_version` pragma once the step has run. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Versioned schema. Append new steps; never edit a released one.
 *
 * - `events`: one row per distinct event key. AUTOINCREMENT so a sequence number is never reused after retention
 *   deleted the newest rows (delivery rows and `replay --from-seq` refer to it).
 * - `sinks`: every sink the outbox has known; `active` ones get a delivery row for each new event.
 * - `deliveries`: the per-sink state of each event. Keyed (seq, sink) so retention finds an event's rows by prefix;
 *   the (sink, state, seq) index serves claims, depth counts and dead-letter listings.
 * - `delivery_counts`, `event_count` (v2): row counts kept by triggers, for O(1) statistics.
 */
export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'init',
    sql: `
      CREATE TABLE events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL UNIQUE,
        topic TEXT NOT NULL,
        payload TEXT NOT NULL,
        received_at INTEGER NOT NULL
      );
      CREATE TABLE sinks (
        name TEXT PRIMARY KEY,
        active INTEGER NOT NULL DEFAULT 1,
        registered_at INTEGER NOT NULL
      );
      CREATE TABLE deliveries (
        seq INTEGER NOT NULL,
        sink TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'inflight', 'delivered', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (seq, sink)
      ) WITHOUT ROWID;
      CREATE INDEX deliveries_by_sink_state ON deliveries (sink, state, seq);
    `,
  },
  {
    // Counts kept by triggers in the same transaction as every row change, so `stats()` (each /metrics scrape, and
    // `status`) reads a few rows instead of counting millions. Seeded once from the existing rows.
    version: 2,
    name: 'incremental counts',
    sql: `
      CREATE TABLE delivery_counts (
        sink TEXT NOT NULL,
        state TEXT NOT NULL,
        n INTEGER NOT NULL,
        PRIMARY KEY (sink, state)
      ) WITHOUT ROWID;
      INSERT INTO delivery_counts (sink, state, n) SELECT sink, state, count(*) FROM deliveries GROUP BY sink, state;
      CREATE TABLE event_count (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL);
      INSERT INTO event_count (id, n) VALUES (1, (SELECT count(*) FROM events));
      CREATE TRIGGER deliveries_counted_insert AFTER INSERT ON deliveries BEGIN
        INSERT INTO delivery_counts (sink, state, n) VALUES (NEW.sink, NEW.state, 1)
          ON CONFLICT (sink, state) DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER deliveries_counted_delete AFTER DELETE ON deliveries BEGIN
        UPDATE delivery_counts SET n = n - 1 WHERE sink = OLD.sink AND state = OLD.state;
      END;
      CREATE TRIGGER deliveries_counted_update AFTER UPDATE OF state ON deliveries
        WHEN OLD.state <> NEW.state BEGIN
        UPDATE delivery_counts SET n = n - 1 WHERE sink = OLD.sink AND state = OLD.state;
        INSERT INTO delivery_counts (sink, state, n) VALUES (NEW.sink, NEW.state, 1)
          ON CONFLICT (sink, state) DO UPDATE SET n = n + 1;
      END;
      CREATE TRIGGER events_counted_insert AFTER INSERT ON events BEGIN
        UPDATE event_count SET n = n + 1 WHERE id = 1;
      END;
      CREATE TRIGGER events_counted_delete AFTER DELETE ON events BEGIN
        UPDATE event_count SET n = n - 1 WHERE id = 1;
      END;
    `,
  },
];

/**
 * Brings the database to the newest schema, one transaction per step. Refuses a file written by a newer relay
 * rather than guessing at its layout. Returns the versions before and after.
 */
export function migrate(db: Database, steps: readonly Migration[] = migrations): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number;
  const latest = steps.reduce((max, m) => Math.max(max, m.version), 0);
  if (from > latest) {
    throw new OutboxError(`outbox schema version ${from} is newer than this relay understands (${latest})`);
  }
  for (const step of [...steps].sort((a, b) => a.version - b.version)) {
    if (step.version <= from) continue;
    db.transaction(() => {
      db.exec(step.sql);
      // Pragmas cannot take bound parameters; the version is an integer from our own table.
      db.pragma(`user_version = ${Math.trunc(step.version)}`);
    })();
  }
  return { from, to: Math.max(from, latest) };
}
