import type Database from 'better-sqlite3';

/** One row of the `events` table, as an append writes it. */
export interface EventRow {
  key: string;
  topic: string;
  /** The event's JSON text. */
  payload: string;
  /** ms since the epoch. */
  receivedAt: number;
}

/** Rows a multi-row INSERT writes; 4 bound values each, far below SQLite's limit on a statement's variables. */
const ROWS_PER_STATEMENT = 32;

/**
 * Writes a commit group's rows into `events`, up to ROWS_PER_STATEMENT of them a statement (issue 10): each
 * statement is one call from JavaScript into SQLite and one run of its program, so one row a statement cost the
 * append ~1-3 µs an event more (delivery bench, alternating runs). Adds the rows to `event_count` in one statement
 * too (since schema 5; a trigger did it row by row). The only writer of `events` rows: anything else that inserts
 * them must count them the same way. Must run inside the caller's transaction.
 */
export class EventRowWriter {
  private readonly one: Database.Statement<unknown[]>;
  private readonly many: Database.Statement<unknown[]>;
  private readonly count: Database.Statement<[number]>;
  /** The bound values of one multi-row statement, reused: a group commits thousands of rows a second. */
  private readonly values: unknown[] = new Array<unknown>(ROWS_PER_STATEMENT * 4);

  constructor(db: Database.Database) {
    const rows = (n: number): string => Array.from({ length: n }, () => '(?, ?, ?, ?)').join(', ');
    const insert = 'INSERT INTO events (key, topic, payload, received_at) VALUES ';
    this.one = db.prepare(insert + rows(1));
    this.many = db.prepare(insert + rows(ROWS_PER_STATEMENT));
    this.count = db.prepare('UPDATE event_count SET n = n + ? WHERE id = 1');
  }

  /**
   * Inserts `rows` in order; returns the seq of each. The rows of one statement get consecutive seqs: `seq` is an
   * AUTOINCREMENT rowid, SQLite gives each row it inserts one more than the largest it has given, and no trigger
   * inserts into `events`; so the statement's last rowid minus its row count is the one before its first.
   */
  insert(rows: readonly EventRow[]): number[] {
    const seqs = new Array<number>(rows.length);
    let at = 0;
    for (; at + ROWS_PER_STATEMENT <= rows.length; at += ROWS_PER_STATEMENT) {
      for (let k = 0; k < ROWS_PER_STATEMENT; k++) bind(this.values, k, rows[at + k] as EventRow);
      const info = this.many.run(this.values);
      const first = Number(info.lastInsertRowid) - ROWS_PER_STATEMENT + 1;
      for (let k = 0; k < ROWS_PER_STATEMENT; k++) seqs[at + k] = first + k;
    }
    const single: unknown[] = [undefined, undefined, undefined, undefined];
    for (; at < rows.length; at++) {
      bind(single, 0, rows[at] as EventRow);
      seqs[at] = Number(this.one.run(single).lastInsertRowid);
    }
    if (rows.length > 0) this.count.run(rows.length);
    return seqs;
  }
}

function bind(values: unknown[], index: number, row: EventRow): void {
  const at = index * 4;
  values[at] = row.key;
  values[at + 1] = row.topic;
  values[at + 2] = row.payload;
  values[at + 3] = row.receivedAt;
}
