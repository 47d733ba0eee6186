import type { Lease } from './lease-store.ts';

/** The lease table as this worker last read it. */
export interface LeaseView {
  /** Local-clock instant of the read. */
  readAt: number;
  leases: readonly Lease[];
}

/**
 * Shards of the plan that, by the last read of the lease table, no live worker holds (this worker's own shards are
 * left out: it knows those first-hand). Undefined when there is no read younger than `maxAgeMs`: then nobody can say
 * whether the other workers still read those topics, and a worker holding none must not call itself ready.
 */
export function unheldShards(
  shards: readonly string[],
  held: ReadonlySet<string>,
  view: LeaseView | undefined,
  nowMs: number,
  maxAgeMs: number,
): string[] | undefined {
  if (!view || nowMs - view.readAt > maxAgeMs) return undefined;
  const live = new Set(view.leases.filter((l) => l.live).map((l) => l.shard));
  return shards.filter((shard) => !held.has(shard) && !live.has(shard));
}
