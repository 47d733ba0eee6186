import pg from 'pg';
import { ConfigError } from '../core/errors.ts';
import type { Lease, LeaseGrant, LeaseStore } from './lease-store.ts';

/*
 * Why a lease table and not `pg_advisory_lock`: a session advisory lock belongs to one connection. It silently
 * vanishes when that connection drops (the holder is not told and keeps working), it is meaningless behind a
 * transaction-pooling PgBouncer (the next statement may run on another backend), and it carries no tenure number,
 * so a paused holder cannot be told apart from the current one. A row with `expires_at` on the database clock and
 * a monotonically increasing `epoch` survives reconnects and works through any pooler; the epoch tells a holder it
 * was superseded and labels every event with its tenure (lease-store.ts says what it does not guarantee).
 */

/** Any constant: the advisory lock that serialises concurrent migrations (the ASCII of "grly"). */
const MIGRATION_LOCK_KEY = 0x67726c79;

const MIGRATION = `
CREATE TABLE IF NOT EXISTS genesys_relay_leases (
  shard text PRIMARY KEY,
  owner text,
  epoch bigint NOT NULL,
  expires_at timestamptz,
  renewed_at timestamptz
);
-- Added after the first release: the epoch whose holder has its socket open (make-before-break handovers wait for it).
ALTER TABLE genesys_relay_leases ADD COLUMN IF NOT EXISTS connected_epoch bigint;
CREATE TABLE IF NOT EXISTS genesys_relay_workers (
  worker_id text PRIMARY KEY,
  expires_at timestamptz NOT NULL,
  heartbeat_at timestamptz NOT NULL
)`;

const TTL = `now() + $3::float8 * interval '1 millisecond'`;
const GRANT_COLUMNS = `shard, owner, epoch::text AS epoch, (extract(epoch FROM expires_at) * 1000)::float8 AS expires_at_ms`;

// One statement, so acquisition is atomic without an explicit transaction: a concurrent acquirer blocks on the row
// and then re-evaluates the WHERE against the winner's committed row (READ COMMITTED upsert semantics), so exactly
// one wins. Every acquisition bumps the epoch, even by the same owner: a restarted worker with the same id must
// supersede its own previous incarnation.
// `prior` reads the row being replaced, to report an expired (not released) previous holder. FOR UPDATE makes it
// the latest committed version, the same one the upsert's WHERE then sees (a plain CTE read would use the
// statement's snapshot, possibly older than the row the upsert locks); the INSERT's WHERE on `prior` makes the
// lock come first.
const ACQUIRE = `
WITH prior AS (
  SELECT owner, renewed_at, expires_at < now() AS expired FROM genesys_relay_leases WHERE shard = $1 FOR UPDATE
), taken AS (
  INSERT INTO genesys_relay_leases AS l (shard, owner, epoch, expires_at, renewed_at)
  SELECT $1, $2, 1, ${TTL}, now() WHERE (SELECT count(*) FROM prior) >= 0
  ON CONFLICT (shard) DO UPDATE
     SET owner = excluded.owner, epoch = l.epoch + 1, expires_at = excluded.expires_at, renewed_at = excluded.renewed_at
   WHERE l.owner IS NULL OR l.expires_at < now() OR l.owner = excluded.owner
  RETURNING ${GRANT_COLUMNS}
)
SELECT taken.*, p.owner AS previous_owner, (extract(epoch FROM p.renewed_at) * 1000)::float8 AS previous_renewed_at_ms
  FROM taken LEFT JOIN prior p ON p.owner IS NOT NULL AND p.expired`;

// Matching the epoch is how a holder learns it was superseded: after a takeover its renew finds no row.
// An expired but untaken lease may be renewed: nobody else held it meanwhile, so no newer epoch exists.
const RENEW = `
UPDATE genesys_relay_leases SET expires_at = ${TTL}, renewed_at = now()
 WHERE shard = $1 AND owner = $2 AND epoch = $4
RETURNING ${GRANT_COLUMNS}`;

// The row is kept (owner NULL) so the next acquire continues the epoch sequence instead of restarting at 1.
const RELEASE = `
UPDATE genesys_relay_leases SET owner = NULL, expires_at = NULL, renewed_at = now()
 WHERE shard = $1 AND owner = $2 AND epoch = $3`;

const LIST = `
SELECT shard, owner, epoch::text AS epoch, (extract(epoch FROM expires_at) * 1000)::float8 AS expires_at_ms,
       (owner IS NOT NULL AND expires_at > now()) AS live, (connected_epoch IS NOT DISTINCT FROM epoch) AS connected
  FROM genesys_relay_leases ORDER BY shard`;

const MARK_CONNECTED = `
UPDATE genesys_relay_leases SET connected_epoch = epoch WHERE shard = $1 AND owner = $2 AND epoch = $3`;

const IS_CURRENT_TENURE = `
SELECT EXISTS (SELECT 1 FROM genesys_relay_leases
                WHERE shard = $1 AND epoch = $2 AND owner IS NOT NULL AND expires_at > now()) AS current`;

// A data-modifying CTE's effect is invisible to the outer SELECT (same snapshot), hence the UNION with its output.
const HEARTBEAT = `
WITH beat AS (
  INSERT INTO genesys_relay_workers (worker_id, expires_at, heartbeat_at) VALUES ($1, now() + $2::float8 * interval '1 millisecond', now())
  ON CONFLICT (worker_id) DO UPDATE SET expires_at = excluded.expires_at, heartbeat_at = excluded.heartbeat_at
  RETURNING worker_id)
SELECT worker_id FROM genesys_relay_workers WHERE expires_at > now() AND worker_id <> $1
UNION SELECT worker_id FROM beat
ORDER BY 1`;

const LEAVE = `DELETE FROM genesys_relay_workers WHERE worker_id = $1`;

interface GrantRow {
  shard: string;
  owner: string;
  epoch: string;
  expires_at_ms: number;
}

interface AcquireRow extends GrantRow {
  /** Set only when the replaced tenure had expired (not released). */
  previous_owner: string | null;
  previous_renewed_at_ms: number | null;
}

interface LeaseRow {
  shard: string;
  owner: string | null;
  epoch: string;
  expires_at_ms: number | null;
  live: boolean;
  connected: boolean;
}

export interface PgLeaseStoreOptions {
  /** `postgres://user:pass@host:port/db`. Never logged. Either this or `pool`. */
  connectionString?: string;
  /** An existing `pg` Pool to share (the store then does not end it on `close()`). */
  pool?: PgPool;
  /**
   * Per-statement timeout, so a hung database surfaces as an error before a holder's lease deadline.
   * @default 5000
   */
  statementTimeoutMs?: number;
  /**
   * Connections in the store's own pool. Lease traffic is a few statements per renew interval.
   * @default 4
   */
  maxConnections?: number;
  /** Receives errors of idle pooled connections (a restarted database), which pg would otherwise throw. */
  onPoolError?: (err: Error) => void;
}

/**
 * The part of a `pg` Pool the store uses. Declared here so that the package's public types do not make a library
 * user install @types/pg; a `pg.Pool` satisfies it.
 */
export interface PgPool {
  query<R>(text: string, values?: unknown[]): Promise<{ rows: R[]; rowCount: number | null }>;
  connect(): Promise<{ query(text: string, values?: unknown[]): Promise<unknown>; release(): void }>;
  end(): Promise<void>;
  on(event: 'error', listener: (err: Error) => void): unknown;
}

/** LeaseStore on PostgreSQL through a `pg` Pool. Call `migrate()` once before use (idempotent). */
export class PgLeaseStore implements LeaseStore {
  private readonly pool: PgPool;
  private readonly ownsPool: boolean;

  constructor(options: PgLeaseStoreOptions) {
    if (options.pool) {
      this.pool = options.pool;
      this.ownsPool = false;
    } else if (options.connectionString) {
      const timeoutMs = options.statementTimeoutMs ?? 5000;
      this.pool = new pg.Pool({
        connectionString: options.connectionString,
        max: options.maxConnections ?? 4,
        connectionTimeoutMillis: timeoutMs,
        statement_timeout: timeoutMs,
        query_timeout: timeoutMs + 1000,
        application_name: 'genesys-relay-leases',
      });
      this.ownsPool = true;
    } else {
      throw new ConfigError('coordination.url', 'a PostgreSQL connection string or pool is required');
    }
    // Without a listener, an idle client's error (database restart) is an unhandled 'error' event.
    this.pool.on('error', (err) => options.onPoolError?.(err));
  }

  /** Opens a store and creates its tables. */
  static async open(options: PgLeaseStoreOptions): Promise<PgLeaseStore> {
    const store = new PgLeaseStore(options);
    try {
      await store.migrate();
    } catch (err) {
      await store.close();
      throw err;
    }
    return store;
  }

  /** Creates the tables if missing. Safe when several workers start at once. */
  async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      // Concurrent CREATE TABLE IF NOT EXISTS still collides in the catalog (42710 on the row type, 23505, 42P07) when
      // workers start together, so the migration runs under a transaction-scoped advisory lock. Unlike the session
      // locks rejected above for leases, it ends with its transaction: safe behind a transaction-pooling proxy.
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
      await client.query(MIGRATION);
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async acquire(shard: string, owner: string, ttlMs: number): Promise<LeaseGrant | undefined> {
    const result = await this.pool.query<AcquireRow>(ACQUIRE, [shard, owner, ttlMs]);
    const row = result.rows[0];
    const grant = toGrant(row);
    if (!grant || row?.previous_owner == null || row.previous_renewed_at_ms == null) return grant;
    return { ...grant, takeover: { previousOwner: row.previous_owner, lastRenewedAt: row.previous_renewed_at_ms } };
  }

  async renew(shard: string, owner: string, epoch: number, ttlMs: number): Promise<LeaseGrant | undefined> {
    const result = await this.pool.query<GrantRow>(RENEW, [shard, owner, ttlMs, epoch]);
    return toGrant(result.rows[0]);
  }

  async release(shard: string, owner: string, epoch: number): Promise<boolean> {
    const result = await this.pool.query(RELEASE, [shard, owner, epoch]);
    return result.rowCount === 1;
  }

  async list(): Promise<Lease[]> {
    const result = await this.pool.query<LeaseRow>(LIST);
    return result.rows.map((row) => ({
      shard: row.shard,
      owner: row.owner ?? undefined,
      epoch: Number(row.epoch),
      expiresAt: row.expires_at_ms ?? undefined,
      live: row.live,
      connected: row.connected,
    }));
  }

  async markConnected(shard: string, owner: string, epoch: number): Promise<boolean> {
    const result = await this.pool.query(MARK_CONNECTED, [shard, owner, epoch]);
    return result.rowCount === 1;
  }

  async isCurrentTenure(shard: string, epoch: number): Promise<boolean> {
    const result = await this.pool.query<{ current: boolean }>(IS_CURRENT_TENURE, [shard, epoch]);
    return result.rows[0]?.current === true;
  }

  async heartbeat(workerId: string, ttlMs: number): Promise<string[]> {
    const result = await this.pool.query<{ worker_id: string }>(HEARTBEAT, [workerId, ttlMs]);
    return result.rows.map((row) => row.worker_id);
  }

  async leave(workerId: string): Promise<void> {
    await this.pool.query(LEAVE, [workerId]);
  }

  async close(): Promise<void> {
    if (this.ownsPool) await this.pool.end();
  }
}

function toGrant(row: GrantRow | undefined): LeaseGrant | undefined {
  if (!row) return undefined;
  return { shard: row.shard, owner: row.owner, epoch: Number(row.epoch), expiresAt: row.expires_at_ms };
}
