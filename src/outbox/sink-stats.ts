import type { Database } from 'better-sqlite3';
import type { SinkStats } from './outbox.ts';
import { owedIn, type SinkCursors } from './sink-cursor.ts';

/**
 * One sink's figures from its cursor row: pending = owed seqs above the cursor (its range minus skips and
 * exceptions) plus its pending and inflight exceptions; delivered and dead are counters in the row. A few indexed
 * reads whatever the outbox size (skips and exceptions above the cursor exist only while a batch was cut short).
 */
export function sinkStats(db: Database, cursors: SinkCursors, sink: string, active: boolean): SinkStats {
  const cursor = cursors.get(sink);
  if (!cursor) {
    return { sink, active, pending: 0, inflight: 0, delivered: 0, dead: 0, oldestPendingAt: undefined };
  }
  const top = cursors.top(cursor);
  const owed = owedIn(cursors, sink, cursor.ackedTo, top);
  const claimed = owedIn(cursors, sink, cursor.ackedTo, Math.min(cursor.claimedTo, top));
  const open = db
    .prepare(
      `SELECT state, count(*) AS n, min(seq) AS first FROM sink_exception
       WHERE sink = ? AND state IN ('pending', 'inflight') GROUP BY state`,
    )
    .all(sink) as { state: string; n: number; first: number }[];
  const n = (state: string): number => open.find((r) => r.state === state)?.n ?? 0;
  const firsts = open.map((r) => r.first);
  if (owed > 0) firsts.push(cursor.ackedTo + 1);
  const oldest =
    firsts.length === 0
      ? null
      : (db
          .prepare('SELECT received_at FROM events WHERE seq >= ? ORDER BY seq LIMIT 1')
          .pluck()
          .get(Math.min(...firsts)) as number | undefined);
  return {
    sink,
    active,
    pending: owed + n('pending') + n('inflight'),
    inflight: claimed + n('inflight'),
    delivered: cursor.delivered,
    dead: cursor.dead,
    oldestPendingAt: oldest ?? undefined,
  };
}
