import type { RelayEvent } from '../../envelope/envelope.ts';
import type { BatchOutcome, DeliveryOutcome } from '../sink.ts';
import type { ResolvedServiceNowOptions } from './options.ts';
import { mapEvent, type ServiceNowRecord } from './record.ts';
import type { ServiceNowClient } from './servicenow-client.ts';

/**
 * Import-set mode: `POST /api/now/import/{staging}/insertMultiple` with `{"records":[…]}`.
 *
 * Idempotency comes from the instance: the transform map from the staging table to the target table must mark
 * `keyField` (u_event_key) as a Coalesce field, so a re-sent event (after a timeout or a crash between delivery
 * and ack) updates the existing row instead of adding a duplicate. Imports with coalesce fields are transformed
 * serially, which also closes the insert race that table mode has.
 *
 * Instance setup this mode expects:
 * 1. A staging table (default `u_genesys_event_import`) with the string columns of `toServiceNowRecord`
 *    (`u_event_body` with a large max length, e.g. 65000) and a target table (e.g. `u_genesys_event`).
 * 2. A transform map staging → target, field maps by name, Coalesce on `u_event_key`.
 * 3. A `sys_rest_insert_multiple` row for the staging table with column mapping "Column name": the default
 *    "Label" leaves every field empty. Transforms run asynchronously unless that row says synchronous.
 * 4. An integration user with `import_transformer` / `rest_service` (or equivalent ACLs) on the staging table.
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
    const outcomes: Array<DeliveryOutcome | undefined> = [];
    const ready: Array<{ index: number; record: ServiceNowRecord }> = [];
    events.forEach((event, index) => {
      const mapped = mapEvent(event, this.options.keyField);
      if ('record' in mapped) ready.push({ index, record: mapped.record });
      else outcomes[index] = mapped.outcome;
    });
    const sent = await this.send(
      ready.map((r) => r.record),
      signal,
    );
    ready.forEach((r, i) => (outcomes[r.index] = sent[i]));
    return outcomes.map((o) => o ?? { kind: 'retryable', error: 'internal: no outcome recorded' });
  }

  private async send(records: readonly ServiceNowRecord[], signal: AbortSignal): Promise<BatchOutcome> {
    if (records.length === 0) return [];
    const outcome = await this.post(records, signal);
    // A 413 means this batch is too large for the instance or a proxy in front of it; halves may fit, and only a
    // single record that is still too large is really undeliverable.
    if (outcome.kind === 'permanent' && outcome.error.includes('HTTP 413') && records.length > 1) {
      const half = Math.ceil(records.length / 2);
      const first = await this.send(records.slice(0, half), signal);
      const second = await this.send(records.slice(half), signal);
      return [...first, ...second];
    }
    return records.map(() => outcome);
  }

  private async post(records: readonly ServiceNowRecord[], signal: AbortSignal): Promise<DeliveryOutcome> {
    const what = `ServiceNow POST ${this.path} (${records.length} records)`;
    const body = JSON.stringify({ records });
    const reply = await this.client.send({ method: 'POST', path: this.path, body, signal }, what);
    return this.client.classify(reply, what);
  }
}
