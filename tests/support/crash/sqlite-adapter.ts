import BetterSqlite3 from 'better-sqlite3';
import { checkInvariants, problemLines } from '../../../src/data/invariants';
import { registry } from '../../../src/resources/registry';
import { CrashDatabase, readSnapshot } from './database';

/**
 * The SQLite file, read with a connection of the test's own, opened only while checking: it is
 * closed again before the next kill, so every restart has to recover the file (the WAL and its
 * index) on its own, as after a real crash.
 */
export function sqliteDatabase(file: string): CrashDatabase {
  const withFile = async <T>(readonly: boolean, fn: (read: (sql: string) => Promise<Record<string, unknown>[]>) => Promise<T>): Promise<T> => {
    const db = new BetterSqlite3(file, { readonly, fileMustExist: true });
    try {
      db.pragma('busy_timeout = 5000');
      return await fn(async (sql) => {
        const statement = db.prepare(sql);
        if (statement.reader) return statement.all() as Record<string, unknown>[];
        statement.run();
        return [];
      });
    } finally {
      db.close();
    }
  };
  return {
    label: 'SQLite',
    url: `sqlite:${file}`,
    // A dead process holds no lock and writes nothing more: the file is as it left it.
    settle: async () => [],
    // One read transaction (better-sqlite3 runs each statement at once: BEGIN … COMMIT around them holds one snapshot).
    snapshot: () =>
      withFile(true, async (read) => {
        await read('BEGIN');
        try {
          return await readSnapshot(read);
        } finally {
          await read('COMMIT');
        }
      }),
    // Read-write: the FTS5 integrity-check is an INSERT of a command (it changes nothing).
    structuralProblems: () => withFile(false, async (read) => problemLines(await checkInvariants(read, 'sqlite', registry))),
    async close() {},
  };
}
