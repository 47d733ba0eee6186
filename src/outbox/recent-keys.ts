/**
 * The keys of the newest `capacity` events appended, for de-duplication by `relay.key` (issue 10).
 *
 * Why in memory and bounded: a UNIQUE index on `events.key` made every durable append pay for it. Keys are digests,
 * so each insert landed on a random leaf page of an index as large as the whole retention (up to `maxRows`); a commit
 * of 512 events rewrote ~512 index pages. Measured (bench/outbox.ts): durable appends at 22,000/s on a fresh file,
 * 13,600/s on a 1M-row one. The copies worth dropping arrive close together: the two channels of a rollover (the
 * client de-duplicates those for +30 s already), a resync re-run for the same gap. So the outbox remembers the newest
 * keys only: a copy arriving more than `capacity` events after its original is stored and delivered again, which
 * at-least-once allows (sinks de-duplicate by `relay.key`).
 *
 * Insertion order is kept in a ring, so the oldest key is forgotten first.
 */
export class RecentKeys {
  private readonly keys = new Set<string>();
  private readonly ring: (string | undefined)[];
  private next = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`capacity must be a positive integer`);
    this.ring = new Array<string | undefined>(capacity);
  }

  get size(): number {
    return this.keys.size;
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** Remembers `key` as the newest; the oldest is forgotten once `capacity` are held. A key held already is kept. */
  add(key: string): void {
    if (this.keys.has(key)) return;
    const oldest = this.ring[this.next];
    if (oldest !== undefined) this.keys.delete(oldest);
    this.ring[this.next] = key;
    this.next = (this.next + 1) % this.capacity;
    this.keys.add(key);
  }
}
