/** The last state delivered for one entity, and when (epoch ms; 0 when seeded from the outbox at start-up). */
export interface LastState {
  fingerprint: string;
  updatedAt: number;
}

/**
 * The last state delivered per entity, bounded (least recently updated evicted first), so a resync emits only what
 * differs from what the sinks already have. Kept in memory and rebuilt from the outbox at start-up (outbox-seed.ts):
 * the outbox is the record of what was delivered, so there is no second file to keep consistent with it.
 */
export class LastStateMap {
  private readonly entries = new Map<string, LastState>();

  constructor(private readonly maxEntries: number) {}

  get(entity: string): LastState | undefined {
    return this.entries.get(entity);
  }

  set(entity: string, fingerprint: string, updatedAt: number): void {
    this.entries.delete(entity);
    this.entries.set(entity, { fingerprint, updatedAt });
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  /** For seeding newest-first: keeps an entry that is already there, and stops adding once full. */
  setIfAbsent(entity: string, fingerprint: string, updatedAt: number): void {
    if (this.entries.size < this.maxEntries && !this.entries.has(entity))
      this.entries.set(entity, { fingerprint, updatedAt });
  }

  get size(): number {
    return this.entries.size;
  }
}
