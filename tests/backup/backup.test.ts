import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { TMP } from '../support/harness';
import { ATOMIC_MEDIA_TYPE } from '../support/media-types';
import { buildService, killAll, removeDatabase, Run, runNode, ServerProcess, startServer, tempDatabase } from '../support/server-process';
import { apiRequest, httpRequest, viaHttp } from '../support/http-client';
import { makeClient } from '../support/factories';

/**
 * `npm run backup -- FILE`, run as its compiled self against the SQLite file
 * of a real service process that keeps writing through the API while the copy is taken. The
 * copy must be one consistent moment (for each writer, a prefix of what it wrote), hold every
 * write acknowledged before the backup started, pass PRAGMA integrity_check, stand alone
 * (no -wal beside it, not in WAL mode) and serve as the database of a second service.
 */

let OUT: string | undefined;
let SOURCE: string | undefined;
let server: ServerProcess;
const TOKEN = randomBytes(24).toString('hex');
const files: string[] = [];

function copyName(): string {
  fs.mkdirSync(TMP, { recursive: true });
  const file = path.join(TMP, `backup-${process.pid}-${randomBytes(4).toString('hex')}.sqlite`);
  files.push(file);
  return file;
}

function backup(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return runNode(path.join(OUT!, 'src', 'cli', 'backup.cli.js'), args, { DATABASE_URL: `sqlite:${SOURCE}`, ...env });
}

/** Lines of an output, blank ones dropped. */
const lines = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

beforeAll(async () => {
  OUT = await buildService('backup-build');
  SOURCE = tempDatabase();
  server = await startServer(OUT, { DATABASE_URL: `sqlite:${SOURCE}`, ADMIN_TOKEN: TOKEN });
  // Some bulk first (about 250 pages), so the copy takes several steps.
  for (let batch = 0; batch < 4; batch++) {
    const operations = Array.from({ length: 100 }, (_, i) => ({
      op: 'add',
      data: { type: 'client', attributes: { name: `Bulk ${batch}-${i} ${'x'.repeat(180)}`, email: `bulk.${batch}.${i}@backup.test` } },
    }));
    const headers = { Authorization: `Bearer ${TOKEN}`, 'Content-Type': ATOMIC_MEDIA_TYPE, Accept: ATOMIC_MEDIA_TYPE };
    const res = await httpRequest(server, 'POST', '/api/v2/operations', headers, JSON.stringify({ 'atomic:operations': operations }));
    if (res.status !== 200) throw new Error(`bulk load answered ${res.status}: ${res.text}`);
  }
}, 120_000);

afterAll(async () => {
  await killAll();
  if (SOURCE) removeDatabase(SOURCE);
  for (const f of files) removeDatabase(f);
  if (OUT) fs.rmSync(OUT, { recursive: true, force: true });
});

describe('npm run backup -- FILE', () => {
  it('When the service keeps writing while the backup runs, then the copy is a consistent standalone database holding every write acknowledged before it started, and a second service runs on it', async () => {
    const copy = copyName();
    // Three writers, each creating clients one after the other as fast as the service answers.
    const acknowledged: string[][] = [[], [], []];
    let writing = true;
    const writers = acknowledged.map(async (done, w) => {
      for (let k = 0; writing; k++) {
        await makeClient(viaHttp(server, TOKEN), { name: `Writer ${w} #${k}` });
        done.push(`Writer ${w} #${k}`);
      }
    });
    while (acknowledged.some((d) => d.length < 5)) await new Promise((r) => setTimeout(r, 20));

    const before = acknowledged.flat();
    const run = await backup([copy]);
    const duringBackup = acknowledged.flat().length - before.length;
    writing = false;
    await Promise.all(writers);

    const out = lines(run.stdout);
    process.stdout.write(`\n[backup while writing: ${before.length} writes acknowledged before, ${duringBackup} during]\n  ${out.join('\n  ')}\n`);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
    expect(out[0]).toMatch(/^Backing up .+ to .+/);
    expect(out.some((l) => /^\s+0%\s+0 of [\d,]+ pages$/.test(l))).toBe(true);
    expect(out[out.length - 1]).toMatch(/^Backed up [\d,]+ pages of 4,096 bytes \([\d,]+ bytes\) in \d+\.\d\d s to .+integrity_check ok, journal_mode delete/);
    // The writers went on while the copy was taken (the service was not paused).
    expect(duringBackup).toBeGreaterThan(0);

    // A standalone file: not in WAL mode, nothing beside it, and sound.
    expect(fs.existsSync(`${copy}-wal`)).toBe(false);
    expect(fs.readdirSync(path.dirname(copy)).filter((f) => f.startsWith(`.${path.basename(copy)}.partial`))).toEqual([]);
    const db = new BetterSqlite3(copy, { readonly: true, fileMustExist: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('delete');
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('foreign_key_check')).toEqual([]);
      const tables = (db.prepare(`SELECT name FROM sqlite_master WHERE type = 'table'`).all() as { name: string }[]).map((t) => t.name);
      expect(tables).toEqual(expect.arrayContaining(['clients', 'legal_entities', 'reporting_entities', 'projects', 'api_tokens', 'settings', 'migrations', 'clients_name_fts']));
      const source = new BetterSqlite3(SOURCE!, { readonly: true, fileMustExist: true });
      try {
        const migrations = (d: BetterSqlite3.Database) => d.prepare('SELECT timestamp, name FROM migrations ORDER BY id').all();
        expect(migrations(db)).toEqual(migrations(source));
        expect(migrations(db).length).toBeGreaterThanOrEqual(5);
      } finally {
        source.close();
      }

      // Every write acknowledged before the backup started is in the copy.
      const names = new Set((db.prepare('SELECT name FROM clients').all() as { name: string }[]).map((r) => r.name));
      expect(before.filter((n) => !names.has(n))).toEqual([]);
      expect(names.size).toBeGreaterThanOrEqual(400 + before.length);
      // One moment: each writer's clients in the copy are a prefix of what it wrote, with no gap.
      for (let w = 0; w < acknowledged.length; w++) {
        const ks = [...names]
          .map((n) => /^Writer (\d) #(\d+)$/.exec(n))
          .filter((m) => m !== null && Number(m[1]) === w)
          .map((m) => Number(m![2]));
        ks.sort((a, b) => a - b);
        expect(ks).toEqual(ks.map((_, i) => i));
        expect(ks.length).toBeGreaterThanOrEqual(5);
      }
    } finally {
      db.close();
    }

    // A second service on the copy: the admin token is in it, and so is the data.
    const id = await makeClient(viaHttp(server, TOKEN), { name: 'Written after the backup' });
    const restored = await startServer(OUT!, { DATABASE_URL: `sqlite:${copy}`, ADMIN_TOKEN: TOKEN });
    const firstName = acknowledged[0][0];
    const list = await apiRequest(restored, TOKEN, 'GET', `/api/v2/clients?filter[name]=${encodeURIComponent(firstName)}`);
    expect(list.status).toBe(200);
    expect(list.json.data.map((c: { attributes: { name: string } }) => c.attributes.name)).toEqual([firstName]);
    const one = await apiRequest(restored, TOKEN, 'GET', `/api/v2/clients/${list.json.data[0].id}`);
    expect(one.status).toBe(200);
    expect(one.json.data.attributes.name).toBe(firstName);
    // What the first service wrote after the copy is not in it.
    expect((await apiRequest(restored, TOKEN, 'GET', `/api/v2/clients/${id}`)).status).toBe(404);
  });

  it('When FILE exists, then it refuses with exit code 2 and one line, and leaves the file alone; with --force it replaces it', async () => {
    const copy = copyName();
    fs.writeFileSync(copy, 'not a database');
    const refused = await backup([copy]);
    expect(refused.code).toBe(2);
    expect(refused.stdout).toBe('');
    expect(lines(refused.stderr)).toEqual([`backup: refused: ${copy} exists already; pass --force to replace it.`]);
    expect(fs.readFileSync(copy, 'utf8')).toBe('not a database');

    const forced = await backup([copy, '--force']);
    expect(forced.code).toBe(0);
    const db = new BetterSqlite3(copy, { readonly: true, fileMustExist: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect((db.prepare('SELECT COUNT(*) AS n FROM clients').get() as { n: number }).n).toBeGreaterThanOrEqual(400);
    } finally {
      db.close();
    }
  });

  it('When DATABASE_URL is PostgreSQL, then it refuses with exit code 2 and names pg_dump and pg_basebackup instead', async () => {
    const copy = copyName();
    const run = await backup([copy], { DATABASE_URL: 'postgres://app:secret@127.0.0.1:5432/clients' });
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    const err = lines(run.stderr);
    expect(err).toHaveLength(1);
    expect(err[0]).toMatch(/^backup: refused: DATABASE_URL is a PostgreSQL database/);
    expect(err[0]).toContain('pg_dump');
    expect(err[0]).toContain('pg_basebackup');
    expect(err[0]).not.toContain('secret');
    expect(fs.existsSync(copy)).toBe(false);
  });

  it('When the database file does not exist, or no FILE is given, then it refuses with exit code 2 and one line', async () => {
    const copy = copyName();
    const missing = path.join(TMP, `missing-${process.pid}.sqlite`);
    const run = await backup([copy], { DATABASE_URL: `sqlite:${missing}` });
    expect(run.code).toBe(2);
    expect(lines(run.stderr)).toEqual([`backup: refused: No SQLite database at ${missing}: nothing to back up (check DATABASE_URL).`]);
    expect(fs.existsSync(missing)).toBe(false);
    expect(fs.existsSync(copy)).toBe(false);

    const usage = await backup([]);
    expect(usage.code).toBe(2);
    expect(lines(usage.stderr)).toHaveLength(1);
    expect(usage.stderr).toContain('usage: npm run backup -- FILE [--force]');
  });
});
