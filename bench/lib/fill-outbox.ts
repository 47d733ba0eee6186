import Database from 'better-sqlite3';

/**
 * Adds `rows` events to an existing outbox file straight through SQL (synchronous=OFF, 100,000 a transaction), as a
 * relay at steady-state retention holds them (up to `maxRows`, 1M by default). Keys are random 32-hex digests like
 * real `relay.key`s: sequential ones would flatter any index on them. Payloads are small: only the key space matters
 * to an append. Sinks registered later start above these rows (nothing is owed).
 */
export function fillOutboxEvents(path: string, rows: number): void {
  const db = new Database(path);
  try {
    db.pragma('synchronous = OFF');
    const insert = db.prepare(
      `WITH RECURSIVE n(x) AS (SELECT ? UNION ALL SELECT x + 1 FROM n WHERE x + 1 < ?)
       INSERT INTO events (key, topic, payload, received_at)
       SELECT lower(hex(randomblob(16))), 't', '{"n":' || x || '}', x FROM n`,
    );
    const chunk = 100_000;
    // Rows are counted by the append since schema 5 (src/outbox/event-rows.ts), not by a trigger.
    const count = db.prepare('UPDATE event_count SET n = n + ? WHERE id = 1');
    for (let from = 0; from < rows; from += chunk) {
      db.transaction(() => count.run(insert.run(from, Math.min(rows, from + chunk)).changes))();
    }
    db.pragma('wal_checkpoint(TRUNCATE)');
  } finally {
    db.close();
  }
}
