import { sleepWith, type Clock, type TimerHandle } from '../core/clock.ts';

/**
 * The clock of a page or worker: the platform's timers and Date.now(). Unlike Node's SystemClock it has no
 * `loopIdleMs` (a browser does not expose event-loop idle time), so a frame proves its socket alive at its read.
 */
export class PageClock implements Clock {
  private readonly timers = new Map<number, ReturnType<typeof setTimeout>>();
  private nextId = 1;

  now(): number {
    return Date.now();
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    const run = (): void => {
      this.timers.delete(id);
      fn();
    };
    this.timers.set(id, setTimeout(run, Math.max(0, ms)));
    return { id };
  }

  clearTimeout(handle: TimerHandle | undefined): void {
    if (!handle) return;
    clearTimeout(this.timers.get(handle.id));
    this.timers.delete(handle.id);
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return sleepWith(this, ms, signal);
  }
}
