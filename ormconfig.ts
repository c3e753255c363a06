import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DataSource, DataSourceOptions, Logger } from 'typeorm';
import { entities, migrations } from './entities';

/**
 * TypeORM options from a DATABASE_URL: `sqlite:PATH` (better-sqlite3) or `postgres://…`.
 * The schema always comes from migrations; `synchronize` is never on.
 */
export function dataSourceOptions(databaseUrl: string, logger?: Logger): DataSourceOptions {
  const common = { entities, migrations, synchronize: false, migrationsRun: false, logger, logging: logger ? true : false } as const;
  if (databaseUrl.startsWith('sqlite:')) {
    const file = databaseUrl.slice('sqlite:'.length) || './data/app.sqlite';
    if (file !== ':memory:') fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    return {
      ...common,
      type: 'better-sqlite3',
      database: file,
      enableWAL: true,
      // Short: waiting for another process's write lock happens in Database.write, with
      // asynchronous retries, so that a waiting write never blocks the event loop.
      timeout: 100,
      prepareDatabase: (db: { function: (name: string, opts: object, fn: (s: unknown) => unknown) => void }) => {
        // Unicode case folding, the same rule the service applies to its parameters.
        db.function('casefold', { deterministic: true }, (s: unknown) => (typeof s === 'string' ? s.toUpperCase().toLowerCase() : s));
      },
    };
  }
  // Pool settings: DB_POOL_MAX connections per instance, DB_POOL_IDLE_MS before an idle one closes,
  // DB_CONNECT_TIMEOUT_MS to give up connecting (so /readyz answers 503 promptly when the server is gone).
  const num = (name: string, fallback: number) => (process.env[name] && /^\d+$/.test(process.env[name]!) ? Number(process.env[name]) : fallback);
  return {
    ...common,
    type: 'postgres',
    url: databaseUrl,
    extra: { max: num('DB_POOL_MAX', 10), idleTimeoutMillis: num('DB_POOL_IDLE_MS', 30_000), connectionTimeoutMillis: num('DB_CONNECT_TIMEOUT_MS', 5_000) },
  };
}

export default new DataSource(dataSourceOptions(process.env.DATABASE_URL || 'sqlite:./data/app.sqlite'));
