/**
 * Failed authentications counted per client address over a fixed one-minute window, in
 * memory (per instance). Memory stays bounded under a flood of distinct addresses: past
 * `maxKeys` addresses in one window, every further address shares one overflow budget, so a
 * flood can make the limit stricter for newcomers but never looser, and never larger.
 */
const OVERFLOW = '*';

export class FailureBudget {
  private windowStart = 0;
  private readonly counts = new Map<string, number>();

  constructor(
    /** Failures an address may have in a window; the next request with a token gets 429. */
    readonly limit: number,
    readonly windowMs = 60_000,
    readonly maxKeys = 100_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** Whether `address` has spent its budget in the current window. */
  exhausted(address: string): boolean {
    this.roll();
    return (this.counts.get(this.slot(address)) ?? 0) >= this.limit;
  }

  /** Whether any address has failed in the current window (when none has, no address need be worked out). */
  get quiet(): boolean {
    this.roll();
    return this.counts.size === 0;
  }

  /** Counts one failed authentication from `address`. */
  record(address: string): void {
    this.roll();
    const slot = this.slot(address);
    this.counts.set(slot, (this.counts.get(slot) ?? 0) + 1);
  }

  /** Whole seconds until the current window ends (at least 1). */
  retryAfterSeconds(): number {
    return Math.max(1, Math.ceil((this.windowStart + this.windowMs - this.now()) / 1000));
  }

  /** Addresses tracked in the current window (the overflow slot included). */
  get size(): number {
    return this.counts.size;
  }

  private roll(): void {
    const t = this.now();
    if (t - this.windowStart < this.windowMs) return;
    this.windowStart = t;
    this.counts.clear();
  }

  private slot(address: string): string {
    // One place is kept for the overflow slot itself.
    return this.counts.has(address) || this.counts.size < this.maxKeys - 1 ? address : OVERFLOW;
  }
}
