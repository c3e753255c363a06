import { percentile } from './load';

/** Timing of one repeated piece of work, in milliseconds. */
export interface Timing {
  readonly reps: number;
  readonly median: number;
  readonly p99: number;
  readonly mean: number;
}

/**
 * Runs `fn` a few times to warm up, then repeatedly for about `budgetMs` (at least `minReps`,
 * at most `maxReps` times), timing each call.
 */
export function time(fn: () => unknown, budgetMs = 2000, minReps = 30, maxReps = 5000): Timing {
  for (let i = 0; i < 5; i++) fn();
  const samples: number[] = [];
  const started = process.hrtime.bigint();
  while (samples.length < maxReps && (samples.length < minReps || Number(process.hrtime.bigint() - started) / 1e6 < budgetMs)) {
    const t0 = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { reps: samples.length, median: percentile(samples, 50), p99: percentile(samples, 99), mean: samples.reduce((a, b) => a + b, 0) / samples.length };
}

export function ms(value: number): string {
  if (!Number.isFinite(value)) return '-';
  return value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2);
}
