import * as fs from 'node:fs';
import { freshDatabase } from '../support/harness';
import { buildService, killAll } from '../support/server-process';
import { describeOnPostgres } from '../support/postgres-helpers';
import { CrashDatabase } from '../support/crash/database';
import { postgresDatabase } from '../support/crash/postgres-adapter';
import { crashRounds, crashSeed, crashTest, crashWorkers } from '../support/crash/runner';

/**
 * Crash safety on PostgreSQL (TEST_DATABASE_URL; skipped without it): the
 * same load and checks as tests/crash/sqlite-crash.test.ts, on a fresh database of the test's
 * own on that server. The service process is SIGKILLed (the PostgreSQL server stays up), so
 * whatever it had in flight is cut mid-transaction. After each restart, SQL on the database
 * itself: every foreign key constraint present and validated, no orphan, no cycle, every
 * acknowledged write there with its values and version, each unanswered request whole or
 * absent, and no row that no write made; and the API answers with the promised values.
 */

const describePg = describeOnPostgres('tests/crash/postgres-crash.test.ts');
const ROUNDS = crashRounds();
const WORKERS = crashWorkers();
const SEED = crashSeed();

describePg('Crash safety on PostgreSQL', () => {
  let OUT: string | undefined;
  let database: { url: string; drop(): Promise<void> } | undefined;
  let db: CrashDatabase | undefined;

  beforeAll(async () => {
    OUT = await buildService('crash-postgres-build');
    database = await freshDatabase();
    db = await postgresDatabase(database.url);
  }, 120_000);

  afterAll(async () => {
    try {
      await db?.close();
      await killAll();
    } finally {
      await database?.drop();
      if (OUT) fs.rmSync(OUT, { recursive: true, force: true });
    }
  }, 30_000);

  it(
    `When the service is killed with SIGKILL ${ROUNDS} times during concurrent writes, then every acknowledged write is there and nothing is half-written`,
    async () => {
      await crashTest('PostgreSQL', OUT!, db!, ROUNDS, WORKERS, SEED);
    },
    60_000 + ROUNDS * 10_000,
  );
});
