import Database from 'better-sqlite3';
import type { LastStateMap } from './last-state.ts';
import type { ResyncStrategy } from './types.ts';

export interface SeedResult {
  /** Receive time (epoch ms) of the outbox's newest event: the start of the start-up gap; undefined when empty. */
  lastEventAt: number | undefined;
  /** Events read to seed the map. */
  scanned: number;
}

/**
 * Rebuilds the last-delivered state per entity from the outbox (newest first, at most `maxRows` events), so after a
 * restart a resync still emits only what changed. Reads the outbox file through its own read-only connection (the
 * `events` table: topic, payload, received_at); a missing or unreadable file seeds nothing.
 */
export function seedFromOutbox(
  path: string,
  strategies: readonly ResyncStrategy[],
  lastState: LastStateMap,
  maxRows: number,
): SeedResult {
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch {
    return { lastEventAt: undefined, scanned: 0 };
  }
  try {
    const last = db.prepare('SELECT max(received_at) AS last FROM events').get() as { last: number | null } | undefined;
    const rows = db
      .prepare('SELECT topic, payload FROM events ORDER BY seq DESC LIMIT ?')
      .iterate(maxRows) as IterableIterator<{ topic: string; payload: string }>;
    let scanned = 0;
    for (const row of rows) {
      scanned++;
      const strategy = strategies.find((s) => s.handles(row.topic));
      if (!strategy) continue;
      const state = strategy.identify(row.topic, bodyOf(row.payload));
      if (state) lastState.setIfAbsent(state.entity, state.fingerprint, 0);
    }
    return { lastEventAt: last?.last ?? undefined, scanned };
  } finally {
    db.close();
  }
}

function bodyOf(payload: string): unknown {
  try {
    return (JSON.parse(payload) as { eventBody?: unknown }).eventBody;
  } catch {
    return undefined;
  }
}
