import type { ClientCounters, ClientEventMap, ClientStatus } from '../../client/index.ts';
import type { CoordinationHealth } from '../../coordination/index.ts';

/** A distributed worker's view of the worker group, in `status()` and (in part) `/readyz`. */
export interface CoordinationStatus extends CoordinationHealth {
  workerId: string;
  /** Live workers as of the last successful heartbeat (stale while degraded). */
  liveWorkers: string[];
  /** Shards this worker reads → epoch of its tenure. */
  held: Record<string, number>;
}

/**
 * What the relay needs from its source of events: the NotificationClient (one process holds every shard) and
 * DistributedClient (this worker holds the shards its leases give it) both fit.
 */
export interface EventSource {
  readonly counters: Readonly<ClientCounters>;
  on<K extends keyof ClientEventMap & string>(event: K, listener: (...args: ClientEventMap[K]) => void): () => void;
  /** Resolves once this source's shards are open. */
  start(): Promise<void>;
  /** Stops reading; idempotent. */
  close(): Promise<void>;
  status(): ClientStatus;
  /**
   * True while the source has nothing to read by design: a distributed worker that holds no shard because the others
   * hold them all (more workers than shards). Such a worker is healthy and ready to take over.
   */
  standby?(): boolean;
  /** Distributed mode only: the lease store's health and the lease table's view. */
  coordination?(): CoordinationStatus | undefined;
}
