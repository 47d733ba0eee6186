import type { ShardCoordinator } from '../../coordination/index.ts';
import { errorMessage } from '../../core/errors.ts';
import { audit, type Logger } from '../../logging/logger.ts';

/**
 * Logs what the coordinator reports: each outage transition once at warn (`coordination.degraded` /
 * `coordination.recovered` audit lines), and each failed store call at warn only while the store is otherwise healthy
 * (during an outage every renew of every shard fails; those go to debug, the transition line has said it).
 */
export function logCoordination(coordinator: ShardCoordinator, logger: Logger, workerId: string): void {
  coordinator.on('warning', (err) => {
    const degraded = coordinator.coordinationHealth().degraded;
    logger[degraded ? 'debug' : 'warn']({ err: errorMessage(err) }, 'lease store call failed; retrying');
  });
  coordinator.on('degraded', (err) => {
    const held = [...coordinator.heldShards().keys()];
    audit(
      logger,
      'coordination.degraded',
      { workerId, err: errorMessage(err), held },
      'lease store unreachable: keeping and reading the held shards; no shard moves until it answers',
    );
  });
  coordinator.on('recovered', (outageMs) => {
    const held = [...coordinator.heldShards().keys()];
    audit(
      logger,
      'coordination.recovered',
      { workerId, outageMs, held },
      'lease store answers again: leases reconciled (renewed, or handed over to whoever acquired them first)',
    );
  });
}
