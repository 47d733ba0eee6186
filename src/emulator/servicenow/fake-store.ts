import type { Clock } from '../../core/clock.ts';
import { FakeHttpError, glideDateTime, newSysId, toFieldValue } from './fake-http.ts';
import type { FakeImportSet, FakeImportSetTable, FakeRow, ServiceNowFakeOptions } from './fake-options.ts';

/** Result of transforming one staging row, as the single-record Import Set API reports it. */
export interface TransformResult {
  table: string;
  status: 'inserted' | 'updated';
  sysId: string;
  stagingSysId: string;
}

const DEFAULT_IMPORT_SETS: Record<string, FakeImportSetTable> = {
  u_genesys_event_import: { targetTable: 'u_genesys_event', coalesceField: 'u_event_key' },
};

/** Tables, import sets and the transform (with coalesce), all in memory. */
export class FakeStore {
  readonly importSets: FakeImportSet[] = [];
  private readonly tables = new Map<string, FakeRow[]>();
  private readonly transforms: Record<string, FakeImportSetTable>;
  private importSetCounter = 10_000;

  constructor(
    options: ServiceNowFakeOptions,
    private readonly clock: Clock,
  ) {
    this.transforms = options.importSets ?? DEFAULT_IMPORT_SETS;
    for (const name of options.tables ?? ['u_genesys_event', 'incident']) this.tables.set(name, []);
    for (const [staging, map] of Object.entries(this.transforms)) {
      this.tables.set(staging, []);
      if (!this.tables.has(map.targetTable)) this.tables.set(map.targetTable, []);
    }
  }

  rows(table: string): FakeRow[] {
    return (this.tables.get(table) ?? []).map((row) => ({ ...row }));
  }

  /** The rows of a known table, or the 400 ServiceNow sends for an unknown one. */
  table(name: string): FakeRow[] {
    const rows = this.tables.get(name);
    if (!rows) throw new FakeHttpError(400, `Invalid table ${name}`, null);
    return rows;
  }

  insert(table: string, fields: Record<string, unknown>): FakeRow {
    const now = glideDateTime(this.clock.now());
    const row: FakeRow = {};
    for (const [name, value] of Object.entries(fields)) row[name] = toFieldValue(value, false);
    Object.assign(row, { sys_id: newSysId(), sys_created_on: now, sys_updated_on: now, sys_mod_count: '0' });
    this.table(table).push(row);
    return row;
  }

  update(table: string, sysId: string, fields: Record<string, unknown>): FakeRow | undefined {
    const row = this.table(table).find((r) => r.sys_id === sysId);
    if (!row) return undefined;
    for (const [name, value] of Object.entries(fields)) {
      if (!name.startsWith('sys_')) row[name] = toFieldValue(value, false);
    }
    row['sys_updated_on'] = glideDateTime(this.clock.now());
    row['sys_mod_count'] = String(Number(row['sys_mod_count'] ?? '0') + 1);
    return row;
  }

  /** Rows matching every `field=value` condition (ServiceNow's encoded query, `^`-joined ANDs only). */
  query(table: string, conditions: ReadonlyArray<[string, string]>): FakeRow[] {
    return this.table(table).filter((row) => conditions.every(([field, value]) => (row[field] ?? '') === value));
  }

  /**
   * Loads records into a new import set of `staging` and transforms them synchronously, row by row: with a
   * coalesce field, a target row whose value matches (case-insensitively, ServiceNow's default) is updated,
   * otherwise a row is inserted. Rows are processed serially, as ServiceNow does for coalescing imports.
   */
  importRecords(staging: string, records: ReadonlyArray<Record<string, unknown>>, multi: boolean): TransformResult[] {
    const map = this.transforms[staging];
    if (!map) throw new FakeHttpError(400, `Invalid table ${staging}`, 'Not an import set table');
    const set: FakeImportSet = {
      sysId: newSysId(),
      number: `ISET${String(++this.importSetCounter).padStart(7, '0')}`,
      stagingTable: staging,
      multiImportSetId: multi ? newSysId() : undefined,
      rowCount: records.length,
    };
    this.importSets.push(set);
    return records.map((record, index) => this.transformOne(staging, map, set, record, index));
  }

  private transformOne(
    staging: string,
    map: FakeImportSetTable,
    set: FakeImportSet,
    record: Record<string, unknown>,
    index: number,
  ): TransformResult {
    const fields: FakeRow = {};
    for (const [name, value] of Object.entries(record)) fields[name] = toFieldValue(value, true);
    const stagingRow = this.insert(staging, { ...fields, sys_import_set: set.sysId, sys_import_row: String(index) });
    const key = map.coalesceField === undefined ? undefined : fields[map.coalesceField];
    const existing =
      key === undefined || key === '' || map.coalesceField === undefined
        ? undefined
        : this.table(map.targetTable).find(
            (r) => (r[map.coalesceField ?? ''] ?? '').toLowerCase() === key.toLowerCase(),
          );
    const target = existing
      ? this.update(map.targetTable, existing['sys_id'] ?? '', fields)
      : this.insert(map.targetTable, fields);
    const sysId = target?.['sys_id'] ?? '';
    stagingRow['sys_import_state'] = 'processed';
    stagingRow['sys_target_sys_id'] = sysId;
    stagingRow['sys_target_table'] = map.targetTable;
    return {
      table: map.targetTable,
      status: existing ? 'updated' : 'inserted',
      sysId,
      stagingSysId: stagingRow['sys_id'] ?? '',
    };
  }
}
