import type { FaultRecord } from './fault-scheduler.ts';
import type { ObservedGap } from './observer.ts';

/** A gap the client reported, with the fault that caused it (if any). */
export interface AttributedGap {
  shardId: string;
  channelId: string | undefined;
  startAt: number;
  /** The client's own start; later than `startAt` when the soak corrected a stale socket's gap (observer.ts). */
  reportedStartAt: number;
  endAt: number;
  durationMs: number;
  reason: string;
  /** Index of the fault it followed, or undefined for a gap no fault explains (spontaneous). */
  faultIndex: number | undefined;
  faultName: string | undefined;
}

/**
 * A gap belongs to the last fault injected before the client noticed it (`noticedAt`; its start, the socket's last
 * proof of life, can precede the injection), provided the fault had not already recovered by then; without
 * `noticedAt`, the last fault injected before it began (or up to `toleranceMs` after: a stale socket's last frame).
 */
export function attributeGaps(
  gaps: readonly ObservedGap[],
  faults: readonly FaultRecord[],
  toleranceMs: number,
): AttributedGap[] {
  const newestFirst = [...faults].reverse();
  const during = (f: FaultRecord, from: number, at: number): boolean =>
    from <= at && (f.recoveredAt === undefined || at <= f.recoveredAt);
  return gaps.map((gap) => {
    const at = gap.noticedAt ?? gap.startAt;
    // Strictly within a fault's span first, so a gap that began just before the next fault stays with its own.
    // Then a fault injected just after the gap's (stale) start: the first such injection, not the newest (two faults
    // can land within the tolerance of one another; the later one has gaps of its own).
    const cause = newestFirst.find((f) => during(f, f.at, at)) ?? faults.find((f) => during(f, f.at - toleranceMs, at));
    return {
      shardId: gap.shardId,
      channelId: gap.channelId,
      startAt: gap.startAt,
      reportedStartAt: gap.reportedStartAt,
      endAt: gap.endAt,
      durationMs: gap.endAt - gap.startAt,
      reason: gap.reason,
      faultIndex: cause?.index,
      faultName: cause?.name,
    };
  });
}
