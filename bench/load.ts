import autocannon from 'autocannon';

/**
 * One autocannon run. autocannon's own latency histogram keeps whole milliseconds, too coarse
 * for sub-millisecond requests, so latencies are also recorded here from its `response`
 * events (fractional milliseconds, successful responses only) and the percentiles computed
 * from them.
 */
export interface LoadRun {
  readonly connections: number;
  readonly seconds: number;
  readonly requests: number;
  /** Mean requests per second over the run. */
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** What autocannon sends, the same request every time: a GET, or a POST with a fixed body. */
export interface Target {
  readonly url: string;
  readonly headers: Record<string, string>;
  readonly method?: 'GET' | 'POST';
  readonly body?: string;
}

export async function load(target: Target, connections: number, seconds: number): Promise<LoadRun> {
  const latencies: number[] = [];
  const { url, headers, method = 'GET', body } = target;
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ url, headers, method, body, connections, duration: seconds, timeout: 30 }, (err, res) => (err ? reject(err) : resolve(res)));
    instance.on('response', (_client: unknown, statusCode: number, _bytes: number, responseTime: number) => {
      if (statusCode >= 200 && statusCode < 300) latencies.push(responseTime);
    });
  });
  latencies.sort((a, b) => a - b);
  const total = latencies.reduce((a, b) => a + b, 0);
  return {
    connections,
    seconds,
    requests: result.requests.total,
    rps: result.requests.total / (result.duration || seconds),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    mean: latencies.length ? total / latencies.length : NaN,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}
