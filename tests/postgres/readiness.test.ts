import * as fs from 'node:fs';
import { buildService, killAll, ServerProcess, sleep, startServer } from '../support/server-process';
import { apiRequest, httpRequest, HttpResponse } from '../support/http-client';
import { concurrencyAdminToken, uniqueTag } from '../support/concurrency-helpers';
import { describeOnPostgres, ThrowawayPostgres } from '../support/postgres-helpers';

/**
 * Operations (SPEC §7): `/readyz` answers 503 while PostgreSQL is unreachable and 200
 * again once it is back, without restarting the service; `/healthz` and the process stay up
 * meanwhile. The PostgreSQL server here is the test's own (.ci/postgres.sh start, then pg_ctl
 * stop/start on the same data folder and port), never the shared test server, since it is taken
 * down. The service runs as a child process with DB_CONNECT_TIMEOUT_MS=1000.
 */

const describePg = describeOnPostgres('tests/postgres/readiness.test.ts');

/** Polls `probe` every 100 ms until it gives `status`; returns how long that took, or throws. */
async function until(what: string, probe: () => Promise<HttpResponse>, status: number, timeoutMs: number): Promise<number> {
  const started = Date.now();
  let last: string;
  for (;;) {
    try {
      const res = await probe();
      if (res.status === status) return Date.now() - started;
      last = `${res.status} ${res.text.slice(0, 200)}`;
    } catch (e) {
      last = String(e);
    }
    if (Date.now() - started > timeoutMs) throw new Error(`${what}: no ${status} within ${timeoutMs} ms (last: ${last})`);
    await sleep(100);
  }
}

describePg('/readyz while the PostgreSQL server goes away and comes back', () => {
  let OUT: string | undefined;
  let postgres: ThrowawayPostgres | undefined;
  let server: ServerProcess;
  const token = concurrencyAdminToken();

  beforeAll(async () => {
    [OUT, postgres] = await Promise.all([buildService('postgres-readiness-build'), ThrowawayPostgres.start()]);
    server = await startServer(OUT, { DATABASE_URL: postgres.url, ADMIN_TOKEN: token, DB_CONNECT_TIMEOUT_MS: '1000', DB_POOL_MAX: '4' });
  }, 120_000);

  afterAll(async () => {
    try {
      await killAll();
    } finally {
      await postgres?.destroy();
      if (OUT) fs.rmSync(OUT, { recursive: true, force: true });
    }
  }, 30_000);

  /** Makes sure the server is up again after a test, whatever happened in it. */
  afterEach(async () => {
    if (postgres && !postgres.isRunning) await postgres.start();
  }, 30_000);

  function alive(): { exitCode: number | null; signal: NodeJS.Signals | null } {
    return { exitCode: server.child.exitCode, signal: server.child.signalCode };
  }

  it('When PostgreSQL is stopped, then /readyz answers 503 within a few seconds while /healthz answers 200 and the process stays up; when it starts again, then /readyz answers 200 and a create and a read work without a restart', async () => {
    // Pooled connections exist when the server goes away (the requests below open them).
    const ready = await httpRequest(server, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    const before = await apiRequest(server, token, 'GET', '/api/v2/clients');
    expect(before.status).toBe(200);

    await postgres!.stop();
    const downAfter = await until('/readyz after pg_ctl stop', () => httpRequest(server, 'GET', '/readyz'), 503, 5_000);
    const down = await httpRequest(server, 'GET', '/readyz');
    expect(down.status).toBe(503);
    const health = await httpRequest(server, 'GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.json).toEqual({ status: 'ok' });
    // Still down a second later, and the process is still there (a lost pooled connection must not kill it).
    await sleep(1_000);
    expect((await httpRequest(server, 'GET', '/readyz')).status).toBe(503);
    expect(alive()).toEqual({ exitCode: null, signal: null });

    await postgres!.start();
    const upAfter = await until('/readyz after pg_ctl start', () => httpRequest(server, 'GET', '/readyz'), 200, 5_000);
    expect(alive()).toEqual({ exitCode: null, signal: null });

    const name = `After the outage ${uniqueTag()}`;
    const created = await apiRequest(server, token, 'POST', '/api/v2/clients', { data: { type: 'client', attributes: { name } } });
    expect(created.status).toBe(201);
    const read = await apiRequest(server, token, 'GET', `/api/v2/clients/${created.json.data.id}`);
    expect(read.status).toBe(200);
    expect(read.json.data.attributes.name).toBe(name);
    process.stdout.write(`[readiness] 503 after ${downAfter} ms, 200 again after ${upAfter} ms\n`);
  }, 40_000);

  it('When an API request arrives while PostgreSQL is stopped, then it answers promptly with a JSON:API 5xx error that names no internals, and the same request answers 200 once PostgreSQL is back', async () => {
    expect((await httpRequest(server, 'GET', '/readyz')).status).toBe(200);
    await postgres!.stop();

    const started = Date.now();
    const res = await apiRequest(server, token, 'GET', '/api/v2/clients');
    const took = Date.now() - started;
    expect(took).toBeLessThan(5_000);
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBeDefined();
    expect(res.json?.jsonapi).toEqual({ version: '1.1' });
    expect(res.json?.errors?.map((e: { status: string }) => e.status)).toEqual([String(res.status)]);
    // No driver message, address, SQL or file path reaches the response (SPEC §2, errors).
    expect(res.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1:\d+|SELECT|\/work\/|node_modules|\.ts:\d+|\.js:\d+/);
    expect(alive()).toEqual({ exitCode: null, signal: null });

    await postgres!.start();
    await until('/readyz after pg_ctl start', () => httpRequest(server, 'GET', '/readyz'), 200, 5_000);
    const again = await apiRequest(server, token, 'GET', '/api/v2/clients');
    expect(again.status).toBe(200);
  }, 40_000);
});
