import BetterSqlite3 from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { apiRequest, HttpResponse, openRequest, viaHttp } from './http-client';
import { Target } from './factories';
import { rowsInCycles } from '../../src/data/invariants';
import { registry } from '../../src/resources/registry';
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

/** The errors of an answer as { status, code, source? } (source only when there is one). */
export function errorsOf(res: HttpResponse): { status: string; code: string; source?: unknown }[] {
  return (res.json?.errors ?? []).map((e: { status: string; code: string; source?: unknown }) => ({ status: e.status, code: e.code, ...(e.source ? { source: e.source } : {}) }));
}

/**
 * One round of the If-Match race on client `id`: its current ETag read through server
 * `round + 1`, then 20 PATCHes of its name carrying that ETag, spread over the servers and
 * released together. Asserts that exactly one answers 200 (with its own name and the version
 * one up) and the other 19 answer 412 precondition_failed; returns what the round read and wrote.
 */
export async function ifMatchRound(cluster: Cluster, id: string, round: number): Promise<{ version: number; names: string[]; responses: HttpResponse[]; winner: number }> {
  const before = await clusterRequest(cluster, round + 1, 'GET', `/api/v2/clients/${id}`);
  expect(before.status).toBe(200);
  const version = before.json.data.meta.version as number;
  expect(before.headers.etag).toBe(`"client:${id}:${version}"`);

  const names = Array.from({ length: 20 }, (_, i) => `Racer ${round}-${i}`);
  const responses = await race(
    cluster.token,
    names.map((name, i) => ({
      server: serverFor(cluster, i),
      method: 'PATCH',
      url: `/api/v2/clients/${id}`,
      body: { data: { type: 'client', id, attributes: { name } } },
      headers: { 'If-Match': before.headers.etag as string },
    })),
  );

  expect(serverErrors(responses, names)).toEqual([]);
  expect(tally(responses)).toEqual({ '200': 1, '412': 19 });
  const winner = responses.findIndex((r) => r.status === 200);
  expect(responses[winner].json.data.attributes.name).toBe(names[winner]);
  expect(responses[winner].json.data.meta.version).toBe(version + 1);
  for (const r of responses.filter((x) => x.status === 412)) expect(errorsOf(r)).toEqual([{ status: '412', code: 'precondition_failed' }]);
  return { version, names, responses, winner };
}

/**
 * One round of the email race: `emails.length` creates of clients named `Same email ROUND-i`,
 * each with its email, spread over the servers and released together. Asserts that exactly one
 * answers 201 (with its own name and email) and every other 409 conflict at
 * /data/attributes/email; returns the winner's index and id with the responses.
 */
export async function sameEmailRound(cluster: Cluster, emails: readonly string[], round: number): Promise<{ names: string[]; responses: HttpResponse[]; winner: number; id: string }> {
  const names = emails.map((_, i) => `Same email ${round}-${i}`);
  const responses = await race(
    cluster.token,
    names.map((name, i) => ({ server: serverFor(cluster, i), method: 'POST', url: '/api/v2/clients', body: { data: { type: 'client', attributes: { name, email: emails[i] } } } })),
  );
  const losers = emails.length - 1;
  expect(serverErrors(responses, names)).toEqual([]);
  expect(tally(responses)).toEqual({ '201': 1, '409': losers });
  const winner = responses.findIndex((r) => r.status === 201);
  const id = responses[winner].json.data.id as string;
  expect(responses[winner].json.data.attributes).toMatchObject({ name: names[winner], email: emails[winner] });
  const refused = responses.filter((r) => r.status === 409).map(errorsOf);
  expect(refused).toEqual(Array.from({ length: losers }, () => [{ status: '409', code: 'conflict', source: { pointer: '/data/attributes/email' } }]));
  return { names, responses, winner, id };
}

/** Counts of each status, e.g. { "200": 1, "412": 19 }, for readable failure messages. */
/**
 * One round of two opposite reparentings sent at once to two processes: A under B through the
 * relationship endpoint, B under A through a resource PATCH (each round swaps the processes).
 * Returns both answers and a line describing them for assertion messages.
 */
export async function crossReparentRound(cluster: Cluster, a: string, b: string, round: number): Promise<{ toB: HttpResponse; toA: HttpResponse; context: string }> {
  const [toB, toA] = await race(
    cluster.token,
    [
      { server: serverFor(cluster, round), method: 'PATCH', url: `/api/v2/clients/${a}/relationships/parent`, body: { data: { type: 'client', id: b } } },
      {
        server: serverFor(cluster, round + 1),
        method: 'PATCH',
        url: `/api/v2/clients/${b}`,
        body: { data: { type: 'client', id: b, relationships: { parent: { data: { type: 'client', id: a } } } } },
      },
    ],
    5,
  );
  return { toB, toA, context: `round ${round}: A→B ${toB.status} ${toB.text.slice(0, 200)} | B→A ${toA.status} ${toA.text.slice(0, 200)}` };
}

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

  /** Clients that are their own ancestor (a cycle in the hierarchy): src/data/invariants.ts on the file. */
  clientsInCycles(): Promise<string[]> {
    return rowsInCycles(async (sql) => this.db.prepare(sql).all() as Record<string, unknown>[], registry.get('client'));
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
