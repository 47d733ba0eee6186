import type { Database, Statement } from 'better-sqlite3';

/**
 * The per-sink delivery state (schema 3): a cursor row, skip ranges and a small exception table, instead of one row
 * per event per sink. For sink S, the fate of event `seq` is read in this order:
 *
 * 1. an exception row (S, seq) is the truth for that seq: `pending` (a retry, a deferral, a requeued dead letter or
 *    a claim cut short by a crash: attempts, next_attempt_at, last_error), `inflight` (such a row claimed), `dead`,
 *    `purged` (a dead letter discarded: settled but not delivered, so a replay still counts it; it goes with its
 *    event);
 * 2. else a skip range [lo, hi] of S holding seq: settled (acked out of order) or never owed (S was inactive, or was
 *    added later, or a migrated row was already delivered);
 * 3. else seq <= `acked_to` (the cursor): settled;
 * 4. else seq <= `horizon` (the newest seq when S became inactive; NULL while active): owed — inflight if
 *    seq <= `claimed_to`, pending otherwise.
 *
 * So an append writes its event and nothing else; a claim reads the range above `claimed_to`; a settled batch moves
 * `acked_to` with one UPDATE. Skip ranges and exceptions above the cursor exist only while something before them is
 * unsettled (a shutdown cut a batch short): settle folds the cursor over them as soon as it can. `delivered` and
 * `dead` are counters kept in the row by the code that changes them (no triggers); `since` is the seq before the
 * first one the sink was owed (it only serves the `delivered` counter when retention deletes events).
 */
export interface CursorRow {
  sink: string;
  ackedTo: number;
  claimedTo: number;
  horizon: number | null;
  since: number;
  delivered: number;
  dead: number;
}

export interface SkipRange {
  lo: number;
  hi: number;
}

export class SinkCursors {
  private readonly s: {
    get: Statement<[string], CursorRow>;
    all: Statement<[], CursorRow>;
    lastSeq: Statement<[], number>;
    skipAt: Statement<[string, number], SkipRange>;
    skipsAfter: Statement<[string, number, number], SkipRange>;
    skipped: Statement<{ sink: string; after: number; upTo: number }, number>;
    exceptionCount: Statement<[string, number, number], number>;
    exceptionSeqs: Statement<[string, number, number], number>;
    exceptionAt: Statement<[string, number], { state: string }>;
    addSkip: Statement<[string, number, number]>;
    dropSkipsTo: Statement<[{ sink: string; to: number }]>;
    move: Statement<[number, number, number, number, string]>;
    nextEvent: Statement<[number], number | null>;
  };

  constructor(db: Database) {
    this.s = {
      get: db.prepare(`SELECT sink, acked_to AS ackedTo, claimed_to AS claimedTo, horizon, since, delivered, dead
                       FROM sink_cursor WHERE sink = ?`),
      all: db.prepare(`SELECT sink, acked_to AS ackedTo, claimed_to AS claimedTo, horizon, since, delivered, dead
                       FROM sink_cursor ORDER BY sink`),
      lastSeq: db.prepare<[], number>(`SELECT seq FROM sqlite_sequence WHERE name = 'events'`).pluck(),
      // Two index range reads, never a scan of all of a sink's ranges (a sparse migrated sink has one per seq).
      skipAt: db.prepare('SELECT lo, hi FROM sink_skip WHERE sink = ? AND lo <= ? ORDER BY lo DESC LIMIT 1'),
      skipsAfter: db.prepare('SELECT lo, hi FROM sink_skip WHERE sink = ? AND lo > ? ORDER BY lo LIMIT ?'),
      skipped: db
        .prepare<{ sink: string; after: number; upTo: number }, number>(
          `SELECT coalesce(sum(min(hi, @upTo) - max(lo, @after + 1) + 1), 0) FROM sink_skip
           WHERE sink = @sink AND lo <= @upTo AND hi > @after`,
        )
        .pluck(),
      exceptionCount: db
        .prepare<[string, number, number], number>(
          'SELECT count(*) FROM sink_exception WHERE sink = ? AND seq > ? AND seq <= ?',
        )
        .pluck(),
      exceptionSeqs: db
        .prepare<[string, number, number], number>(
          'SELECT seq FROM sink_exception WHERE sink = ? AND seq > ? AND seq <= ? ORDER BY seq',
        )
        .pluck(),
      exceptionAt: db.prepare('SELECT state FROM sink_exception WHERE sink = ? AND seq = ?'),
      addSkip: db.prepare('INSERT OR REPLACE INTO sink_skip (sink, lo, hi) VALUES (?, ?, ?)'),
      dropSkipsTo: db.prepare('DELETE FROM sink_skip WHERE sink = @sink AND lo <= @to AND hi <= @to'),
      move: db.prepare(
        `UPDATE sink_cursor SET acked_to = ?, claimed_to = max(claimed_to, ?), delivered = max(0, delivered + ?),
                dead = max(0, dead + ?) WHERE sink = ?`,
      ),
      nextEvent: db.prepare<[number], number | null>('SELECT min(seq) FROM events WHERE seq >= ?').pluck(),
    };
  }

  get(sink: string): CursorRow | undefined {
    return this.s.get.get(sink);
  }

  all(): CursorRow[] {
    return this.s.all.all();
  }

  /** Highest sequence number ever assigned (AUTOINCREMENT keeps it after retention deleted that row). */
  lastSeq(): number {
    return this.s.lastSeq.get() ?? 0;
  }

  /** The newest seq `cursor`'s sink is owed: the newest event, or where it stopped being active. */
  top(cursor: CursorRow, lastSeq = this.lastSeq()): number {
    return cursor.horizon === null ? lastSeq : Math.min(cursor.horizon, lastSeq);
  }

  /** Skip ranges of `sink` that end above `after`, in order, read a page at a time as the walk needs them. */
  skipsAbove(sink: string, after: number): SkipWalk {
    const first = this.s.skipAt.get(sink, after);
    return new SkipWalk(first && first.hi > after ? [first] : [], after, (lo) =>
      this.s.skipsAfter.all(sink, lo, SkipWalk.pageSize),
    );
  }

  /** How many seqs in (after, upTo] lie in `sink`'s skip ranges. */
  skippedIn(sink: string, after: number, upTo: number): number {
    return upTo > after ? (this.s.skipped.get({ sink, after, upTo }) ?? 0) : 0;
  }

  /** How many of `sink`'s exceptions lie in (after, upTo]. */
  exceptionCountIn(sink: string, after: number, upTo: number): number {
    return upTo > after ? (this.s.exceptionCount.get(sink, after, upTo) ?? 0) : 0;
  }

  /** Sequence numbers of `sink`'s exceptions in (after, upTo], in order. */
  exceptionsIn(sink: string, after: number, upTo: number): number[] {
    return upTo > after ? this.s.exceptionSeqs.all(sink, after, upTo) : [];
  }

  addSkip(sink: string, lo: number, hi: number): void {
    this.s.addSkip.run(sink, lo, hi);
  }

  /**
   * Moves `sink`'s cursor to `ackedTo` past every settled seq (`settled`, skips, exceptions) right after it, drops
   * the skip ranges it passed, and adds the counter deltas. Returns the new cursor. Settled seqs it cannot reach (an
   * unsettled seq lies before them) become one-seq skip ranges.
   */
  advance(cursor: CursorRow, settled: readonly number[], deltas: { delivered: number; dead: number }): number {
    const acked = new Set(settled.filter((seq) => seq > cursor.ackedTo));
    let reach = cursor.claimedTo + 1;
    for (const seq of acked) reach = Math.max(reach, seq + 1);
    const exceptions = new Set(this.exceptionsIn(cursor.sink, cursor.ackedTo, reach));
    const skips = this.skipsAbove(cursor.sink, cursor.ackedTo);
    const top = this.top(cursor);
    let to = cursor.ackedTo;
    for (;;) {
      const next = to + 1;
      const skip = skips.peek();
      if (acked.delete(next) || exceptions.has(next)) to = next;
      else if (skip !== undefined && skip.lo <= next) to = Math.max(to, skips.shift().hi);
      else {
        // A seq whose event is gone (deleted before a replay moved the cursor back over it) can never be claimed.
        const stored = next <= top ? this.nextStored(next, top) : next;
        if (stored === next) break;
        to = stored - 1;
      }
    }
    for (const seq of acked) if (seq > to) this.addSkip(cursor.sink, seq, seq);
    if (to > cursor.ackedTo) this.s.dropSkipsTo.run({ sink: cursor.sink, to });
    this.s.move.run(to, to, deltas.delivered, deltas.dead, cursor.sink);
    return to;
  }

  /**
   * The first seq from `seq` on whose event still exists (`top + 1` if none up to `top`). A seq at or below the
   * newest one without its event was deleted by retention when every sink was done with it; a replay that moved a
   * cursor back over it must not leave it owed: it can never be claimed, and the cursor would stop there for good.
   */
  private nextStored(seq: number, top: number): number {
    return Math.min(this.s.nextEvent.get(seq) ?? top + 1, top + 1);
  }

  /** `advance` with nothing newly settled: after skips or exceptions were added right above the cursor. */
  fold(sink: string): void {
    const cursor = this.get(sink);
    if (cursor) this.advance(cursor, [], { delivered: 0, dead: 0 });
  }

  /** What an exception says about `seq`, if there is one. */
  exceptionState(sink: string, seq: number): string | undefined {
    return this.s.exceptionAt.get(sink, seq)?.state;
  }
}

/** Owed seqs of `cursor`'s sink in (after, upTo]: the count of the range minus skips and exceptions in it. */
export function owedIn(cursors: SinkCursors, sink: string, after: number, upTo: number): number {
  if (upTo <= after) return 0;
  const skipped = cursors.skippedIn(sink, after, upTo);
  return Math.max(0, upTo - after - skipped - cursors.exceptionCountIn(sink, after, upTo));
}

/** Skip ranges in `lo` order, fetched a page at a time (a claim or a fold rarely looks past the first few). */
export class SkipWalk {
  static readonly pageSize = 64;
  private last: number;
  private exhausted = false;

  constructor(
    private page: SkipRange[],
    after: number,
    private readonly fetch: (afterLo: number) => SkipRange[],
  ) {
    this.last = page[0]?.lo ?? after;
  }

  peek(): SkipRange | undefined {
    if (this.page.length === 0 && !this.exhausted) {
      this.page = this.fetch(this.last);
      this.exhausted = this.page.length < SkipWalk.pageSize;
      const end = this.page.at(-1);
      if (end) this.last = end.lo;
    }
    return this.page[0];
  }

  /** Takes the range `peek` returned. */
  shift(): SkipRange {
    const range = this.peek();
    if (!range) throw new Error('SkipWalk.shift past the end');
    this.page.shift();
    return range;
  }
}
