import { ClosedError } from '../core/errors.ts';
import type { RolloverGate } from '../session/session.ts';

/**
 * A FIFO semaphore for rollovers. Each rollover briefly holds one channel beyond the shard count, and a 21st
 * channel would evict one of ours (genesys-api.md §1.2), so at most `permits` (the reserved headroom) run at once.
 */
export class RolloverSemaphore implements RolloverGate {
  private available: number;
  private readonly queue: Array<{ grant: () => void; signal: AbortSignal }> = [];

  constructor(permits: number) {
    this.available = Math.max(1, permits);
  }

  acquire(signal: AbortSignal): Promise<() => void> {
    if (signal.aborted) return Promise.reject(new ClosedError('rollover cancelled'));
    if (this.available > 0) {
      this.available--;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const entry = { grant: () => resolve(this.releaser()), signal };
      this.queue.push(entry);
      signal.addEventListener(
        'abort',
        () => {
          const index = this.queue.indexOf(entry);
          if (index >= 0) this.queue.splice(index, 1);
          reject(new ClosedError('rollover cancelled'));
        },
        { once: true },
      );
    });
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      if (next) next.grant();
      else this.available++;
    };
  }
}
