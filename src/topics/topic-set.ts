import { parseSubscribableTopic, topicKey } from './topic-name.ts';

/**
 * An insertion-ordered set of subscribable topics that compares names case-insensitively and keeps the first
 * spelling it saw. Adding validates (TopicError on garbage).
 */
export class TopicSet implements Iterable<string> {
  private readonly byKey = new Map<string, string>();

  constructor(names: Iterable<string> = []) {
    for (const name of names) this.add(name);
  }

  /** Adds `name`; returns false if an equal topic (ignoring case) was already present. */
  add(name: string): boolean {
    const parsed = parseSubscribableTopic(name);
    if (this.byKey.has(parsed.key)) return false;
    this.byKey.set(parsed.key, parsed.name);
    return true;
  }

  delete(name: string): boolean {
    return this.byKey.delete(topicKey(name));
  }

  has(name: string): boolean {
    return this.byKey.has(topicKey(name));
  }

  get size(): number {
    return this.byKey.size;
  }

  /** Names in insertion order, as first spelled. */
  values(): string[] {
    return [...this.byKey.values()];
  }

  [Symbol.iterator](): Iterator<string> {
    return this.byKey.values();
  }
}
