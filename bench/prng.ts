/** A source of numbers uniform in [0, 1). */
export type Rng = () => number;

/**
 * mulberry32: a small seeded PRNG, so that a run can be replayed with the same choices (the
 * bench's data set, the soak's workload, the crash test's plans).
 */
export function prng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
