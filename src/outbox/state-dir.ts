import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../core/errors.ts';
import { SqliteOutbox } from './sqlite-outbox.ts';

/** Where the relay keeps its state when `--state-dir` is not given. */
export const defaultStateDir = './.state';

/** The outbox file inside a state directory. */
export function outboxPath(stateDir: string): string {
  return join(stateDir, 'outbox.sqlite');
}

/**
 * Opens the outbox of an existing state directory for inspection and repair (the `replay` and `dlq` commands), safely
 * beside a running relay: it neither recovers inflight rows nor runs retention, and never creates a new file.
 */
export function openExistingOutbox(stateDir: string): SqliteOutbox {
  if (!existsSync(stateDir) || !statSync(stateDir).isDirectory()) {
    throw new ConfigError('--state-dir', `${stateDir} does not exist or is not a directory`);
  }
  const path = outboxPath(stateDir);
  if (!existsSync(path)) {
    throw new ConfigError('--state-dir', `${stateDir} has no outbox (${path}); has \`genesys-relay run\` used it?`);
  }
  // These commands never append, so the de-duplication window is not read back (188 ms on a 1M-event outbox).
  return new SqliteOutbox({
    path,
    recoverInflight: false,
    pruneIntervalMs: 0,
    bulkChunkPauseMs: 5,
    dedupeWindowEvents: 1,
  });
}
