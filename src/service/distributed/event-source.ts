import type { ClientCounters, ClientEventMap, ClientStatus } from '../../client/index.ts';

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
}
