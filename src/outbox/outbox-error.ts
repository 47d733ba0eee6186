import { RelayError, type RelayErrorOptions } from '../core/errors.ts';

/** The outbox could not store or read events (disk full, corrupt file, newer schema, unknown sink). */
export class OutboxError extends RelayError {
  constructor(message: string, options: RelayErrorOptions = {}) {
    super('GENESYS_RELAY_ERR_OUTBOX', message, options);
  }
}
