import type { Database } from 'better-sqlite3';
import type { Clock } from '../core/clock.ts';
import type { DeadLetter, DeadSelector, ReplayFrom } from './outbox.ts';
import { OutboxError } from './outbox-error.ts';
import type { CursorRow, SinkCursors, SkipRange } from './sink-cursor.ts';
import { sinkStats } from './sink-stats.ts';

interface SeqRange {
  lo: number | null;
  hi: number | null;
}

/**
 * `IN (…)` over a JSON array parameter, so a variable-length key list is still one prepared statement. The key is
 * looked up by each candidate row's seq: `events.key` has no index (schema 4), so the other way round would scan.
 */
const keysFilter = `AND (? IS NULL OR (SELECT e.key FROM events e WHERE e.seq = sink_exception.seq)
  IN (SELECT value FROM json_each(?)))`;

/**
 * Sequence numbers per transaction of the bulk operations (dead-letter requeue and purge, the scan of a replay), so
 * each holds the write lock briefly and a relay beside them keeps committing.
 */
const chunkSeqs = 1_000;

/**
 * The operator's side of the delivery state (`dlq`, `replay`, `outbox drop-sink`): dead letters are exception rows,
 * so their operations run over that table in chunks; a replay moves the cursor back.
 */
export class SqliteBacklog {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly cursors: SinkCursors,
    /**
     * Pause between the chunks of a bulk operation, given how long the last chunk held the lock, so another
     * process's writer gets the lock in between.
     */
    private readonly betweenChunks: (lastHoldMs: number) => void = () => undefined,
  ) {}

  listDead(sink: string, limit: number): DeadLetter[] {
    this.assertKnown(sink);
    return this.db
      .prepare(
        `SELECT x.seq, e.key, e.topic, x.attempts, x.last_error AS lastError, e.received_at AS receivedAt,
                x.updated_at AS deadAt
         FROM sink_exception x JOIN events e ON e.seq = x.seq
         WHERE x.sink = ? AND x.state = 'dead' ORDER BY x.seq LIMIT ?`,
      )
      .all(sink, Math.max(0, limit)) as DeadLetter[];
  }

  requeueDead(sink: string, selector: DeadSelector): number {
    this.assertKnown(sink);
    const keys = 'keys' in selector ? JSON.stringify(selector.keys) : null;
    const requeue = this.db.prepare(
      `UPDATE sink_exception SET state = 'pending', attempts = 0, next_attempt_at = 0, updated_at = ?
       WHERE sink = ? AND state = 'dead' AND seq BETWEEN ? AND ? ${keysFilter}`,
    );
    const now = this.clock.now();
    return this.inChunks(this.deadSeqRange(sink), (lo, hi) =>
      this.countDead(sink, requeue.run(now, sink, lo, hi, keys, keys).changes),
    );
  }

  /** A purged dead letter keeps an exception row (`purged`): settled, not delivered, never owed again. */
  purgeDead(sink: string, selector: DeadSelector): number {
    this.assertKnown(sink);
    const keys = 'keys' in selector ? JSON.stringify(selector.keys) : null;
    const purge = this.db.prepare(
      `UPDATE sink_exception SET state = 'purged', updated_at = ?
       WHERE sink = ? AND state = 'dead' AND seq BETWEEN ? AND ? ${keysFilter}`,
    );
    const now = this.clock.now();
    return this.inChunks(this.deadSeqRange(sink), (lo, hi) =>
      this.countDead(sink, purge.run(now, sink, lo, hi, keys, keys).changes),
    );
  }

  /**
   * Re-delivers retained events to `sink`: settled ones (delivered, or never owed: the sink was added later or was
   * inactive, or the dead letter was purged) become owed again; dead letters and pending rows are left alone. The
   * events are scanned in chunks outside the write lock; the cursor then moves back in one short transaction.
   * With `sinceAt`, events received earlier that lie after the first later one keep their state (skip ranges).
   */
  replay(sink: string, from: ReplayFrom): number {
    this.assertKnown(sink);
    const before = this.cursors.get(sink);
    if (!before) return 0;
    // Replay reaches events appended while an inactive sink was not owed them too (they had no row in schema 2).
    const top = this.cursors.lastSeq();
    const sinceAt = 'sinceAt' in from ? from.sinceAt : Number.NEGATIVE_INFINITY;
    const scan = this.scanReplay(before, 'fromSeq' in from ? from.fromSeq : 0, top, sinceAt);
    if (scan.first === undefined) return 0;
    const first = scan.first;
    this.db
      .transaction(() => {
        const cursor = this.cursors.get(sink);
        if (!cursor) return;
        const to = Math.min(cursor.ackedTo, first - 1);
        // A batch the sink holds now stays inflight (its range rows become inflight exceptions), so a crash before
        // it settles still counts its attempt and stats still show it, once claimed_to moves back below it.
        this.db
          .prepare(
            `INSERT INTO sink_exception (sink, seq, state, attempts, next_attempt_at, last_error, updated_at)
             SELECT @sink, e.seq, 'inflight', 1, 0, NULL, @now FROM events e WHERE e.seq > @after AND e.seq <= @upTo
               AND NOT EXISTS (SELECT 1 FROM sink_exception x WHERE x.sink = @sink AND x.seq = e.seq)
               AND NOT EXISTS (SELECT 1 FROM sink_skip k WHERE k.sink = @sink AND e.seq BETWEEN k.lo AND k.hi)`,
          )
          .run({ sink, now: this.clock.now(), after: Math.max(cursor.ackedTo, first - 1), upTo: cursor.claimedTo });
        if (cursor.horizon !== null && cursor.horizon < top) {
          // What lies between the old horizon and the replay's first event stays not owed.
          const lo = Math.max(cursor.horizon, to) + 1;
          if (lo <= first - 1) this.cursors.addSkip(sink, lo, first - 1);
          this.db.prepare('UPDATE sink_cursor SET horizon = ? WHERE sink = ?').run(top, sink);
        }
        this.db.prepare('DELETE FROM sink_skip WHERE sink = ? AND lo >= ?').run(sink, first);
        this.db.prepare(`DELETE FROM sink_exception WHERE sink = ? AND state = 'purged' AND seq >= ?`).run(sink, first);
        this.db
          .prepare('UPDATE sink_skip SET hi = ? WHERE sink = ? AND lo < ? AND hi >= ?')
          .run(first - 1, sink, first, first);
        for (const seq of scan.keep) this.cursors.addSkip(sink, seq, seq);
        for (const gap of scan.gone) this.cursors.addSkip(sink, gap.lo, gap.hi);
        this.db
          .prepare(
            `UPDATE sink_cursor SET acked_to = ?, claimed_to = max(?, min(claimed_to, ?)), since = min(since, ?),
                    delivered = max(0, delivered - ?) WHERE sink = ?`,
          )
          .run(to, to, first - 1, first - 1, scan.delivered, sink);
        this.cursors.fold(sink);
      })
      .immediate();
    return scan.count;
  }

  /** The replay's plan: its first event, how many become owed (and were counted delivered), what must stay settled. */
  private scanReplay(
    cursor: CursorRow,
    fromSeq: number,
    top: number,
    sinceAt: number,
  ): { first: number | undefined; count: number; delivered: number; keep: number[]; gone: SkipRange[] } {
    const exceptions = new Map(
      (
        this.db.prepare('SELECT seq, state FROM sink_exception WHERE sink = ?').all(cursor.sink) as {
          seq: number;
          state: string;
        }[]
      ).map((x) => [x.seq, x.state]),
    );
    const skips = this.cursors.skipsAbove(cursor.sink, cursor.ackedTo);
    // Rows come in seq order: walk the skip ranges alongside them.
    const skipped = (seq: number): boolean => {
      for (let r = skips.peek(); r && r.hi < seq; r = skips.peek()) skips.shift();
      const r = skips.peek();
      return r !== undefined && r.lo <= seq;
    };
    const page = this.db.prepare('SELECT seq, received_at AS at FROM events WHERE seq >= ? AND seq <= ? ORDER BY seq');
    const plan = { first: undefined as number | undefined, count: 0, delivered: 0, keep: [] as number[] };
    // Seqs after the first whose events retention deleted stay settled (skip ranges): never claimable, not owed.
    const gone: SkipRange[] = [];
    let previous: number | undefined;
    const oldest = (this.db.prepare('SELECT min(seq) FROM events').pluck().get() ?? top + 1) as number;
    for (let lo = Math.max(oldest, fromSeq); lo <= top; lo += chunkSeqs) {
      for (const row of page.all(lo, Math.min(top, lo + chunkSeqs - 1)) as { seq: number; at: number }[]) {
        if (previous !== undefined && plan.first !== undefined && row.seq > previous + 1) {
          gone.push({ lo: previous + 1, hi: row.seq - 1 });
        }
        previous = row.seq;
        const notOwed = cursor.horizon !== null && row.seq > cursor.horizon;
        const state = exceptions.get(row.seq);
        const plain = state === undefined && (row.seq <= cursor.ackedTo || notOwed || skipped(row.seq));
        const settled = plain || state === 'purged';
        if (row.at < sinceAt) {
          if (plan.first !== undefined && settled) plan.keep.push(row.seq);
          continue;
        }
        plan.first ??= row.seq;
        if (!settled) continue;
        plan.count++;
        if (plain && row.seq <= cursor.ackedTo && row.seq > cursor.since) plan.delivered++;
      }
    }
    if (previous !== undefined && plan.first !== undefined && previous < top) gone.push({ lo: previous + 1, hi: top });
    return { ...plan, gone };
  }

  /**
   * Forgets a sink that is no longer configured: its exceptions go (in short transactions), then its skips, cursor
   * and name. Refuses an active sink: the running configuration still delivers to it. Returns how many rows it still
   * had in the old sense (undelivered, delivered and dead events).
   */
  dropSink(sink: string): number {
    this.assertKnown(sink);
    const active = this.db.prepare('SELECT active FROM sinks WHERE name = ?').pluck().get(sink) as number;
    if (active === 1) {
      throw new OutboxError(
        `sink "${sink}" is still configured (active); remove it from the relay's config and restart it first`,
      );
    }
    const stats = sinkStats(this.db, this.cursors, sink, false);
    const drop = this.db.prepare('DELETE FROM sink_exception WHERE sink = ? AND seq BETWEEN ? AND ?');
    const range = this.db
      .prepare('SELECT min(seq) AS lo, max(seq) AS hi FROM sink_exception WHERE sink = ?')
      .get(sink) as SeqRange | undefined;
    this.inChunks(range, (lo, hi) => drop.run(sink, lo, hi).changes);
    this.db.transaction(() => {
      this.db.prepare('DELETE FROM sink_skip WHERE sink = ?').run(sink);
      this.db.prepare('DELETE FROM sink_cursor WHERE sink = ?').run(sink);
      this.db.prepare('DELETE FROM sinks WHERE name = ? AND active = 0').run(sink);
    })();
    return stats.pending + stats.delivered + stats.dead;
  }

  private countDead(sink: string, gone: number): number {
    if (gone > 0) this.db.prepare('UPDATE sink_cursor SET dead = max(0, dead - ?) WHERE sink = ?').run(gone, sink);
    return gone;
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
      .prepare(`SELECT min(seq) AS lo, max(seq) AS hi FROM sink_exception WHERE sink = ? AND state = 'dead'`)
      .get(sink) as SeqRange | undefined;
  }

  private assertKnown(sink: string): void {
    const known = this.db.prepare('SELECT name FROM sinks ORDER BY name').pluck().all() as string[];
    if (!known.includes(sink)) {
      const list = known.length > 0 ? known.join(', ') : 'none yet';
      throw new OutboxError(`unknown sink "${sink}" (known: ${list})`);
    }
  }
}
