/**
 * Scale-out: several relay workers share the shards (channels) of one topic plan through PostgreSQL leases.
 *
 * ## How `genesys-relay run --coordination-url postgres://…` workers share shards (for the service wiring)
 *
 * 1. Every worker computes the SAME shard plan from the same config (topics/sharding.ts `planShards` is
 *    deterministic) and names the shards `shard-<index>`. The shard list handed to ShardCoordinator must be
 *    identical on all workers; a config change rolls out as a restart of all workers.
 * 2. `const store = await PgLeaseStore.open({ connectionString })` (creates its two tables), then
 *    `new ShardCoordinator({ store, workerId, shards })`, with `workerId = ${hostname}-${pid}-${random}`.
 * 3. Wire it with `new ShardLifecycle(coordinator, runner)` (shard-lifecycle.ts), which queues start/stop per shard.
 *    `acquired(shard, epoch, takeover?)` → open that shard's channel and sockets (the NotificationClient for just
 *    that shard's topics) and stamp `epoch` (the tenure number, not a fence: lease-store.ts) on its events.
 *    `takeover` (the previous holder's lease expired: a crash) → once the socket is open, record a gap from
 *    its last renewal and resync the shard's topics (distributed-client.ts).
 *    `released(shard)` and `lost(shard, 'fenced')` → hand over make-before-break (read on until the successor
 *    reports its socket open, LeaseStore.markConnected), `lost(shard, 'destroyed')` → stop at once.
 *    Events already in the local outbox are still delivered: they are valid events, and the keys de-duplicate.
 * 4. `await coordinator.start()` after the outbox and sinks are up; on SIGTERM `await coordinator.close()` FIRST
 *    (releases leases, so another worker takes over within one renew interval), then drain the outbox.
 *    On a crash the leases expire: takeover within about `leaseTtlMs + renewEveryMs` (15 s + 5 s by default).
 * 5. Duplicates during a handover (make-before-break, see shard-coordinator.ts) are expected and harmless as long
 *    as every sink passes `relay.key` on (JetStream `Nats-Msg-Id`, ServiceNow coalesce, webhook idempotency header).
 *    With per-worker SQLite outboxes, de-duplication across workers happens in the sink target, not the outbox.
 * 6. Genesys limits channels per OAuth client (20), shared by all workers using that client; a rollover briefly
 *    holds two channels per shard. Keep `shards × 2 ≤ 20` per client.
 * 7. Metrics worth exporting: held shards per worker, lease losses by reason, acquisitions (epoch), store errors
 *    (the `warning` event).
 *
 * ## What the multi-worker end-to-end test needs
 * - test/helpers/pg-server.ts `startPgServer()` (own PostgreSQL on a random port) and the emulator with enough
 *   topics for e.g. 6 shards (`maxTopicsPerChannel` small to force several channels).
 * - 3 relay processes (or 3 in-process relays with separate state dirs) with `--coordination-url`, a short
 *   `leaseTtlMs` (≈2 s, renew ≈0.4 s) and a shared dedupe target (the NATS sink on test/helpers/nats-server.ts,
 *   or one NDJSON file per worker merged by `relay.key`).
 * - Assertions: each worker holds 2 shards (metrics or status); the emulator's /control/state shows one socket per
 *   shard; SIGKILL one worker → its shards reappear on the others within ttl + renew and events published after
 *   the kill arrive exactly once by key; SIGTERM another → immediate handover; no key is missing overall.
 * - Chaos soak: repeat kill/restart of random workers plus emulator faults (drop, socket-closing, expire-channel)
 *   and a PostgreSQL restart (`pg_ctl restart`): workers must keep or regain every shard, and the set of delivered
 *   keys must equal the set published.
 */
export type { Lease, LeaseGrant, LeaseStore, LeaseTakeover } from './lease-store.ts';
export { PgLeaseStore, type PgLeaseStoreOptions } from './pg-lease-store.ts';
export { ShardLifecycle, type ShardRunner } from './shard-lifecycle.ts';
export type { StoreHealthSnapshot } from './store-health.ts';
export {
  ShardCoordinator,
  type CoordinationHealth,
  type CoordinatorState,
  type LossReason,
  type ShardCoordinatorEvents,
  type ShardCoordinatorOptions,
} from './shard-coordinator.ts';
