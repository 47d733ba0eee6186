import type { Sink } from '../sink.ts';
import { ImportSetWriter } from './import-set-writer.ts';
import { resolveServiceNowOptions, type ServiceNowSinkOptions } from './options.ts';
import { ServiceNowClient } from './servicenow-client.ts';
import { TableWriter } from './table-writer.ts';

/**
 * A sink that writes events into a ServiceNow instance, via the Import Set API (default; coalesce on
 * `keyField` makes re-sends idempotent) or the Table API (look-up, then PATCH or POST). Throws ConfigError for
 * invalid options; delivery failures become outcomes: 429/5xx/maintenance pages/network → retryable (with
 * Retry-After), 400/403 (ACL, business rule)/404 → permanent, 401 → one token refresh, then blocked (as is a
 * rejected OAuth grant): the events stay queued until the credentials work again.
 */
export function createServiceNowSink(options: ServiceNowSinkOptions): Sink {
  const resolved = resolveServiceNowOptions(options);
  const client = new ServiceNowClient(resolved);
  const writer =
    resolved.mode === 'import-set' ? new ImportSetWriter(client, resolved) : new TableWriter(client, resolved);
  return {
    name: resolved.name,
    maxBatch: resolved.batchSize,
    deliver: (events, signal) => writer.write(events, signal),
    close: () => client.close(),
  };
}
