import * as fs from 'node:fs';
import { buildService, killAll, removeDatabase, tempDatabase } from '../support/server-process';
import { sqliteDatabase } from '../support/crash/sqlite-adapter';
import { crashRounds, crashSeed, crashTest, crashWorkers } from '../support/crash/runner';

/**
 * Crash safety on SQLite: the service, built and started as `npm start`
 * runs it, takes concurrent writes from CRASH_WORKERS (12) workers: creates of clients under a
 * parent, of legal entities and projects, reparenting PATCHes (some that would make a cycle),
 * moves and renames, deletes (some refused), flat creates that take projects over, and atomic
 * requests of several adds linked by lid (some with a reparent, a move, or a last operation
 * that must fail). At a random moment 50–400 ms into the load (seeded: CRASH_SEED) it is
 * killed with SIGKILL, restarted on the same file, and checked: PRAGMA integrity_check is ok,
 * PRAGMA foreign_key_check is empty, no orphan, no cycle; every acknowledged write is in the
 * file and answers through the API with the promised values; each request that got no answer
 * happened whole or not at all; no row exists that no write made. The next round goes on with
 * the same file, CRASH_ROUNDS (20) times. See tests/support/crash/runner.ts for the design.
 */

const ROUNDS = crashRounds();
const WORKERS = crashWorkers();
const SEED = crashSeed();

let OUT: string | undefined;
let FILE: string | undefined;
let passed = false;

beforeAll(async () => {
  OUT = await buildService('crash-sqlite-build');
}, 120_000);

afterAll(async () => {
  await killAll();
  if (OUT) fs.rmSync(OUT, { recursive: true, force: true });
  if (FILE && passed) removeDatabase(FILE);
  else if (FILE) process.stdout.write(`[crash SQLite] the database is kept for inspection: ${FILE}\n`);
});

describe('Crash safety on SQLite', () => {
  it(
    `When the service is killed with SIGKILL ${ROUNDS} times during concurrent writes, then every acknowledged write is there and nothing is half-written`,
    async () => {
      FILE = tempDatabase();
      await crashTest('SQLite', OUT!, sqliteDatabase(FILE), ROUNDS, WORKERS, SEED);
      passed = true;
    },
    60_000 + ROUNDS * 10_000,
  );
});
