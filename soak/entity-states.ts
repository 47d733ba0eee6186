import { hash } from 'node:crypto';
import type { RelayEvent } from '../src/envelope/envelope.ts';
import type { ResyncStrategy } from '../src/resync/index.ts';
import type { EntityFate } from './healing.ts';

/** Where the last delivered state of an entity came from (`relay.source`). */
export type DeliverySource = 'notification' | 'resync';

interface EntityBook {
  topic: string;
  /**
   * Digest of the state the last published event left at the emulator (the emulator's REST state follows it);
   * undefined for a topic no strategy identifies.
   */
  final: string | undefined;
  delivered: { state: string; source: DeliverySource } | undefined;
}

/**
 * Per entity (as the resync strategies name them: a user's presence, a user's routing status, a conversation on a
 * queue), the state the emulator ended with and the last state the sink received, live or resync, in delivery
 * order. States are compared by the strategy's own fingerprint (what both REST and event shapes carry), stored as a
 * short digest: a generated queue conversation is a new entity per event, tens of thousands in a run.
 */
export class EntityStates {
  private readonly books = new Map<string, EntityBook>();
  /** Per lower-cased topic: the entity of each published event, by `emulatorSequence` - 1. */
  private readonly entityOf = new Map<string, string[]>();
  /** Delivered events with no comparable state (topics without a strategy, or an unexpected body). */
  unidentified = 0;

  constructor(private readonly strategies: readonly ResyncStrategy[]) {}

  /** A published event (its body is the emulator's new state for the entity). */
  published(topic: string, sequence: number, body: unknown): void {
    const state = this.identify(topic, body);
    const list = this.entityOf.get(topic.toLowerCase()) ?? [];
    list[sequence - 1] = state.entity;
    this.entityOf.set(topic.toLowerCase(), list);
    const book = this.books.get(state.entity);
    if (book) book.final = state.digest;
    else this.books.set(state.entity, { topic, final: state.digest, delivered: undefined });
  }

  /** An event the sink received (live or resync), in delivery order. */
  delivered(event: RelayEvent): void {
    const state = this.identify(event.topicName, event.eventBody);
    const book = this.books.get(state.entity);
    if (state.digest === undefined || !book) {
      this.unidentified++;
      return;
    }
    const source: DeliverySource = event.relay.source === 'resync' ? 'resync' : 'notification';
    book.delivered = { state: state.digest, source };
  }

  /** True for a topic a resync strategy heals. */
  hasStrategy(topic: string): boolean {
    return this.strategies.some((s) => s.handles(topic));
  }

  /** The entity a published event changed. */
  entityAt(topic: string, sequence: number): string | undefined {
    return this.entityOf.get(topic.toLowerCase())?.[sequence - 1];
  }

  /** Fates of the given entities (the ones that lost events in gaps). */
  fates(lostInGap: ReadonlyMap<string, number>): EntityFate[] {
    const out: EntityFate[] = [];
    for (const [entity, lost] of lostInGap) {
      const book = this.books.get(entity);
      if (!book) continue;
      out.push({ entity, topic: book.topic, lostInGap: lost, finalState: book.final, delivered: book.delivered });
    }
    return out;
  }

  /** A topic no strategy handles is one entity with no comparable state (resync cannot heal it). */
  private identify(topic: string, body: unknown): { entity: string; digest: string | undefined } {
    const strategy = this.strategies.find((s) => s.handles(topic));
    const state = strategy?.identify(topic, body);
    if (!state) return { entity: `topic:${topic.toLowerCase()}`, digest: undefined };
    return { entity: state.entity, digest: hash('sha1', state.fingerprint, 'base64') };
  }
}
