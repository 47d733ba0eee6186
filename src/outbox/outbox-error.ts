import { RelayError, type RelayErrorOptions } from '../core/errors.ts';

/** The outbox could not store or read events (disk full, corrupt file, newer schema, unknown sink). */
export class OutboxError extends RelayError {
  constructor(message: string, options: RelayErrorOptions = {}) {
    super('GENESYS_RELAY_ERR_OUTBOX', message, options);
  }
}

/**
 * An outbox write refused because another connection holds the database's write lock (SQLITE_BUSY or
 * SQLITE_LOCKED, directly or as the cause of an OutboxError): a CLI bulk operation or a second relay on the file.
 * Such a holder keeps the lock for a few milliseconds at a time, so the write is worth trying again within as many,
 * unlike a full disk.
 */
export function isWriteLockContention(error: unknown): boolean {
  const cause = error instanceof OutboxError ? error.cause : error;
  const code = (cause as { code?: unknown } | undefined)?.code;
  return typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'));
}

/** The pause before such a write is tried again: random in [1, 10] ms, so it cannot stay in step with the holder. */
export function contentionPauseMs(random: () => number): number {
  return 1 + Math.floor(random() * 10);
}
