import type { Database } from 'better-sqlite3';
import type { Clock } from '../core/clock.ts';
import type { OutboxStats, PruneResult, SinkStats } from './outbox.ts';

/** Rows deleted per transaction, so retention never holds the write lock long enough to stall appends. */
const chunkRows = 5_000;

/** An event is finished when no sink still has to deliver it (its rows are all delivered or dead, or it has none). */
const unfinished = `EXISTS (SELECT 1 FROM deliveries d WHERE d.seq = e.seq AND d.state IN ('pending', 'inflight'))`;
const hasDeadLetter = `EXISTS (SELECT 1 FROM deliveries d WHERE d.seq = e.seq AND d.state = 'dead')`;

/** Retention and statistics over the outbox tables. */
export class SqliteRetention {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    private readonly retentionMs: number,
    private readonly maxRows: number,
  ) {}

  /**
   * Deletes finished events older than `retentionMs` (dead letters are kept for `dlq`), then, if the table is still
   * over `maxRows`, the oldest finished events including dead letters. Undelivered events are never deleted: losing
   * them silently would defeat the outbox; a growing depth shows in `stats` instead.
   */
  prune(): PruneResult {
    const cutoff = this.clock.now() - this.retentionMs;
    const expired = this.deleteWhile(
      `SELECT seq FROM events e WHERE received_at < ? AND NOT ${unfinished} AND NOT ${hasDeadLetter}
       ORDER BY seq LIMIT ?`,
      (limit) => [cutoff, limit],
      Number.POSITIVE_INFINITY,
    );
    const count = this.eventCount();
    const excess = count - this.maxRows;
    const evicted =
      excess > 0
        ? this.deleteWhile(
            `SELECT seq FROM events e WHERE NOT ${unfinished} ORDER BY seq LIMIT ?`,
            (limit) => [limit],
            excess,
          )
        : 0;
    return { expired, evicted };
  }

  stats(): OutboxStats {
    const totals = { events: this.eventCount() };
    const lastSeq = (this.db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = 'events'`).pluck().get() ??
      0) as number;
    const sinks = this.db.prepare('SELECT name, active FROM sinks ORDER BY name').all() as {
      name: string;
      active: number;
    }[];
    return { events: totals.events, lastSeq, sinks: sinks.map((s) => this.sinkStats(s.name, s.active === 1)) };
  }

  private sinkStats(sink: string, active: boolean): SinkStats {
    // Kept by triggers (migration 2): a few rows, whatever the outbox size.
    const counts = this.db.prepare('SELECT state, n FROM delivery_counts WHERE sink = ?').all(sink) as {
      state: string;
      n: number;
    }[];
    const n = (state: string): number => counts.find((c) => c.state === state)?.n ?? 0;
    const oldest = this.db
      .prepare(
        `SELECT min(e.received_at) FROM events e WHERE e.seq IN (
           SELECT min(seq) FROM deliveries WHERE sink = ? AND state = 'pending'
           UNION ALL SELECT min(seq) FROM deliveries WHERE sink = ? AND state = 'inflight')`,
      )
      .pluck()
      .get(sink, sink) as number | null;
    return {
      sink,
      active,
      pending: n('pending') + n('inflight'),
      inflight: n('inflight'),
      delivered: n('delivered'),
      dead: n('dead'),
      oldestPendingAt: oldest ?? undefined,
    };
  }

  private eventCount(): number {
    return (this.db.prepare('SELECT n FROM event_count WHERE id = 1').pluck().get() ?? 0) as number;
  }

  /** Deletes events picked by `select` (and their delivery rows) in chunks, up to `max` in all. */
  private deleteWhile(select: string, params: (limit: number) => unknown[], max: number): number {
    const pick = this.db.prepare(select).pluck();
    const dropRows = this.db.prepare('DELETE FROM deliveries WHERE seq IN (SELECT value FROM json_each(?))');
    const dropEvents = this.db.prepare('DELETE FROM events WHERE seq IN (SELECT value FROM json_each(?))');
    let deleted = 0;
    while (deleted < max) {
      const limit = Math.min(chunkRows, max - deleted);
      const n = this.db.transaction(() => {
        const seqs = JSON.stringify(pick.all(...params(limit)));
        dropRows.run(seqs);
        return dropEvents.run(seqs).changes;
      })();
      deleted += n;
      if (n < limit) break;
    }
    return deleted;
  }
}
