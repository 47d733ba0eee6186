import type { Random } from '../core/backoff.ts';
import type { Clock } from '../core/clock.ts';
import { DEFAULT_MAX_FRAME_BYTES, socketPayloadCeiling } from '../envelope/parse-frame.ts';
import type { NotificationsApi } from '../genesys/notifications-api.ts';
import { defaultSessionConfig } from '../session/config.ts';
import type { SessionDeps } from '../session/session.ts';
import type { SocketFactory } from '../session/socket.ts';
import type { NotificationClientOptions } from './options.ts';
import { RolloverSemaphore } from './rollover-gate.ts';

/** What a platform's socket adapter is built from (deadlines from the session config, the frame ceiling). */
export interface SocketSettings {
  clock: Clock;
  connectTimeoutMs: number;
  closeTimeoutMs: number;
  /** Largest frame worth buffering: frames above maxFrameBytes are skipped by the parser, this much is the ceiling. */
  maxPayloadBytes: number;
}

/** Resolves the client options into what every shard's session shares (one defaults table, applied once). */
export function sessionDepsFrom(
  options: NotificationClientOptions,
  api: NotificationsApi,
  clock: Clock,
  random: Random,
  rolloverHeadroom: number,
  defaultSockets: (settings: SocketSettings) => SocketFactory,
): Omit<SessionDeps, 'shardId' | 'hooks'> {
  const heartbeatMs = options.heartbeatMs ?? 30_000;
  const config = { ...defaultSessionConfig, ...options.session };
  const maxFrameBytes = options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES;
  const sockets =
    options.sockets ??
    defaultSockets({
      clock,
      connectTimeoutMs: config.connectTimeoutMs,
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
