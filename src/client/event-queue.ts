/**
 * What happens when the consumer falls `capacity` events behind: `pause` stops reading the sockets (TCP
 * backpressure; nothing is dropped here, and if the server gives up on a paused socket the loss is a recorded gap),
 * `dropOldest` / `dropNewest` keep reading and drop events, counting them.
 */
export type OverflowPolicy = 'pause' | 'dropOldest' | 'dropNewest';

/**
 * A bounded FIFO between the sockets (which cannot be slowed down without starving heartbeats) and one async
 * consumer. When full, the overflow policy drops an event and `onDrop` counts it; memory never grows unbounded.
 */
export class EventQueue<T> implements AsyncIterable<T> {
  private items: T[] = [];
  private head = 0;
  private waiting: ((result: IteratorResult<T>) => void) | undefined;
  private ended = false;

  constructor(
    private readonly capacity: number,
    private readonly policy: OverflowPolicy,
    private readonly onDrop: (dropped: T) => void,
    /** Called after the consumer takes an item (lets the owner lift backpressure). */
    private readonly onTake: () => void = () => {},
  ) {}

  get size(): number {
    return this.items.length - this.head;
  }

  push(item: T): void {
    if (this.ended) return;
    const waiter = this.waiting;
    if (waiter) {
      this.waiting = undefined;
      waiter({ value: item, done: false });
      return;
    }
    if (this.size >= this.capacity && this.policy !== 'pause') {
      if (this.policy === 'dropNewest') {
        this.onDrop(item);
        return;
      }
      const oldest = this.shift();
      if (oldest !== undefined) this.onDrop(oldest);
    }
    this.items.push(item);
  }

  /** No more items; the iterator finishes after the buffered ones. */
  end(): void {
    this.ended = true;
    const waiter = this.waiting;
    this.waiting = undefined;
    waiter?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: (): Promise<IteratorResult<T>> => {
        if (this.size > 0) {
          const value = this.shift() as T;
          this.onTake();
          return Promise.resolve({ value, done: false });
        }
        if (this.ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiting = resolve;
        });
      },
      return: (): Promise<IteratorResult<T>> => {
        this.end();
        this.items = [];
        this.head = 0;
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }

  private shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head];
    this.head++;
    // Compact occasionally instead of Array#shift on every read (O(n)).
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}
