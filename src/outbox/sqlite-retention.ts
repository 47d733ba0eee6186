import type Database from 'better-sqlite3';
import type { Clock } from '../core/clock.ts';
import type { OutboxStats, PruneResult } from './outbox.ts';
import type { CursorRow, SinkCursors } from './sink-cursor.ts';
import { sinkStats } from './sink-stats.ts';

/** Rows deleted per transaction, so retention never holds the write lock long enough to stall appends. */
const chunkRows = 5_000;

/**
 * No sink still owes the event: for each, it is at or below the cursor, past the horizon of an inactive sink, or
 * in a skip range (sink-cursor.ts). Exceptions are checked apart (`openException` / `anyException`).
 */
const settledEverywhere = `NOT EXISTS (
  SELECT 1 FROM sink_cursor c WHERE e.seq > c.acked_to AND (c.horizon IS NULL OR e.seq <= c.horizon)
    AND NOT EXISTS (SELECT 1 FROM sink_skip k WHERE k.sink = c.sink AND k.lo <= e.seq AND e.seq <= k.hi))`;
const noOpenException = `NOT EXISTS (SELECT 1 FROM sink_cursor c JOIN sink_exception x ON x.sink = c.sink
  AND x.seq = e.seq AND x.state IN ('pending', 'inflight'))`;
const noDeadLetter = `NOT EXISTS (SELECT 1 FROM sink_cursor c JOIN sink_exception x ON x.sink = c.sink
  AND x.seq = e.seq AND x.state = 'dead')`;

/** Retention and statistics over the outbox tables. */
export class SqliteRetention {
  constructor(
    private readonly db: Database.Database,
    private readonly clock: Clock,
    private readonly cursors: SinkCursors,
    private readonly retentionMs: number,
    private readonly maxRows: number,
  ) {}

  /**
   * Deletes finished events older than `retentionMs` (dead letters are kept for `dlq`), then, if the table is still
   * over `maxRows`, the oldest finished events including dead letters. Undelivered events are never deleted: losing
   * them silently would defeat the outbox; a growing depth shows in `stats` instead.
   */
  prune(): PruneResult {
    const steps = this.pruneInSteps(chunkRows);
    for (;;) {
      const step = steps.next();
      if (step.done) return step.value;
    }
  }

  /**
   * `prune` one transaction of at most `rowsPerStep` rows per `next()`, so a caller on the event loop can yield in
   * between: the relay's timed retention deletes a minute's worth of events (60,000 at 1,000 events/s took 773 ms
   * in one go on the project's machine), which would stall socket reads and commits for that long.
   */
  *pruneInSteps(rowsPerStep: number): Generator<void, PruneResult, void> {
    const cutoff = this.clock.now() - this.retentionMs;
    const expired = yield* this.deleteWhile(
      `SELECT seq FROM events e WHERE received_at < ? AND ${settledEverywhere} AND ${noOpenException}
         AND ${noDeadLetter} ORDER BY seq LIMIT ?`,
      (limit) => [cutoff, limit],
      Number.POSITIVE_INFINITY,
      rowsPerStep,
    );
    const excess = this.eventCount() - this.maxRows;
    const evicted =
      excess > 0
        ? yield* this.deleteWhile(
            `SELECT seq FROM events e WHERE ${settledEverywhere} AND ${noOpenException} ORDER BY seq LIMIT ?`,
            (limit) => [limit],
            excess,
            rowsPerStep,
          )
        : 0;
    return { expired, evicted };
  }

  stats(): OutboxStats {
    const lastSeq = this.cursors.lastSeq();
    const sinks = this.db.prepare('SELECT name, active FROM sinks ORDER BY name').all() as {
      name: string;
      active: number;
    }[];
    return {
      events: this.eventCount(),
      lastSeq,
      sinks: sinks.map((s) => sinkStats(this.db, this.cursors, s.name, s.active === 1)),
    };
  }

  private eventCount(): number {
    return (this.db.prepare('SELECT n FROM event_count WHERE id = 1').pluck().get() ?? 0) as number;
  }

  /** Deletes events picked by `select` (and their dead letters) in chunks, up to `max` in all; yields after each. */
  private *deleteWhile(
    select: string,
    params: (limit: number) => unknown[],
    max: number,
    rowsPerChunk: number,
  ): Generator<void, number, void> {
    const pick = this.db.prepare(select).pluck();
    const dropSettled = (state: 'dead' | 'purged'): Database.Statement<[string, string]> =>
      this.db.prepare(
        `DELETE FROM sink_exception WHERE sink = ? AND state = '${state}' AND seq IN (SELECT value FROM json_each(?))`,
      );
    const dropDead = dropSettled('dead');
    const dropPurged = dropSettled('purged');
    const dropEvents = this.db.prepare('DELETE FROM events WHERE seq IN (SELECT value FROM json_each(?))');
    const count = this.db.prepare(
      'UPDATE sink_cursor SET delivered = max(0, delivered - ?), dead = max(0, dead - ?) WHERE sink = ?',
    );
    let deleted = 0;
    while (deleted < max) {
      const limit = Math.min(Math.max(1, rowsPerChunk), max - deleted);
      const n = this.db.transaction(() => {
        const seqs = pick.all(...params(limit)) as number[];
        const json = JSON.stringify(seqs);
        for (const cursor of this.cursors.all()) {
          const dead = dropDead.run(cursor.sink, json).changes;
          const delivered = deliveredAmong(cursor, seqs) - dead - dropPurged.run(cursor.sink, json).changes;
          if (dead > 0 || delivered > 0) count.run(delivered, dead, cursor.sink);
        }
        return dropEvents.run(json).changes;
      })();
      deleted += n;
      if (n < limit) break;
      yield;
    }
    return deleted;
  }
}

/** How many of `seqs` the `delivered` counter of `cursor`'s sink counted (owed since it started, settled). */
function deliveredAmong(cursor: CursorRow, seqs: readonly number[]): number {
  let n = 0;
  for (const seq of seqs) if (seq > cursor.since && seq <= cursor.ackedTo) n++;
  return n;
}
