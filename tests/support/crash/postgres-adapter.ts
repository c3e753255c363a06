import { checkInvariants, problemLines } from '../../../src/data/invariants';
import { registry } from '../../../src/resources/registry';
import { PgInspector } from '../postgres-helpers';
import { sleep } from '../server-process';
import { CrashDatabase, readSnapshot } from './database';

/** A PostgreSQL database, read over one connection of the test's own (the server itself never goes down). */
export async function postgresDatabase(url: string): Promise<CrashDatabase> {
  const pg = await PgInspector.connect(url);
  const read = (sql: string) => pg.query(sql);
  const sessions = async () =>
    await pg.query<{ pid: number; state: string | null; query: string }>(`SELECT pid, state, query FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`);
  return {
    label: 'PostgreSQL',
    url,
    async settle() {
      // Every other session on this database belongs to the killed process (the next one is not started yet).
      const dead = new Set((await sessions()).map((s) => s.pid));
      const deadline = Date.now() + 10_000;
      for (;;) {
        const left = (await sessions()).filter((s) => dead.has(s.pid));
        if (left.length === 0) return [];
        if (Date.now() > deadline) return left.map((s) => `a session of the killed process is still open after 10 s: pid ${s.pid}, ${s.state}, ${s.query.slice(0, 200)}`);
        await sleep(20);
      }
    },
    async snapshot() {
      await pg.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        return await readSnapshot(read);
      } finally {
        await pg.query('COMMIT');
      }
    },
    structuralProblems: async () => problemLines(await checkInvariants(read, 'postgres', registry)),
    async close() {
      await pg.close();
    },
  };
}
