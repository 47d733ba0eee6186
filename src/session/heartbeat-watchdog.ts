import type { Clock, TimerHandle } from '../core/clock.ts';

export interface WatchdogOptions {
  /** Stale if no frame at all (heartbeat, pong or event) arrives for this long; 2× the 30 s heartbeat. @default 60000 */
  watchdogMs: number;
  /** How often to send the app-level `{"message":"ping"}`. @default 30000 */
  pingIntervalMs: number;
  /** How long to wait for the pong to each ping. @default 10000 */
  pongTimeoutMs: number;
  /** Consecutive unanswered pings before the socket counts as stale (one lost pong is not a dead socket). @default 2 */
  missedPongLimit: number;
}

export const defaultWatchdogOptions: WatchdogOptions = {
  watchdogMs: 60_000,
  pingIntervalMs: 30_000,
  pongTimeoutMs: 10_000,
  missedPongLimit: 2,
};

/** Runs `fn` after the socket reads already waiting in the event loop have been handled. */
export type YieldToIo = (fn: () => void) => void;

/**
 * Node runs due timers before it polls sockets, so after an event-loop stall the watchdog's timer can fire while
 * heartbeats sit unread in the socket buffer. `setImmediate` runs after that poll phase: re-checking there means a
 * stall is not mistaken for a silent server.
 */
export const afterPendingIo: YieldToIo = (fn) => {
  // A browser has no setImmediate; there a 0 ms timeout also runs after the socket messages already queued.
  if (typeof setImmediate === 'function') setImmediate(fn);
  else setTimeout(fn, 0);
};

/** The watchdog's only way out: it never touches the socket itself (cf. nats.js `PH`). */
export interface WatchdogPort {
  sendPing(): void;
  onStale(reason: string): void;
}

/**
 * Liveness in both directions (Slack #1465): server heartbeats must keep arriving, and our pings must be answered.
 * `frameReceived()` is on the hot path, so it only stores a timestamp; the timer re-arms itself lazily.
 */
export class HeartbeatWatchdog {
  private lastFrameAt = 0;
  /** The last instant the socket is proven to have worked (<= lastFrameAt; see `aliveAtMs`). */
  private aliveAt = 0;
  /** `clock.loopIdleMs()` at the last frame, if the clock tells it. */
  private idleAtLastFrame: number | undefined;
  /** Frames are being read in one batch (one poll phase); it ends once the pending reads have run. */
  private inBatch = false;
  /** What the current batch proves (see `aliveAtMs`). */
  private batchProvenAt = 0;
  private frameTimer: TimerHandle | undefined;
  private pingTimer: TimerHandle | undefined;
  private pongTimer: TimerHandle | undefined;
  private missedPongs = 0;
  private running = false;

  constructor(
    private readonly clock: Clock,
    private readonly options: WatchdogOptions,
    private readonly port: WatchdogPort,
    private readonly yieldToIo: YieldToIo = afterPendingIo,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.lastFrameAt = this.aliveAt = this.clock.now();
    this.idleAtLastFrame = this.clock.loopIdleMs?.();
    this.armFrameTimer(this.options.watchdogMs);
    this.armPingTimer();
  }

  frameReceived(): void {
    this.markFrame();
  }

  pongReceived(): void {
    this.markFrame();
    this.missedPongs = 0;
    this.clock.clearTimeout(this.pongTimer);
    this.pongTimer = undefined;
  }

  /** Epoch ms the last frame was read (silence, status). */
  get lastFrameAtMs(): number {
    return this.lastFrameAt;
  }

  /**
   * Epoch ms up to which the socket is proven to have worked: where a gap begins. A frame read after the event loop
   * was busy (a stall, a CPU taken by other processes) may have sat in the socket buffer for that whole stretch, sent
   * before the server dropped the socket; dating the gap at its read time would leave the events published in
   * between outside every gap. Each poll phase drains the socket, and an idle loop reads it at once: a batch of
   * frames arrived after the previous batch was read and after the loop's last idle moment, so it proves the socket
   * alive at the previous batch's read plus the idle time since (the read time itself when the loop was idle until
   * then). Conservative by up to one loop iteration, or the busy time between two sparse frames.
   */
  get aliveAtMs(): number {
    return this.aliveAt;
  }

  private markFrame(): void {
    const now = this.clock.now();
    const idle = this.clock.loopIdleMs?.();
    if (!this.inBatch) {
      this.inBatch = true;
      const idleSince =
        idle === undefined || this.idleAtLastFrame === undefined ? undefined : idle - this.idleAtLastFrame;
      this.batchProvenAt =
        idleSince === undefined ? now : Math.floor(Math.min(now, this.lastFrameAt + Math.max(0, idleSince)));
      this.yieldToIo(() => (this.inBatch = false));
    }
    this.aliveAt = Math.max(this.aliveAt, this.batchProvenAt);
    this.lastFrameAt = now;
    this.idleAtLastFrame = idle;
  }

  stop(): void {
    this.running = false;
    this.clock.clearTimeout(this.frameTimer);
    this.clock.clearTimeout(this.pingTimer);
    this.clock.clearTimeout(this.pongTimer);
    this.frameTimer = this.pingTimer = this.pongTimer = undefined;
  }

  private armFrameTimer(ms: number): void {
    this.frameTimer = this.clock.setTimeout(() => this.checkFrames(), ms);
  }

  private checkFrames(): void {
    if (!this.running) return;
    const silentMs = this.clock.now() - this.lastFrameAt;
    if (silentMs < this.options.watchdogMs) {
      this.armFrameTimer(this.options.watchdogMs - silentMs);
      return;
    }
    // Looks silent: confirm once the frames already waiting in the socket buffer have been read.
    this.yieldToIo(() => {
      if (!this.running) return;
      const silentMs = this.clock.now() - this.lastFrameAt;
      if (silentMs >= this.options.watchdogMs) this.stale(`no frame for ${silentMs} ms`);
      else this.armFrameTimer(this.options.watchdogMs - silentMs);
    });
  }

  private armPingTimer(): void {
    this.pingTimer = this.clock.setTimeout(() => {
      if (!this.running) return;
      this.port.sendPing();
      if (this.pongTimer === undefined) {
        this.pongTimer = this.clock.setTimeout(() => this.pongMissed(), this.options.pongTimeoutMs);
      }
      this.armPingTimer();
    }, this.options.pingIntervalMs);
  }

  private pongMissed(): void {
    this.pongTimer = undefined;
    if (!this.running) return;
    this.missedPongs++;
    if (this.missedPongs >= this.options.missedPongLimit) this.stale(`${this.missedPongs} pings unanswered`);
  }

  private stale(reason: string): void {
    this.stop();
    this.port.onStale(reason);
  }
}
