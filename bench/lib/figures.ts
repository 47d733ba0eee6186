import type { ChildProcess } from 'node:child_process';

/**
 * Shared by the benchmarks (kept in bench/lib/ so bench/run.ts does not take it for a benchmark): the event they
 * publish, the small statistics their figures are made of, and their waiting and child-process helpers.
 */

export const BENCH_TOPIC = 'v2.users.00000000-0000-4000-8000-00000000be11.presence';
export const BENCH_BODY = {
  id: 'bench-user',
  presenceDefinition: { id: 'p', systemPresence: 'Available' },
  modifiedDate: 'x',
};

/** The value at quantile `q` (0..1) by rank; NaN for no values. */
export function percentile(xs: readonly number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

export function median(xs: readonly number[]): number {
  return percentile(xs, 0.5);
}

export function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

/**
 * Resolves when `done()` holds or the timeout passes (never rejects: a burst cut short still yields a rate), polling
 * every `everyMs`. Polling keeps the measured consumer free of any hook of the benchmark's own.
 */
export function pollUntil(done: () => boolean, timeoutMs: number, everyMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      if (!done() && performance.now() < deadline) return;
      clearInterval(timer);
      resolve();
    }, everyMs);
  });
}

/** Stops a benchmark's child process (the firehose or the emulator) and waits for it to exit. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
