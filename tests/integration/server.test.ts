process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? 'silent';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import BetterSqlite3 from 'better-sqlite3';
import {
  buildService,
  connectionRefused,
  eventually,
  killAll,
  sigtermDuringCreate,
  removeDatabase,
  runNode,
  ServerProcess,
  spawnServer,
  splitLines,
  startServer,
  tempDatabase,
  within,
} from '../support/server-process';
import { apiRequest, httpRequest } from '../support/http-client';

/**
 * The service as `npm start` runs it (SPEC §7): the compiled server.js as a
 * child process on a free loopback port and its own SQLite file. What is checked is what a
 * user sees: the first admin token printed once, ADMIN_TOKEN, JSON log lines with request
 * ids, health endpoints, draining on SIGTERM, and `npm run seed`.
 */

let OUT: string;
const databases: string[] = [];

/** A fresh database file for one test (removed in afterAll). */
function database(): string {
  const file = tempDatabase();
  databases.push(file);
  return file;
}

/** An ADMIN_TOKEN of `length` characters. */
function adminToken(length = 48): string {
  return randomBytes(length).toString('hex').slice(0, length);
}

/** Lines that look like a printed token secret: one long run of token characters alone on a line. */
function tokenLines(output: string): string[] {
  return splitLines(output)
    .plain.filter((line) => /^\s*[A-Za-z0-9_\-.~+/=]{32,}\s*$/.test(line))
    .map((l) => l.trim());
}

function occurrences(haystack: string, needle: string): number {
  return haystack.split(needle).length - 1;
}

/** Sends SIGTERM and waits for the exit, failing after `ms`. */
async function terminate(server: ServerProcess, ms = 10_000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  server.child.kill('SIGTERM');
  const exit = await within(server.exited, ms, () => undefined);
  if (!exit) throw new Error(`no exit ${ms} ms after SIGTERM: ${server.stdout()}${server.stderr()}`);
  return exit;
}

beforeAll(async () => {
  OUT = await buildService('server-build');
}, 120_000);

afterEach(async () => {
  await killAll();
});

afterAll(async () => {
  await killAll();
  for (const file of databases) removeDatabase(file);
  if (OUT) fs.rmSync(OUT, { recursive: true, force: true });
});

describe('npm start: the first admin token', () => {
  it('When the service starts with no admin token yet, then it prints one once as a plain line, that token reads the API, and a second start prints none', async () => {
    const file = database();
    const first = await startServer(OUT, { DATABASE_URL: `sqlite:${file}`, ADMIN_TOKEN: '' });
    const printed = tokenLines(first.stdout());
    expect(printed).toHaveLength(1);
    const secret = printed[0];
    expect(secret.length).toBeGreaterThanOrEqual(43);
    // Printed once, on standard output only, and never inside a JSON log line.
    expect(occurrences(first.stdout(), secret)).toBe(1);
    expect(first.stderr()).not.toContain(secret);
    expect(splitLines(first.stdout()).json.some((line) => JSON.stringify(line).includes(secret))).toBe(false);

    const withToken = await apiRequest(first, secret, 'GET', '/api/v2/clients');
    expect(withToken.status).toBe(200);
    expect(withToken.json.data).toEqual([]);
    const tokens = await apiRequest(first, secret, 'GET', '/api/v2/api-tokens');
    expect(tokens.status).toBe(200);
    expect(tokens.json.data).toHaveLength(1);
    expect(tokens.json.data[0].attributes.role).toBe('admin');
    expect(JSON.stringify(tokens.json)).not.toContain(secret);
    const without = await httpRequest(first, 'GET', '/api/v2/clients', { Accept: 'application/vnd.api+json' });
    expect(without.status).toBe(401);
    expect(await terminate(first)).toEqual({ code: 0, signal: null });

    const second = await startServer(OUT, { DATABASE_URL: `sqlite:${file}`, ADMIN_TOKEN: '' });
    expect((await apiRequest(second, secret, 'GET', '/api/v2/clients')).status).toBe(200);
    const again = await apiRequest(second, secret, 'GET', '/api/v2/api-tokens');
    expect(again.json.data.map((t: { id: string }) => t.id)).toEqual([tokens.json.data[0].id]);
    expect(tokenLines(second.stdout())).toEqual([]);
    expect(splitLines(second.stdout()).plain).toEqual([]);
    expect(second.stdout()).not.toContain(secret);
  });

  it('When ADMIN_TOKEN has 32 or more characters, then that token reads and writes as admin and no token is printed', async () => {
    const token = adminToken(32);
    const server = await startServer(OUT, { DATABASE_URL: `sqlite:${database()}`, ADMIN_TOKEN: token });
    const list = await apiRequest(server, token, 'GET', '/api/v2/clients');
    expect(list.status).toBe(200);
    const created = await apiRequest(server, token, 'POST', '/api/v2/clients', { data: { type: 'client', attributes: { name: 'Made by a script' } } });
    expect(created.status).toBe(201);
    const tokens = await apiRequest(server, token, 'GET', '/api/v2/api-tokens');
    expect(tokens.status).toBe(200);
    expect(tokens.json.data.map((t: { attributes: { role: string } }) => t.attributes.role)).toEqual(['admin']);
    expect(tokenLines(server.stdout())).toEqual([]);
    expect(splitLines(server.stdout()).plain).toEqual([]);
    expect(server.stdout()).not.toContain(token);
    expect(server.stderr()).not.toContain(token);
    // Another token is still refused: ADMIN_TOKEN did not open the door to anything else.
    expect((await apiRequest(server, adminToken(48), 'GET', '/api/v2/clients')).status).toBe(401);
  });

  it('When ADMIN_TOKEN is shorter than 32 characters, then the process exits non-zero, says why on stderr and never listens', async () => {
    const short = adminToken(31);
    const server = await spawnServer(OUT, { DATABASE_URL: `sqlite:${database()}`, ADMIN_TOKEN: short });
    const exit = await within(server.exited, 10_000, () => ({ code: -999, signal: null }));
    expect(exit.code).not.toBe(-999);
    expect(exit.code).not.toBe(0);
    expect(exit.code).not.toBeNull();
    expect(server.stderr()).toMatch(/ADMIN_TOKEN/);
    expect(server.stderr()).toMatch(/32/);
    expect(tokenLines(server.stdout())).toEqual([]);
    expect(await connectionRefused(server.port)).toBe(true);
  });
});

describe('npm start: logs, health and shutdown', () => {
  it('When requests are served, then each gets one JSON log line with its request id, and an X-Request-Id sent by the client is echoed and logged', async () => {
    const token = adminToken();
    const server = await startServer(OUT, { DATABASE_URL: `sqlite:${database()}`, ADMIN_TOKEN: token });

    const traced = await apiRequest(server, token, 'GET', '/api/v2/clients', undefined, { 'X-Request-Id': 'trace-42.abc:def' });
    expect(traced.status).toBe(200);
    expect(traced.headers['x-request-id']).toBe('trace-42.abc:def');
    const tracedLine = await eventually('the log line of the traced request', () => splitLines(server.stdout()).json.find((l) => l.requestId === 'trace-42.abc:def'));
    expect(tracedLine).toMatchObject({ method: 'GET', path: '/api/v2/clients', status: 200 });

    const a = await apiRequest(server, token, 'GET', '/api/v2/clients');
    const b = await httpRequest(server, 'GET', '/api/v2/clients', { Accept: 'application/vnd.api+json' });
    expect(b.status).toBe(401);
    const idA = a.headers['x-request-id'] as string;
    const idB = b.headers['x-request-id'] as string;
    expect(idA).toMatch(/\S{8,}/);
    expect(idB).toMatch(/\S{8,}/);
    expect(idA).not.toBe(idB);
    expect(idA).not.toBe('trace-42.abc:def');
    const lineA = await eventually('the log line of request A', () => splitLines(server.stdout()).json.find((l) => l.requestId === idA));
    const lineB = await eventually('the log line of request B', () => splitLines(server.stdout()).json.find((l) => l.requestId === idB));
    expect(lineA).toMatchObject({ method: 'GET', path: '/api/v2/clients', status: 200 });
    expect(lineB).toMatchObject({ method: 'GET', path: '/api/v2/clients', status: 401 });
    // One line per request id; everything on stdout is JSON (no token was printed here).
    const { json, plain } = splitLines(server.stdout());
    expect(plain).toEqual([]);
    expect(json.filter((l) => l.requestId === idA)).toHaveLength(1);
    // The bearer secret never reaches the log.
    expect(server.stdout()).not.toContain(token);
  });

  it('When /healthz and /readyz are asked without a token, then both answer 200 and /healthz says {"status":"ok"}', async () => {
    const server = await startServer(OUT, { DATABASE_URL: `sqlite:${database()}`, ADMIN_TOKEN: adminToken() });
    const health = await httpRequest(server, 'GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.headers['content-type']).toMatch(/json/);
    expect(health.json).toEqual({ status: 'ok' });
    const ready = await httpRequest(server, 'GET', '/readyz');
    expect(ready.status).toBe(200);
  });

  it('When SIGTERM arrives while a request is in flight, then that request still completes, new connections are refused, and the process exits 0', async () => {
    const token = adminToken();
    const file = database();
    const server = await startServer(OUT, { DATABASE_URL: `sqlite:${file}`, ADMIN_TOKEN: token });
    const raw = await sigtermDuringCreate(server, token, 'Created while draining');
    expect(raw).toMatch(/^HTTP\/1\.1 201 /);
    const exit = await within(server.exited, 10_000, () => ({ code: -999, signal: null }));
    expect(exit).toEqual({ code: 0, signal: null });

    const db = new BetterSqlite3(file, { readonly: true });
    try {
      const names = (db.prepare('SELECT name FROM clients').all() as { name: string }[]).map((r) => r.name);
      expect(names).toEqual(['Created while draining']);
    } finally {
      db.close();
    }
  });
});

describe('npm run seed', () => {
  interface Resource {
    id: string;
    type: string;
    attributes: Record<string, unknown>;
    relationships: Record<string, { data?: unknown; meta?: { count?: number } }>;
  }

  async function all(server: ServerProcess, token: string, path: string): Promise<Resource[]> {
    const res = await apiRequest(server, token, 'GET', `/api/v2/${path}${path.includes('?') ? '&' : '?'}page[size]=100`);
    expect(res.status).toBe(200);
    expect(res.json.meta.page.total).toBeLessThanOrEqual(100);
    return res.json.data as Resource[];
  }

  /** Every resource of every type, with its version and updatedAt: what a second seed must not change. */
  async function snapshot(server: ServerProcess, token: string): Promise<unknown> {
    const out: Record<string, unknown> = {};
    for (const path of ['clients', 'legal-entities', 'reporting-entities', 'projects']) {
      out[path] = (await all(server, token, path)).map((r) => ({ id: r.id, attributes: r.attributes, relationships: r.relationships }));
    }
    return out;
  }

  it('When seed runs on the database, then the clients of both reference documents are there with their emails, projects and hierarchy, and a second run changes nothing', async () => {
    const token = adminToken();
    const file = database();
    const server = await startServer(OUT, { DATABASE_URL: `sqlite:${file}`, ADMIN_TOKEN: token });
    const seedCli = path.join(OUT, 'src', 'cli', 'seed.cli.js');
    const env = { DATABASE_URL: `sqlite:${file}`, LOG_LEVEL: 'silent', ADMIN_TOKEN: '' };

    const first = await runNode(seedCli, [], env);
    expect(first.code).toBe(0);

    const clients = await all(server, token, 'clients');
    const byName = (name: string) => {
      const found = clients.filter((c) => c.attributes.name === name);
      expect(found.map((c) => c.attributes.name)).toEqual([name]);
      return found[0];
    };
    const top = byName('Top-level client');
    const child1 = byName('Child client 1');
    const name1 = byName('Client name 1');
    byName('Client name 2');
    const rice = byName('Madagascar Rice Farmers Cooperative');
    const vanilla = byName('Vanilla Exporters Ltd');
    expect(top.relationships.parent.data).toBeNull();
    expect(child1.relationships.parent.data).toEqual({ type: 'client', id: top.id });
    expect(name1.relationships.parent.data).toEqual({ type: 'client', id: top.id });
    expect(rice.attributes.email).toBe('contact@mrfc.mg');
    expect(vanilla.attributes.email).toBe('admin@vanilla-export.mg');
    expect((rice.relationships.projects.data as unknown[]).length).toBe(2);
    expect(rice.relationships.projects.meta?.count).toBe(2);
    expect((vanilla.relationships.projects.data as unknown[]).length).toBe(1);
    expect(vanilla.relationships.projects.meta?.count).toBe(1);

    // The flat surface shows the same two clients as fataplus-clients-api.txt does.
    const flatRice = await httpRequest(server, 'GET', '/api/clients?email=contact@mrfc.mg', { Authorization: `Bearer ${token}` });
    expect(flatRice.status).toBe(200);
    expect(flatRice.json.data).toHaveLength(1);
    expect(flatRice.json.data[0]).toMatchObject({ id: `client_${rice.id}`, name: 'Madagascar Rice Farmers Cooperative', email: 'contact@mrfc.mg' });
    expect(flatRice.json.data[0].projects).toHaveLength(2);
    for (const p of flatRice.json.data[0].projects) expect(p).toMatch(/^proj_[0-9a-f]{24}$/);
    const flatVanilla = await httpRequest(server, 'GET', '/api/clients?email=ADMIN@vanilla-export.mg', { Authorization: `Bearer ${token}` });
    expect(flatVanilla.json.data.map((c: { id: string; projects: string[] }) => [c.id, c.projects.length])).toEqual([[`client_${vanilla.id}`, 1]]);

    const before = await snapshot(server, token);
    const second = await runNode(seedCli, [], env);
    expect(second.code).toBe(0);
    expect(await snapshot(server, token)).toEqual(before);
  });
});
