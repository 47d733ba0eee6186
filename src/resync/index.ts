/**
 * Gap healing (docs/resync.md): after a gap, re-read over REST the state behind its topics and deliver it as events
 * marked `relay.source: "resync"`. The one interface of this folder is `Resyncer` with pluggable `ResyncStrategy`s.
 */
import { conversationStrategy } from './conversation-strategy.ts';
import { presenceStrategy } from './presence-strategy.ts';
import type { ResyncStrategy } from './types.ts';

export {
  Resyncer,
  mergeGaps,
  type GapReport,
  type ResyncHooks,
  type ResyncerOptions,
  type ResyncStatus,
} from './resyncer.ts';
export { PacedReader, type PacedReaderOptions, type ReadStateFn } from './paced-reader.ts';
export { LastStateMap, type LastState } from './last-state.ts';
export { PendingGapFile, pendingGapsPath } from './pending-gaps.ts';
export { seedFromOutbox, type SeedResult } from './outbox-seed.ts';
export { gapId, resyncEvent, RESYNC_CHANNEL_ID } from './resync-event.ts';
export { expandTopics } from './topic-names.ts';
export { presenceStrategy, conversationStrategy };
export type { EntityState, GapRef, HealContext, HealedState, ResyncGap, ResyncStrategy, StateReader } from './types.ts';

/** The shipped families, each with its own switch. */
export interface ResyncFamilies {
  /** `v2.users.<id>.presence` / `.routingStatus` (and the combined form). */
  presence: boolean;
  /** `v2.routing.queues.<id>.conversations`, `v2.users.<id>.conversations`. */
  conversations: boolean;
}

/** The shipped strategies that are switched on, after any of the user's own (which win for the topics they handle). */
export function resyncStrategies(families: ResyncFamilies, extra: readonly ResyncStrategy[] = []): ResyncStrategy[] {
  return [
    ...extra,
    ...(families.presence ? [presenceStrategy] : []),
    ...(families.conversations ? [conversationStrategy] : []),
  ];
}
