/**
 * The soak's book of every event: per topic, indexed by the emulator's sequence number (`metadata.emulatorSequence`,
 * 1-based, one counter per topic), when it was published, whether the emulator wrote it to any socket, and how often
 * the client handed it on and the sink received it. Typed arrays: 11 bytes per event, which the report states next to
 * the RSS figures because the ledger lives in the measured process.
 */
export class Ledger {
  private readonly books = new Map<string, TopicBook>();
  /** Deliveries whose topic or sequence the ledger never published (must stay 0). */
  unknownDeliveries = 0;
  unknownReceipts = 0;

  constructor(readonly topics: readonly string[]) {
    for (const topic of topics) this.books.set(topic.toLowerCase(), new TopicBook(topic));
  }

  recordPublished(topic: string, sequence: number, at: number, sent: boolean): void {
    const book = this.book(topic);
    if (!book) throw new Error(`ledger: unknown topic ${topic}`);
    // The emulator numbers each topic from 1 and the soak is its only publisher, so sequences arrive in order.
    if (sequence !== book.length + 1) throw new Error(`ledger: ${topic} jumped to ${sequence}`);
    book.push(at, sent);
  }

  recordReceived(topic: string, sequence: unknown): void {
    const slot = this.slot(topic, sequence);
    if (slot) slot.book.received[slot.index] = saturate((slot.book.received[slot.index] ?? 0) + 1);
    else this.unknownReceipts++;
  }

  recordDelivered(topic: string, sequence: unknown): void {
    const slot = this.slot(topic, sequence);
    if (slot) slot.book.delivered[slot.index] = saturate((slot.book.delivered[slot.index] ?? 0) + 1);
    else this.unknownDeliveries++;
  }

  /** Every event, in topic order then sequence order. */
  *entries(): Iterable<LedgerEntry> {
    for (const book of this.books.values()) {
      for (let i = 0; i < book.length; i++) {
        yield {
          topic: book.topic,
          sequence: i + 1,
          publishedAt: book.publishedAt[i] ?? 0,
          sent: book.sent[i] === 1,
          received: book.received[i] ?? 0,
          delivered: book.delivered[i] ?? 0,
        };
      }
    }
  }

  publishedCount(): number {
    let n = 0;
    for (const book of this.books.values()) n += book.length;
    return n;
  }

  private book(topic: string): TopicBook | undefined {
    return this.books.get(topic.toLowerCase());
  }

  private slot(topic: string, sequence: unknown): { book: TopicBook; index: number } | undefined {
    const book = this.book(topic);
    const index = Number(sequence) - 1;
    if (!book || !Number.isInteger(index) || index < 0 || index >= book.length) return undefined;
    return { book, index };
  }
}

export interface LedgerEntry {
  topic: string;
  sequence: number;
  publishedAt: number;
  /** The emulator wrote it to at least one socket. */
  sent: boolean;
  /** Times the client handed it on (after its own de-duplication). */
  received: number;
  /** Times the sink received it. */
  delivered: number;
}

/** Per-topic columns, grown by doubling. */
class TopicBook {
  length = 0;
  publishedAt = new Float64Array(256);
  sent = new Uint8Array(256);
  received = new Uint8Array(256);
  delivered = new Uint8Array(256);
  constructor(readonly topic: string) {}

  push(at: number, sent: boolean): void {
    if (this.length === this.publishedAt.length) this.grow();
    this.publishedAt[this.length] = at;
    this.sent[this.length] = sent ? 1 : 0;
    this.length++;
  }

  private grow(): void {
    const size = this.publishedAt.length * 2;
    const copy = <T extends Float64Array | Uint8Array>(from: T, to: T): T => {
      to.set(from);
      return to;
    };
    this.publishedAt = copy(this.publishedAt, new Float64Array(size));
    this.sent = copy(this.sent, new Uint8Array(size));
    this.received = copy(this.received, new Uint8Array(size));
    this.delivered = copy(this.delivered, new Uint8Array(size));
  }
}

/** Counts above 255 are all "many": a count only has to tell 0, 1 and more than 1 apart. */
function saturate(n: number): number {
  return Math.min(255, n);
}
