import type { Random } from '../core/backoff.ts';
import type { Clock } from '../core/clock.ts';
import { DEFAULT_MAX_FRAME_BYTES, socketPayloadCeiling } from '../envelope/parse-frame.ts';
import type { NotificationsApi } from '../genesys/notifications-api.ts';
import { defaultSessionConfig } from '../session/config.ts';
import type { SessionDeps } from '../session/session.ts';
import { createWsSocketFactory } from '../session/socket.ts';
import type { NotificationClientOptions } from './options.ts';
import { RolloverSemaphore } from './rollover-gate.ts';

/** Resolves the client options into what every shard's session shares (one defaults table, applied once). */
export function sessionDepsFrom(
  options: NotificationClientOptions,
  api: NotificationsApi,
  clock: Clock,
  random: Random,
  rolloverHeadroom: number,
): Omit<SessionDeps, 'shardId' | 'hooks'> {
  const heartbeatMs = options.heartbeatMs ?? 30_000;
  const config = { ...defaultSessionConfig, ...options.session };
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const sockets =
    options.sockets ??
    createWsSocketFactory({
      clock,
      handshakeTimeoutMs: config.connectTimeoutMs,
      // Frames above maxFrameBytes are skipped and reported by the parser, the socket kept; only frames over the
      // memory ceiling (which ws refuses to buffer: close 1009, a recorded gap) cost the connection.
      maxPayloadBytes: socketPayloadCeiling(maxFrameBytes),
      closeTimeoutMs: config.closeTimeoutMs,
    });
  return {
    api,
    clock,
    random,
    sockets,
    config,
    watchdog: {
      watchdogMs: options.watchdogMs ?? 2 * heartbeatMs,
      pingIntervalMs: options.pingIntervalMs ?? heartbeatMs,
      pongTimeoutMs: options.pongTimeoutMs ?? Math.min(10_000, heartbeatMs),
      missedPongLimit: options.missedPongLimit ?? 2,
    },
    maxFrameBytes,
    ignoreErrors: options.ignoreErrors ?? true,
    rolloverGate: new RolloverSemaphore(Math.max(1, rolloverHeadroom)),
  };
}
