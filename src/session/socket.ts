import { WebSocket } from 'ws';
import type { Clock, TimerHandle } from '../core/clock.ts';
import { DEFAULT_MAX_FRAME_BYTES, socketPayloadCeiling } from '../envelope/parse-frame.ts';

/** What the session needs from a socket. Text frames only; binary frames are decoded as UTF-8. */
export interface RelaySocket {
  send(text: string): void;
  /** Close handshake; falls back to `terminate()` if the peer does not answer within the close timeout. */
  close(code: number, reason: string): void;
  /** Destroys the connection at once (for dead peers). */
  terminate(): void;
  /** Stops reading (TCP backpressure to the server) until `resume()`. */
  pause(): void;
  resume(): void;
}

/** Callbacks of one socket; `onClose` is called exactly once, also when the upgrade fails. */
export interface SocketHandlers {
  onOpen(): void;
  onMessage(text: string): void;
  /** `httpStatus` is set when the server refused the upgrade with an HTTP response. */
  onClose(code: number, reason: string, httpStatus: number | undefined): void;
  onError?(error: Error): void;
}

export interface SocketFactory {
  open(url: string, handlers: SocketHandlers): RelaySocket;
}

export interface WsSocketOptions {
  clock: Clock;
  /** Upgrade timeout; `ws` has none by default. @default 10000 */
  handshakeTimeoutMs?: number;
  /** Largest frame `ws` buffers; a larger one closes the socket (1009). @default socketPayloadCeiling(16 MiB) = 64 MiB */
  maxPayloadBytes?: number;
  /** Wait this long for the close handshake before terminating. @default 2000 */
  closeTimeoutMs?: number;
}

/**
 * The `ws` adapter. perMessageDeflate is off (the client enables it by default; it costs CPU and memory per socket
 * for no measured gain), the upgrade has a timeout, `maxPayload` is bounded, and a refused upgrade is read via
 * 'unexpected-response' so its HTTP status reaches the close policy instead of an unhandled error.
 */
export function createWsSocketFactory(options: WsSocketOptions): SocketFactory {
  const handshakeTimeout = options.handshakeTimeoutMs ?? 10_000;
  const maxPayload = options.maxPayloadBytes ?? socketPayloadCeiling(DEFAULT_MAX_FRAME_BYTES);
  const closeTimeoutMs = options.closeTimeoutMs ?? 2_000;
  return {
    open(url: string, handlers: SocketHandlers): RelaySocket {
      const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout, maxPayload });
      let httpStatus: number | undefined;
      let closeTimer: TimerHandle | undefined;
      ws.on('open', () => handlers.onOpen());
      ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
        handlers.onMessage(decode(data, isBinary));
      });
      ws.on('unexpected-response', (_req, res) => {
        httpStatus = res.statusCode;
        res.resume();
        ws.terminate();
      });
      ws.on('error', (error: Error) => handlers.onError?.(error));
      ws.on('close', (code: number, reason: Buffer) => {
        options.clock.clearTimeout(closeTimer);
        handlers.onClose(code, reason.toString('utf8'), httpStatus);
      });
      return {
        send(text: string): void {
          if (ws.readyState === WebSocket.OPEN) ws.send(text);
        },
        close(code: number, reason: string): void {
          if (ws.readyState === WebSocket.CONNECTING) {
            ws.terminate();
            return;
          }
          if (ws.readyState !== WebSocket.OPEN) return;
          ws.close(code, reason);
          // ws waits 30 s for a silent peer; a relay shutting down or rolling over should not (discord.js #7450).
          closeTimer = options.clock.setTimeout(() => ws.terminate(), closeTimeoutMs);
        },
        terminate(): void {
          ws.terminate();
        },
        pause(): void {
          ws.pause();
        },
        resume(): void {
          ws.resume();
        },
      };
    },
  };
}

function decode(data: Buffer | ArrayBuffer | Buffer[], _isBinary: boolean): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
