import type { IncomingMessage, ServerResponse } from 'node:http';
import { FakeHttpError, parseJsonObject, sendJson } from './fake-http.ts';
import type { FakeRow } from './fake-options.ts';
import type { FakeStore } from './fake-store.ts';

export interface ApiRequest {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  body: string;
  /** Base URL for Location headers and record links. */
  baseUrl: string;
}

/** Which API a path belongs to (for rate-limit messages), or undefined when no API matches. */
export function apiName(pathname: string): string | undefined {
  if (/^\/api\/now\/(v\d+\/)?import\//.test(pathname)) return 'Import Set API';
  if (/^\/api\/now\/(v\d+\/)?table\//.test(pathname)) return 'Table API';
  return undefined;
}

/** Routes `/api/now/[v?/]import/…` and `/api/now/[v?/]table/…`. */
export function handleApi(store: FakeStore, call: ApiRequest): void {
  const parts = call.url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (/^v\d+$/.test(parts[2] ?? '')) parts.splice(2, 1); // versioned URL: /api/now/v2/table/…
  const [, , api, table, tail, ...rest] = parts;
  const method = call.req.method ?? 'GET';
  if (table === undefined || rest.length > 0) throw notFound();
  if (api === 'import') {
    if (method !== 'POST') notAllowed();
    if (tail === 'insertMultiple') return insertMultiple(store, call, table);
    if (tail === undefined) return importOne(store, call, table);
    throw notFound();
  }
  if (api !== 'table') throw notFound();
  if (tail === undefined && method === 'GET') return listRows(store, call, table);
  if (tail === undefined && method === 'POST') return createRow(store, call, table);
  if (tail !== undefined && method === 'GET') return getRow(store, call, table, tail);
  if (tail !== undefined && (method === 'PATCH' || method === 'PUT')) return updateRow(store, call, table, tail);
  notAllowed();
}

function insertMultiple(store: FakeStore, call: ApiRequest, staging: string): void {
  const { records } = parseJsonObject(call.body);
  if (!Array.isArray(records) || !records.every(isObject)) {
    throw new FakeHttpError(400, 'Exception while reading request', '"records" must be an array of objects');
  }
  store.importRecords(staging, records, true);
  const set = store.importSets[store.importSets.length - 1];
  sendJson(call.res, 201, { import_set_id: set?.sysId ?? '', multi_import_set_id: set?.multiImportSetId ?? '' });
}

function importOne(store: FakeStore, call: ApiRequest, staging: string): void {
  const results = store.importRecords(staging, [parseJsonObject(call.body)], false);
  const set = store.importSets[store.importSets.length - 1];
  sendJson(call.res, 201, {
    import_set: set?.number ?? '',
    staging_table: staging,
    result: results.map((r) => ({
      transform_map: `${staging} → ${r.table}`,
      table: r.table,
      display_name: 'sys_id',
      display_value: r.sysId,
      record_link: `${call.baseUrl}/api/now/table/${r.table}/${r.sysId}`,
      status: r.status,
      sys_id: r.sysId,
    })),
  });
}

function listRows(store: FakeStore, call: ApiRequest, table: string): void {
  const conditions = parseQuery(call.url.searchParams.get('sysparm_query') ?? '');
  const limit = Number(call.url.searchParams.get('sysparm_limit') ?? '10000');
  const rows = store.query(table, conditions).slice(0, Number.isFinite(limit) ? limit : 10000);
  const fields = call.url.searchParams.get('sysparm_fields');
  sendJson(call.res, 200, { result: rows.map((row) => pick(row, fields)) });
}

function getRow(store: FakeStore, call: ApiRequest, table: string, sysId: string): void {
  const row = store.query(table, [['sys_id', sysId]])[0];
  if (!row) throw noRecord();
  sendJson(call.res, 200, { result: pick(row, call.url.searchParams.get('sysparm_fields')) });
}

function createRow(store: FakeStore, call: ApiRequest, table: string): void {
  const row = store.insert(table, parseJsonObject(call.body));
  const location = `${call.baseUrl}/api/now/table/${table}/${row['sys_id'] ?? ''}`;
  respondWithRow(call, 201, row, { location });
}

function updateRow(store: FakeStore, call: ApiRequest, table: string, sysId: string): void {
  const row = store.update(table, sysId, parseJsonObject(call.body));
  if (!row) throw noRecord();
  respondWithRow(call, 200, row, {});
}

/** `X-no-response-body: true` suppresses the echoed record (documented Table API header). */
function respondWithRow(call: ApiRequest, status: number, row: FakeRow, headers: Record<string, string>): void {
  if (String(call.req.headers['x-no-response-body']).toLowerCase() === 'true') {
    call.res.writeHead(status, headers);
    call.res.end();
    return;
  }
  sendJson(call.res, status, { result: { ...row } }, headers);
}

/** Encoded queries: `field=value` conditions joined by `^` (AND). Other operators are not emulated. */
function parseQuery(query: string): Array<[string, string]> {
  if (query.trim() === '') return [];
  return query.split('^').map((part) => {
    const match = /^([a-z0-9_.]+)=(.*)$/i.exec(part);
    if (!match?.[1]) throw new FakeHttpError(400, 'Invalid query', `The fake supports only field=value, got "${part}"`);
    return [match[1], match[2] ?? ''];
  });
}

function pick(row: FakeRow, fields: string | null): FakeRow {
  if (fields === null || fields.trim() === '') return { ...row };
  const out: FakeRow = {};
  for (const name of fields.split(',').map((f) => f.trim())) out[name] = row[name] ?? '';
  return out;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function notFound(): FakeHttpError {
  return new FakeHttpError(400, 'Requested URI does not represent any resource', null);
}

function noRecord(): FakeHttpError {
  return new FakeHttpError(404, 'No Record found', "Record doesn't exist or ACL restricts the record retrieval");
}

function notAllowed(): never {
  throw new FakeHttpError(405, 'Method not Supported', 'The method is not supported for this resource');
}
