import type { EmulatorHandle } from '../src/emulator/index.ts';
import { makeEventBody } from '../src/emulator/event-bodies.ts';
import type { EntityStates } from './entity-states.ts';
import type { Ledger } from './ledger.ts';
import type { Prng } from './prng.ts';

/** Short enough to look steady, long enough that high rates publish in small batches. */
const TICK_MS = 10;
const CONVERSATION_TOPIC = /^v2\.routing\.queues\.[^.]+\.conversations$/;
const CONVERSATIONS_PER_QUEUE = 3;
/**
 * Changes per conversation before the slot's next call: keeps each conversation's analytics record (a segment per
 * change) small, as a real call's is, so a details page stays far below the REST client's 1 MiB body cap.
 */
const EVENTS_PER_CONVERSATION = 20;

/**
 * A steady publishing load: `ratePerSecond` events spread at random over the topics, published through the
 * emulator's in-process handle so that each event's fate (written to a socket or not) is known at once. Bodies are
 * the emulator's realistic ones (presence, routing status, conversation snapshots), made here so that the entity
 * states they leave at the emulator are known too (gap healing is judged against them).
 */
export class PublishingLoad {
  published = 0;
  private readonly active: string[];
  private readonly sequences = new Map<string, number>();
  private readonly conversationEvents = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private lastTickAt = 0;
  private carry = 0;

  constructor(
    private readonly emulator: EmulatorHandle,
    private readonly ledger: Ledger,
    topics: readonly string[],
    private readonly ratePerSecond: number,
    private readonly random: Prng,
    private readonly entities: EntityStates,
  ) {
    this.active = [...topics];
  }

  start(): void {
    this.lastTickAt = Date.now();
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Stops publishing on a topic the server no longer delivers (refused by a deny-topic fault). */
  retire(topic: string): void {
    const index = this.active.findIndex((t) => t.toLowerCase() === topic.toLowerCase());
    if (index >= 0 && this.active.length > 1) this.active.splice(index, 1);
  }

  private tick(): void {
    const now = Date.now();
    // Catch up after event-loop stalls instead of silently publishing less than asked.
    const due = (this.ratePerSecond * (now - this.lastTickAt)) / 1000 + this.carry;
    this.lastTickAt = now;
    const count = Math.floor(due);
    this.carry = due - count;
    for (let i = 0; i < count; i++) this.publishOne(this.random.pick(this.active), now);
  }

  private publishOne(topic: string, at: number): void {
    const body = this.bodyFor(topic, at);
    const result = this.emulator.publish(topic, body);
    const sequence = (this.sequences.get(topic) ?? 0) + 1;
    this.sequences.set(topic, sequence);
    this.entities.published(topic, sequence, body);
    this.published++;
    this.ledger.recordPublished(topic, sequence, at, result.delivered > 0);
  }

  /**
   * The emulator's generated body, except that a queue's conversation events change one of its
   * CONVERSATIONS_PER_QUEUE current conversations (as calls ring, connect and end; the slot's next call after
   * EVENTS_PER_CONVERSATION changes) instead of starting a new one each: the entities change many times, and a gap's
   * resync re-reads a bounded number of them.
   */
  private bodyFor(topic: string, at: number): unknown {
    const body = makeEventBody(topic, at);
    if (!CONVERSATION_TOPIC.test(topic) || typeof body !== 'object' || body === null) return body;
    const slot = `${topic.split('.')[3] ?? 'queue'}-c${Math.floor(this.random.next() * CONVERSATIONS_PER_QUEUE)}`;
    const n = this.conversationEvents.get(slot) ?? 0;
    this.conversationEvents.set(slot, n + 1);
    const id = `${slot}-${Math.floor(n / EVENTS_PER_CONVERSATION)}`;
    // The same parties throughout (the emulator's analytics lists one participant per user a conversation had).
    const record = body as { participants?: Array<Record<string, unknown>> };
    const participants = (record.participants ?? []).map((p) => ({
      ...p,
      id: `${id}-${String(p.purpose)}`,
      ...(p.userId === undefined ? {} : { userId: `${id}-agent` }),
    }));
    return { ...body, id, participants };
  }
}
