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
 * - `events`: one row per event (v1-v3: per distinct key, UNIQUE). AUTOINCREMENT so a sequence number is never
 *   reused after retention deleted the newest rows (cursors, exceptions and `replay --from-seq` refer to it).
 * - `sinks`: every sink the outbox has known; `active` ones are owed each new event (v1-v2: a delivery row each).
 * - `deliveries`: the per-sink state of each event. Keyed (seq, sink) so retention finds an event's rows by prefix;
 *   the (sink, state, seq) index serves claims, depth counts and dead-letter listings.
 * - `delivery_counts`, `event_count` (v2): row counts kept by triggers, for O(1) statistics.
 * - v3 replaces `deliveries` and `delivery_counts` with `sink_cursor`, `sink_skip` and `sink_exception` (the model is
 *   explained in sink-cursor.ts); `event_count` stays.
 * - v4 drops the UNIQUE index on `events.key`: de-duplication by key moved to memory (recent-keys.ts says why).
 * - v5 drops the insert trigger of `event_count`: the append adds its group's row count in one statement
 *   (event-rows.ts), instead of a trigger program run per row. Deletes still count through their trigger.
 */
/** `event_count` kept by triggers on `events` (schema 2; schema 4 re-creates them on its rebuilt table). */
const EVENT_COUNT_TRIGGERS = `CREATE TRIGGER events_counted_insert AFTER INSERT ON events BEGIN
        UPDATE event_count SET n = n + 1 WHERE id = 1;
      END;
      CREATE TRIGGER events_counted_delete AFTER DELETE ON events BEGIN
        UPDATE event_count SET n = n - 1 WHERE id = 1;
      END;`;

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
      ${EVENT_COUNT_TRIGGERS}
    `,
  },
  {
    // Issue 10: one cursor row per sink instead of one deliveries row per event per sink (see sink-cursor.ts for the
    // model). An append writes only its event; a claim reads the range above the cursor; a settled batch is one
    // cursor UPDATE. Rows of schema 2 map onto the cursor like this, per sink:
    // - cursor = the lowest pending or inflight seq - 1 (none: the newest seq), so every undelivered row is above it;
    // - a pending/inflight row that carries history (attempts, a due time, an error) becomes a 'pending' exception,
    //   so its attempt budget and Retry-After survive; inflight rows go back to pending, as the old open did;
    // - a dead row becomes a 'dead' exception wherever it is;
    // - above the cursor, every seq that was not owed (delivered, or no row: the sink was inactive or added later)
    //   becomes part of a skip range; runs of them are found with a window over the owed rows.
    version: 3,
    name: 'per-sink cursor',
    sql: `
      CREATE TABLE sink_cursor (
        sink TEXT PRIMARY KEY,
        acked_to INTEGER NOT NULL,
        claimed_to INTEGER NOT NULL,
        horizon INTEGER,
        since INTEGER NOT NULL DEFAULT 0,
        delivered INTEGER NOT NULL DEFAULT 0,
        dead INTEGER NOT NULL DEFAULT 0
      ) WITHOUT ROWID;
      CREATE TABLE sink_skip (
        sink TEXT NOT NULL,
        lo INTEGER NOT NULL,
        hi INTEGER NOT NULL,
        PRIMARY KEY (sink, lo)
      ) WITHOUT ROWID;
      CREATE TABLE sink_exception (
        sink TEXT NOT NULL,
        seq INTEGER NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'inflight', 'dead', 'purged')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (sink, seq)
      ) WITHOUT ROWID;
      CREATE INDEX sink_exception_by_state ON sink_exception (sink, state, seq);

      INSERT INTO sink_cursor (sink, acked_to, claimed_to, horizon, delivered, dead)
        SELECT s.name, c.acked_to, c.acked_to, CASE WHEN s.active = 1 THEN NULL ELSE c.top END,
               (SELECT count(*) FROM deliveries d WHERE d.sink = s.name AND d.state = 'delivered'),
               (SELECT count(*) FROM deliveries d WHERE d.sink = s.name AND d.state = 'dead')
        FROM sinks s JOIN (
          SELECT s2.name AS name,
                 coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0) AS top,
                 coalesce((SELECT min(seq) - 1 FROM deliveries d
                           WHERE d.sink = s2.name AND d.state IN ('pending', 'inflight')),
                          (SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0) AS acked_to
          FROM sinks s2
        ) c ON c.name = s.name;

      INSERT INTO sink_exception (sink, seq, state, attempts, next_attempt_at, last_error, updated_at)
        SELECT sink, seq, CASE WHEN state = 'dead' THEN 'dead' ELSE 'pending' END, attempts, next_attempt_at,
               last_error, updated_at
        FROM deliveries
        WHERE state = 'dead'
           OR (state IN ('pending', 'inflight') AND (attempts > 0 OR next_attempt_at > 0 OR last_error IS NOT NULL));

      INSERT INTO sink_skip (sink, lo, hi)
        SELECT sink, prev + 1, seq - 1 FROM (
          SELECT o.sink, o.seq, lag(o.seq, 1, c.acked_to) OVER (PARTITION BY o.sink ORDER BY o.seq) AS prev
          FROM deliveries o JOIN sink_cursor c ON c.sink = o.sink
          WHERE o.state IN ('pending', 'inflight', 'dead') AND o.seq > c.acked_to
        ) WHERE seq - prev > 1;
      INSERT INTO sink_skip (sink, lo, hi)
        SELECT c.sink, coalesce(max(o.seq), c.acked_to) + 1, coalesce(c.horizon, t.top)
        FROM sink_cursor c
        JOIN (SELECT coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0) AS top) t
        LEFT JOIN deliveries o ON o.sink = c.sink AND o.seq > c.acked_to AND o.state IN ('pending', 'inflight', 'dead')
        GROUP BY c.sink
        HAVING coalesce(max(o.seq), c.acked_to) < coalesce(c.horizon, t.top);

      DROP TRIGGER deliveries_counted_insert;
      DROP TRIGGER deliveries_counted_delete;
      DROP TRIGGER deliveries_counted_update;
      DROP TABLE delivery_counts;
      DROP TABLE deliveries;
    `,
  },
  {
    // Issue 10: UNIQUE(key) cannot be dropped in place, so the table is rebuilt (one copy of the retained events).
    // Every seq is kept as it was, and so is the AUTOINCREMENT high-water mark (sqlite_sequence), which may be above
    // the newest row after retention: a seq is never reused. The count triggers went with the old table.
    version: 4,
    name: 'events without a key index',
    sql: `
      CREATE TABLE events_v4 (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        key TEXT NOT NULL,
        topic TEXT NOT NULL,
        payload TEXT NOT NULL,
        received_at INTEGER NOT NULL
      );
      INSERT INTO events_v4 (seq, key, topic, payload, received_at)
        SELECT seq, key, topic, payload, received_at FROM events ORDER BY seq;
      INSERT INTO sqlite_sequence (name, seq)
        SELECT 'events_v4', 0 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'events_v4');
      UPDATE sqlite_sequence
        SET seq = max(seq, coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'events'), 0))
        WHERE name = 'events_v4';
      DROP TABLE events;
      ALTER TABLE events_v4 RENAME TO events;
      ${EVENT_COUNT_TRIGGERS}
    `,
  },
  {
    // Issue 10: ~1 µs an event of the append's CPU (delivery bench). Only EventRowWriter inserts into `events`.
    version: 5,
    name: 'event count kept by the append',
    sql: 'DROP TRIGGER events_counted_insert;',
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
