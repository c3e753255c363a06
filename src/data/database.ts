import { randomBytes } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { DatabaseBusyError } from './errors';
import { dataSourceOptions } from '../../ormconfig';
import { SETTINGS } from '../resources/settings';
import { bind, Dialect, Params, postgresDialect, q, sqliteDialect } from './sql';
import { Connection, Driver, isBusy, isRetryable, PostgresDriver, SqliteDriver, StatementCounter, Tally } from './driver';

export { isBusy, StatementCounter };
export type { Tally };

/**
 * The only owner of the DataSource. Every statement runs through an Executor handed out by
 * `read` or `write` (over the driver, driver.ts), so statements are counted and SQLite access
 * is ordered; TypeORM connects and migrates.
 */

export interface Executor {
  readonly dialect: Dialect;
  query<T = Record<string, unknown>>(sql: string, params?: Params): Promise<T[]>;
}

/** Inside a write transaction: statements that change rows, answering how many they touched. */
export interface WriteExecutor extends Executor {
  run(sql: string, params?: Params): Promise<number>;
}

export class Database {
  readonly dialect: Dialect;
  readonly counter = new StatementCounter();
  /** Signs keyset cursors; the same for every instance on this database (see loadCursorSecret). */
  cursorSecret = '';

  private constructor(
    private readonly ds: DataSource,
    private readonly driver: Driver,
  ) {
    this.dialect = driver.name === 'postgres' ? postgresDialect : sqliteDialect;
  }

  /** Connects and applies pending migrations. */
  static async open(databaseUrl: string): Promise<Database> {
    // Several instances may start at once on one database: migrations run under a lock
    // (PostgreSQL: an advisory lock), and on SQLite a start that lost the race to another
    // process's migration simply tries again once that one is done.
    for (let attempt = 1; ; attempt++) {
      const ds = new DataSource(dataSourceOptions(databaseUrl));
      try {
        await ds.initialize();
        await migrate(ds);
        const db = new Database(ds, driverOf(ds));
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

  private executor(c: Connection, tally: Tally | undefined): WriteExecutor {
    const { dialect, counter } = this;
    const count = (sql: string) => {
      counter.total++;
      if (tally) tally.count++;
      counter.listener?.(sql);
    };
    return {
      dialect,
      query: <T>(sql: string, params?: Params) => {
        const bound = bind(sql, params, dialect);
        count(bound.sql);
        return c.query(bound.sql, bound.values) as Promise<T[]>;
      },
      run: (sql: string, params?: Params) => {
        const bound = bind(sql, params, dialect);
        count(bound.sql);
        return c.run(bound.sql, bound.values);
      },
    };
  }

  /** Statements outside a transaction: on SQLite never beside a write in progress; on PostgreSQL they never wait here. */
  read<T>(fn: (ex: Executor) => Promise<T>, tally?: Tally): Promise<T> {
    return this.driver.read((c) => fn(this.executor(c, tally)));
  }

  /**
   * One write transaction. SQLite: serialized with every other writer (BEGIN IMMEDIATE, in this
   * process and any other on the same file). PostgreSQL: beside other writers, each locking the
   * rows it depends on; `fn` may run more than once (a deadlock victim is run again), so it must
   * keep its state in what it makes itself. Still busy or deadlocked at the end: 503.
   */
  async write<T>(fn: (ex: WriteExecutor) => Promise<T>, tally?: Tally): Promise<T> {
    try {
      return await this.driver.transaction((c) => fn(this.executor(c, tally)));
    } catch (e) {
      if (isBusy(e) || isRetryable(e)) throw new DatabaseBusyError();
      throw e;
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

/** The driver under TypeORM's connection: better-sqlite3's one connection, or pg's pool. */
function driverOf(ds: DataSource): Driver {
  const driver = ds.driver as unknown as { databaseConnection?: BetterSqlite3.Database; master?: Pool };
  if (ds.options.type !== 'postgres') return new SqliteDriver(driver.databaseConnection!);
  // Writers run side by side on every instance: each locks only the rows its checks depend on
  // (the row it writes; the roots of the trees it reshapes), see ScopedWriter.
  return new PostgresDriver(driver.master!);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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
