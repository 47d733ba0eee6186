import type { Clock } from './clock.ts';
import { TimeoutError } from './errors.ts';

/**
 * Races `work` against a deadline on `clock`. Every waiting step in the relay has one, so nothing can hang
 * in a "connecting" or "closing" state forever.
 */
export async function withDeadline<T>(work: Promise<T>, ms: number, clock: Clock, what: string): Promise<T> {
  let handle: ReturnType<Clock['setTimeout']> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    handle = clock.setTimeout(() => reject(new TimeoutError(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clock.clearTimeout(handle);
  }
}
