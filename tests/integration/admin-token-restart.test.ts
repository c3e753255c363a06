import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { hashToken } from '../../src/auth/tokens';
import { Database } from '../../src/data/database';
import { freshDatabase } from '../support/harness';
import { ATOMIC_MEDIA_TYPE } from '../support/media-types';
import { buildService, killAll, runNode, ServerProcess, spawnServer, startServer, within } from '../support/server-process';
import { apiRequest, httpRequest, HttpResponse } from '../support/http-client';

/**
 * A revoked secret never comes back. The service is run as `npm start` runs
 * it, restarted between steps, on a fresh database of the suite's kind (SQLite, or PostgreSQL with
 * TEST_DATABASE_URL). Every revocation path (DELETE /api/v2/api-tokens/ID, an atomic remove,
 * `npm run token -- revoke`, and a changed ADMIN_TOKEN) keeps the token's hash, and a start with
 * an ADMIN_TOKEN whose hash was revoked refuses with one line on stderr and exit code 1.
 */

const secret = () => `admin-token-${randomBytes(24).toString('base64url')}`;

describe('ADMIN_TOKEN across restarts', () => {
  let OUT: string;
  let database: { url: string; drop(): Promise<void> };
  /** An admin token made through the API, independent of ADMIN_TOKEN: the way in throughout. */
  let other = '';
  const values = { a: secret(), c: secret(), d: secret(), e: secret(), f: secret() };

  const env = (adminToken: string) => ({ DATABASE_URL: database.url, ADMIN_TOKEN: adminToken, DB_POOL_MAX: '3' });
  const start = (adminToken: string) => startServer(OUT, env(adminToken));
  const stop = async (server: ServerProcess) => {
    server.child.kill('SIGTERM');
    const exit = await within(server.exited, 20_000, () => undefined);
    if (!exit) throw new Error(`no exit after SIGTERM: ${server.stdout()}${server.stderr()}`);
  };
  /** Starts with this ADMIN_TOKEN expecting a refusal: the exit code and what it printed. */
  const refusedStart = async (adminToken: string) => {
    const server = await spawnServer(OUT, env(adminToken));
    const exit = await within(server.exited, 30_000, () => undefined);
    if (!exit) throw new Error(`the service started with a revoked ADMIN_TOKEN: ${server.stdout()}${server.stderr()}`);
    return { code: exit.code, stderr: server.stderr(), stdout: server.stdout() };
  };
  const status = async (server: ServerProcess, token: string) => (await apiRequest(server, token, 'GET', '/api/v2/clients')).status;
  /** Ids of the tokens ADMIN_TOKEN made (named so), as an admin sees them. */
  const adminTokenIds = async (server: ServerProcess): Promise<string[]> => {
    const res = await apiRequest(server, other, 'GET', '/api/v2/api-tokens?filter[name]=ADMIN_TOKEN&page[size]=100');
    expect(res.status).toBe(200);
    return res.json.data.map((t: { id: string }) => t.id);
  };
  const expectRefusal = (run: { code: number | null; stderr: string; stdout: string }, value: string) => {
    expect(run.code).toBe(1);
    const lines = run.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines).toEqual([expect.stringMatching(/^Refusing to start: ADMIN_TOKEN was revoked/)]);
    expect(`${run.stdout}${run.stderr}`).not.toContain(value);
  };
  const removeAtomically = (server: ServerProcess, id: string): Promise<HttpResponse> =>
    httpRequest(
      server,
      'POST',
      '/api/v2/operations',
      { Authorization: `Bearer ${other}`, 'Content-Type': ATOMIC_MEDIA_TYPE, Accept: ATOMIC_MEDIA_TYPE },
      JSON.stringify({ 'atomic:operations': [{ op: 'remove', ref: { type: 'api-token', id } }] }),
    );

  beforeAll(async () => {
    OUT = await buildService('admin-token-build');
    database = await freshDatabase();
  }, 180_000);
  afterAll(async () => {
    await killAll();
    await database?.drop();
    if (OUT) fs.rmSync(OUT, { recursive: true, force: true });
  }, 30_000);

  it('When the token ADMIN_TOKEN made is revoked with DELETE, then a start with that value refuses with one line and exit code 1, and the value stays refused', async () => {
    const s1 = await start(values.a);
    const made = await apiRequest(s1, values.a, 'POST', '/api/v2/api-tokens', { data: { type: 'api-token', attributes: { name: 'independent admin', role: 'admin' } } });
    expect(made.status).toBe(201);
    other = made.json.data.meta.secret;
    const [id] = await adminTokenIds(s1);
    expect((await apiRequest(s1, other, 'DELETE', `/api/v2/api-tokens/${id}`)).status).toBe(204);
    expect(await status(s1, values.a)).toBe(401);
    await stop(s1);

    expectRefusal(await refusedStart(values.a), values.a);

    const s2 = await start(values.c);
    expect({ a: await status(s2, values.a), c: await status(s2, values.c), other: await status(s2, other) }).toEqual({ a: 401, c: 200, other: 200 });
    await stop(s2);
  }, 120_000);

  it('When ADMIN_TOKEN changes between starts, then the token the old value made is revoked at once and the old value can no longer start the service', async () => {
    const s = await start(values.d);
    expect({ c: await status(s, values.c), d: await status(s, values.d), other: await status(s, other) }).toEqual({ c: 401, d: 200, other: 200 });
    expect(await adminTokenIds(s)).toHaveLength(1);
    await stop(s);
    expectRefusal(await refusedStart(values.c), values.c);
    // The same value again is no change: its token stays, and no second one is made.
    const again = await start(values.d);
    expect(await status(again, values.d)).toBe(200);
    expect(await adminTokenIds(again)).toHaveLength(1);
    await stop(again);
  }, 120_000);

  it('When the token ADMIN_TOKEN made is revoked by `npm run token -- revoke` or by an atomic remove, then a start with that value refuses', async () => {
    const s = await start(values.d);
    const [dId] = await adminTokenIds(s);
    const cli = await runNode(path.join(OUT, 'src', 'cli', 'token.cli.js'), ['revoke', dId], { DATABASE_URL: database.url, LOG_LEVEL: 'silent' });
    expect({ code: cli.code, stderr: cli.stderr }).toEqual({ code: 0, stderr: '' });
    expect(await status(s, values.d)).toBe(401);
    await stop(s);
    expectRefusal(await refusedStart(values.d), values.d);

    const s2 = await start(values.e);
    const [eId] = await adminTokenIds(s2);
    expect((await removeAtomically(s2, eId)).status).toBe(204);
    expect(await status(s2, values.e)).toBe(401);
    await stop(s2);
    expectRefusal(await refusedStart(values.e), values.e);
  }, 120_000);

  it('When three instances start at once with a new ADMIN_TOKEN, then all start, the value works on each, and exactly one token carries it', async () => {
    const servers = await Promise.all([start(values.f), start(values.f), start(values.f)]);
    for (const s of servers) expect(await status(s, values.f)).toBe(200);
    expect(await adminTokenIds(servers[0])).toHaveLength(1);
    for (const s of servers) await stop(s);
  }, 120_000);

  it('When the database is read, then it holds the hashes of the revoked values and of the current one, and never a secret', async () => {
    const db = await Database.open(database.url);
    try {
      const revoked = await db.read((ex) => ex.query<{ token_hash: string }>('SELECT token_hash FROM revoked_tokens'));
      const hashes = revoked.map((r) => r.token_hash);
      expect(hashes).toEqual(expect.arrayContaining([values.a, values.c, values.d, values.e].map(hashToken)));
      expect(hashes).not.toContain(hashToken(values.f));
      const settings = await db.read((ex) => ex.query<{ name: string; value: string }>('SELECT name, value FROM settings'));
      expect(settings.find((s) => s.name === 'admin_token_hash')?.value).toBe(hashToken(values.f));
      const everything = JSON.stringify([revoked, settings, await db.read((ex) => ex.query('SELECT * FROM api_tokens'))]);
      for (const value of [...Object.values(values), other]) expect(everything).not.toContain(value);
    } finally {
      await db.close();
    }
  });
});
