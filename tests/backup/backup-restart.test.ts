import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { backupSqlite, BackupProgress } from '../../src/data/backup';
import { TMP } from '../support/harness';
import { removeDatabase } from '../support/server-process';

/**
 * The backup's answer to writers (src/data/backup.ts): SQLite restarts an online backup from
 * the first page whenever another connection writes between two steps. Here another
 * connection writes between every two steps, the worst case for a busy service: the copy must
 * still finish (its steps grow, and after the third restart the rest goes in one step), and
 * hold exactly what was committed when that last step ran.
 */

const files: string[] = [];

function fileName(label: string): string {
  fs.mkdirSync(TMP, { recursive: true });
  const file = path.join(TMP, `${label}-${process.pid}-${randomBytes(4).toString('hex')}.sqlite`);
  files.push(file);
  return file;
}

afterAll(() => {
  for (const f of files) removeDatabase(f);
});

it('When another connection writes between every two steps of the copy, then the backup restarts at most three times, finishes, and holds every row committed before its last step', async () => {
  const source = fileName('restart-source');
  const writer = new BetterSqlite3(source);
  writer.pragma('journal_mode = WAL');
  writer.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
  const insert = writer.prepare('INSERT INTO t (body) VALUES (?)');
  writer.transaction(() => {
    for (let i = 0; i < 4000; i++) insert.run('x'.repeat(1000));
  })();

  const copy = fileName('restart-copy');
  const seen: BackupProgress[] = [];
  let written = 0;
  try {
    const result = await backupSqlite(source, copy, {
      steps: 40,
      onProgress: (p) => {
        seen.push(p);
        insert.run(`written during the copy ${++written}`);
      },
    });
    expect(result.restarts).toBeGreaterThanOrEqual(1);
    expect(result.restarts).toBeLessThanOrEqual(3);
    expect(seen.filter((p) => p.restarted)).toHaveLength(result.restarts);
    expect(result.integrity).toBe('ok');
    expect(result.journalMode).toBe('delete');
    expect(result.bytes).toBe(result.pages * result.pageSize);
  } finally {
    writer.close();
  }
  const db = new BetterSqlite3(copy, { readonly: true, fileMustExist: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect((db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n).toBe(4000 + written);
  } finally {
    db.close();
  }
  expect(fs.existsSync(`${copy}-wal`)).toBe(false);
});
