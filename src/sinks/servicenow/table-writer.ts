import { isRecord } from '../../core/json.ts';
import type { RelayEvent } from '../../envelope/envelope.ts';
import { skipRemaining } from '../http/skip-remaining.ts';
import type { BatchOutcome, DeliveryOutcome } from '../sink.ts';
import type { ResolvedServiceNowOptions } from './options.ts';
import { mapEvent } from './record.ts';
import type { ServiceNowClient } from './servicenow-client.ts';

/**
 * Table mode: one Table API write per event. The Table API inserts exactly one record per POST and has no upsert,
 * so each event is looked up first:
 *
 *   GET   /api/now/table/{table}?sysparm_query={keyField}={key}&sysparm_fields=sys_id&sysparm_limit=1
 *   PATCH /api/now/table/{table}/{sys_id}   when found (a re-send after a lost response)
 *   POST  /api/now/table/{table}            otherwise
 *
 * The look-up and the insert are two transactions, so two writers racing on the same key can both insert. The
 * outbox delivers one batch per sink at a time, which rules this out within one relay, but not across relays
 * sharing a table; a unique index on `keyField` turns the loser into an error instead of a duplicate. Import-set
 * mode (coalesce, serial transforms) has no such race, which is why it is the default.
 * `X-no-response-body: true` skips echoing the record back: we only need the status.
 */
export class TableWriter {
  private readonly base: string;

  constructor(
    private readonly client: ServiceNowClient,
    private readonly options: ResolvedServiceNowOptions,
  ) {
    this.base = `/api/now/table/${options.table}`;
  }

  async write(events: readonly RelayEvent[], signal: AbortSignal): Promise<BatchOutcome> {
    const outcomes: BatchOutcome = [];
    for (const event of events) {
      const outcome = await this.upsert(event, signal);
      outcomes.push(outcome);
      // Down, throttled or refusing our credentials: stop here instead of spending the rate limit (or the account's
      // failed-login budget) on requests that will fail too.
      if (outcome.kind === 'retryable' || outcome.kind === 'blocked') {
        return skipRemaining(outcomes, events.length, outcome);
      }
    }
    return outcomes;
  }

  private async upsert(event: RelayEvent, signal: AbortSignal): Promise<DeliveryOutcome> {
    const mapped = mapEvent(event, this.options.keyField);
    if ('outcome' in mapped) return mapped.outcome;
    const found = await this.findSysId(event.relay.key, signal);
    if (typeof found !== 'string' && found !== undefined) return found;
    const path = found === undefined ? this.base : `${this.base}/${encodeURIComponent(found)}`;
    const method = found === undefined ? 'POST' : 'PATCH';
    const what = `ServiceNow ${method} ${this.base}`;
    const reply = await this.client.send(
      { method, path, headers: { 'x-no-response-body': 'true' }, body: JSON.stringify(mapped.record), signal },
      what,
    );
    return this.client.classify(reply, what);
  }

  /** The sys_id of the row holding `key`, undefined when none does, or the outcome when the look-up failed. */
  private async findSysId(key: string, signal: AbortSignal): Promise<string | undefined | DeliveryOutcome> {
    const query = new URLSearchParams({
      sysparm_query: `${this.options.keyField}=${key}`,
      sysparm_fields: 'sys_id',
      sysparm_limit: '1',
    });
    const what = `ServiceNow GET ${this.base} (look-up by ${this.options.keyField})`;
    const reply = await this.client.send({ method: 'GET', path: `${this.base}?${query.toString()}`, signal }, what);
    const outcome = this.client.classify(reply, what);
    if (outcome.kind !== 'delivered' || !reply.ok) return outcome;
    return firstSysId(reply.res.body);
  }
}

function firstSysId(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    const result = isRecord(parsed) ? parsed['result'] : undefined;
    const first: unknown = Array.isArray(result) ? result[0] : undefined;
    const sysId = isRecord(first) ? first['sys_id'] : undefined;
    return typeof sysId === 'string' && sysId !== '' ? sysId : undefined;
  } catch {
    return undefined;
  }
}
