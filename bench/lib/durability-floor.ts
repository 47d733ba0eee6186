import { randomUUID } from 'node:crypto';
import { closeSync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';

/**
 * What durability alone costs at a given pace, for comparison with the relay's CPU at a calm rate: a minimal script
 * (no client, no outbox code, no sink loop) doing `commitsPerS` times a second a synchronous=FULL WAL commit of
 * `rowsPerCommit` ~900-byte rows into a bare table, then one write of as many lines to a file and its fdatasync,
 * for `seconds`. Returns % of one core this process used meanwhile (process.cpuUsage, every thread).
 */
export async function durabilityFloorPct(commitsPerS: number, rowsPerCommit: number, seconds: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'genesys-relay-bench-floor-'));
  const db = new Database(join(dir, 'floor.sqlite'));
  const fd = openSync(join(dir, 'floor.ndjson'), 'a');
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.exec('CREATE TABLE events (seq INTEGER PRIMARY KEY, key TEXT, payload TEXT, received_at INTEGER)');
    const insert = db.prepare('INSERT INTO events (key, payload, received_at) VALUES (?, ?, ?)');
    const payload = 'x'.repeat(900);
    const commit = db.transaction((rows: number) => {
      for (let i = 0; i < rows; i++) insert.run(randomUUID(), payload, Date.now());
    });
    const lines = Buffer.from(`${'y'.repeat(900)}\n`.repeat(rowsPerCommit));
    const total = Math.max(1, Math.round(commitsPerS * seconds));
    const before = process.cpuUsage();
    const startedAt = performance.now();
    await new Promise<void>((resolve) => {
      let done = 0;
      const timer = setInterval(() => {
        commit(rowsPerCommit);
        writeSync(fd, lines);
        fdatasyncSync(fd);
        if (++done >= total) {
          clearInterval(timer);
          resolve();
        }
      }, 1000 / commitsPerS);
    });
    const used = process.cpuUsage(before);
    return ((used.user + used.system) / 1000 / (performance.now() - startedAt)) * 100;
  } finally {
    closeSync(fd);
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
