interface Waiter {
  version: number;
  resolve: () => void;
  reject: (error: Error) => void;
}

/**
 * A shard's desired topic list, versioned, so callers of `setTopics` learn when the server has their version
 * (a PUT carrying it, or a later one, succeeded) or that it failed for good.
 */
export class TopicSync {
  private desired: readonly string[];
  private version = 1;
  private appliedVersion = 0;
  private readonly waiters: Waiter[] = [];

  constructor(topics: readonly string[]) {
    this.desired = [...topics];
  }

  get list(): readonly string[] {
    return this.desired;
  }

  /** The server may not have the latest list yet. */
  get pending(): boolean {
    return this.appliedVersion < this.version;
  }

  set(topics: readonly string[]): Promise<void> {
    this.desired = [...topics];
    this.version++;
    const version = this.version;
    return new Promise<void>((resolve, reject) => this.waiters.push({ version, resolve, reject }));
  }

  /** What a PUT should send now. */
  snapshot(): { topics: readonly string[]; version: number } {
    return { topics: this.desired, version: this.version };
  }

  applied(version: number): void {
    this.appliedVersion = Math.max(this.appliedVersion, version);
    this.settle(
      (w) => w.version <= this.appliedVersion,
      (w) => w.resolve(),
    );
  }

  failed(version: number, error: Error): void {
    this.settle(
      (w) => w.version <= version,
      (w) => w.reject(error),
    );
  }

  failAll(error: Error): void {
    this.settle(
      () => true,
      (w) => w.reject(error),
    );
  }

  private settle(match: (w: Waiter) => boolean, act: (w: Waiter) => void): void {
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const waiter = this.waiters[i];
      if (waiter === undefined || !match(waiter)) continue;
      this.waiters.splice(i, 1);
      act(waiter);
    }
  }
}
