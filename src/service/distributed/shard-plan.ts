import { ConfigError } from '../../core/errors.ts';
import { planShards } from '../../topics/sharding.ts';
import { topicKey } from '../../topics/topic-name.ts';
import { TopicSet } from '../../topics/topic-set.ts';

/** One leased unit of work: the topics of one channel, and the OAuth client whose channel budget it uses. */
export interface DistributedShard {
  /** `shard-<index>`: the lease name, identical on every worker. */
  name: string;
  index: number;
  topics: readonly string[];
  /** Index into the OAuth clients (0 = genesys.clientId, then genesys.clients in order). */
  clientIndex: number;
}

export interface DistributedPlanOptions {
  /** session.maxTopicsPerChannel */
  maxTopicsPerChannel: number;
  /** session.maxChannels: channels ONE OAuth client may hold (Genesys: 20). */
  maxChannels: number;
  /** How many OAuth clients there are (>= 1). */
  clients: number;
  /** coordination.shards; absent = as many as the topics need. */
  shards?: number | undefined;
}

/**
 * Shards per OAuth client. Each shard rolls its channel over make-before-break, briefly holding two, and rollovers
 * of different shards (possibly on different workers) are not coordinated, so only half the channels are usable.
 */
export function shardsPerClient(maxChannels: number): number {
  return Math.floor(maxChannels / 2);
}

/**
 * The shard plan every worker computes on its own; deterministic, so all workers agree on `shard-<i>` without
 * talking. Without `shards`, topics fill channels in key order (topics/sharding.ts); with `shards`, they are dealt
 * round-robin in key order over exactly that many. Shard i uses OAuth client i mod clients, which spreads shards
 * evenly so no client needs more than ceil(shards / clients) shards, i.e. twice that many channels at worst.
 */
export function planDistributedShards(topics: Iterable<string>, options: DistributedPlanOptions): DistributedShard[] {
  const perClient = shardsPerClient(options.maxChannels);
  if (perClient < 1)
    throw new ConfigError('session.maxChannels', 'must be >= 2 in distributed mode (rollover headroom)');
  const capacity = perClient * options.clients;
  const plan = options.shards === undefined ? fill(topics, options, capacity) : deal(topics, options, options.shards);
  if (plan.length > capacity) {
    throw new ConfigError(
      options.shards === undefined ? 'topics' : 'coordination.shards',
      `${plan.length} shards need ${Math.ceil(plan.length / perClient)} OAuth clients at ${perClient} shards each ` +
        `(${options.maxChannels} channels, half kept for rollovers); add entries to genesys.clients`,
    );
  }
  return plan.map((shardTopics, index) => ({
    name: `shard-${index}`,
    index,
    topics: shardTopics,
    clientIndex: index % options.clients,
  }));
}

function fill(topics: Iterable<string>, options: DistributedPlanOptions, capacity: number): string[][] {
  // planShards enforces the ceiling itself (with a message on combining topics); +1 lets ours report it instead.
  const all = [...topics];
  const needed = Math.ceil(new TopicSet(all).size / options.maxTopicsPerChannel);
  return planShards(all, {
    maxTopicsPerChannel: options.maxTopicsPerChannel,
    maxChannels: Math.max(capacity, needed),
  });
}

function deal(topics: Iterable<string>, options: DistributedPlanOptions, count: number): string[][] {
  const names = new TopicSet(topics).values().sort((a, b) => compare(topicKey(a), topicKey(b)));
  if (count > names.length) {
    throw new ConfigError('coordination.shards', `${count} shards for ${names.length} topics: a shard would be empty`);
  }
  const perShard = Math.ceil(names.length / count);
  if (perShard > options.maxTopicsPerChannel) {
    throw new ConfigError(
      'coordination.shards',
      `${names.length} topics over ${count} shards is ${perShard} per channel, above session.maxTopicsPerChannel ` +
        `(${options.maxTopicsPerChannel}); raise shards to at least ${Math.ceil(names.length / options.maxTopicsPerChannel)}`,
    );
  }
  const shards: string[][] = Array.from({ length: count }, () => []);
  names.forEach((name, i) => shards[i % count]?.push(name));
  return shards;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
