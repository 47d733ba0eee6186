import { Counter, Gauge, type Registry } from 'prom-client';
import type { LossReason } from '../../coordination/index.ts';

/** Lease metrics of one distributed worker (index.ts of coordination lists what is worth exporting). */
export interface CoordinationMetrics {
  acquired(): void;
  ended(reason: LossReason | 'released'): void;
}

export interface CoordinationGauges {
  heldShards: () => number;
  /** True while the lease store fails (coordination-log.ts, ShardCoordinator `degraded`). */
  degraded: () => boolean;
}

/**
 * Registers `genesys_relay_shards_held` and `genesys_relay_coordination_degraded` (both read at scrape time),
 * `genesys_relay_shard_acquisitions_total` and `genesys_relay_shard_losses_total{reason}` (fenced | destroyed |
 * released) on the relay's registry.
 */
export function createCoordinationMetrics(registry: Registry, gauges: CoordinationGauges): CoordinationMetrics {
  new Gauge({
    name: 'genesys_relay_shards_held',
    help: 'Shards (channels) whose lease this worker holds and whose socket it runs.',
    registers: [registry],
    collect() {
      this.set(gauges.heldShards());
    },
  });
  new Gauge({
    name: 'genesys_relay_coordination_degraded',
    help: '1 while the lease store (PostgreSQL) fails: held shards are kept and read, but no shard can move.',
    registers: [registry],
    collect() {
      this.set(gauges.degraded() ? 1 : 0);
    },
  });
  const acquisitions = new Counter({
    name: 'genesys_relay_shard_acquisitions_total',
    help: 'Shard leases acquired (each with a new tenure epoch).',
    registers: [registry],
  });
  const losses = new Counter({
    name: 'genesys_relay_shard_losses_total',
    help: 'Shard tenures ended: released (rebalance, shutdown) or lost (fenced = superseded by another worker, destroyed).',
    labelNames: ['reason'],
    registers: [registry],
  });
  return { acquired: () => acquisitions.inc(), ended: (reason) => losses.inc({ reason }) };
}
