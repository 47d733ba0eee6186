import { MAX_COMBINED_TOPIC_LENGTH } from '../genesys/wire.ts';
import { parseTopic, topicKey } from './topic-name.ts';

/**
 * Combined topics (`<prefix>?<s1>&<s2>`): one subscription entry that Genesys expands into `<prefix>.<s1>`,
 * `<prefix>.<s2>`… and delivers under the expanded names (genesys-api.md §3). Combining is how a relay stays
 * under 1,000 topics per channel.
 */

/** The names a topic delivers events under: itself, or each expansion of a combined topic. */
export function expandTopic(name: string): string[] {
  const parsed = parseTopic(name);
  if (parsed.kind !== 'combined') return [parsed.name];
  return parsed.suffixes.map((suffix) => `${parsed.prefix}.${suffix}`);
}

/** Expands every combined topic and removes case-insensitive duplicates, keeping first spellings and order. */
export function expandTopics(names: readonly string[]): string[] {
  const seen = new Map<string, string>();
  for (const name of names) {
    for (const expanded of expandTopic(name)) {
      const key = topicKey(expanded);
      if (!seen.has(key)) seen.set(key, expanded);
    }
  }
  return [...seen.values()];
}

/** A UUID or any segment with a digit: where an entity id sits in a topic (`v2.users.<id>.presence`). */
const ID_SEGMENT = /\d/;

/**
 * Splits a simple topic into `[prefix, suffix]` at its last id-like segment, or undefined when it has no id or
 * nothing after it (such topics are left alone: there is nothing to share).
 */
export function splitForCombining(name: string): [string, string] | undefined {
  const segments = name.split('.');
  for (let i = segments.length - 2; i >= 1; i--) {
    if (ID_SEGMENT.test(segments[i] ?? '')) {
      return [segments.slice(0, i + 1).join('.'), segments.slice(i + 1).join('.')];
    }
  }
  return undefined;
}

/**
 * Rewrites a topic list into as few entries as possible: topics sharing an entity prefix become one combined
 * topic, split into several whenever a name would reach 200 characters. Deterministic: groups keep the order in
 * which their first topic appears, suffixes keep input order. Input may already contain combined topics.
 */
export function combineTopics(names: readonly string[], maxLength: number = MAX_COMBINED_TOPIC_LENGTH): string[] {
  const groups = new Map<string, { prefix: string; suffixes: string[] }>();
  const out: Array<string | { prefix: string; suffixes: string[] }> = [];
  for (const name of expandTopics(names)) {
    const split = splitForCombining(name);
    if (!split) {
      out.push(name);
      continue;
    }
    const [prefix, suffix] = split;
    let group = groups.get(topicKey(prefix));
    if (!group) {
      group = { prefix, suffixes: [] };
      groups.set(topicKey(prefix), group);
      out.push(group);
    }
    group.suffixes.push(suffix);
  }
  return out.flatMap((entry) =>
    typeof entry === 'string' ? [entry] : packGroup(entry.prefix, entry.suffixes, maxLength),
  );
}

/** Greedy packing of one prefix's suffixes into names shorter than `maxLength`. */
function packGroup(prefix: string, suffixes: readonly string[], maxLength: number): string[] {
  const packed: string[][] = [];
  let current: string[] = [];
  for (const suffix of suffixes) {
    const candidate = [...current, suffix];
    if (current.length > 0 && combinedName(prefix, candidate).length >= maxLength) {
      packed.push(current);
      current = [suffix];
    } else {
      current = candidate;
    }
  }
  if (current.length > 0) packed.push(current);
  // A lone suffix is cheaper as a plain topic: same count, and its rejections read more clearly.
  return packed.map((group) => (group.length === 1 ? `${prefix}.${group[0] ?? ''}` : combinedName(prefix, group)));
}

function combinedName(prefix: string, suffixes: readonly string[]): string {
  return `${prefix}?${suffixes.join('&')}`;
}
