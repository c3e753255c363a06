import type BetterSqlite3 from 'better-sqlite3';
import type { Pool, PoolClient } from 'pg';
import { TransactionRetry } from './errors';

/**
 * The drivers, called directly on the hot path: TypeORM opens the connections and runs the
 * migrations, and statements then go straight to better-sqlite3 (prepared once, kept in a
 * cache keyed by their text) or to the pg pool. The bench's profile put TypeORM's query
 * runner at a fifth of the busy time: a new runner per statement, a statement prepared anew
 * each time, logger and broadcaster calls around each (bench/README.md has the figures).
 */

export type Values = readonly unknown[];

/** One connection's statements: rows, or the count of rows a change touched. */
export interface Connection {
  query(sql: string, values: Values): Promise<Record<string, unknown>[]>;
  run(sql: string, values: Values): Promise<number>;
}

export interface Driver {
  readonly name: 'sqlite' | 'postgres';
  /** Statements outside a transaction. */
  read<T>(fn: (c: Connection) => Promise<T>): Promise<T>;
  /** One transaction: committed when `fn` resolves, rolled back when it throws. */
  transaction<T>(fn: (c: Connection) => Promise<T>): Promise<T>;
}

/** Counts statements: in all (tests) and, when a request passes one, for that request. */
export class StatementCounter {
  total = 0;
  /** Sees each statement's text (tests that check what was sent). */
  listener: ((sql: string) => void) | undefined;
}

/** A request's own count of statements (X-Statement-Count, the request log line). */
export interface Tally {
  count: number;
}

/**
 * Reads share, a write excludes: one process holds one SQLite connection, so a write
 * transaction's statements must not interleave with other requests' reads (they would see its
 * uncommitted rows). PostgreSQL needs none of this: each transaction has its own connection.
 */
class ReadWriteLock {
  private readers = 0;
  private writer = false;
  private queue: { write: boolean; resume: () => void }[] = [];

  async acquire(write: boolean): Promise<() => void> {
    if (this.canRun(write) && this.queue.length === 0) this.take(write);
    else await new Promise<void>((resume) => this.queue.push({ write, resume }));
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

/** How many prepared statements the SQLite driver keeps (the texts are few: values are always bound). */
const STATEMENT_CACHE = 500;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How long a writer waits for another process's write lock before answering 503. */
const WRITE_LOCK_WAIT_MS = 5000;

export class SqliteDriver implements Driver {
  readonly name = 'sqlite';
  private readonly lock = new ReadWriteLock();
  private readonly statements = new Map<string, BetterSqlite3.Statement>();
  private readonly connection: Connection;

  constructor(private readonly db: BetterSqlite3.Database) {
    this.connection = {
      query: (sql, values) => {
        const stmt = this.prepare(sql);
        const bound = values.map(bindable);
        if (stmt.reader) return Promise.resolve(stmt.all(...bound) as Record<string, unknown>[]);
        stmt.run(...bound);
        return Promise.resolve([]);
      },
      run: (sql, values) => Promise.resolve(this.prepare(sql).run(...values.map(bindable)).changes),
    };
  }

  private prepare(sql: string): BetterSqlite3.Statement {
    let stmt = this.statements.get(sql);
    if (stmt) return stmt;
    stmt = this.db.prepare(sql);
    this.statements.set(sql, stmt);
    if (this.statements.size > STATEMENT_CACHE) this.statements.delete(this.statements.keys().next().value!);
    return stmt;
  }

  async read<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
    const release = await this.lock.acquire(false);
    try {
      return await fn(this.connection);
    } finally {
      release();
    }
  }

  /**
   * BEGIN IMMEDIATE: the database's write lock is taken before the first read, so checks
   * (cycles, uniqueness, versions) and the writes they allow are serialized with every other
   * writer, in this process and in any other process on the same file. Waiting for another
   * process's lock sleeps asynchronously (the connection's own busy timeout is short), so
   * reads and health checks go on meanwhile.
   */
  async transaction<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
    const release = await this.lock.acquire(true);
    try {
      const deadline = Date.now() + WRITE_LOCK_WAIT_MS;
      for (;;) {
        try {
          this.prepare('BEGIN IMMEDIATE').run();
          break;
        } catch (e) {
          if (!isBusy(e) || Date.now() >= deadline) throw e;
          await sleep(5 + Math.random() * 20);
        }
      }
      try {
        const result = await fn(this.connection);
        this.prepare('COMMIT').run();
        return result;
      } catch (e) {
        if (this.db.inTransaction) this.prepare('ROLLBACK').run();
        throw e;
      }
    } finally {
      release();
    }
  }
}

/** better-sqlite3 binds no booleans: 0 and 1, as SQLite stores them. */
function bindable(v: unknown): unknown {
  return typeof v === 'boolean' ? (v ? 1 : 0) : v;
}

/** How many times a PostgreSQL write transaction runs at most when it deadlocks or must be retried. */
const TRANSACTION_ATTEMPTS = 5;

export class PostgresDriver implements Driver {
  readonly name = 'postgres';

  constructor(private readonly pool: Pool) {}

  private static connection(client: Pool | PoolClient): Connection {
    return {
      query: async (sql, values) => (await client.query(sql, values as unknown[])).rows as Record<string, unknown>[],
      run: async (sql, values) => (await client.query(sql, values as unknown[])).rowCount ?? 0,
    };
  }

  /** Reads never wait in this process: each statement takes any free connection of the pool. */
  read<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
    return fn(PostgresDriver.connection(this.pool));
  }

  /**
   * Writers run side by side (READ COMMITTED); the writes lock the rows they depend on (see
   * ScopedWriter: the target row, and the roots of the trees a write reshapes). A transaction
   * that PostgreSQL aborts as a deadlock victim (40P01) or a serialization failure (40001), or
   * that finds its locked trees moved (TransactionRetry), is rolled back and `fn` runs again from
   * the start on a fresh transaction, up to TRANSACTION_ATTEMPTS times, after a short random
   * pause that doubles each time. Nothing of a failed attempt survives it: its statements are
   * rolled back, and `fn` keeps its state in what it makes anew (the writer, ids, timestamps).
   */
  async transaction<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.attempt(fn);
      } catch (e) {
        if (!isRetryable(e) || attempt >= TRANSACTION_ATTEMPTS) throw e;
        await sleep(Math.random() * 10 * 2 ** attempt);
      }
    }
  }

  private async attempt<T>(fn: (c: Connection) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken: unknown;
    try {
      await client.query('BEGIN');
      try {
        const result = await fn(PostgresDriver.connection(client));
        await client.query('COMMIT');
        return result;
      } catch (e) {
        await client.query('ROLLBACK').catch((rollbackFailed: unknown) => (broken = rollbackFailed));
        throw e;
      }
    } finally {
      // A connection whose rollback failed is closed, not handed to the next request.
      client.release(broken instanceof Error ? broken : undefined);
    }
  }
}

/** A write transaction that failed only because of a concurrent one, and may simply run again. */
export function isRetryable(error: unknown): boolean {
  if (error instanceof TransactionRetry) return true;
  const code = (error as { code?: unknown } | null)?.code;
  return code === '40P01' || code === '40001';
}

export function isBusy(error: unknown): boolean {
  const e = error as { code?: string; driverError?: { code?: string } };
  const code = e?.driverError?.code ?? e?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_BUSY_SNAPSHOT' || code === 'SQLITE_LOCKED';
}
