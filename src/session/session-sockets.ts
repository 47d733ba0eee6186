import { parseFrame, type ParsedFrame } from '../envelope/parse-frame.ts';
import type { SessionEvent } from './events.ts';
import { HeartbeatWatchdog } from './heartbeat-watchdog.ts';
import type { SessionDeps } from './session.ts';
import type { RelaySocket } from './socket.ts';

interface SocketEntry {
  generation: number;
  channelId: string;
  socket: RelaySocket;
  watchdog: HeartbeatWatchdog;
  /** Called once the socket is gone (used to hold the rollover slot until the old channel is disconnected). */
  onRetired?: (() => void) | undefined;
  opened: boolean;
  /** We closed (or terminated) it: rollover, shutdown, stale. */
  closeRequested: boolean;
  /** The close frame we sent, to tell its echo from a close the server sent on its own before it got ours. */
  sentClose?: { code: number; reason: string };
}

/**
 * A socket we were closing was closed by the server on its own (a close frame that is not the echo of ours): it may
 * have stopped delivering before we asked, e.g. its channel expired while the rollover that retired it was late.
 */
export type CrossedClose = (
  generation: number,
  channelId: string,
  aliveAt: number,
  code: number,
  reason: string,
) => void;

/**
 * A session's sockets by generation (two during a rollover). Every callback of a socket first checks that its
 * entry is still in the table; `retire` removes it, after which nothing that socket does reaches the reducer.
 * Event frames are delivered from any socket still in the table (the retiring one included, until it has closed).
 */
export class SessionSockets {
  private readonly entries = new Map<number, SocketEntry>();
  /** Proven-alive times of recently retired sockets, so a gap can be dated after the socket has gone. */
  private readonly retiredAliveAt = new Map<number, number>();
  private paused = false;

  constructor(
    private readonly deps: SessionDeps,
    private readonly dispatch: (event: SessionEvent) => void,
    private readonly onCrossedClose: CrossedClose = () => {},
  ) {}

  open(url: string, channelId: string, generation: number): void {
    const { clock, watchdog: watchdogOptions, maxFrameBytes, hooks, random } = this.deps;
    const existing = this.entries.get(generation);
    if (existing) this.retire(existing, true);
    const live = (): boolean => this.entries.get(generation) === entry;
    const watchdog = new HeartbeatWatchdog(clock, watchdogOptions, {
      sendPing: () => entry.socket.send('{"message":"ping"}'),
      onStale: (reason) => {
        if (live()) this.dispatch({ type: 'socketStale', generation, reason, jitter: random() });
      },
    });
    const entry: SocketEntry = {
      generation,
      channelId,
      watchdog,
      opened: false,
      closeRequested: false,
      socket: this.deps.sockets.open(url, {
        onOpen: () => {
          if (!live()) return;
          entry.opened = true;
          if (this.paused) entry.socket.pause();
          else watchdog.start();
          this.dispatch({ type: 'socketOpened', generation });
        },
        onMessage: (text) => {
          if (!live()) return;
          watchdog.frameReceived();
          this.onFrame(parseFrame(text, maxFrameBytes), text, entry);
        },
        onClose: (code, reason, httpStatus) => {
          // Every close is logged at warn with its cause (1009 = a frame over the socket's ceiling, 1006 = no close
          // frame), also when it was requested: a close nobody asked for must never hide behind a debug line.
          const data = { channelId, generation, code, reason, requested: entry.closeRequested, httpStatus };
          hooks.onDiagnostic('warn', `socket closed ${code}${reason ? ` (${reason})` : ''}`, data);
          if (live() && isCrossedClose(entry.sentClose, code, reason))
            this.onCrossedClose(generation, channelId, entry.watchdog.aliveAtMs, code, reason);
          if (!live()) return;
          this.retire(entry, false);
          const event: SessionEvent = { type: 'socketClosed', generation, code, reason, jitter: random() };
          if (httpStatus !== undefined) event.httpStatus = httpStatus;
          this.dispatch(event);
        },
        onError: (error) => {
          if (live()) hooks.onDiagnostic('debug', `socket error: ${error.message}`, { channelId, generation });
        },
      }),
    };
    this.entries.set(generation, entry);
  }

  /** Graceful close; the socket stays in the table (still delivering) until its close event. */
  close(generation: number, code: number, reason: string): void {
    const entry = this.entries.get(generation);
    if (entry) {
      entry.closeRequested = true;
      entry.sentClose = { code, reason };
    }
    entry?.watchdog.stop();
    entry?.socket.close(code, reason);
  }

  terminate(generation: number): void {
    const entry = this.entries.get(generation);
    if (entry) this.retire(entry, true);
  }

  /**
   * Stops reading every socket (the consumer is behind). The watchdogs are suspended meanwhile: unread heartbeats
   * are not a dead server. If the server gives up on us, the close is a recorded gap like any other.
   */
  pauseAll(): void {
    if (this.paused) return;
    this.paused = true;
    for (const entry of this.entries.values()) {
      if (!entry.opened) continue;
      entry.watchdog.stop();
      entry.socket.pause();
    }
  }

  resumeAll(): void {
    if (!this.paused) return;
    this.paused = false;
    for (const entry of this.entries.values()) {
      if (!entry.opened) continue;
      entry.socket.resume();
      entry.watchdog.start();
    }
  }

  terminateAll(): void {
    for (const entry of [...this.entries.values()]) this.retire(entry, true);
  }

  /** When a live socket last read a frame (status). */
  lastFrameAt(generation: number): number | undefined {
    return this.entries.get(generation)?.watchdog.lastFrameAtMs;
  }

  /** Up to when a socket, live or recently retired, is proven to have worked: where its gap begins. */
  aliveAt(generation: number): number | undefined {
    return this.entries.get(generation)?.watchdog.aliveAtMs ?? this.retiredAliveAt.get(generation);
  }

  /** Runs `fn` once the socket has left the table (at once if it already has). */
  onRetired(generation: number, fn: () => void): void {
    const entry = this.entries.get(generation);
    if (entry) entry.onRetired = fn;
    else fn();
  }

  private onFrame(parsed: ParsedFrame, raw: string, entry: SocketEntry): void {
    switch (parsed.kind) {
      case 'event':
        return this.deps.hooks.onEvent(parsed, raw, entry.channelId, this.deps.clock.now());
      case 'malformed':
        return this.deps.hooks.onMalformed(parsed.reason, entry.channelId);
      case 'oversized':
        return this.deps.hooks.onOversized?.(parsed, entry.channelId);
      case 'pong':
        return entry.watchdog.pongReceived();
      case 'heartbeat':
        return;
      case 'socketClosing':
      case 'tokenRevoked':
      case 'noLongerSubscribed':
      case 'system':
      case 'result':
        return this.dispatch({ type: 'controlReceived', generation: entry.generation, frame: parsed });
    }
  }

  private retire(entry: SocketEntry, terminate: boolean): void {
    entry.watchdog.stop();
    if (this.entries.get(entry.generation) === entry) this.entries.delete(entry.generation);
    this.retiredAliveAt.set(entry.generation, entry.watchdog.aliveAtMs);
    if (this.retiredAliveAt.size > 4) this.retiredAliveAt.delete(this.retiredAliveAt.keys().next().value ?? -1);
    if (terminate) {
      entry.closeRequested = true;
      entry.socket.terminate();
    }
    const onRetired = entry.onRetired;
    entry.onRetired = undefined;
    onRetired?.();
  }
}

/** 1005/1006 say nothing about the server's intent; an echo repeats our code, and our reason or none. */
function isCrossedClose(sent: SocketEntry['sentClose'], code: number, reason: string): boolean {
  if (!sent || code === 1005 || code === 1006) return false;
  return code !== sent.code || (reason !== '' && reason !== sent.reason);
}
