import { TopicError } from '../core/errors.ts';
import { MAX_CHANNELS_PER_CLIENT, MAX_TOPICS_PER_CHANNEL } from '../genesys/wire.ts';
import { topicKey } from './topic-name.ts';
import { TopicSet } from './topic-set.ts';

/** One channel's topics. A plan is an array of shards; the index is the shard's identity. */
export type Shard = readonly string[];

export interface ShardPlanOptions {
  /** Subscription entries per channel (a combined topic counts as one). @default 1000 */
  maxTopicsPerChannel?: number;
  /** Channels one OAuth client may hold. @default 20 */
  maxChannels?: number;
  /**
   * The plan in force. Topics keep their shard when they stay desired, so a change moves as few topics (and
   * reconnects as few channels) as possible.
   */
  current?: readonly Shard[];
}

/**
 * Assigns topics to channels. Deterministic: the same inputs give the same plan. Stable: with `current`, kept
 * topics never move; new topics fill free capacity in shard order (lowest index first, sorted by key), then open
 * new shards; trailing empty shards are dropped. Emptied shards in the middle are kept (and refilled first) so
 * that later shards keep their index. Throws TopicError past `maxChannels × maxTopicsPerChannel`.
 */
export function planShards(names: Iterable<string>, options: ShardPlanOptions = {}): string[][] {
  const maxTopics = options.maxTopicsPerChannel ?? MAX_TOPICS_PER_CHANNEL;
  const maxChannels = options.maxChannels ?? MAX_CHANNELS_PER_CLIENT;
  const desired = new TopicSet(names);
  const ceiling = maxTopics * maxChannels;
  if (desired.size > ceiling) {
    throw new TopicError(
      `${desired.size} topics do not fit: the ceiling is ${maxChannels} channels × ${maxTopics} topics = ${ceiling}. ` +
        'Combine topics (v2.users.<id>?presence&routingStatus counts as one), drop some, or split them across OAuth clients.',
    );
  }
  const shards = keepCurrent(options.current ?? [], desired, maxTopics, maxChannels);
  const assigned = new Set(shards.flatMap((shard) => shard.map(topicKey)));
  const pending = desired.values().filter((name) => !assigned.has(topicKey(name)));
  pending.sort((a, b) => compareKeys(topicKey(a), topicKey(b)));
  fill(shards, pending, maxTopics);
  while (shards.length > 0 && shards[shards.length - 1]?.length === 0) shards.pop();
  return shards;
}

/** Current assignments that are still desired, each topic once, within the (possibly lowered) limits. */
function keepCurrent(current: readonly Shard[], desired: TopicSet, maxTopics: number, maxChannels: number): string[][] {
  const seen = new Set<string>();
  return current.slice(0, maxChannels).map((shard) => {
    const kept: string[] = [];
    for (const name of shard) {
      const key = topicKey(name);
      if (!desired.has(name) || seen.has(key) || kept.length >= maxTopics) continue;
      seen.add(key);
      kept.push(name);
    }
    return kept;
  });
}

function fill(shards: string[][], pending: readonly string[], maxTopics: number): void {
  let next = 0;
  for (const shard of shards) {
    while (shard.length < maxTopics && next < pending.length) shard.push(pending[next++] ?? '');
  }
  while (next < pending.length) {
    shards.push(pending.slice(next, next + maxTopics));
    next += maxTopics;
  }
}

function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** What to do to one channel to go from the current plan to the desired one. */
export interface ShardChange {
  index: number;
  /** `create`: open a channel; `delete`: close it; `update`: change subscriptions; `keep`: nothing to do. */
  action: 'create' | 'update' | 'delete' | 'keep';
  add: string[];
  remove: string[];
  /** The shard's full desired list (what a PUT would send); empty for `delete`. */
  topics: string[];
}

/**
 * Per-shard differences (case-insensitive), so a running client can apply a topic change without reconnecting:
 * POST the additions, or PUT `topics` when something is removed (REST has no per-topic delete).
 */
export function diffShards(current: readonly Shard[], desired: readonly Shard[]): ShardChange[] {
  const changes: ShardChange[] = [];
  for (let index = 0; index < Math.max(current.length, desired.length); index++) {
    const before = current[index];
    const after = desired[index];
    const beforeKeys = new Set((before ?? []).map(topicKey));
    const afterKeys = new Set((after ?? []).map(topicKey));
    const add = (after ?? []).filter((name) => !beforeKeys.has(topicKey(name)));
    const remove = (before ?? []).filter((name) => !afterKeys.has(topicKey(name)));
    const action = !before ? 'create' : !after ? 'delete' : add.length + remove.length > 0 ? 'update' : 'keep';
    changes.push({ index, action, add, remove, topics: [...(after ?? [])] });
  }
  return changes;
}
