import type { Lease } from './lease-store.ts';

/**
 * Pure planning for ShardCoordinator: how many shards one worker should hold, which to give up, which to try.
 *
 * Fair share is ceil(shards / live workers). The ceiling guarantees the shares add up to at least every shard, so no
 * shard is left unowned while all workers are at their share. The price: with 6 shards and 4 workers the split can be
 * 2/2/2/0 — a worker holding its ceiling share never sheds for a neighbour at zero. Balanced enough for sharding
 * WebSocket sessions; exact balance would need a central assigner.
 */
export function fairShareOf(totalShards: number, liveWorkers: number, maxShardsPerWorker = Infinity): number {
  if (totalShards <= 0) return 0;
  return Math.min(maxShardsPerWorker, Math.ceil(totalShards / Math.max(1, liveWorkers)));
}

/** The `count` shards to give up: the last in sorted order, so the choice is stable from tick to tick. */
export function shardsToShed(held: Iterable<string>, count: number): string[] {
  if (count <= 0) return [];
  return [...held].sort().slice(-count);
}

export interface CandidateInput {
  /** Every shard of the plan, in plan order. */
  shards: readonly string[];
  /** Shards this worker holds now. */
  held: ReadonlySet<string>;
  /** Rows from LeaseStore.list(). Shards without a row have never been held. */
  leases: readonly Lease[];
  workerId: string;
  /** Live worker ids, sorted (LeaseStore.heartbeat()). */
  liveWorkers: readonly string[];
  /**
   * False right after this worker's own coordination outage: another worker's EXPIRED lease is then left alone for a
   * while, because its holder most likely kept reading through the same outage and is about to renew it (taking it
   * would cost a handover and record a gap that did not happen). Released and never-held shards stay candidates.
   * @default true
   */
  takeOverExpired?: boolean;
}

/**
 * Shards this worker may acquire, in the order to try them: unowned, released or expired shards, plus shards the
 * store still lists under this worker's id (a previous incarnation's; acquiring them bumps the epoch).
 * Each worker starts its scan at its own offset in the plan, so workers starting together mostly try different
 * shards instead of all racing for shard-0.
 */
export function acquireCandidates(input: CandidateInput): string[] {
  const byShard = new Map(input.leases.map((lease) => [lease.shard, lease]));
  const free = input.shards.filter((shard) => {
    if (input.held.has(shard)) return false;
    const lease = byShard.get(shard);
    if (!lease || lease.owner === undefined || lease.owner === input.workerId) return true;
    return !lease.live && input.takeOverExpired !== false;
  });
  if (free.length === 0) return free;
  const position = new Map(input.shards.map((shard, i) => [shard, i]));
  const index = Math.max(0, input.liveWorkers.indexOf(input.workerId));
  const offset = (index * fairShareOf(input.shards.length, input.liveWorkers.length)) % input.shards.length;
  const start = Math.max(
    0,
    free.findIndex((shard) => (position.get(shard) ?? 0) >= offset),
  );
  return [...free.slice(start), ...free.slice(0, start)];
}
