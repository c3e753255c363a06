process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? 'silent';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { api, Harness, startHarness, TMP } from '../support/harness';
import { makeClient } from '../support/factories';

/**
 * The token CLI (`npm run token -- …`, SPEC §7) run as its compiled self against the SQLite
 * file of an in-process service: the token it prints last works at once, and revoking it is
 * felt on the very next request. The build goes to a private directory (the same compiler
 * and tsconfig.build.json as `npm run build`), so no other test's dist/ is touched.
 */

const ROOT = path.join(__dirname, '..', '..');
const OUT = path.join(TMP, `cli-build-${process.pid}`);
const CLI = path.join(OUT, 'src', 'cli', 'token.cli.js');

let h: Harness;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [file, ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** `npm run token -- ARGS` against the harness's database file. */
function token(...args: string[]): Promise<Run> {
  return run(CLI, args, { DATABASE_URL: h.config.databaseUrl, LOG_LEVEL: 'silent' });
}

function lastLine(out: string): string {
  const lines = out.split('\n').filter((l) => l.trim() !== '');
  return lines[lines.length - 1] ?? '';
}

/** The api-token resource with this name, as the admin sees it. */
async function tokenByName(name: string): Promise<{ id: string; attributes: Record<string, unknown> } | undefined> {
  const res = await api(h).get('/api/v2/api-tokens?page[size]=100');
  expect(res.status).toBe(200);
  return res.body.data.find((t: { attributes: { name: string } }) => t.attributes.name === name);
}

beforeAll(async () => {
  fs.mkdirSync(TMP, { recursive: true });
  const tsc = path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const build = await run(tsc, ['-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', OUT]);
  if (!fs.existsSync(CLI)) throw new Error(`the build produced no ${CLI}: ${build.stdout}${build.stderr}`);
  h = await startHarness();
}, 120_000);
afterAll(async () => {
  await h?.close();
  fs.rmSync(OUT, { recursive: true, force: true });
});

describe('npm run token', () => {
  it('When `create --role admin` runs, then its last line is an admin token that reads and writes at once', async () => {
    const out = await token('create', '--role', 'admin', '--name', 'cli admin');
    expect(out.code).toBe(0);
    const secret = lastLine(out.stdout);
    expect(secret).toMatch(/^[A-Za-z0-9_\-.~+/=]{43,}$/);
    expect(out.stdout.split(secret).length - 1).toBe(1);
    const read = await api(h, secret).get('/api/v2/clients');
    expect(read.status).toBe(200);
    const write = await api(h, secret).post('/api/v2/clients', { data: { type: 'client', attributes: { name: 'Made with a CLI token' } } });
    expect(write.status).toBe(201);
    const listed = await tokenByName('cli admin');
    expect(listed?.attributes.role).toBe('admin');
    // Stored only as a hash: the secret appears nowhere in the tokens table.
    const rows = await h.db.read((ex) => ex.query('SELECT * FROM api_tokens'));
    expect(rows.some((r) => Object.values(r).some((v) => typeof v === 'string' && v.includes(secret)))).toBe(false);
  });

  it("When `create --role client --client ID` runs, then its last line is a token that sees that client's subtree only and may not write", async () => {
    const root = await makeClient(h, { name: 'CLI tenant' });
    const child = await makeClient(h, { name: 'CLI tenant child' }, root);
    const outside = await makeClient(h, { name: 'CLI outsider' });
    const out = await token('create', '--role', 'client', '--client', root, '--name', 'cli client');
    expect(out.code).toBe(0);
    const secret = lastLine(out.stdout);
    expect(secret).toMatch(/^[A-Za-z0-9_\-.~+/=]{43,}$/);
    const list = await api(h, secret).get('/api/v2/clients');
    expect(list.status).toBe(200);
    expect(list.body.data.map((c: { id: string }) => c.id)).toEqual([root, child]);
    expect((await api(h, secret).get(`/api/v2/clients/${outside}`)).status).toBe(404);
    const write = await api(h, secret).patch(`/api/v2/clients/${root}`, { data: { type: 'client', id: root, attributes: { name: 'Renamed' } } });
    expect(write.status).toBe(403);
    expect(write.body.errors[0].code).toBe('forbidden');
    const listed = await tokenByName('cli client');
    expect(listed?.attributes.role).toBe('client');
  });

  it('When `revoke ID` runs, then that token gets 401 on its very next request and is gone from api-tokens', async () => {
    const root = await makeClient(h, { name: 'Revoked tenant' });
    const created = await token('create', '--role', 'client', '--client', root, '--name', 'cli to revoke');
    const admin = await token('create', '--role', 'admin', '--name', 'cli admin to revoke');
    const secret = lastLine(created.stdout);
    const adminSecret = lastLine(admin.stdout);
    expect((await api(h, secret).get(`/api/v2/clients/${root}`)).status).toBe(200);
    expect((await api(h, adminSecret).get('/api/v2/clients')).status).toBe(200);
    const id = (await tokenByName('cli to revoke'))!.id;
    const adminId = (await tokenByName('cli admin to revoke'))!.id;

    const revoked = await token('revoke', id);
    expect(revoked.code).toBe(0);
    const after = await api(h, secret).get(`/api/v2/clients/${root}`);
    expect(after.status).toBe(401);
    expect(after.headers['www-authenticate']).toMatch(/^Bearer/);
    expect(after.body.errors.map((e: { code: string }) => e.code)).toEqual(['unauthorized']);
    const flatAfter = await request(h.app).get('/api/clients').set('Authorization', `Bearer ${secret}`);
    expect(flatAfter.status).toBe(401);
    expect((await api(h).get(`/api/v2/api-tokens/${id}`)).status).toBe(404);

    expect((await token('revoke', adminId)).code).toBe(0);
    expect((await api(h, adminSecret).get('/api/v2/clients')).status).toBe(401);
    // The harness's own admin token is untouched.
    expect((await api(h).get('/api/v2/clients')).status).toBe(200);
  });

  it.each<[string[], string]>([
    [['create', '--role', 'client'], 'a client token without --client'],
    [['create', '--role', 'client', '--client', '0'.repeat(24)], 'a client token for a client that does not exist'],
    [['create', '--role', 'admin', '--client', 'CLIENT'], 'an admin token that names a client'],
    [['create', '--role', 'owner'], 'an unknown role'],
    [['revoke', '0'.repeat(24)], 'revoking a token that does not exist'],
    [[], 'no command'],
  ])('When the CLI is asked for %j (%s), then it exits non-zero, says why on stderr and prints no token', async (args) => {
    const before = (await api(h).get('/api/v2/api-tokens?page[size]=100')).body.data.length;
    // CLIENT stands for an existing client's id.
    const client = args.includes('CLIENT') ? await makeClient(h, { name: 'Admin token owner' }) : '';
    const out = await token(...args.map((a) => (a === 'CLIENT' ? client : a)));
    expect(out.code).not.toBe(0);
    expect(out.stderr.trim()).not.toBe('');
    expect(out.stdout).not.toMatch(/[A-Za-z0-9_-]{43,}/);
    expect((await api(h).get('/api/v2/api-tokens?page[size]=100')).body.data.length).toBe(before);
  });
});
