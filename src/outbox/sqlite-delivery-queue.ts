import type { Database, Statement } from 'better-sqlite3';
import type { Clock } from '../core/clock.ts';
import { StoredClaimedEvent } from './claimed-event.ts';
import type { ClaimedBatch, ClaimedEvent, Settlement } from './outbox.ts';
import { SinkCursors, type CursorRow } from './sink-cursor.ts';

interface RetryRow {
  seq: number;
  attempts: number;
  nextAttemptAt: number;
  payload: string;
  receivedAt: number;
}

interface RangeRow {
  seq: number;
  payload: string;
  receivedAt: number;
}

/**
 * The per-sink delivery loop's side of the outbox: claims, settlements, releases, inflight recovery and the active
 * sink set, over the cursor model of sink-cursor.ts. A claim reads the events above the sink's `claimed_to` (plus
 * its due `pending` exceptions, merged in sequence order) and moves `claimed_to`; a settlement moves `acked_to` and
 * writes an exception only for what was not acked.
 */
export class SqliteDeliveryQueue {
  readonly cursors: SinkCursors;
  private readonly s: {
    retries: Statement<[string, number], RetryRow>;
    range: Statement<[number, number, number], RangeRow>;
    claimedExceptions: Statement<[string], { seq: number; attempts: number }>;
    markInflight: Statement<[number, string, string]>;
    claimTo: Statement<[number, string]>;
    putException: Statement<[string, number, string, number, number, string | null, number]>;
    dropException: Statement<[string, number]>;
    releaseException: Statement<[number, string, number]>;
    unclaim: Statement<[number, string]>;
  };

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
  ) {
    this.cursors = new SinkCursors(db);
    this.s = {
      retries: db.prepare(
        `SELECT x.seq, x.attempts, x.next_attempt_at AS nextAttemptAt, e.payload, e.received_at AS receivedAt
         FROM sink_exception x JOIN events e ON e.seq = x.seq
         WHERE x.sink = ? AND x.state = 'pending' ORDER BY x.seq LIMIT ?`,
      ),
      range: db.prepare(
        'SELECT seq, payload, received_at AS receivedAt FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?',
      ),
      claimedExceptions: db.prepare(`SELECT seq, attempts FROM sink_exception WHERE sink = ? AND state = 'inflight'`),
      markInflight: db.prepare(
        `UPDATE sink_exception SET state = 'inflight', attempts = attempts + 1, updated_at = ?
         WHERE sink = ? AND state = 'pending' AND seq IN (SELECT value FROM json_each(?))`,
      ),
      claimTo: db.prepare('UPDATE sink_cursor SET claimed_to = max(claimed_to, ?) WHERE sink = ?'),
      putException: db.prepare(
        `INSERT INTO sink_exception (sink, seq, state, attempts, next_attempt_at, last_error, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (sink, seq) DO UPDATE SET state = excluded.state, attempts = excluded.attempts,
           next_attempt_at = excluded.next_attempt_at, last_error = excluded.last_error, updated_at = excluded.updated_at`,
      ),
      dropException: db.prepare('DELETE FROM sink_exception WHERE sink = ? AND seq = ?'),
      releaseException: db.prepare(
        `UPDATE sink_exception SET state = 'pending', attempts = max(attempts - 1, 0), updated_at = ?
         WHERE sink = ? AND seq = ? AND state = 'inflight'`,
      ),
      unclaim: db.prepare('UPDATE sink_cursor SET claimed_to = max(acked_to, min(claimed_to, ?)) WHERE sink = ?'),
    };
  }

  /**
   * A previous process died mid-delivery: what it had claimed may or may not have arrived, so it goes again, with
   * the attempt counted (as schema 2 did): claimed range rows become `pending` exceptions with one attempt.
   */
  recoverInflight(): number {
    const now = this.clock.now();
    const remember = this.db.prepare(
      `INSERT INTO sink_exception (sink, seq, state, attempts, next_attempt_at, last_error, updated_at)
       SELECT @sink, e.seq, 'pending', 1, 0, NULL, @now FROM events e WHERE e.seq > @after AND e.seq <= @upTo
         AND NOT EXISTS (SELECT 1 FROM sink_exception x WHERE x.sink = @sink AND x.seq = e.seq)
         AND NOT EXISTS (SELECT 1 FROM sink_skip k WHERE k.sink = @sink AND e.seq BETWEEN k.lo AND k.hi)`,
    );
    return this.db.transaction(() => {
      let recovered = 0;
      for (const c of this.cursors.all()) {
        if (c.claimedTo <= c.ackedTo) continue;
        recovered += remember.run({ sink: c.sink, now, after: c.ackedTo, upTo: c.claimedTo }).changes;
        this.s.unclaim.run(c.ackedTo, c.sink);
      }
      const inflight = this.db.prepare(
        `UPDATE sink_exception SET state = 'pending', updated_at = ? WHERE state = 'inflight'`,
      );
      return recovered + inflight.run(now).changes;
    })();
  }

  /**
   * A new sink starts at the newest event (it is owed what comes next). A sink that stops being active records
   * where (`horizon`): it keeps its backlog up to there and is owed nothing later. One that comes back skips what
   * was appended meanwhile.
   */
  setActiveSinks(names: readonly string[]): void {
    const now = this.clock.now();
    this.db.transaction(() => {
      const lastSeq = this.cursors.lastSeq();
      this.db
        .prepare('UPDATE sinks SET active = (name IN (SELECT value FROM json_each(?)))')
        .run(JSON.stringify(names));
      const add = this.db.prepare('INSERT OR IGNORE INTO sinks (name, active, registered_at) VALUES (?, 1, ?)');
      const start = this.db.prepare(
        'INSERT OR IGNORE INTO sink_cursor (sink, acked_to, claimed_to, horizon, since) VALUES (?, ?, ?, NULL, ?)',
      );
      for (const name of names) {
        add.run(name, now);
        start.run(name, lastSeq, lastSeq, lastSeq);
      }
      const setHorizon = this.db.prepare('UPDATE sink_cursor SET horizon = ? WHERE sink = ?');
      for (const c of this.cursors.all()) {
        const active = names.includes(c.sink);
        if (!active && c.horizon === null) setHorizon.run(lastSeq, c.sink);
        if (!active || c.horizon === null) continue;
        if (lastSeq > c.horizon) this.cursors.addSkip(c.sink, c.horizon + 1, lastSeq);
        setHorizon.run(null, c.sink);
        this.cursors.fold(c.sink);
      }
    })();
  }

  sinkNames(): string[] {
    return this.db.prepare('SELECT name FROM sinks ORDER BY name').pluck().all() as string[];
  }

  claim(sink: string, limit: number): ClaimedBatch {
    const now = this.clock.now();
    const max = Math.max(1, limit);
    return this.relaxed((): ClaimedBatch => {
      const cursor = this.cursors.get(sink);
      if (!cursor) return { events: [], nextDueAt: undefined };
      const retries = this.s.retries.all(sink, max);
      const range = this.readRange(cursor, max);
      const events: ClaimedEvent[] = [];
      const retried: number[] = [];
      let claimedTo: number | undefined;
      let nextDueAt: number | undefined;
      // Strict order per sink: merge both in sequence order and stop at the first row that is not due.
      for (let i = 0, j = 0; events.length < max;) {
        const retry = retries[i];
        const fresh = range[j];
        if (retry && (!fresh || retry.seq < fresh.seq)) {
          if (retry.nextAttemptAt > now) {
            nextDueAt = retry.nextAttemptAt;
            break;
          }
          events.push(new StoredClaimedEvent(retry.seq, retry.attempts + 1, retry.payload, retry.receivedAt));
          retried.push(retry.seq);
          i++;
        } else if (fresh) {
          events.push(new StoredClaimedEvent(fresh.seq, 1, fresh.payload, fresh.receivedAt));
          claimedTo = fresh.seq;
          j++;
        } else break;
      }
      if (retried.length > 0) this.s.markInflight.run(now, sink, JSON.stringify(retried));
      if (claimedTo !== undefined) this.s.claimTo.run(claimedTo, sink);
      return { events, nextDueAt };
    });
  }

  /** Up to `max` owed events above `claimed_to`: the events table's range, minus skip ranges and exceptions. */
  private readRange(cursor: CursorRow, max: number): RangeRow[] {
    const top = this.cursors.top(cursor);
    const skips = this.cursors.skipsAbove(cursor.sink, cursor.claimedTo);
    const out: RangeRow[] = [];
    let after = cursor.claimedTo;
    while (out.length < max && after < top) {
      const skip = skips.peek();
      if (skip && skip.lo <= after + 1) {
        after = Math.max(after, skips.shift().hi);
        continue;
      }
      const hi = skip ? Math.min(top, skip.lo - 1) : top;
      const rows = this.s.range.all(after, hi, max - out.length);
      const last = rows.at(-1);
      if (!last) {
        after = hi;
        continue;
      }
      const excepted = new Set(this.cursors.exceptionsIn(cursor.sink, after, last.seq));
      for (const row of rows) if (!excepted.has(row.seq)) out.push(row);
      after = last.seq;
    }
    return out;
  }

  settle(sink: string, settlements: readonly Settlement[]): void {
    const now = this.clock.now();
    this.relaxed(() => {
      const cursor = this.cursors.get(sink);
      if (!cursor) return;
      // Rows claimed from the exception table carry their attempts there (counted at claim); range rows had none.
      const claimed = new Map(this.s.claimedExceptions.all(sink).map((r) => [r.seq, r.attempts]));
      const acked: number[] = [];
      const deltas = { delivered: 0, dead: 0 };
      for (const s of settlements) {
        const attempts = claimed.get(s.seq);
        if (s.action === 'ack') {
          if (attempts !== undefined) this.s.dropException.run(sink, s.seq);
          acked.push(s.seq);
          deltas.delivered++;
        } else if (s.action === 'retry') {
          this.s.putException.run(sink, s.seq, 'pending', attempts ?? 1, s.at, s.error, now);
        } else if (s.action === 'defer') {
          // The claim counted an attempt; a blocked sink never really tried, so it is taken back.
          this.s.putException.run(sink, s.seq, 'pending', Math.max((attempts ?? 1) - 1, 0), s.at, s.error, now);
        } else {
          this.s.putException.run(sink, s.seq, 'dead', attempts ?? 1, 0, s.reason, now);
          deltas.dead++;
        }
      }
      this.cursors.advance(cursor, acked, deltas);
    });
  }

  /** Claimed rows go back to pending, the attempt not counted; range rows by lowering `claimed_to` below them. */
  release(sink: string, seqs: readonly number[]): void {
    const now = this.clock.now();
    this.relaxed(() => {
      const claimed = new Set(this.s.claimedExceptions.all(sink).map((r) => r.seq));
      let lowest = Number.POSITIVE_INFINITY;
      for (const seq of seqs) {
        if (claimed.has(seq)) this.s.releaseException.run(now, sink, seq);
        else lowest = Math.min(lowest, seq);
      }
      if (Number.isFinite(lowest)) this.s.unclaim.run(lowest - 1, sink);
    });
  }

  /**
   * Runs delivery bookkeeping (claim, settle, release) in a transaction committed with `synchronous=NORMAL`: no fsync
   * of its own. Losing such a commit to a power cut (never to a process crash) only rolls a cursor back to an earlier
   * position, i.e. events are delivered again, which at-least-once allows; the next append's FULL commit fsyncs it
   * anyway. Without this, every batch would pay two more fsyncs on the event loop (measured ~3 ms each here).
   */
  relaxed<T>(work: () => T): T {
    this.db.pragma('synchronous = NORMAL');
    try {
      // IMMEDIATE takes the write lock before reading, so two processes on one file (a rolling restart) cannot both
      // claim the same rows; the second waits for busy_timeout instead of failing on a stale snapshot.
      return this.db.transaction(work).immediate();
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }
}
