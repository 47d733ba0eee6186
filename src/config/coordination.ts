import { z } from 'zod';
import { parseDurationMs } from './duration.ts';

/**
 * Config sections for scale-out (issue 5): the `coordination` section (PostgreSQL leases shared by several
 * `genesys-relay run` workers) and extra OAuth clients under `genesys.clients`. Kept apart from schema.ts so the
 * single-process schema stays readable; schema.ts only plugs these in.
 */

/** Duration as in schema.ts (number of ms or '2s'); duplicated because importing schema.ts here would be a cycle. */
function durationMs() {
  return z.union([z.number(), z.string()]).transform((value, ctx) => {
    const ms = parseDurationMs(value);
    if (ms === undefined || ms <= 0) {
      ctx.addIssue({
        code: 'custom',
        message: `must be a positive duration such as 2s or 15000 (got ${JSON.stringify(value)})`,
      });
      return z.NEVER;
    }
    return ms;
  });
}

/** One more OAuth client (client credentials); each brings its own 20 channels (genesys-api.md §3). */
export const oauthClientSchema = z
  .object({
    /** OAuth client id (Client Credentials grant). */
    clientId: z.string().min(1),
    /** Never logged. Prefer clientSecretFile. */
    clientSecret: z.string().min(1).optional(),
    /** File whose (trimmed) content is the secret. */
    clientSecretFile: z.string().min(1).optional(),
  })
  .strict();

/**
 * Several workers share the topic plan's shards through leases in PostgreSQL. Present = distributed mode.
 * Every worker must run with the same topics, session limits, OAuth clients and `shards`, since each computes the
 * shard plan on its own.
 */
export const coordinationSchema = z
  .object({
    /**
     * `postgres://user:pass@host:5432/db`; or give `urlFile`. Env: GENESYS_RELAY_COORDINATION_URL. CLI:
     * --coordination-url. Never logged (the password is scrubbed).
     */
    url: z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// or postgresql:// URL'),
    /**
     * File whose (trimmed) content is the URL, e.g. a mounted Kubernetes secret; read at load when `url` is not
     * given. Env: GENESYS_RELAY_COORDINATION_URL_FILE.
     */
    urlFile: z.string().min(1).optional(),
    /** Unique per process. CLI: --worker-id. @default `${hostname}-${pid}` */
    workerId: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'must be 1-128 letters, digits, . _ : or -')
      .optional(),
    /** A crashed worker's shards move after about leaseTtlMs + renewEveryMs. @default 15000 */
    leaseTtlMs: durationMs().default(15_000),
    /** Renew (and rebalance) interval; must be below leaseTtlMs. @default leaseTtlMs / 3 */
    renewEveryMs: durationMs().optional(),
    /**
     * Deadline of each PostgreSQL call (renew, acquire, release), so a database that hangs instead of failing cannot
     * stall the renew loop; a call past it counts as failed (the worker keeps its sockets, degraded). Raise it for a
     * database that is slow but answers; must be below leaseTtlMs. @default renewEveryMs
     */
    storeTimeoutMs: durationMs().optional(),
    /**
     * Number of shards (one channel each). Topics are dealt round-robin over them. @default as many as the topic
     * plan needs at session.maxTopicsPerChannel topics per channel
     */
    shards: z.int().positive().optional(),
  })
  .strict()
  .superRefine((value, ctx) => {
    if (value.renewEveryMs !== undefined && value.renewEveryMs >= value.leaseTtlMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['renewEveryMs'],
        message: `must be below leaseTtlMs (${value.leaseTtlMs} ms)`,
      });
    }
    if (value.storeTimeoutMs !== undefined && (value.storeTimeoutMs <= 0 || value.storeTimeoutMs >= value.leaseTtlMs)) {
      ctx.addIssue({
        code: 'custom',
        path: ['storeTimeoutMs'],
        message: `must be above 0 and below leaseTtlMs (${value.leaseTtlMs} ms)`,
      });
    }
  });

export type OauthClientConfig = z.output<typeof oauthClientSchema>;
export type CoordinationConfig = z.output<typeof coordinationSchema>;
