/**
 * Time is injected everywhere through this port, so lifecycle code can be driven by a ManualClock in tests
 * (src/testing/manual-clock.ts) and by the real clock in production. Instants are epoch milliseconds (`…At`),
 * durations are milliseconds (`…Ms`).
 */
export interface TimerHandle {
  /** Opaque; only meaningful to the clock that created it. */
  readonly id: number;
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle | undefined): void;
  /** Resolves after `ms`; rejects with the signal's reason if it is aborted first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  /**
   * Milliseconds the event loop has spent idle (waiting for I/O) since it started, when the clock can tell. A frame
   * read after a busy stretch may have waited in the socket buffer for all of it, so a socket is proven alive only up
   * to the loop's last idle moment before the read (session/heartbeat-watchdog.ts). Without it, the read time.
   */
  loopIdleMs?(): number;
}

export class SystemClock implements Clock {
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private nextId = 1;

  now(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    const timer = setTimeout(
      () => {
        this.timers.delete(id);
        fn();
      },
      Math.max(0, ms),
    );
    this.timers.set(id, timer);
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    const timer = this.timers.get(handle.id);
    if (timer) clearTimeout(timer);
    this.timers.delete(handle.id);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }

  loopIdleMs(): number {
    return performance.eventLoopUtilization().idle;
  }
}

/** Shared implementation of `Clock.sleep` on top of `setTimeout`, for any clock. */
export function sleepWith(clock: Clock, ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal?.aborted) {
      reject(abortReason(signal));
      return;
    }
    const onAbort = (): void => {
      clock.clearTimeout(handle);
      reject(abortReason(signal));
    };
    const handle = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new Error('aborted');
}

/** The process-wide real clock. */
export const systemClock: Clock = new SystemClock();
