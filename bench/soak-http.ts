import * as http from 'node:http';
import { percentile } from './load';
import { JSONAPI } from '../src/http/middleware/negotiation';

/**
 * The soak's HTTP side: one keep-alive agent shared by every worker (a fixed number of
 * sockets, one per worker), each request timed from the first byte sent to the last byte
 * read, and every answer counted by operation, status and (for 4xx) error code.
 */

export interface Identifier {
  type: string;
  id: string;
}

export interface Relationship {
  data?: Identifier | Identifier[] | null;
  meta?: { count?: number; restricted?: boolean };
}

export interface ResourceObject {
  type: string;
  id: string;
  attributes?: Record<string, unknown>;
  relationships?: Record<string, Relationship>;
  meta?: { version?: number; [key: string]: unknown };
}

export interface ErrorObject {
  status?: string;
  code?: string;
  detail?: string;
  source?: { pointer?: string; parameter?: string };
  meta?: Record<string, unknown>;
}

/** A JSON:API document (or a flat `{data, meta}` one) as far as the soak reads it. */
export interface Doc {
  data?: unknown;
  included?: ResourceObject[];
  errors?: ErrorObject[];
  links?: { next?: string | null; prev?: string | null; [key: string]: unknown };
  meta?: Record<string, unknown>;
  'atomic:results'?: { data?: ResourceObject }[];
}

export interface Reply {
  /** 0 when no response came back (connection error or timeout). */
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
  readonly doc: Doc;
  readonly ms: number;
  readonly error?: string;
}

export interface RequestOptions {
  readonly token: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** Content-Type of the body (default application/vnd.api+json). */
  readonly contentType?: string;
}

interface OpStats {
  count: number;
  latencies: number[];
  statuses: Map<string, number>;
}

export interface OpSummary {
  readonly op: string;
  readonly count: number;
  readonly p50: number;
  readonly p99: number;
  readonly statuses: Record<string, number>;
}

export interface StatsSummary {
  readonly requests: number;
  readonly transportErrors: number;
  readonly p50: number;
  readonly p99: number;
  readonly mean: number;
  readonly max: number;
  readonly byStatus: Record<string, number>;
  /** "409 conflict" → count, for every 4xx (the first error object's code). */
  readonly byErrorCode: Record<string, number>;
  readonly serverErrors: number;
  readonly operations: OpSummary[];
}

const increment = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);

function sortedRecord(map: Map<string, number>): Record<string, number> {
  return Object.fromEntries([...map.entries()].sort((a, b) => a[0].localeCompare(b[0])));
}

export class Stats {
  /** Off during set-up and clean-up, so that only the timed load is counted. */
  recording = false;
  private readonly latencies: number[] = [];
  private readonly byStatus = new Map<string, number>();
  private readonly byCode = new Map<string, number>();
  private readonly byOp = new Map<string, OpStats>();
  private transportErrors = 0;
  /** A few 5xx answers, whole, for the report. */
  readonly serverErrorSamples: string[] = [];

  record(op: string, method: string, path: string, reply: Reply): void {
    if (!this.recording) return;
    const status = reply.status === 0 ? 'no response' : String(reply.status);
    increment(this.byStatus, status);
    let stats = this.byOp.get(op);
    if (!stats) {
      stats = { count: 0, latencies: [], statuses: new Map() };
      this.byOp.set(op, stats);
    }
    stats.count++;
    increment(stats.statuses, status);
    if (reply.status === 0) {
      this.transportErrors++;
      return;
    }
    this.latencies.push(reply.ms);
    stats.latencies.push(reply.ms);
    if (reply.status >= 400 && reply.status < 500) increment(this.byCode, `${reply.status} ${reply.doc.errors?.[0]?.code ?? '(no code)'}`);
    if (reply.status >= 500 && this.serverErrorSamples.length < 20) {
      this.serverErrorSamples.push(`${method} ${path} → ${reply.status} ${reply.text.slice(0, 500)}`);
    }
  }

  summary(): StatsSummary {
    const all = [...this.latencies].sort((a, b) => a - b);
    const requests = [...this.byStatus.values()].reduce((a, b) => a + b, 0);
    const serverErrors = [...this.byStatus.entries()].filter(([s]) => /^5\d\d$/.test(s)).reduce((a, [, n]) => a + n, 0);
    const operations = [...this.byOp.entries()]
      .map(([op, s]) => {
        const sorted = [...s.latencies].sort((a, b) => a - b);
        return { op, count: s.count, p50: percentile(sorted, 50), p99: percentile(sorted, 99), statuses: sortedRecord(s.statuses) };
      })
      .sort((a, b) => b.count - a.count);
    return {
      requests,
      transportErrors: this.transportErrors,
      p50: percentile(all, 50),
      p99: percentile(all, 99),
      mean: all.length ? all.reduce((a, b) => a + b, 0) / all.length : NaN,
      max: all.length ? all[all.length - 1] : NaN,
      byStatus: sortedRecord(this.byStatus),
      byErrorCode: sortedRecord(this.byCode),
      serverErrors,
      operations,
    };
  }
}

/** The media types the soak sends, as the service defines them. */
export { JSONAPI };
export { ATOMIC_MEDIA_TYPE as ATOMIC } from '../src/http/middleware/negotiation';

export class HttpDriver {
  private readonly agent: http.Agent;
  private readonly host: string;
  private readonly port: number;

  constructor(
    baseUrl: string,
    readonly stats: Stats,
    sockets: number,
    private readonly timeoutMs = 30_000,
  ) {
    const url = new URL(baseUrl);
    this.host = url.hostname;
    this.port = Number(url.port);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
  }

  /** One request; never rejects (a connection error or timeout is a reply with status 0). */
  request(op: string, method: string, path: string, options: RequestOptions): Promise<Reply> {
    const headers: Record<string, string> = { Authorization: `Bearer ${options.token}`, Accept: JSONAPI, ...(options.headers ?? {}) };
    const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body), 'utf8');
    if (payload) {
      headers['Content-Type'] = options.contentType ?? JSONAPI;
      headers['Content-Length'] = String(payload.length);
    }
    const started = process.hrtime.bigint();
    const elapsed = () => Number(process.hrtime.bigint() - started) / 1e6;
    return new Promise<Reply>((resolve) => {
      let settled = false;
      const finish = (reply: Reply) => {
        if (settled) return;
        settled = true;
        this.stats.record(op, method, path, reply);
        resolve(reply);
      };
      const req = http.request({ host: this.host, port: this.port, method, path, headers, agent: this.agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let doc: Doc = {};
          if (text !== '') {
            try {
              const parsed: unknown = JSON.parse(text);
              if (parsed !== null && typeof parsed === 'object') doc = parsed as Doc;
            } catch {
              // not JSON: left empty, the caller sees the text
            }
          }
          finish({ status: res.statusCode ?? 0, headers: res.headers, text, doc, ms: elapsed() });
        });
        res.on('error', (e) => finish({ status: 0, headers: {}, text: '', doc: {}, ms: elapsed(), error: e.message }));
      });
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`timed out after ${this.timeoutMs} ms`)));
      req.on('error', (e) => finish({ status: 0, headers: {}, text: '', doc: {}, ms: elapsed(), error: e.message }));
      if (payload) req.write(payload);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
