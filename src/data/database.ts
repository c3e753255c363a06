import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { DataSource, EntityManager, Logger, QueryRunner } from 'typeorm';
import { DatabaseBusyError } from './errors';
import { dataSourceOptions } from '../../ormconfig';
import { SETTINGS } from '../resources/settings';
import { bind, Dialect, Params, postgresDialect, q, sqliteDialect } from './sql';

/**
 * The only owner of the DataSource. Every statement runs through an Executor handed out by
 * `read` or `write`, so statements can be counted and SQLite access can be ordered: one
 * process holds one SQLite connection, so a write transaction must not interleave with other
 * requests' statements (they would see its uncommitted rows). Reads share, writes exclude.
 */

export interface Executor {
  readonly dialect: Dialect;
  query<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]>;
}

/** Inside a write transaction: statements that change rows, answering how many they touched. */
export interface WriteExecutor extends Executor {
  run(sql: string, params?: Params): Promise<number>;
}

class ReadWriteLock {
  private readers = 0;
  private writer = false;
  private queue: { write: boolean; resume: () => void }[] = [];

  async acquire(write: boolean): Promise<() => void> {
    if (this.canRun(write) && this.queue.length === 0) {
      this.take(write);
    } else {
      await new Promise<void>((resume) => this.queue.push({ write, resume }));
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (write) this.writer = false;
      else this.readers--;
      this.drain();
    };
  }

  private canRun(write: boolean): boolean {
    return write ? !this.writer && this.readers === 0 : !this.writer;
  }

  private take(write: boolean): void {
    if (write) this.writer = true;
    else this.readers++;
  }

  private drain(): void {
    while (this.queue.length > 0 && this.canRun(this.queue[0].write)) {
      const next = this.queue.shift()!;
      this.take(next.write);
      next.resume();
      if (next.write) break;
    }
  }
}

/** Counts statements, globally and per async context (one request). */
export class StatementCounter implements Logger {
  total = 0;
  readonly context = new AsyncLocalStorage<{ count: number }>();
  /** Runs `fn` with its own count (a request, a bench step); returns what it counted. */
  async count(fn: () => Promise<unknown>): Promise<number> {
    const stats = { count: 0 };
    await this.context.run(stats, fn);
    return stats.count;
  }
  logQuery(): void {
    this.total++;
    const ctx = this.context.getStore();
    if (ctx) ctx.count++;
  }
  logQueryError(): void {}
  logQuerySlow(): void {}
  logSchemaBuild(): void {}
  logMigration(): void {}
  log(): void {}
}

export class Database {
  private readonly lock = new ReadWriteLock();
  readonly dialect: Dialect;
  /** Signs keyset cursors; the same for every instance on this database (see loadCursorSecret). */
  cursorSecret = '';

  private constructor(
    private readonly ds: DataSource,
    readonly counter: StatementCounter,
  ) {
    this.dialect = ds.options.type === 'postgres' ? postgresDialect : sqliteDialect;
  }

  /** Connects and applies pending migrations. */
  static async open(databaseUrl: string): Promise<Database> {
    const counter = new StatementCounter();
    // Several instances may start at once on one database: migrations run under a lock
    // (PostgreSQL: an advisory lock), and on SQLite a start that lost the race to another
    // process's migration simply tries again once that one is done.
    for (let attempt = 1; ; attempt++) {
      const ds = new DataSource(dataSourceOptions(databaseUrl, counter));
      try {
        await ds.initialize();
        await migrate(ds);
        const db = new Database(ds, counter);
        db.cursorSecret = await db.loadCursorSecret();
        return db;
      } catch (e) {
        if (ds.isInitialized) await ds.destroy().catch(() => undefined);
        if (ds.options.type === 'postgres' || attempt >= 40 || !isStartupRace(e)) throw e;
        await sleep(50 + Math.random() * 200);
      }
    }
  }

  /**
   * The cursor secret is made once per database and kept in `settings`. Racing instances
   * agree: the insert does nothing when another one stored a secret first, and all read it back.
   */
  private async loadCursorSecret(): Promise<string> {
    return this.write(async (ex) => {
      const [table, name, value] = [q(SETTINGS.table), q(SETTINGS.name), q(SETTINGS.value)];
      const insert = new Params();
      await ex.run(`INSERT INTO ${table} (${name}, ${value}) VALUES (${insert.add('cursor_secret')}, ${insert.add(randomBytes(32).toString('base64url'))}) ON CONFLICT (${name}) DO NOTHING`, insert);
      const read = new Params();
      const rows = await ex.query<{ value: string }>(`SELECT ${value} AS value FROM ${table} WHERE ${name} = ${read.add('cursor_secret')}`, read);
      return rows[0].value;
    });
  }

  async close(): Promise<void> {
    if (this.ds.isInitialized) await this.ds.destroy();
  }

  private executor(manager: EntityManager): WriteExecutor {
    const dialect = this.dialect;
    return {
      dialect,
      query: async <T>(sql: string, params?: Params) => {
        const bound = bind(sql, params, dialect);
        const result = await manager.query(bound.sql, bound.values);
        return (Array.isArray(result) ? result : []) as T[];
      },
      run: async (sql: string, params?: Params) => {
        const runner = manager.queryRunner;
        if (!runner) throw new Error('run() needs a write transaction');
        const bound = bind(sql, params, dialect);
        const result = await runner.query(bound.sql, bound.values, true);
        return result.affected ?? 0;
      },
    };
  }

  async read<T>(fn: (ex: Executor) => Promise<T>): Promise<T> {
    const release = await this.lock.acquire(false);
    try {
      return await fn(this.executor(this.ds.manager));
    } finally {
      release();
    }
  }

  /**
   * One write transaction. On SQLite it starts with BEGIN IMMEDIATE: the database's write lock
   * is taken before the first read, so checks (cycles, uniqueness, versions) and the writes
   * they allow are serialized with every other writer, in this process and in any other
   * process on the same file (which waits up to the busy timeout).
   */
  async write<T>(fn: (ex: WriteExecutor) => Promise<T>): Promise<T> {
    const release = await this.lock.acquire(true);
    try {
      if (this.dialect.name !== 'sqlite') {
        // Writers take turns across every instance, as BEGIN IMMEDIATE makes them on SQLite: the
        // checks a write depends on (cycles, versions, uniqueness) cannot interleave with another's.
        return await this.ds.transaction(async (manager) => {
          await manager.query('SELECT pg_advisory_xact_lock(7242000)');
          return fn(this.executor(manager));
        });
      }
      const runner = this.ds.createQueryRunner();
      try {
        await beginImmediate(runner);
        try {
          const result = await fn(this.executor(runner.manager));
          await runner.query('COMMIT');
          return result;
        } catch (e) {
          await runner.query('ROLLBACK').catch(() => undefined);
          throw e;
        }
      } finally {
        await runner.release();
      }
    } catch (e) {
      if (isBusy(e)) throw new DatabaseBusyError();
      throw e;
    } finally {
      release();
    }
  }

  /** Answers whether the database responds (readiness). */
  async ping(): Promise<boolean> {
    try {
      await this.read((ex) => ex.query('SELECT 1 AS ok'));
      return true;
    } catch {
      return false;
    }
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How long a writer waits for another process's write lock before answering 503. */
const WRITE_LOCK_WAIT_MS = 5000;

/**
 * BEGIN IMMEDIATE, waiting for another process's write lock without blocking the event loop:
 * the connection's own busy timeout is short (ormconfig), and the retries here sleep
 * asynchronously, so reads and health checks go on while a write waits.
 */
async function beginImmediate(runner: QueryRunner): Promise<void> {
  const deadline = Date.now() + WRITE_LOCK_WAIT_MS;
  for (;;) {
    try {
      await runner.query('BEGIN IMMEDIATE');
      return;
    } catch (e) {
      if (!isBusy(e) || Date.now() >= deadline) throw e;
      await sleep(5 + Math.random() * 20);
    }
  }
}

/** Applies pending migrations; on PostgreSQL under an advisory lock so instances take turns. */
async function migrate(ds: DataSource): Promise<void> {
  if (ds.options.type !== 'postgres') {
    await ds.runMigrations({ transaction: 'each' });
    return;
  }
  const runner = ds.createQueryRunner();
  try {
    await runner.query('SELECT pg_advisory_lock(7242001)');
    await ds.runMigrations({ transaction: 'each' });
  } finally {
    await runner.query('SELECT pg_advisory_unlock(7242001)').catch(() => undefined);
    await runner.release();
  }
}

/** Errors a SQLite start can meet when another process is migrating the same file. */
function isStartupRace(error: unknown): boolean {
  const message = error instanceof Error ? error.message : String(error);
  return isBusy(error) || /already exists|duplicate column|database is locked/i.test(message);
}

export function isBusy(error: unknown): boolean {
  const e = error as { code?: string; driverError?: { code?: string } };
  const code = e?.driverError?.code ?? e?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT' || code === 'SQLITE_LOCKED';
}
