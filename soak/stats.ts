/** Small statistics for the report: percentiles (nearest rank) and a least-squares slope. */

/** Nearest-rank percentile of `values` (p in 0..100); undefined for an empty list. */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export interface Summary {
  count: number;
  min: number | undefined;
  p50: number | undefined;
  p99: number | undefined;
  max: number | undefined;
}

export function summarize(values: readonly number[]): Summary {
  return {
    count: values.length,
    min: values.length > 0 ? Math.min(...values) : undefined,
    p50: percentile(values, 50),
    p99: percentile(values, 99),
    max: values.length > 0 ? Math.max(...values) : undefined,
  };
}

/** Least-squares slope of y over x; 0 with fewer than two points or no spread in x. */
export function slope(points: readonly { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const meanX = points.reduce((s, p) => s + p.x, 0) / n;
  const meanY = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - meanX) * (p.y - meanY);
    den += (p.x - meanX) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

/** Keeps at most `max` evenly spaced items (always the first and the last), so reports stay small. */
export function downsample<T>(items: readonly T[], max: number): T[] {
  if (items.length <= max || max < 2) return [...items];
  const out: T[] = [];
  const step = (items.length - 1) / (max - 1);
  for (let i = 0; i < max; i++) {
    const item = items[Math.round(i * step)];
    if (item !== undefined) out.push(item);
  }
  return out;
}
