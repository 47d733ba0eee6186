import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startServiceNowFake, type ServiceNowFake } from '../../../src/emulator/servicenow/index.ts';

const BASIC = `Basic ${Buffer.from('admin:admin').toString('base64')}`;

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  json: unknown;
  text: string;
}

describe('ServiceNow fake (wire level)', () => {
  let fake: ServiceNowFake;
  async function call(
    method: 'GET' | 'POST' | 'PATCH',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<Reply> {
    const res = await request(`${fake.url}${path}`, {
      method,
      headers: { authorization: BASIC, 'content-type': 'application/json', ...headers },
      body: body === undefined ? null : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.body.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: res.statusCode, headers: res.headers, json, text };
  }

  before(async () => {
    fake = await startServiceNowFake({
      oauthClients: { c: { secret: 's' } },
      rateLimit: { perWindow: 1000, windowMs: 3_600_000 },
    });
  });
  after(() => fake.close());

  it('answers missing or wrong credentials with the documented 401', async () => {
    const res = await call('GET', '/api/now/table/incident', undefined, { authorization: 'Basic Zm9vOmJhcg==' });
    assert.equal(res.status, 401);
    assert.deepEqual(res.json, {
      error: { message: 'User Not Authenticated', detail: 'Required to provide Auth information' },
      status: 'failure',
    });
  });

  it('answers a rejected OAuth grant like /oauth_token.do does', async () => {
    const res = await request(`${fake.url}/oauth_token.do`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=password&client_id=c&client_secret=s&username=admin&password=nope',
    });
    assert.equal(res.statusCode, 401);
    assert.deepEqual(await res.body.json(), { error_description: 'access_denied', error: 'server_error' });
  });

  it('single import: synchronous transform with per-map result, coalesce is case-insensitive', async () => {
    const first = await call('POST', '/api/now/import/u_genesys_event_import', { u_event_key: 'ABC', u_topic: 't1' });
    assert.equal(first.status, 201);
    const body = first.json as { import_set: string; staging_table: string; result: Array<Record<string, string>> };
    assert.match(body.import_set, /^ISET\d{7}$/);
    assert.equal(body.staging_table, 'u_genesys_event_import');
    assert.equal(body.result[0]?.['status'], 'inserted');
    assert.equal(body.result[0]?.['table'], 'u_genesys_event');
    const again = await call('POST', '/api/now/import/u_genesys_event_import', { u_event_key: 'abc', u_topic: 't2' });
    const result = (again.json as { result: Array<Record<string, string>> }).result[0];
    assert.equal(result?.['status'], 'updated');
    assert.equal(result?.['sys_id'], body.result[0]?.['sys_id']);
    const rows = fake.records('u_genesys_event').filter((r) => r['u_event_key']?.toLowerCase() === 'abc');
    assert.equal(rows.length, 1);
    assert.equal(rows[0]?.['u_topic'], 't2');
  });

  it('insertMultiple answers only ids, and mangles nested JSON like the real API', async () => {
    const res = await call('POST', '/api/now/import/u_genesys_event_import/insertMultiple', {
      records: [{ u_event_key: 'm1', u_event_body: { a: 1 } }],
    });
    assert.equal(res.status, 201);
    assert.deepEqual(Object.keys(res.json as object).sort(), ['import_set_id', 'multi_import_set_id']);
    const row = fake.records('u_genesys_event').find((r) => r['u_event_key'] === 'm1');
    assert.equal(row?.['u_event_body'], '{"a"=1}');
    assert.equal(fake.records('u_genesys_event_import').at(-1)?.['sys_import_state'], 'processed');
  });

  it('Table API: POST 201 + Location, X-no-response-body, GET by query, PATCH, 404 body', async () => {
    const created = await call('POST', '/api/now/table/incident', { short_description: 'x', correlation_id: 'k1' });
    assert.equal(created.status, 201);
    const sysId = (created.json as { result: { sys_id: string } }).result.sys_id;
    assert.equal(created.headers['location'], `${fake.url}/api/now/table/incident/${sysId}`);
    const quiet = await call(
      'POST',
      '/api/now/table/incident',
      { correlation_id: 'k2' },
      { 'x-no-response-body': 'true' },
    );
    assert.equal(quiet.status, 201);
    assert.equal(quiet.text, '');
    const found = await call(
      'GET',
      '/api/now/v2/table/incident?sysparm_query=correlation_id%3Dk1&sysparm_fields=sys_id&sysparm_limit=1',
    );
    assert.deepEqual(found.json, { result: [{ sys_id: sysId }] });
    const patched = await call('PATCH', `/api/now/table/incident/${sysId}`, { short_description: 'y' });
    assert.equal((patched.json as { result: Record<string, string> }).result['sys_mod_count'], '1');
    const missing = await call('PATCH', '/api/now/table/incident/0000', { short_description: 'y' });
    assert.equal(missing.status, 404);
    assert.deepEqual(missing.json, {
      error: { message: 'No Record found', detail: "Record doesn't exist or ACL restricts the record retrieval" },
      status: 'failure',
    });
  });

  it('rate-limit fault: 429 with Retry-After, X-RateLimit-* and the documented body', async () => {
    fake.fault({ kind: 'rate-limit', retryAfterS: 9 });
    const res = await call('GET', '/api/now/table/incident');
    assert.equal(res.status, 429);
    assert.equal(res.headers['retry-after'], '9');
    assert.ok(res.headers['x-ratelimit-limit']);
    assert.match(String(res.headers['x-ratelimit-reset']), /^\d{10}$/);
    const body = res.json as { error: { message: string; detail: string }; status: string };
    assert.equal(body.error.message, 'Rate limit exceeded');
    assert.equal(body.status, 'failure');
    const ok = await call('GET', '/api/now/table/incident?sysparm_limit=1');
    assert.equal(ok.status, 200);
    assert.equal(ok.headers['x-ratelimit-limit'], '1000', 'matching requests carry the rule headers too');
  });

  it('keeps credentials out of its request log', () => {
    const log = JSON.stringify(fake.requests);
    assert.ok(fake.requests.length > 5);
    assert.doesNotMatch(log, /Basic|admin:admin|nope|client_secret/);
  });
});
