import type { NotificationClient } from '../../client/index.ts';
import type { LeaseTakeover } from '../../coordination/index.ts';
import type { Gap } from '../../session/gap.ts';

export interface TakeoverWatch {
  /** The lease's shard name (the gap's shardId). */
  shard: string;
  topics: readonly string[];
  takeover: LeaseTakeover;
  onGap: (gap: Gap) => void;
}

/**
 * A shard taken over from a crashed worker had no reader from the previous holder's last lease renewal (the last
 * instant it is known to have been alive, so the conservative start) until this worker's socket opens; Genesys does
 * not replay what was published meanwhile. Reports that interval once, at the client's first `open` state. Must be
 * called before `client.start()` so that first open cannot be missed. Returns the unsubscribe function.
 */
export function watchTakeoverGap(client: NotificationClient, watch: TakeoverWatch): () => void {
  let reported = false;
  const off = client.on('state', (change) => {
    if (reported || change.state !== 'open') return;
    reported = true;
    off();
    watch.onGap(takeoverGap(watch, change.at));
  });
  return off;
}

export function takeoverGap(watch: Omit<TakeoverWatch, 'onGap'>, openedAt: number): Gap {
  return {
    shardId: watch.shard,
    startAt: watch.takeover.lastRenewedAt,
    // The start is on the database clock, the end on ours: never report a negative interval for a skewed clock.
    endAt: Math.max(openedAt, watch.takeover.lastRenewedAt),
    channelId: undefined,
    topics: watch.topics,
    reason: `takeover: worker ${watch.takeover.previousOwner} stopped renewing its lease`,
  };
}
