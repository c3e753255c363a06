import BetterSqlite3 from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { apiRequest, HttpResponse, openRequest, viaHttp } from './http-client';
import { Target } from './factories';
import { JSONAPI } from './media-types';
import { ServerProcess } from './server-process';

/**
 * Helpers for tests/concurrency: two service processes on one SQLite file, requests spread
 * over them alternately, and checks made on the file itself (not through the service).
 */

/** An ADMIN_TOKEN long enough for the service (SPEC §4: 32 characters or more). */
export function concurrencyAdminToken(): string {
  return randomBytes(24).toString('hex');
}

/** A small tag that makes names and emails unique per test run. */
export function uniqueTag(): string {
  return randomBytes(4).toString('hex');
}

export interface Cluster {
  readonly servers: readonly ServerProcess[];
  readonly token: string;
}

/** The server that request number `i` goes to: 0, 1, 0, 1, … */
export function serverFor(cluster: Cluster, i: number): ServerProcess {
  return cluster.servers[i % cluster.servers.length];
}

/** A JSON:API request with the admin token to server `i % n`. */
export function clusterRequest(cluster: Cluster, i: number, method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResponse> {
  return apiRequest(serverFor(cluster, i), cluster.token, method, url, body, headers);
}

/** The factory target (factories.ts makeClient) of server `i % n`, with the admin token. */
export function on(cluster: Cluster, i: number): Target {
  return viaHttp(serverFor(cluster, i), cluster.token);
}

/** Counts of each status, e.g. { "200": 1, "412": 19 }, for readable failure messages. */
export function tally(responses: readonly { status: number }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of responses) out[String(r.status)] = (out[String(r.status)] ?? 0) + 1;
  return out;
}

/** The responses with a 5xx status, with their bodies (for the failure message). */
export function serverErrors(responses: readonly HttpResponse[], labels?: readonly string[]): string[] {
  const out: string[] = [];
  responses.forEach((r, i) => {
    if (r.status >= 500) out.push(`${labels ? labels[i] + ' → ' : ''}${r.status} ${r.text.slice(0, 300)}`);
  });
  return out;
}

/** A read-only connection to the shared file, for checks that do not trust the service. */
export class SharedFile {
  private readonly db: BetterSqlite3.Database;

  constructor(file: string) {
    this.db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
    this.db.pragma('busy_timeout = 5000');
  }

  /**
   * Clients that are their own ancestor (a cycle in the hierarchy), found with a recursive
   * walk up the parent column from every client. Depth is bounded so a cycle ends the walk.
   */
  clientsInCycles(): string[] {
    const rows = this.db
      .prepare(
        `WITH RECURSIVE up(start, id, depth) AS (
           SELECT id, parent_id, 1 FROM clients WHERE parent_id IS NOT NULL
           UNION ALL
           SELECT up.start, c.parent_id, up.depth + 1 FROM up JOIN clients c ON c.id = up.id
           WHERE c.parent_id IS NOT NULL AND up.depth < 64
         )
         SELECT DISTINCT start FROM up WHERE id = start ORDER BY start`,
      )
      .all() as { start: string }[];
    return rows.map((r) => r.start);
  }

  parentOf(id: string): string | null {
    const row = this.db.prepare('SELECT parent_id FROM clients WHERE id = ?').get(id) as { parent_id: string | null } | undefined;
    if (!row) throw new Error(`no client ${id} in the file`);
    return row.parent_id;
  }

  version(table: string, id: string): number {
    const row = this.db.prepare(`SELECT version FROM "${table}" WHERE id = ?`).get(id) as { version: number } | undefined;
    if (!row) throw new Error(`no row ${id} in ${table}`);
    return Number(row.version);
  }

  clientRow(id: string): { name: string; version: number } {
    return this.db.prepare('SELECT name, version FROM clients WHERE id = ?').get(id) as { name: string; version: number };
  }

  /** Ids of the clients whose email matches case-insensitively. */
  clientIdsWithEmail(email: string): string[] {
    const rows = this.db.prepare('SELECT id FROM clients WHERE lower(email) = lower(?) ORDER BY id').all(email) as { id: string }[];
    return rows.map((r) => r.id);
  }

  countClientsNamed(prefix: string): number {
    const row = this.db.prepare('SELECT COUNT(*) AS n FROM clients WHERE substr(name, 1, ?) = ?').get(prefix.length, prefix) as { n: number };
    return Number(row.n);
  }

  close(): void {
    this.db.close();
  }
}

export interface RaceRequest {
  readonly server: { port: number };
  readonly method: string;
  readonly url: string;
  readonly body: unknown;
  readonly headers?: Record<string, string>;
}

/**
 * Sends JSON:API requests so that they reach the servers together: every request is connected
 * and sent whole but for the last byte of its body, then, after `holdMs`, all last bytes are
 * written in one synchronous loop. Each server has parsed the headers (and authenticated, when
 * that runs before the body is read) of all its requests by then, so the writes themselves
 * start as close together as two processes allow.
 */
export async function race(token: string, requests: readonly RaceRequest[], holdMs = 40): Promise<HttpResponse[]> {
  const opened = requests.map((r) => {
    const payload = Buffer.from(JSON.stringify(r.body));
    const headers = { Authorization: `Bearer ${token}`, Accept: JSONAPI, 'Content-Type': JSONAPI, ...(r.headers ?? {}) };
    return { payload, ...openRequest(r.server, r.method, r.url, headers, payload) };
  });
  await Promise.all(
    opened.map(
      ({ req, payload }) =>
        new Promise<void>((written, failed) => {
          req.once('error', failed);
          req.write(payload.subarray(0, payload.length - 1), (e) => (e ? failed(e) : written()));
        }),
    ),
  );
  await new Promise((resolve) => setTimeout(resolve, holdMs));
  for (const { req, payload } of opened) req.end(payload.subarray(payload.length - 1));
  return Promise.all(opened.map((o) => o.response));
}

/** Kills these servers (SIGKILL) and waits until each has exited; other live servers stay up. */
export async function stopServers(servers: readonly ServerProcess[]): Promise<void> {
  await Promise.all(
    servers.map((s) => {
      if (s.child.exitCode !== null || s.child.signalCode !== null) return s.exited;
      s.child.kill('SIGKILL');
      return s.exited;
    }),
  );
}

/** Plain (non-JSON) output lines that look like a printed token secret. */
export function printedTokens(output: string): string[] {
  return output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('{') && /^[A-Za-z0-9_\-.~+/=]{32,}$/.test(l));
}
