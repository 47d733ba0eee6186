import { systemClock, type Clock } from '../../core/clock.ts';
import { ConfigError } from '../../core/errors.ts';

/** Basic auth: works on every ServiceNow REST endpoint. */
export interface ServiceNowBasicAuth {
  kind: 'basic';
  username: string;
  password: string;
}

/**
 * OAuth 2.0 against `{instance}/oauth_token.do`. `password` needs username/password of the integration user;
 * `client_credentials` must be enabled by the admin (system property
 * `glide.oauth.inbound.client.credential.grant_type.enabled` and an OAuth Application User on the entity).
 */
export interface ServiceNowOAuthAuth {
  kind: 'oauth';
  clientId: string;
  clientSecret: string;
  /** @default 'password' */
  grant?: 'password' | 'client_credentials';
  /** Required for the password grant. */
  username?: string;
  /** Required for the password grant. */
  password?: string;
}

export type ServiceNowAuth = ServiceNowBasicAuth | ServiceNowOAuthAuth;

export interface ServiceNowSinkOptions {
  /** e.g. `https://acme.service-now.com` (a path, query or credentials in the URL are rejected). */
  instanceUrl: string;
  /**
   * Accept a plain `http://` instance URL. Only for a local fake: events and credentials would cross the network in
   * clear text. @default false
   */
  allowInsecureHttp?: boolean;
  auth: ServiceNowAuth;
  /** Sink name, unique per relay; names the outbox cursor. @default 'servicenow' */
  name?: string;
  /**
   * `import-set`: batches through the Import Set API (`insertMultiple`); a transform map that coalesces on
   * `keyField` makes re-sent events update instead of duplicating - the supported upsert, hence the default.
   * `table`: one Table API write per event, look-up by `keyField` then PATCH or POST (no server-side upsert
   * exists; see table-writer.ts for the race). @default 'import-set'
   */
  mode?: 'import-set' | 'table';
  /** Staging table (import-set) or target table (table). @default 'u_genesys_event_import' / 'u_genesys_event' */
  table?: string;
  /** Column holding the event's deterministic key; coalesce on it. @default 'u_event_key' */
  keyField?: string;
  /**
   * Events per insertMultiple call; ServiceNow advises at most 200. In table mode it caps the events per
   * `deliver` call at 20 instead, since each event costs two requests. @default 100
   */
  batchSize?: number;
  /** Per request: connect, wait for headers, and each gap while reading the body. @default 30000 */
  timeoutMs?: number;
  /** Refresh an OAuth token this long before it expires. @default 60000 */
  tokenRefreshSkewMs?: number;
  /** @default systemClock */
  clock?: Clock;
}

export interface ResolvedServiceNowOptions {
  instanceUrl: URL;
  auth: ServiceNowAuth;
  name: string;
  mode: 'import-set' | 'table';
  table: string;
  keyField: string;
  batchSize: number;
  timeoutMs: number;
  tokenRefreshSkewMs: number;
  clock: Clock;
}

/** Credentials and events must not cross the network in clear text; only a local fake may opt out. */
export const INSECURE_INSTANCE_URL =
  'must be https:// (a plain http:// URL sends the credentials and events in clear text); ' +
  'set allowInsecureHttp: true on this sink only for a local test fake';

/** ServiceNow table and column names: lower-case letters, digits and underscores. */
const NAME_PATTERN = /^[a-z][a-z0-9_]{0,79}$/;

/** Validates once, at construction, so a bad option fails the start-up, not the first delivery. */
export function resolveServiceNowOptions(options: ServiceNowSinkOptions): ResolvedServiceNowOptions {
  const mode = options.mode ?? 'import-set';
  const table = options.table ?? (mode === 'import-set' ? 'u_genesys_event_import' : 'u_genesys_event');
  const keyField = options.keyField ?? 'u_event_key';
  const batchSize = options.batchSize ?? 100;
  if (!NAME_PATTERN.test(table)) throw new ConfigError('servicenow.table', `"${table}" is not a table name`);
  if (!NAME_PATTERN.test(keyField)) throw new ConfigError('servicenow.keyField', `"${keyField}" is not a column name`);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 200) {
    throw new ConfigError('servicenow.batchSize', 'must be an integer from 1 to 200 (ServiceNow guidance)');
  }
  checkAuth(options.auth);
  return {
    instanceUrl: parseInstanceUrl(options.instanceUrl, options.allowInsecureHttp === true),
    auth: options.auth,
    name: options.name ?? 'servicenow',
    mode,
    table,
    keyField,
    batchSize: mode === 'table' ? Math.min(batchSize, 20) : batchSize,
    timeoutMs: positive(options.timeoutMs ?? 30_000, 'servicenow.timeoutMs'),
    tokenRefreshSkewMs: options.tokenRefreshSkewMs ?? 60_000,
    clock: options.clock ?? systemClock,
  };
}

function parseInstanceUrl(raw: string, allowInsecureHttp: boolean): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError('servicenow.instanceUrl', 'is not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError('servicenow.instanceUrl', 'must be an https URL');
  }
  if (url.protocol === 'http:' && !allowInsecureHttp) {
    throw new ConfigError('servicenow.instanceUrl', INSECURE_INSTANCE_URL);
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError('servicenow.instanceUrl', 'must not contain credentials; use servicenow.auth');
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search !== '') {
    throw new ConfigError('servicenow.instanceUrl', 'must be the instance root, e.g. https://acme.service-now.com');
  }
  return url;
}

function checkAuth(auth: ServiceNowAuth): void {
  const missing = (field: string): ConfigError => new ConfigError(`servicenow.auth.${field}`, 'is required');
  if (auth.kind === 'basic') {
    if (!auth.username) throw missing('username');
    if (!auth.password) throw missing('password');
    return;
  }
  if (!auth.clientId) throw missing('clientId');
  if (!auth.clientSecret) throw missing('clientSecret');
  if ((auth.grant ?? 'password') === 'password') {
    if (!auth.username) throw missing('username');
    if (!auth.password) throw missing('password');
  }
}

function positive(value: number, field: string): number {
  if (!Number.isFinite(value) || value <= 0) throw new ConfigError(field, 'must be a positive number');
  return value;
}
