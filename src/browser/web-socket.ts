import type { Clock, TimerHandle } from '../core/clock.ts';
import type { RelaySocket, SocketFactory, SocketHandlers } from '../session/socket.ts';

/** The WHATWG WebSocket as this adapter uses it (a browser's, a worker's, Node 22's global, undici's). */
export interface PlatformWebSocket {
  readonly readyState: number;
  binaryType: string;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
}

export type PlatformWebSocketConstructor = new (url: string) => PlatformWebSocket;

export interface WebSocketFactoryOptions {
  clock: Clock;
  /** The socket must open within this; else it is closed and reported as a 1006 close. @default 10000 */
  connectTimeoutMs?: number;
  /** Wait this long for the close handshake, then report the close without it. @default 2000 */
  closeTimeoutMs?: number;
  /** @default globalThis.WebSocket */
  WebSocket?: PlatformWebSocketConstructor;
}

const CONNECTING = 0;
const OPEN = 1;
/** The synthesised code for a socket given up on (as `ws` reports a terminated one). */
const ABNORMAL = 1006;

/**
 * The platform WebSocket adapter. What the `ws` adapter gets from Node, it builds here: an open deadline, a close
 * deadline, and `terminate()` (a browser can only ask for a close): the socket is detached at once and its close
 * reported as 1006, exactly once, so the session's generation moves on without waiting for a dead peer. A browser
 * cannot stop reading a socket, so `pause()` holds incoming frames in memory and `resume()` hands them on in order,
 * then a close that came meanwhile (nothing dropped; use the client's `overflow: 'dropOldest'` to bound memory instead). A refused upgrade is a
 * plain 1006 here: a browser never shows the HTTP status, so the session HEADs the channel before reconnecting.
 */
export function createWebSocketFactory(options: WebSocketFactoryOptions): SocketFactory {
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const closeTimeoutMs = options.closeTimeoutMs ?? 2_000;
  return {
    open(url: string, handlers: SocketHandlers): RelaySocket {
      const Ctor = options.WebSocket ?? platformWebSocket();
      return new WebSocketAdapter(new Ctor(url), handlers, options.clock, connectTimeoutMs, closeTimeoutMs);
    },
  };
}

class WebSocketAdapter implements RelaySocket {
  private closed = false;
  private paused = false;
  private held: string[] = [];
  /** A close that arrived while frames were held: reported after them, as `ws` does for a paused socket. */
  private heldClose: { code: number; reason: string } | undefined;
  private timer: TimerHandle | undefined;
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly ws: PlatformWebSocket,
    private readonly handlers: SocketHandlers,
    private readonly clock: Clock,
    connectTimeoutMs: number,
    private readonly closeTimeoutMs: number,
  ) {
    ws.binaryType = 'arraybuffer';
    this.timer = clock.setTimeout(() => this.terminate(), connectTimeoutMs);
    ws.onopen = () => {
      this.clearTimer();
      if (!this.closed) handlers.onOpen();
    };
    ws.onmessage = (event) => this.receive(this.decode(event.data));
    ws.onerror = () => {
      if (!this.closed) handlers.onError?.(new Error('WebSocket error'));
    };
    ws.onclose = (event) => {
      if (this.held.length > 0) this.heldClose = { code: event.code, reason: event.reason };
      else this.report(event.code, event.reason);
    };
  }

  send(text: string): void {
    if (this.ws.readyState === OPEN && !this.closed) this.ws.send(text);
  }

  close(code: number, reason: string): void {
    if (this.closed) return;
    if (this.ws.readyState === CONNECTING) return this.terminate();
    if (this.ws.readyState !== OPEN) return;
    // A browser accepts only 1000 and 3000-4999 from a script (anything else throws); Genesys reads no close code.
    this.ws.close(code === 1000 || (code >= 3000 && code <= 4999) ? code : 1000, reason);
    this.clearTimer();
    this.timer = this.clock.setTimeout(() => this.terminate(), this.closeTimeoutMs);
  }

  terminate(): void {
    if (this.closed) return;
    try {
      this.ws.close();
    } catch {
      // Already closing: nothing more a script can do; the socket is detached below either way.
    }
    this.report(ABNORMAL, 'terminated');
  }

  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    while (!this.paused && !this.closed && this.held.length > 0) this.handlers.onMessage(this.held.shift() ?? '');
    if (this.held.length === 0 && this.heldClose) this.report(this.heldClose.code, this.heldClose.reason);
  }

  private receive(text: string): void {
    if (this.closed || this.heldClose) return;
    if (this.paused || this.held.length > 0) this.held.push(text);
    else this.handlers.onMessage(text);
  }

  /** Reports the close once and detaches, so a late event of this socket can never reach the session. */
  private report(code: number, reason: string): void {
    if (this.closed) return;
    this.closed = true;
    this.held = [];
    this.clearTimer();
    this.ws.onopen = this.ws.onmessage = this.ws.onerror = this.ws.onclose = null;
    this.handlers.onClose(code, reason, undefined);
  }

  private decode(data: unknown): string {
    if (typeof data === 'string') return data;
    if (data instanceof ArrayBuffer) return this.decoder.decode(data);
    return String(data);
  }

  private clearTimer(): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}

function platformWebSocket(): PlatformWebSocketConstructor {
  const ctor = (globalThis as { WebSocket?: PlatformWebSocketConstructor }).WebSocket;
  if (!ctor) throw new Error('this platform has no global WebSocket: pass `WebSocket` to the browser client');
  return ctor;
}
