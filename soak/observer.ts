import type { Gap, NotificationClient, RolloverInfo, ShardStateChange } from '../src/client/index.ts';

/** States in which a shard reads events from a socket (a rollover keeps the old socket until the new one is open). */
const LIVE_STATES: ReadonlySet<string> = new Set(['open', 'rollingOver']);

export interface RecordedRollover {
  at: number;
  shardId: string;
  reason: string;
}

/** A gap as the client reported it, plus what the soak saw of that channel. */
export interface ObservedGap extends Gap {
  /** The client's own `startAt`, before the correction below. */
  reportedStartAt: number;
  /**
   * When the client noticed the loss (its shard left the live state; for a gap found at a rollover, when it was
   * reported). A fault's gap is noticed after the fault, while its `startAt`, the socket's last proof of life, may
   * come before it on a busy event loop (session/heartbeat-watchdog.ts).
   */
  noticedAt?: number;
}

export interface RecordedError {
  at: number;
  code: string;
  message: string;
}

/**
 * Watches the client's lifecycle events and the event stream, and answers the fault scheduler's questions
 * ("are all shards live?", "when did the next event arrive after X?") without polling the client.
 */
export class ClientObserver {
  readonly gaps: ObservedGap[] = [];
  /** Each time a live shard stopped being live. */
  readonly disruptions: { at: number; shardId: string }[] = [];
  readonly rollovers: RecordedRollover[] = [];
  readonly errors: RecordedError[] = [];
  /** First time the server refused each topic (deny-topic fault), by lower-cased topic. */
  readonly rejectedAt = new Map<string, number>();
  /** When every shard was last live again. */
  allLiveSince = 0;
  lastEventAt = 0;
  private readonly live = new Map<string, boolean>();
  private readonly lastEventAtByChannel = new Map<string, number>();
  private waiters: { ready: () => boolean; resolve: () => void }[] = [];

  /** Subscribes to the client's lifecycle events; call before `client.start()`. */
  attach(client: NotificationClient): void {
    client.on('state', (change) => this.onState(change));
    client.on('gap', (gap) => {
      this.gaps.push(this.correct(gap));
      this.wake();
    });
    client.on('rollover', (info: RolloverInfo) => {
      this.rollovers.push({ at: info.at, shardId: info.shardId, reason: info.reason });
      this.wake();
    });
    client.on('rejectedTopics', (info) => {
      const at = Date.now();
      for (const topic of info.rejected) {
        const id = (topic.id ?? '').toLowerCase();
        if (!this.rejectedAt.has(id)) this.rejectedAt.set(id, at);
      }
    });
    client.on('error', (error) => this.errors.push({ at: Date.now(), code: error.code, message: error.message }));
  }

  /** Called for every event the client hands on. */
  onEvent(at: number, channelId: string): void {
    this.lastEventAt = at;
    this.lastEventAtByChannel.set(channelId, at);
    if (this.waiters.length > 0) this.wake();
  }

  allLive(): boolean {
    if (this.live.size === 0) return false;
    for (const isLive of this.live.values()) if (!isLive) return false;
    return true;
  }

  liveCount(): number {
    let n = 0;
    for (const isLive of this.live.values()) if (isLive) n++;
    return n;
  }

  /** Resolves when `ready()` holds (checked on every lifecycle event and event arrival), or false at the timeout. */
  until(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    if (ready()) return Promise.resolve(true);
    return new Promise((resolve) => {
      const waiter = {
        ready,
        resolve: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve(false);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  private onState(change: ShardStateChange): void {
    const wasLive = this.live.get(change.shardId) ?? false;
    const isLive = LIVE_STATES.has(change.state);
    this.live.set(change.shardId, isLive);
    if (wasLive && !isLive) this.disruptions.push({ at: change.at, shardId: change.shardId });
    if (isLive && !wasLive && this.allLive()) this.allLiveSince = change.at;
    this.wake();
  }

  /**
   * A stale socket's gap should begin at its last frame (session/gap.ts), but the client reports the detection time
   * (Session.trackGap looks the socket up after the terminate effect has already forgotten it). The soak uses the
   * last event it saw from that channel instead, and keeps the reported start to show the difference.
   */
  private correct(gap: Gap): ObservedGap {
    const lastEventAt = gap.channelId === undefined ? undefined : this.lastEventAtByChannel.get(gap.channelId);
    const stale = gap.reason.startsWith('stale');
    const startAt = stale && lastEventAt !== undefined ? Math.min(gap.startAt, lastEventAt) : gap.startAt;
    const left = this.disruptions.findLast(
      (d) => d.shardId === gap.shardId && d.at >= gap.startAt && d.at <= gap.endAt,
    );
    return { ...gap, startAt, reportedStartAt: gap.startAt, noticedAt: left?.at ?? Date.now() };
  }

  private wake(): void {
    const still: typeof this.waiters = [];
    for (const waiter of this.waiters) {
      if (waiter.ready()) waiter.resolve();
      else still.push(waiter);
    }
    this.waiters = still;
  }
}
