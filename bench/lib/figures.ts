/**
 * Shared by the benchmarks (kept in bench/lib/ so bench/run.ts does not take it for a benchmark): the event they
 * publish, and the small statistics their figures are made of.
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
