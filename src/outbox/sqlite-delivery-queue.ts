import type { Database, Statement } from 'better-sqlite3';
import type { Clock } from '../core/clock.ts';
import type { RelayEvent } from '../envelope/envelope.ts';
import type { ClaimedBatch, ClaimedEvent, DeadLetter, DeadSelector, ReplayFrom, Settlement } from './outbox.ts';
import { OutboxError } from './outbox-error.ts';

interface SeqRange {
  lo: number | null;
  hi: number | null;
}

interface PendingRow {
  seq: number;
  attempts: number;
  nextAttemptAt: number;
  payload: string;
}

/** `IN (…)` over a JSON array parameter, so a variable-length key list is still one prepared statement. */
const keysFilter = 'AND (? IS NULL OR seq IN (SELECT seq FROM events WHERE key IN (SELECT value FROM json_each(?))))';

/**
 * Sequence numbers per transaction of the bulk operations (replay, dead-letter requeue and purge), so each holds the
 * write lock briefly and a relay beside them keeps committing (measured 10-70 ms per chunk on a loaded 2-core box).
 */
const chunkSeqs = 1_000;

/** The per-sink side of the outbox: claims, settlements, dead letters and replay over the `deliveries` table. */
export class SqliteDeliveryQueue {
  private readonly s: {
    head: Statement<[string, number]>;
    markInflight: Statement<[number, string, number, number]>;
    ack: Statement<[number, string, string]>;
    retry: Statement<[number, string, number, number, string]>;
    defer: Statement<[number, string, number, number, string]>;
    dead: Statement<[string, number, number, string]>;
    release: Statement<[number, number, string]>;
  };

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    /**
     * Pause between the chunks of a bulk operation, given how long the last chunk held the lock, so another
     * process's writer gets the lock in between.
     */
    private readonly betweenChunks: (lastHoldMs: number) => void = () => undefined,
  ) {
    this.s = {
      head: db.prepare(
        `SELECT d.seq, d.attempts, d.next_attempt_at AS nextAttemptAt, e.payload
         FROM deliveries d JOIN events e ON e.seq = d.seq
         WHERE d.sink = ? AND d.state = 'pending' ORDER BY d.seq LIMIT ?`,
      ),
      // One statement per claim and per settlement's acks rather than one per row (measured: claim+settle took
      // ~10% of the relay's main thread, most of it per-row statement calls).
      markInflight: db.prepare(
        `UPDATE deliveries SET state = 'inflight', attempts = attempts + 1, updated_at = ?
         WHERE sink = ? AND state = 'pending' AND seq BETWEEN ? AND ?`,
      ),
      ack: db.prepare(
        `UPDATE deliveries SET state = 'delivered', last_error = NULL, updated_at = ?
         WHERE sink = ? AND seq IN (SELECT value FROM json_each(?))`,
      ),
      retry: db.prepare(
        `UPDATE deliveries SET state = 'pending', next_attempt_at = ?, last_error = ?, updated_at = ?
         WHERE seq = ? AND sink = ?`,
      ),
      // The claim counted an attempt; a blocked sink never really tried, so it is taken back.
      defer: db.prepare(
        `UPDATE deliveries SET state = 'pending', attempts = max(attempts - 1, 0), next_attempt_at = ?,
                last_error = ?, updated_at = ?
         WHERE seq = ? AND sink = ?`,
      ),
      dead: db.prepare(
        `UPDATE deliveries SET state = 'dead', last_error = ?, updated_at = ? WHERE seq = ? AND sink = ?`,
      ),
      release: db.prepare(
        `UPDATE deliveries SET state = 'pending', attempts = max(attempts - 1, 0), updated_at = ?
         WHERE seq = ? AND sink = ? AND state = 'inflight'`,
      ),
    };
  }

  /** A previous process died mid-delivery: those rows may or may not have arrived, so they go again. */
  recoverInflight(): number {
    return this.db
      .prepare(`UPDATE deliveries SET state = 'pending', updated_at = ? WHERE state = 'inflight'`)
      .run(this.clock.now()).changes;
  }

  setActiveSinks(names: readonly string[]): void {
    const now = this.clock.now();
    const json = JSON.stringify(names);
    this.db.transaction(() => {
      this.db.prepare('UPDATE sinks SET active = (name IN (SELECT value FROM json_each(?)))').run(json);
      const add = this.db.prepare('INSERT OR IGNORE INTO sinks (name, active, registered_at) VALUES (?, 1, ?)');
      for (const name of names) add.run(name, now);
    })();
  }

  sinkNames(): string[] {
    return this.db.prepare('SELECT name FROM sinks ORDER BY name').pluck().all() as string[];
  }

  claim(sink: string, limit: number): ClaimedBatch {
    const now = this.clock.now();
    return this.relaxed((): ClaimedBatch => {
      const rows = this.s.head.all(sink, Math.max(1, limit)) as PendingRow[];
      // Strict order per sink: stop at the first row that is not due, even if later ones are.
      const dueCount = rows.findIndex((r) => r.nextAttemptAt > now);
      const due = dueCount === -1 ? rows : rows.slice(0, dueCount);
      const first = due[0];
      const last = due[due.length - 1];
      // Under the write lock the pending rows between the first and last due seq are exactly `due` (ordered prefix).
      if (first && last) this.s.markInflight.run(now, sink, first.seq, last.seq);
      const events: ClaimedEvent[] = due.map((row) => ({
        seq: row.seq,
        attempts: row.attempts + 1,
        event: JSON.parse(row.payload) as RelayEvent,
      }));
      const nextDueAt = events.length === 0 && rows[0] !== undefined ? rows[0].nextAttemptAt : undefined;
      return { events, nextDueAt };
    });
  }

  settle(sink: string, settlements: readonly Settlement[]): void {
    const now = this.clock.now();
    const acked = settlements.flatMap((s) => (s.action === 'ack' ? [s.seq] : []));
    this.relaxed(() => {
      if (acked.length > 0) this.s.ack.run(now, sink, JSON.stringify(acked));
      for (const s of settlements) {
        switch (s.action) {
          case 'ack':
            break;
          case 'retry':
            this.s.retry.run(s.at, s.error, now, s.seq, sink);
            break;
          case 'defer':
            this.s.defer.run(s.at, s.error, now, s.seq, sink);
            break;
          case 'deadLetter':
            this.s.dead.run(s.reason, now, s.seq, sink);
            break;
        }
      }
    });
  }

  release(sink: string, seqs: readonly number[]): void {
    const now = this.clock.now();
    this.relaxed(() => {
      for (const seq of seqs) this.s.release.run(now, seq, sink);
    });
  }

  listDead(sink: string, limit: number): DeadLetter[] {
    this.assertKnown(sink);
    return this.db
      .prepare(
        `SELECT d.seq, e.key, e.topic, d.attempts, d.last_error AS lastError, e.received_at AS receivedAt,
                d.updated_at AS deadAt
         FROM deliveries d JOIN events e ON e.seq = d.seq
         WHERE d.sink = ? AND d.state = 'dead' ORDER BY d.seq LIMIT ?`,
      )
      .all(sink, Math.max(0, limit)) as DeadLetter[];
  }

  requeueDead(sink: string, selector: DeadSelector): number {
    this.assertKnown(sink);
    const keys = 'keys' in selector ? JSON.stringify(selector.keys) : null;
    const requeue = this.db.prepare(
      `UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = 0, updated_at = ?
       WHERE sink = ? AND state = 'dead' AND seq BETWEEN ? AND ? ${keysFilter}`,
    );
    const now = this.clock.now();
    return this.inChunks(this.deadSeqRange(sink), (lo, hi) => requeue.run(now, sink, lo, hi, keys, keys).changes);
  }

  purgeDead(sink: string, selector: DeadSelector): number {
    this.assertKnown(sink);
    const keys = 'keys' in selector ? JSON.stringify(selector.keys) : null;
    const purge = this.db.prepare(
      `DELETE FROM deliveries WHERE sink = ? AND state = 'dead' AND seq BETWEEN ? AND ? ${keysFilter}`,
    );
    return this.inChunks(this.deadSeqRange(sink), (lo, hi) => purge.run(sink, lo, hi, keys, keys).changes);
  }

  /**
   * Re-delivers retained events to `sink`: delivered rows go back to pending, and events the sink never had a row for
   * (it was added later, or its dead letter was purged) get one. Dead and pending rows are left alone.
   */
  replay(sink: string, from: ReplayFrom): number {
    this.assertKnown(sink);
    const now = this.clock.now();
    const fromSeq = 'fromSeq' in from ? from.fromSeq : 0;
    const sinceAt = 'sinceAt' in from ? from.sinceAt : 0;
    const selected = 'SELECT seq FROM events WHERE seq BETWEEN ? AND ? AND received_at >= ?';
    const reset = this.db.prepare(
      `UPDATE deliveries SET state = 'pending', attempts = 0, next_attempt_at = 0, last_error = NULL, updated_at = ?
       WHERE sink = ? AND state = 'delivered' AND seq IN (${selected})`,
    );
    const add = this.db.prepare(
      `INSERT OR IGNORE INTO deliveries (seq, sink, state, attempts, next_attempt_at, updated_at)
       SELECT seq, ?, 'pending', 0, 0, ? FROM (${selected})`,
    );
    const range = this.db.prepare('SELECT min(seq) AS lo, max(seq) AS hi FROM events WHERE seq >= ?').get(fromSeq) as
      SeqRange | undefined;
    return this.inChunks(
      range,
      (lo, hi) => reset.run(now, sink, lo, hi, sinceAt).changes + add.run(sink, now, lo, hi, sinceAt).changes,
    );
  }

  /**
   * Forgets a sink that is no longer configured: its undelivered, delivered and dead rows go (in short transactions),
   * then its name. Refuses an active sink: the running configuration still delivers to it.
   */
  dropSink(sink: string): number {
    this.assertKnown(sink);
    const active = this.db.prepare('SELECT active FROM sinks WHERE name = ?').pluck().get(sink) as number;
    if (active === 1) {
      throw new OutboxError(
        `sink "${sink}" is still configured (active); remove it from the relay's config and restart it first`,
      );
    }
    const drop = this.db.prepare('DELETE FROM deliveries WHERE sink = ? AND seq BETWEEN ? AND ?');
    const range = this.db.prepare('SELECT min(seq) AS lo, max(seq) AS hi FROM deliveries WHERE sink = ?').get(sink) as
      SeqRange | undefined;
    const dropped = this.inChunks(range, (lo, hi) => drop.run(sink, lo, hi).changes);
    this.db.prepare('DELETE FROM sinks WHERE name = ? AND active = 0').run(sink);
    return dropped;
  }

  /** Runs `work` over [lo, hi] in slices of `chunkSeqs` sequence numbers, one short transaction each. */
  private inChunks(range: SeqRange | undefined, work: (lo: number, hi: number) => number): number {
    if (!range || range.lo === null || range.hi === null) return 0;
    let total = 0;
    let lastHoldMs = 0;
    for (let lo = range.lo; lo <= range.hi; lo += chunkSeqs) {
      if (lo > range.lo) this.betweenChunks(lastHoldMs);
      const started = performance.now();
      total += this.db.transaction(() => work(lo, Math.min(range.hi ?? lo, lo + chunkSeqs - 1))).immediate();
      lastHoldMs = performance.now() - started;
    }
    return total;
  }

  private deadSeqRange(sink: string): SeqRange | undefined {
    return this.db
      .prepare(`SELECT min(seq) AS lo, max(seq) AS hi FROM deliveries WHERE sink = ? AND state = 'dead'`)
      .get(sink) as SeqRange | undefined;
  }

  /**
   * Runs delivery bookkeeping (claim, settle, release) in a transaction committed with `synchronous=NORMAL`: no fsync
   * of its own. Losing such a commit to a power cut (never to a process crash) only rolls a row back to an earlier
   * state, i.e. the event is delivered again, which at-least-once allows; the next append's FULL commit fsyncs it
   * anyway. Without this, every batch would pay two more fsyncs on the event loop (measured ~3 ms each here).
   */
  private relaxed<T>(work: () => T): T {
    this.db.pragma('synchronous = NORMAL');
    try {
      // IMMEDIATE takes the write lock before reading, so two processes on one file (a rolling restart) cannot both
      // claim the same rows; the second waits for busy_timeout instead of failing on a stale snapshot.
      return this.db.transaction(work).immediate();
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  private assertKnown(sink: string): void {
    const known = this.sinkNames();
    if (!known.includes(sink)) {
      const list = known.length > 0 ? known.join(', ') : 'none yet';
      throw new OutboxError(`unknown sink "${sink}" (known: ${list})`);
    }
  }
}
