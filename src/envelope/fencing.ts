import type { RelayEvent } from './envelope.ts';

/**
 * Which lease tenure read an event, in distributed mode (issue 5): the shard and the fencing epoch of the worker's
 * lease on it. Stored in the event's `relay` fields (so it survives the outbox) and sent on as the NATS headers
 * `Genesys-Relay-Shard` / `Genesys-Relay-Epoch`, so a consumer can tell copies from an overlapping handover apart.
 */
export interface FencingStamp {
  shard: string;
  epoch: number;
}

/**
 * The event with `relay.shard` and `relay.epoch` added. Copies the relay fields by descriptor, so a lazily computed
 * `key` stays lazy and fields added elsewhere are kept.
 */
export function stampFencing(event: RelayEvent, stamp: FencingStamp): RelayEvent {
  const relay = Object.defineProperties({}, Object.getOwnPropertyDescriptors(event.relay)) as RelayEvent['relay'];
  Object.assign(relay, { shard: stamp.shard, epoch: stamp.epoch });
  return { ...event, relay };
}

/** The stamp of an event read in distributed mode; undefined otherwise. */
export function fencingOf(event: RelayEvent): FencingStamp | undefined {
  const relay = event.relay as RelayEvent['relay'] & Partial<FencingStamp>;
  if (typeof relay.shard !== 'string' || typeof relay.epoch !== 'number') return undefined;
  return { shard: relay.shard, epoch: relay.epoch };
}
