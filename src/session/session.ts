import type { Random } from '../core/backoff.ts';
import type { Clock, TimerHandle } from '../core/clock.ts';
import { errorMessage, RelayError } from '../core/errors.ts';
import type { ParsedFrame } from '../envelope/parse-frame.ts';
import type { NotificationsApi } from '../genesys/notifications-api.ts';
import type { ChannelTopic } from '../genesys/wire.ts';
import type { SessionConfig } from './config.ts';
import type { DiagnosticLevel, SessionEffect, SessionEvent } from './events.ts';
import { lossReason, type Gap } from './gap.ts';
import type { WatchdogOptions } from './heartbeat-watchdog.ts';
import { SessionRequests } from './session-requests.ts';
import { SessionSockets } from './session-sockets.ts';
import type { SocketFactory } from './socket.ts';
import { liveSocket, type RolloverReason, type SessionState, type SocketLink, type TimerName } from './state.ts';
import { TopicSync } from './topic-sync.ts';
import { transition } from './transition.ts';

/** How a session reports to its owner (the NotificationClient). All calls are synchronous and must not throw. */
export interface SessionHooks {
  onEvent(event: Extract<ParsedFrame, { kind: 'event' }>, raw: string, channelId: string, receivedAt: number): void;
  onMalformed(reason: string, channelId: string): void;
  /** A frame over `maxFrameBytes` was skipped (the socket is kept). */
  onOversized?(frame: Extract<ParsedFrame, { kind: 'oversized' }>, channelId: string): void;
  onStateChange(state: SessionState, previous: SessionState): void;
  onGap(gap: Gap): void;
  onRollover(info: { shardId: string; from: SocketLink; to: SocketLink; reason: RolloverReason; at: number }): void;
  onRejectedTopics(rejected: ChannelTopic[], channelId: string): void;
  onError(error: RelayError): void;
  onInvalidateToken(): void;
  onDiagnostic(level: DiagnosticLevel, message: string, data: Record<string, unknown>): void;
}

/** Limits how many rollovers run at once: each briefly needs one channel beyond the shard count. */
export interface RolloverGate {
  acquire(signal: AbortSignal): Promise<() => void>;
}

export interface SessionDeps {
  shardId: string;
  api: NotificationsApi;
  clock: Clock;
  random: Random;
  sockets: SocketFactory;
  config: SessionConfig;
  watchdog: WatchdogOptions;
  maxFrameBytes: number;
  ignoreErrors: boolean;
  hooks: SessionHooks;
  rolloverGate?: RolloverGate;
}

/**
 * The imperative shell around the pure reducer: runs effects (REST calls, sockets, timers on the injected Clock)
 * and feeds their outcomes back as events. Each socket's callbacks are bound to its entry, and an entry removed from
 * the table can no longer dispatch anything, so a retired socket can never touch its successor.
 */
export class Session {
  private current: SessionState = { kind: 'idle', generation: 0 };
  private readonly sockets: SessionSockets;
  private readonly timers = new Map<TimerName, TimerHandle>();
  private readonly queue: SessionEvent[] = [];
  private dispatching = false;
  private everOpen = false;
  private openGap: Omit<Gap, 'endAt' | 'topics'> | undefined;
  /** When each recent rollover completed, by the old socket's generation. */
  private readonly rolledOverAt = new Map<number, number>();
  private releaseGate: (() => void) | undefined;
  private readonly requests: SessionRequests;
  private readonly closeWaiters: Array<() => void> = [];
  private readonly openWaiters: Array<{ resolve: () => void; reject: (e: Error) => void }> = [];
  readonly topics: TopicSync;

  constructor(
    private readonly deps: SessionDeps,
    topics: readonly string[],
  ) {
    this.topics = new TopicSync(topics);
    this.requests = new SessionRequests(deps, (event) => this.dispatch(event));
    this.sockets = new SessionSockets(
      deps,
      (event) => this.dispatch(event),
      (...args) => this.onCrossedClose(...args),
    );
  }

  /**
   * The server closed a rolled-over socket on its own, not in answer to our close: it may have stopped delivering
   * before the replacement was open (a late rollover on a busy event loop, whose channel expired meanwhile). The
   * order is unknowable from here, so the time from its last proof of life to the rollover is a gap.
   */
  private onCrossedClose(generation: number, channelId: string, aliveAt: number, code: number, reason: string): void {
    const rolledOverAt = this.rolledOverAt.get(generation);
    if (rolledOverAt === undefined || !this.everOpen) return;
    this.rolledOverAt.delete(generation);
    const why = `rolled over after the server closed the old socket: ${code}${reason ? ` (${reason})` : ''}`;
    const startAt = Math.min(aliveAt, rolledOverAt);
    this.deps.hooks.onGap({
      shardId: this.deps.shardId,
      startAt,
      endAt: rolledOverAt,
      channelId,
      topics: this.topics.list,
      reason: why,
    });
  }

  get state(): SessionState {
    return this.current;
  }

  get shardId(): string {
    return this.deps.shardId;
  }

  /**
   * Epoch ms of the last frame (heartbeat, pong, event, control) on the socket the shard reads from now, straight from
   * that socket's watchdog; undefined without a live socket. The watchdog counts the open itself as the first sign of
   * life, so a fresh socket is not "silent since 1970" before the first heartbeat. While reading is paused
   * (backpressure) the watchdog is suspended: this value stands still, and counts again from the resume.
   */
  get lastFrameAt(): number | undefined {
    const live = liveSocket(this.current);
    const at = live ? this.sockets.lastFrameAt(live.generation) : undefined;
    // 0 = a watchdog never started (the socket opened while reading was paused): no frame has been read from it.
    return at === undefined || at <= 0 ? undefined : at;
  }

  /** Starts the lifecycle; resolves once the first socket is open, rejects if the session closes with a cause first. */
  start(): Promise<void> {
    const opened = new Promise<void>((resolve, reject) => this.openWaiters.push({ resolve, reject }));
    this.dispatch({ type: 'started' });
    return opened;
  }

  /** Replaces this shard's topics; resolves when the server has them (or rejects if that fails for good). */
  setTopics(topics: readonly string[]): Promise<void> {
    const applied = this.topics.set(topics);
    this.dispatch({ type: 'topicsChanged' });
    return applied;
  }

  /** Backpressure: stop reading the sockets until `resume()` (see SessionSockets.pauseAll). */
  pause(): void {
    this.sockets.pauseAll();
  }

  resume(): void {
    this.sockets.resumeAll();
  }

  requestRollover(): void {
    this.dispatch({ type: 'rolloverRequested' });
  }

  /** Graceful and idempotent: closes sockets with 1000, terminating any that do not answer in time. */
  close(): Promise<void> {
    if (this.current.kind === 'closed') return Promise.resolve();
    const closed = new Promise<void>((resolve) => this.closeWaiters.push(resolve));
    this.dispatch({ type: 'closeRequested' });
    return closed;
  }

  private dispatch(event: SessionEvent): void {
    this.queue.push(event);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) this.apply(next);
    } finally {
      this.dispatching = false;
    }
  }

  private apply(event: SessionEvent): void {
    const previous = this.current;
    const now = this.deps.clock.now();
    const { state, effects } = transition(previous, event, now, this.deps.config);
    this.current = state;
    // Before the effects: they may retire the lost socket, whose last-frame time dates the gap.
    if (state !== previous) this.trackGap(previous, state, event, now);
    for (const effect of effects) this.runSafely(effect);
    if (state === previous) return;
    if (state.kind !== 'rollingOver' && this.releaseGate) {
      this.releaseGate();
      this.releaseGate = undefined;
    }
    if (state.kind !== previous.kind) this.deps.hooks.onStateChange(state, previous);
    if (state.kind === 'open' && previous.kind !== 'open') this.onOpened();
    if (state.kind === 'closed') this.onClosed(state.cause);
  }

  private onOpened(): void {
    this.everOpen = true;
    for (const w of this.openWaiters.splice(0)) w.resolve();
    // Topics changed while the channel was being (re)made: bring the server up to date.
    if (this.topics.pending) this.queue.push({ type: 'topicsChanged' });
  }

  private onClosed(cause: RelayError | undefined): void {
    for (const timer of this.timers.values()) this.deps.clock.clearTimeout(timer);
    this.timers.clear();
    this.sockets.terminateAll();
    this.requests.abortAll();
    this.releaseGate?.();
    this.releaseGate = undefined;
    const error = cause ?? new RelayError('GENESYS_RELAY_ERR_CLOSED', 'session closed');
    for (const w of this.openWaiters.splice(0)) w.reject(error);
    this.topics.failAll(error);
    if (cause) this.deps.hooks.onError(cause);
    for (const resolve of this.closeWaiters.splice(0)) resolve();
  }

  /** A gap is any time after the first open without a live socket, except during a deliberate close. */
  private trackGap(previous: SessionState, state: SessionState, event: SessionEvent, now: number): void {
    const was = liveSocket(previous);
    const is = liveSocket(state);
    if (was && !is && this.everOpen && state.kind !== 'closing' && state.kind !== 'closed') {
      // The last frame is the last evidence the socket worked: a socket can die silently well before its close
      // event (a zombie that is then dropped), so the gap conservatively starts there (before the read, if the
      // event loop was busy when it was read: heartbeat-watchdog.ts aliveAtMs).
      const startAt = Math.min(now, this.sockets.aliveAt(was.generation) ?? now);
      this.openGap = { shardId: this.deps.shardId, startAt, channelId: was.channel.id, reason: lossReason(event) };
      return;
    }
    if (this.openGap && (is || state.kind === 'closed')) {
      const gap: Gap = { ...this.openGap, endAt: now, topics: this.topics.list };
      this.openGap = undefined;
      this.deps.hooks.onGap(gap);
    }
  }

  private runSafely(effect: SessionEffect): void {
    try {
      this.run(effect);
    } catch (err) {
      this.deps.hooks.onDiagnostic('error', `effect ${effect.type} failed: ${errorMessage(err)}`, {});
    }
  }

  private run(effect: SessionEffect): void {
    switch (effect.type) {
      case 'createChannel':
        return this.requests.createChannel(
          effect.purpose === 'rollover' ? this.gateFor() : undefined,
          effect.tokenMustOutlive,
        );
      case 'subscribe':
        return this.requests.subscribe(effect.channel, this.topics);
      case 'checkChannel':
        return this.requests.checkChannel(effect.channel);
      case 'openSocket':
        return this.sockets.open(effect.channel.connectUri, effect.channel.id, effect.generation);
      case 'closeSocket':
        return this.sockets.close(effect.generation, effect.code, effect.reason);
      case 'terminateSocket':
        return this.sockets.terminate(effect.generation);
      case 'armTimer':
        return this.armTimer(effect.timer, effect.at);
      case 'abortRequests':
        return this.requests.abortAll();
      case 'invalidateToken':
        return this.deps.hooks.onInvalidateToken();
      case 'rolledOver':
        this.rolledOverAt.set(effect.from.generation, this.deps.clock.now());
        if (this.rolledOverAt.size > 4) this.rolledOverAt.delete(this.rolledOverAt.keys().next().value ?? -1);
        this.holdGateUntilRetired(effect.from.generation);
        return this.deps.hooks.onRollover({ shardId: this.deps.shardId, ...effect, at: this.deps.clock.now() });
      case 'reportError':
        return this.deps.hooks.onError(effect.error);
      case 'diagnostic':
        return this.deps.hooks.onDiagnostic(effect.level, effect.message, {
          shardId: this.deps.shardId,
          ...effect.data,
        });
    }
  }

  /** Rollovers wait for a slot; the slot is released as soon as the session leaves `rollingOver`. */
  private gateFor(): ((signal: AbortSignal) => Promise<void>) | undefined {
    const gate = this.deps.rolloverGate;
    if (!gate) return undefined;
    return async (signal) => {
      const release = await gate.acquire(signal);
      if (this.current.kind === 'rollingOver' && !this.releaseGate) this.releaseGate = release;
      else release();
    };
  }

  /**
   * The old channel counts as "in use" (and so is not the one Genesys evicts first) until its socket has closed.
   * Keeping the rollover slot until then stops the next rollover from creating a channel that would evict a live one.
   */
  private holdGateUntilRetired(generation: number): void {
    const release = this.releaseGate;
    if (!release) return;
    this.releaseGate = undefined;
    this.sockets.onRetired(generation, release);
  }

  private armTimer(timer: TimerName, at: number): void {
    const { clock } = this.deps;
    clock.clearTimeout(this.timers.get(timer));
    const handle = clock.setTimeout(() => {
      if (this.timers.get(timer) === handle) this.timers.delete(timer);
      this.dispatch({ type: 'timerFired', timer, at });
    }, at - clock.now());
    this.timers.set(timer, handle);
  }
}
