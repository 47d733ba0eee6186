/** A seeded pseudo-random source, so a soak run can be repeated from the seed it prints. */
export interface Prng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [min, max]. */
  int(min: number, max: number): number;
  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T;
  /** Exponentially distributed with the given mean (a Poisson process's inter-arrival time). */
  exponential(meanMs: number): number;
}

/**
 * mulberry32: tiny, fast and good enough for scheduling chaos (not for cryptography). Each consumer gets its own
 * stream (`forkPrng`) so adding a fault kind does not shift the publishing sequence of a replayed seed.
 */
export function createPrng(seed: number): Prng {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
  return {
    next,
    int: (min, max) => min + Math.floor(next() * (max - min + 1)),
    pick: <T>(items: readonly T[]): T => {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new RangeError('pick from an empty list');
      return item;
    },
    exponential: (meanMs) => -Math.log(1 - next()) * meanMs,
  };
}

/** An independent stream derived from `seed` and a label. */
export function forkPrng(seed: number, label: string): Prng {
  let h = seed >>> 0;
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 0x01000193) >>> 0;
  return createPrng(h);
}
