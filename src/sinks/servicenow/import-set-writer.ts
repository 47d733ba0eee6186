import type { RelayEvent } from '../../envelope/envelope.ts';
import type { BatchOutcome, DeliveryOutcome } from '../sink.ts';
import type { ResolvedServiceNowOptions } from './options.ts';
import { toServiceNowRecord } from './record.ts';
import type { ServiceNowClient } from './servicenow-client.ts';

/**
 * Import-set mode: `POST /api/now/import/{staging}/insertMultiple` with `{"records":[…]}`.
 *
 * Idempotency comes from the instance: the transform map from the staging table to the target table must mark
 * `keyField` (u_event_key) as a Coalesce field, so a re-sent event (after a timeout or a crash between delivery
 * and ack) updates the existing row instead of adding a duplicate. Imports with coalesce fields are transformed
 * serially, which also closes the insert race that table mode has. ServiceNow setup (docs/servicenow.md): a
 * `sys_rest_insert_multiple` row for the staging table with column mapping "Column name" (the default "Label"
 * leaves every field empty) and, if errors should be visible to the relay, synchronous transform.
 *
 * The response is only `{import_set_id, multi_import_set_id}`, so per-record transform errors are not visible
 * here: a 2xx means every record of the batch reached the staging table.
 */
export class ImportSetWriter {
  private readonly path: string;

  constructor(
    private readonly client: ServiceNowClient,
    private readonly options: ResolvedServiceNowOptions,
  ) {
    this.path = `/api/now/import/${options.table}/insertMultiple`;
  }

  async write(events: readonly RelayEvent[], signal: AbortSignal): Promise<BatchOutcome> {
    if (events.length === 0) return [];
    const outcome = await this.post(events, signal);
    // A 413 means this batch is too large for the instance or a proxy in front of it; halves may fit, and only a
    // single event that is still too large is really undeliverable.
    if (outcome.kind === 'permanent' && outcome.error.includes('HTTP 413') && events.length > 1) {
      const half = Math.ceil(events.length / 2);
      const first = await this.write(events.slice(0, half), signal);
      const second = await this.write(events.slice(half), signal);
      return [...first, ...second];
    }
    return events.map(() => outcome);
  }

  private async post(events: readonly RelayEvent[], signal: AbortSignal): Promise<DeliveryOutcome> {
    const records = events.map((e) => toServiceNowRecord(e, this.options.keyField));
    const what = `ServiceNow POST ${this.path} (${events.length} records)`;
    const reply = await this.client.send(
      { method: 'POST', path: this.path, body: JSON.stringify({ records }), signal },
      what,
    );
    return this.client.classify(reply, what);
  }
}
