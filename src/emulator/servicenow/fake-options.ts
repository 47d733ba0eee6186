import type { Clock } from '../../core/clock.ts';

/** Fault kinds the fake can inject into `/api/*` requests (the OAuth endpoint is not affected). */
export type ServiceNowFaultKind = 'down' | 'rate-limit' | 'server-error' | 'html-503' | 'forbidden';

export interface ServiceNowFault {
  /**
   * - `down`: destroy the connection without answering (the client sees a reset)
   * - `rate-limit`: 429 with Retry-After, X-RateLimit-* headers and the documented body
   * - `server-error`: 500 with a ServiceNow error body
   * - `html-503`: 503 with an HTML maintenance page (what a proxy or upgrade window returns)
   * - `forbidden`: 403 "ACL Exception" (ServiceNow's answer to ACL / business-rule rejections)
   */
  kind: ServiceNowFaultKind;
  /** How many of the next `/api/*` requests get this fault. @default 1 */
  count?: number;
  /** Retry-After for `rate-limit` and `html-503`. @default 1 */
  retryAfterS?: number;
}

/** How a staging table is transformed: the transform map, reduced to what the relay relies on. */
export interface FakeImportSetTable {
  /** Target table of the transform map. */
  targetTable: string;
  /** Coalesce field: a row with the same (case-insensitive) value is updated instead of inserted. */
  coalesceField?: string;
}

export interface ServiceNowFakeOptions {
  /** @default 0 (any free port) */
  port?: number;
  /** @default '127.0.0.1' */
  host?: string;
  /** Basic-auth users and their passwords; also the users of the OAuth password grant. @default { admin: 'admin' } */
  users?: Record<string, string>;
  /**
   * OAuth clients by client id. `clientCredentialsUser` enables the client_credentials grant for that client,
   * acting as that user (like the "OAuth Application User" ServiceNow requires). @default {}
   */
  oauthClients?: Record<string, { secret: string; clientCredentialsUser?: string }>;
  /** Lifetime of issued access tokens. @default 1799 */
  tokenTtlS?: number;
  /** Per-user request limit over a fixed window, like a `sys_rate_limit_rules` row. @default none */
  rateLimit?: { perWindow: number; windowMs: number };
  /** @default { u_genesys_event_import: { targetTable: 'u_genesys_event', coalesceField: 'u_event_key' } } */
  importSets?: Record<string, FakeImportSetTable>;
  /** Tables the Table API knows besides the import-set targets. @default ['u_genesys_event', 'incident'] */
  tables?: string[];
  /** Larger request bodies get 413 (ServiceNow and its proxies cap payload size). @default 10485760 */
  maxBodyBytes?: number;
  /** Faults queued at start. @default [] */
  faults?: ServiceNowFault[];
  /** Drives token expiry and rate-limit windows. @default systemClock */
  clock?: Clock;
}

/** A row as stored: every value is a string, as ServiceNow returns them. */
export type FakeRow = Record<string, string>;

export interface FakeImportSet {
  sysId: string;
  /** e.g. `ISET0010001` */
  number: string;
  stagingTable: string;
  multiImportSetId: string | undefined;
  rowCount: number;
}

/** One handled request; credentials, tokens and bodies are never recorded. */
export interface FakeRequestLog {
  method: string;
  /** Path and query. */
  path: string;
  status: number;
  /** Authenticated user, when there was one. */
  user?: string;
  at: number;
}

export interface ServiceNowFake {
  /** Base URL, e.g. `http://127.0.0.1:43121` (the `instanceUrl`). */
  readonly url: string;
  /** Rows of a table (target or staging), copies, in insertion order. */
  records(table: string): FakeRow[];
  readonly importSets: readonly FakeImportSet[];
  readonly requests: readonly FakeRequestLog[];
  /** Queues a fault for the next `count` `/api/*` requests. */
  fault(fault: ServiceNowFault): void;
  /** `true`: stop listening and drop open connections (clients get ECONNREFUSED); `false`: listen again. */
  setDown(down: boolean): Promise<void>;
  /** Adds a user or changes its password (an operator fixing the account); used by basic auth and the password grant. */
  setUser(name: string, password: string): void;
  /** Invalidates every issued access token (the next Bearer request gets 401). */
  revokeTokens(): void;
  close(): Promise<void>;
}
