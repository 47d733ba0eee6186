import { z } from 'zod';
import { DEFAULT_REGION } from '../genesys/regions.ts';
import { coordinationSchema, oauthClientSchema } from './coordination.ts';
import { parseDurationMs } from './duration.ts';
import { natsSinkSchema } from './nats-sink-schema.ts';

/**
 * The relay's configuration: one zod schema that is at once the defaults, the validation and the documentation.
 * Sources are merged in load.ts (defaults < file < env < CLI flags). Every duration is accepted as a number of
 * milliseconds or a string such as '30s' / '5m', and comes out as `…Ms: number`.
 */

/** A duration field: number (ms) or '250ms' / '30s' / '5m' / '2h' / '7d'. */
function durationMs() {
  return z.union([z.number(), z.string()]).transform((value, ctx) => {
    const ms = parseDurationMs(value);
    if (ms === undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a duration such as 30s, 5m or a number of ms (got ${JSON.stringify(value)})`,
      });
      return z.NEVER;
    }
    return ms;
  });
}

const httpUrl = (): z.ZodURL => z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' });
const positiveInt = (): z.ZodInt => z.int().positive();

export const genesysSchema = z
  .object({
    /** OAuth client id (Client Credentials grant). Env: GENESYS_CLIENT_ID. */
    clientId: z.string().min(1).optional(),
    /** OAuth client secret. Env: GENESYS_CLIENT_SECRET. Prefer clientSecretFile; never logged. */
    clientSecret: z.string().min(1).optional(),
    /** File whose (trimmed) content is the client secret. Env: GENESYS_CLIENT_SECRET_FILE. */
    clientSecretFile: z.string().min(1).optional(),
    /** Region domain (`mypurecloud.ie`) or SDK key (`eu_west_1`). Env: GENESYS_REGION. @default 'mypurecloud.com' */
    region: z.string().min(1).default(DEFAULT_REGION),
    /** Overrides `https://api.<region>` (emulator, gateway). Env: GENESYS_API_BASE. */
    apiBase: httpUrl().optional(),
    /** Overrides `https://login.<region>`. Env: GENESYS_LOGIN_BASE. */
    loginBase: httpUrl().optional(),
    /** More OAuth clients, each with its own channel limit (20); shards are spread over all of them. @default [] */
    clients: z.array(oauthClientSchema).default([]),
  })
  .strict();

export const sessionSchema = z
  .object({
    /** The server's heartbeat interval (Genesys: 30 s); liveness defaults derive from it. @default 30000 */
    heartbeatMs: durationMs().default(30_000),
    /** No frame for this long → the socket is stale (zombie) and replaced. @default 2 × heartbeatMs */
    watchdogMs: durationMs().optional(),
    /** Interval of our application-level ping. @default heartbeatMs */
    pingIntervalMs: durationMs().optional(),
    /** Wait for each pong. @default min(10 s, heartbeatMs) */
    pongTimeoutMs: durationMs().optional(),
    /** Deadline for creating a channel. @default 30000 */
    createTimeoutMs: durationMs().optional(),
    /** Deadline for a subscription PUT. @default 30000 */
    subscribeTimeoutMs: durationMs().optional(),
    /** Deadline for the WebSocket upgrade. @default 10000 */
    connectTimeoutMs: durationMs().optional(),
    /** Deadline for a whole make-before-break rollover. @default 30000 */
    rolloverTimeoutMs: durationMs().optional(),
    /** Topics per channel; more topics open more channels (shards). @default 1000 */
    maxTopicsPerChannel: positiveInt().max(1000).default(1000),
    /** Channels this OAuth client may hold (Genesys: 20). @default 20 */
    maxChannels: positiveInt().max(20).default(20),
    /** Subscribe with ignoreErrors: unauthorised topics are reported (and logged) instead of failing. @default true */
    ignoreErrors: z.boolean().default(true),
    /**
     * Largest frame (UTF-8 bytes) delivered as an event; a larger one is skipped and reported (warn audit line
     * `frame.oversized`, metric genesys_relay_events_oversized_total), the socket kept. Flag: --max-frame-bytes.
     * @default 16777216 (16 MiB)
     */
    maxFrameBytes: positiveInt().optional(),
  })
  .strict();

export const outboxSchema = z
  .object({
    /** Attempts per event and sink (the first included) before it is dead-lettered. @default 10 */
    maxAttempts: positiveInt().default(10),
    /** Finished events are kept this long (for `replay`), then purged. @default 86400000 (1 day) */
    retentionMs: durationMs().default(86_400_000),
    /** Group commit: appends are fsynced together this long after the first one (up to flushIntervalMaxMs). @default 5 */
    flushIntervalMs: durationMs().default(5),
    /**
     * While events come often enough that waiting longer puts more of them in one commit, a group waits up to this
     * long: fewer fsyncs and sink wake-ups at a calm rate. Equal to flushIntervalMs: a fixed interval. @default 10
     */
    flushIntervalMaxMs: durationMs().default(10),
    /** How often an idle sink loop looks for work written by another process (replay, dlq). @default 1000 */
    pollIntervalMs: durationMs().default(1_000),
    /** First retry delay; grows exponentially with full jitter. @default 1000 */
    retryBaseMs: durationMs().default(1_000),
    /** Longest delay between two attempts. @default 300000 */
    retryMaxMs: durationMs().default(300_000),
    /**
     * A sink blocked by its credentials or configuration (e.g. HTTP 401) keeps its events and tries again after
     * this long, without using up their attempts. @default 60000
     */
    blockedRetryMs: durationMs().default(60_000),
    /** Upper bound on stored events; only finished ones are evicted. @default 1000000 */
    maxRows: positiveInt().default(1_000_000),
  })
  .strict();

/**
 * Gap healing (docs/resync.md): after every gap, and at start-up for the time since the outbox's last event, re-read
 * the state behind the topics over REST and deliver it as events with `relay.source: "resync"`.
 */
export const resyncSchema = z
  .object({
    /** Heal gaps at all. @default true */
    enabled: z.boolean().default(true),
    /** Re-read user presence and routing status (`v2.users.<id>.presence` / `.routingStatus`). @default true */
    presence: z.boolean().default(true),
    /** Re-read queue and user conversations (`….conversations`). @default true */
    conversations: z.boolean().default(true),
    /** Heal the time since the outbox's last event when the relay starts (crash, deploy). @default true */
    onStart: z.boolean().default(true),
    /** Wait after a gap before reading: gaps closing meanwhile share one resync. @default 2000 */
    delayMs: durationMs().default(2_000),
    /** Resync's share of Genesys' ~300 requests/min per token; the rest stays for channels. @default 120 */
    maxRequestsPerMinute: positiveInt().max(300).default(120),
    /** Resync requests in flight at once. @default 4 */
    concurrency: positiveInt().max(32).default(4),
    /** Runs of one resync before it is reported as failed (`resync.failed`). @default 5 */
    maxAttempts: positiveInt().default(5),
    /** First delay between runs (exponential, full jitter). @default 5000 */
    retryBaseMs: durationMs().default(5_000),
    /** Entities whose last delivered state is remembered (to emit only changes). @default 100000 */
    maxEntities: positiveInt().default(100_000),
    /** Newest outbox events read at start-up to rebuild that memory. @default 200000 */
    seedScanRows: z.int().min(0).default(200_000),
  })
  .strict();

const sinkBase = {
  /** Unique sink name; names the outbox cursor, so keep it stable across restarts. @default the type */
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]*$/i, 'must be letters, digits, - or _')
    .optional(),
};

export const ndjsonSinkSchema = z
  .object({
    /** Appends one JSON object a line to a file or stdout. */
    type: z.literal('ndjson'),
    ...sinkBase,
    /** File to append to, or '-' for stdout. @default '-' */
    path: z.string().min(1).default('-'),
    /** Octal permissions of a file the sink creates, whatever the umask, e.g. "0640". @default "0600" */
    mode: z
      .string()
      .regex(/^0?[0-7]{3}$/, 'must be octal permissions such as 0600 or 0640')
      .transform((value) => parseInt(value, 8))
      .optional(),
  })
  .strict();

export const webhookSinkSchema = z
  .object({
    /** POSTs each event (or a batch) to an HTTP endpoint, with an Idempotency-Key and an optional HMAC signature. */
    type: z.literal('webhook'),
    ...sinkBase,
    /** The endpoint, http(s). CLI: --sink webhook:URL. */
    url: httpUrl(),
    /** HMAC-SHA256 signing secret; never logged. */
    secret: z.string().min(1).optional(),
    /** File holding the signing secret. */
    secretFile: z.string().min(1).optional(),
    /** Extra request headers (e.g. an API key). Values are treated as secrets in logs. */
    headers: z.record(z.string(), z.string()).optional(),
    /** Per-request deadline. @default 10000 */
    timeoutMs: durationMs().default(10_000),
    /** `single`: one POST per event; `array`: one POST per batch (a JSON array). @default 'single' */
    batch: z.enum(['single', 'array']).default('single'),
    /** Events per deliver call. @default 20 (single) / 100 (array) */
    maxBatch: positiveInt().optional(),
  })
  .strict();

export const servicenowAuthSchema = z.discriminatedUnion('kind', [
  z
    .object({
      /** HTTP Basic authentication. */
      kind: z.literal('basic'),
      /** The integration user. */
      username: z.string().min(1),
      /** Never logged; prefer passwordFile. */
      password: z.string().min(1).optional(),
      /** File whose (trimmed) content is the password. */
      passwordFile: z.string().min(1).optional(),
    })
    .strict(),
  z
    .object({
      /** OAuth through the instance's /oauth_token.do (tokens refreshed before they expire). */
      kind: z.literal('oauth'),
      /** The instance's OAuth application (Application Registry). */
      clientId: z.string().min(1),
      /** Never logged; prefer clientSecretFile. */
      clientSecret: z.string().min(1).optional(),
      /** File whose (trimmed) content is the client secret. */
      clientSecretFile: z.string().min(1).optional(),
      /** OAuth grant. @default 'password' */
      grant: z.enum(['password', 'client_credentials']).default('password'),
      /** For the password grant. */
      username: z.string().min(1).optional(),
      /** For the password grant; never logged. */
      password: z.string().min(1).optional(),
      /** File whose (trimmed) content is the password. */
      passwordFile: z.string().min(1).optional(),
    })
    .strict(),
]);

export const servicenowSinkSchema = z
  .object({
    /** Writes to a ServiceNow instance (Import Set API or Table API). */
    type: z.literal('servicenow'),
    ...sinkBase,
    /** e.g. https://acme.service-now.com; must be https:// unless allowInsecureHttp. CLI: --sink servicenow:URL. */
    instanceUrl: httpUrl(),
    /** Accept a plain http:// instanceUrl: only for a local test fake (clear-text credentials). @default false */
    allowInsecureHttp: z.boolean().optional(),
    /** Import Set API (transform map coalesces on keyField: an upsert), or Table API writes. @default 'import-set' */
    mode: z.enum(['import-set', 'table']).default('import-set'),
    /** Staging / target table. @default 'u_genesys_event_import' (import-set) or 'u_genesys_event' (table) */
    table: z.string().min(1).optional(),
    /** Column holding the event key (coalesce field). @default 'u_event_key' */
    keyField: z.string().min(1).optional(),
    /** Events per insertMultiple call. @default 100 */
    batchSize: positiveInt().max(200).optional(),
    /** Per-request deadline. @default 30000 */
    timeoutMs: durationMs().optional(),
    /** Basic (`kind: basic`) or OAuth (`kind: oauth`) credentials of the integration user. */
    auth: servicenowAuthSchema,
  })
  .strict()
  .superRefine((sink, ctx) => {
    // Credentials and events must not cross the network in clear text; only a local fake may opt out.
    if (sink.instanceUrl.startsWith('http:') && sink.allowInsecureHttp !== true) {
      const message =
        'must be https:// (a plain http:// URL sends the credentials and events in clear text); ' +
        'set allowInsecureHttp: true on this sink only for a local test fake';
      ctx.addIssue({ code: 'custom', path: ['instanceUrl'], message });
    }
  });

export const sinkSchema = z.discriminatedUnion('type', [
  ndjsonSinkSchema,
  webhookSinkSchema,
  servicenowSinkSchema,
  natsSinkSchema,
]);

export const relayConfigSchema = z
  .object({
    /** The Genesys Cloud org: OAuth client credentials and region (or explicit hosts). */
    genesys: genesysSchema.prefault({}),
    /** Notification topics, e.g. `v2.users.<id>?presence&routingStatus`. CLI: --topic (repeatable). */
    topics: z.array(z.string().min(1)).default([]),
    /** Where the outbox database lives. CLI: --state-dir. @default './.state' */
    stateDir: z.string().min(1).default('./.state'),
    /** Channel and socket lifecycle: heartbeat, watchdog, deadlines, topics per channel. */
    session: sessionSchema.prefault({}),
    /** The durable SQLite outbox: retries, dead letters, retention. */
    outbox: outboxSchema.prefault({}),
    /** Delivery targets. CLI: --sink (repeatable). @default [{ type: 'ndjson', path: '-' }] when none is given */
    sinks: z.array(sinkSchema).default([]),
    /** Gap healing: re-read state over REST after a gap (docs/resync.md). */
    resync: resyncSchema.prefault({}),
    /** Scale-out: workers share the shards through PostgreSQL leases (config/coordination.ts). Absent = one process. */
    coordination: coordinationSchema.optional(),
    /** Prometheus /metrics and the /livez, /readyz probes. */
    metrics: z
      .object({
        /** Port of /metrics, /livez, /readyz; 0 picks a free port; absent = no server. CLI: --metrics-port. */
        port: z.int().min(0).max(65_535).optional(),
        /**
         * Bind address; '0.0.0.0' (or '::') in a container, so probes and scrapers from outside reach it.
         * Env: GENESYS_RELAY_METRICS_HOST. CLI: --metrics-host. @default '127.0.0.1'
         */
        host: z.string().min(1).default('127.0.0.1'),
        /** /readyz fails when no heartbeat or event arrived within this window. @default 3 × session.heartbeatMs */
        livenessWindowMs: durationMs().optional(),
      })
      .strict()
      .prefault({}),
    /** The event stream for browsers: Server-Sent Events of committed events (README "Browsers"). */
    stream: z
      .object({
        /** Port of GET /v1/stream; 0 picks a free port; absent = no stream. CLI: --stream-port. */
        port: z.int().min(0).max(65_535).optional(),
        /** Bind address. @default '127.0.0.1' */
        host: z.string().min(1).default('127.0.0.1'),
        /** File whose first line is the bearer token (env GENESYS_RELAY_STREAM_TOKEN wins). One is required. */
        tokenFile: z.string().min(1).optional(),
        /** Origins whose pages may read the stream (CORS), e.g. 'https://wallboard.example.com'; '*' for any. */
        corsOrigins: z.array(z.string().min(1)).default([]),
        /** Open streams beyond this are refused with 503. @default 100 */
        maxClients: z.int().min(1).default(100),
        /** New connections per client address and minute; beyond, 429. @default 60 */
        connectionsPerMinute: z.int().min(1).default(60),
        /** Interval of the heartbeat comment that keeps idle streams open through proxies. @default 15000 */
        heartbeatMs: durationMs().default(15_000),
      })
      .strict()
      .prefault({}),
    /** Structured JSON logs (pino) on stderr. */
    log: z
      .object({
        /** pino level. Env: GENESYS_RELAY_LOG_LEVEL. CLI: --log-level. @default 'info' */
        level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
      })
      .strict()
      .prefault({}),
  })
  .strict();

/** What a config file may contain (before defaults). */
export type RelayConfigInput = z.input<typeof relayConfigSchema>;
/** The parsed config; credentials may still be missing (see load.ts `requireCredentials`). */
export type ParsedConfig = z.output<typeof relayConfigSchema>;
export type SinkConfig = z.output<typeof sinkSchema>;
export type NdjsonSinkConfig = z.output<typeof ndjsonSinkSchema>;
export type WebhookSinkConfig = z.output<typeof webhookSinkSchema>;
export type ServicenowSinkConfig = z.output<typeof servicenowSinkSchema>;
export type SessionConfig = z.output<typeof sessionSchema>;
export type OutboxConfig = z.output<typeof outboxSchema>;
export type ResyncConfig = z.output<typeof resyncSchema>;
export type ServicenowAuthConfig = z.output<typeof servicenowAuthSchema>;
