import { withDeadline } from '../core/abort.ts';
import { systemClock, type Clock } from '../core/clock.ts';
import { errorMessage } from '../core/errors.ts';
import type { Logger } from '../logging/logger.ts';

/** The part of a relay the shutdown handler drives. */
export interface Drainable {
  close(options: { drainTimeoutMs: number }): Promise<void>;
}

/** The part of `process` the handler uses, injectable for tests. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
}

export interface ShutdownOptions {
  relay: Drainable;
  logger: Logger;
  /** Time for the relay to flush and drain in-flight deliveries. @default 10000 */
  drainTimeoutMs?: number;
  /** Extra time after the drain deadline before giving up on close() altogether. @default 5000 */
  graceMs?: number;
  /** @default ['SIGTERM', 'SIGINT'] */
  signals?: readonly NodeJS.Signals[];
  /** @default process */
  source?: SignalSource;
  /** Called once with the exit code. @default process.exit */
  exit?: (code: number) => void;
  /** @default systemClock */
  clock?: Clock;
}

export interface ShutdownHandle {
  /** True once a signal or `trigger` started the shutdown. */
  readonly stopping: boolean;
  /** Starts the same graceful shutdown as a signal would (e.g. after a fatal error). */
  trigger(reason: string, code?: number): void;
  /** Removes the signal listeners without exiting. */
  dispose(): void;
}

/**
 * First SIGTERM/SIGINT: close the relay gracefully (stop reading sockets, commit the outbox, drain in-flight
 * deliveries, close sockets) within a deadline, then exit 0, or 1 if closing failed. A second signal exits
 * at once with 130: an operator pressing Ctrl-C twice means it.
 */
export function installShutdown(options: ShutdownOptions): ShutdownHandle {
  const source = options.source ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const drainTimeoutMs = options.drainTimeoutMs ?? 10_000;
  const clock = options.clock ?? systemClock;
  const { logger } = options;
  let stopping = false;
  let exited = false;
  const exitOnce = (code: number): void => {
    if (exited) return;
    exited = true;
    dispose();
    exit(code);
  };

  const trigger = (reason: string, code = 0): void => {
    if (stopping) {
      logger.warn({ reason }, 'second shutdown request: exiting without waiting for the drain');
      exitOnce(130);
      return;
    }
    stopping = true;
    logger.info({ reason, drainTimeoutMs }, 'shutting down: draining');
    const closing = withDeadline(
      options.relay.close({ drainTimeoutMs }),
      drainTimeoutMs + (options.graceMs ?? 5_000),
      clock,
      'shutdown',
    );
    closing.then(
      () => {
        logger.info('shutdown complete');
        exitOnce(code);
      },
      (err: unknown) => {
        logger.error({ err: errorMessage(err) }, 'shutdown did not complete cleanly');
        exitOnce(code === 0 ? 1 : code);
      },
    );
  };

  const listeners = signals.map((signal) => {
    const listener = (): void => trigger(signal);
    source.on(signal, listener);
    return { signal, listener };
  });
  function dispose(): void {
    for (const { signal, listener } of listeners) source.off(signal, listener);
  }
  return {
    get stopping() {
      return stopping;
    },
    trigger,
    dispose,
  };
}
