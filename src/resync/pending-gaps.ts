import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { isRecord } from '../core/json.ts';
import type { ResyncGap } from './types.ts';

/** The file that keeps unfinished resyncs of a state dir across a crash. */
export function pendingGapsPath(stateDir: string): string {
  return join(stateDir, 'resync-pending.json');
}

/**
 * The gaps whose resync has not finished, in `<stateDir>/resync-pending.json`, so a resync cut short by a crash or
 * kill -9 is run again at the next start instead of being forgotten. Written atomically (temp file, fsync, rename)
 * whenever the set changes; gap sets are small (coalesced), so rewriting the file is cheap.
 */
export class PendingGapFile {
  constructor(private readonly path: string) {}

  load(): ResyncGap[] {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch {
      return [];
    }
    try {
      const parsed = JSON.parse(text) as unknown;
      const gaps = isRecord(parsed) && Array.isArray(parsed.gaps) ? parsed.gaps : [];
      return gaps.filter(isGap);
    } catch {
      return [];
    }
  }

  save(gaps: readonly ResyncGap[]): void {
    const tmp = `${this.path}.tmp`;
    const fd = openSync(tmp, 'w');
    try {
      writeSync(fd, JSON.stringify({ gaps }));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.path);
  }
}

function isGap(value: unknown): value is ResyncGap {
  return (
    isRecord(value) &&
    typeof value.id === 'string' &&
    typeof value.startAt === 'number' &&
    typeof value.endAt === 'number' &&
    typeof value.reason === 'string' &&
    Array.isArray(value.topics) &&
    value.topics.every((t) => typeof t === 'string')
  );
}
