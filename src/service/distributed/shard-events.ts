import type { ClientCounters, ClientEventMap, NotificationClient } from '../../client/index.ts';
import type { TypedEmitter } from '../../client/typed-emitter.ts';

const FORWARDED = ['state', 'gap', 'error', 'rejectedTopics', 'rollover'] as const;

/**
 * Re-emits one shard client's lifecycle events on the worker's emitter under the lease's shard name (each
 * NotificationClient numbers its own sessions from `shard-0`), and calls `onClosed` when one of its sessions closes.
 * Returns the unsubscribe functions.
 */
export function forwardShardEvents(
  client: NotificationClient,
  name: string,
  emitter: TypedEmitter<ClientEventMap>,
  onClosed: () => void,
): Array<() => void> {
  const rename = <T extends { shardId: string }>(value: T): T => ({
    ...value,
    shardId: shardLabel(name, value.shardId),
  });
  return FORWARDED.map((event) => {
    switch (event) {
      case 'state':
        return client.on('state', (change) => {
          if (change.state === 'closed') onClosed();
          emitter.emit('state', rename(change));
        });
      case 'gap':
        return client.on('gap', (gap) => emitter.emit('gap', rename(gap)));
      case 'rejectedTopics':
        return client.on('rejectedTopics', (info) => emitter.emit('rejectedTopics', rename(info)));
      case 'rollover':
        return client.on('rollover', (info) => emitter.emit('rollover', rename(info)));
      case 'error':
        return client.on('error', (error) => emitter.emit('error', error));
    }
  });
}

/** `shard-3` for the shard's only channel (the normal case), `shard-3/shard-1` should it ever need more. */
export function shardLabel(lease: string, inner: string): string {
  return inner === 'shard-0' ? lease : `${lease}/${inner}`;
}

/** Adds every counter of `from` into `into`. */
export function addCounters(into: ClientCounters, from: Readonly<ClientCounters>): void {
  for (const key of Object.keys(into) as Array<keyof ClientCounters>) into[key] += from[key];
}
