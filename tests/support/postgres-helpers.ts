import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Client as PgClient } from 'pg';
import { rowsInCycles } from '../../src/data/invariants';
import { registry } from '../../src/resources/registry';
import { ON_POSTGRES } from './harness';
import { ROOT } from './server-process';

/**
 * Helpers for tests/postgres: skipping when no PostgreSQL test server is configured, a direct
 * pg connection for checks that do not trust the service, and a throwaway PostgreSQL server of
 * a test's own (started with .ci/postgres.sh, stopped and started again with pg_ctl).
 */

/**
 * `describe` when TEST_DATABASE_URL is set; otherwise `describe.skip`, with the reason in the
 * block's title and a note on stdout: `npm test` on a fresh machine has no PostgreSQL, and these
 * files must not fail there.
 */
export function describeOnPostgres(file: string): (title: string, fn: () => void) => void {
  if (ON_POSTGRES) return (title, fn) => describe(title, fn);
  process.stdout.write(`${file}: skipped: TEST_DATABASE_URL is not set (run .ci/run, or start a server with .ci/postgres.sh start DIR and set it to the URL it prints)\n`);
  return (title, fn) => describe.skip(`${title} (skipped: TEST_DATABASE_URL is not set)`, fn);
}

/** A direct connection to one database, for checks made on the rows themselves. */
export class PgInspector {
  private constructor(private readonly client: PgClient) {}

  static async connect(url: string): Promise<PgInspector> {
    const client = new PgClient({ connectionString: url });
    await client.connect();
    return new PgInspector(client);
  }

  async query<T = Record<string, unknown>>(sql: string, values: unknown[] = []): Promise<T[]> {
    return (await this.client.query(sql, values)).rows as T[];
  }

  /** Clients that are their own ancestor (a cycle in the hierarchy): src/data/invariants.ts on the database. */
  clientsInCycles(): Promise<string[]> {
    return rowsInCycles((sql) => this.query(sql), registry.get('client'));
  }

  async parentOf(id: string): Promise<string | null> {
    const rows = await this.query<{ parent_id: string | null }>('SELECT parent_id FROM clients WHERE id = $1', [id]);
    if (rows.length === 0) throw new Error(`no client ${id} in the database`);
    return rows[0].parent_id;
  }

  async clientRow(id: string): Promise<{ name: string; version: number }> {
    const rows = await this.query<{ name: string; version: string | number }>('SELECT name, version FROM clients WHERE id = $1', [id]);
    if (rows.length === 0) throw new Error(`no client ${id} in the database`);
    return { name: rows[0].name, version: Number(rows[0].version) };
  }

  /** Ids of the clients whose email matches case-insensitively. */
  async clientIdsWithEmail(email: string): Promise<string[]> {
    const rows = await this.query<{ id: string }>('SELECT id FROM clients WHERE lower(email) = lower($1) ORDER BY id', [email]);
    return rows.map((r) => r.id);
  }

  async clientIdsNamed(name: string): Promise<string[]> {
    const rows = await this.query<{ id: string }>('SELECT id FROM clients WHERE name = $1 ORDER BY id', [name]);
    return rows.map((r) => r.id);
  }

  async tokenCount(id: string): Promise<number> {
    const rows = await this.query<{ n: string }>('SELECT COUNT(*) AS n FROM api_tokens WHERE id = $1', [id]);
    return Number(rows[0].n);
  }

  async close(): Promise<void> {
    await this.client.end();
  }
}

interface Exec {
  code: number;
  stdout: string;
  stderr: string;
}

function run(file: string, args: string[], timeoutMs = 60_000): Promise<Exec> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: ROOT, timeout: timeoutMs }, (error, stdout, stderr) => {
      const code = error ? (typeof (error as { code?: unknown }).code === 'number' ? (error as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
  });
}

/** Debian's versioned PostgreSQL bin folder (initdb and pg_ctl live there, outside PATH). */
function postgresBin(): string {
  const base = '/usr/lib/postgresql';
  const versions = fs.existsSync(base) ? fs.readdirSync(base).filter((v) => fs.existsSync(path.join(base, v, 'bin', 'pg_ctl'))) : [];
  versions.sort((a, b) => Number(a) - Number(b));
  if (versions.length === 0) throw new Error(`no PostgreSQL binaries under ${base} (.ci/postgres.sh installs them)`);
  return path.join(base, versions[versions.length - 1], 'bin');
}

/**
 * A PostgreSQL server of the test's own, started by .ci/postgres.sh in a fresh folder under the
 * system temp dir (the postgres user must reach it). `stop()` and `start()` use pg_ctl on the same
 * data folder, port and options, so the data survives; `destroy()` stops it and removes the folder.
 */
export class ThrowawayPostgres {
  private running = true;

  private constructor(
    readonly dir: string,
    readonly url: string,
    readonly port: number,
  ) {}

  static async start(): Promise<ThrowawayPostgres> {
    const dir = path.join(os.tmpdir(), `pg-readiness-${process.pid}-${randomBytes(4).toString('hex')}`);
    const res = await run('bash', [path.join(ROOT, '.ci', 'postgres.sh'), 'start', dir], 300_000);
    const url = res.stdout.trim().split('\n').pop() ?? '';
    if (res.code !== 0 || !url.startsWith('postgres://')) {
      await run('bash', [path.join(ROOT, '.ci', 'postgres.sh'), 'stop', dir]);
      throw new Error(`.ci/postgres.sh start failed (${res.code}): ${res.stdout}${res.stderr}`);
    }
    return new ThrowawayPostgres(dir, url, Number(new URL(url).port));
  }

  private asPostgres(args: string[]): Promise<Exec> {
    const pgCtl = path.join(postgresBin(), 'pg_ctl');
    return process.getuid?.() === 0 ? run('runuser', ['-u', 'postgres', '--', pgCtl, ...args]) : run(pgCtl, args);
  }

  /** pg_ctl stop -m fast: every connection is cut, the data folder stays. */
  async stop(): Promise<void> {
    const res = await this.asPostgres(['-D', path.join(this.dir, 'data'), '-m', 'fast', '-w', 'stop']);
    if (res.code !== 0) throw new Error(`pg_ctl stop failed (${res.code}): ${res.stdout}${res.stderr}`);
    this.running = false;
  }

  /** pg_ctl start with the port and options of .ci/postgres.sh. */
  async start(): Promise<void> {
    const options = `-p ${this.port} -h 127.0.0.1 -k ${this.dir} -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
    const res = await this.asPostgres(['-D', path.join(this.dir, 'data'), '-l', path.join(this.dir, 'server.log'), '-w', '-o', options, 'start']);
    if (res.code !== 0) throw new Error(`pg_ctl start failed (${res.code}): ${res.stdout}${res.stderr}`);
    this.running = true;
  }

  get isRunning(): boolean {
    return this.running;
  }

  async destroy(): Promise<void> {
    await run('bash', [path.join(ROOT, '.ci', 'postgres.sh'), 'stop', this.dir]);
    this.running = false;
  }
}
