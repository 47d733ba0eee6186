import { hash } from 'node:crypto';
import type { RelayEvent } from '../envelope/envelope.ts';
import type { GapRef, HealedState, ResyncGap } from './types.ts';

/** The `relay.channelId` of resync events: they were read over REST, not from a channel. */
export const RESYNC_CHANNEL_ID = 'resync';

/** A stable gap id: the same gap (shard, channel, interval) always gets the same id. 16 hex chars. */
export function gapId(parts: readonly (string | number | undefined)[]): string {
  return hash('sha256', parts.map((p) => String(p ?? '')).join('\u0000'), 'hex').slice(0, 16);
}

export function gapRef(gap: ResyncGap): GapRef {
  return { id: gap.id, startAt: new Date(gap.startAt).toISOString(), endAt: new Date(gap.endAt).toISOString() };
}

/**
 * A re-read state as an event: the live shape (`topicName`, `version`, `eventBody`), `metadata.resync: true`, and
 * `relay.source: "resync"` with the gap. The key is stable for (gap id, entity, state), so a re-run of the same
 * resync is de-duplicated by the outbox (its window of recent keys), while a later gap that finds a newer state gets a
 * new key.
 */
export function resyncEvent(state: HealedState, gap: ResyncGap, receivedAtMs: number): RelayEvent {
  const key = hash('sha256', `resync\u0000${gap.id}\u0000${state.entity}\u0000${state.fingerprint}`, 'hex').slice(
    0,
    32,
  );
  return {
    topicName: state.topicName,
    version: '2',
    eventBody: state.eventBody,
    metadata: { resync: true },
    relay: {
      receivedAt: new Date(receivedAtMs).toISOString(),
      channelId: RESYNC_CHANNEL_ID,
      key,
      source: 'resync',
      gap: gapRef(gap),
    },
  };
}
