import * as fs from 'node:fs';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';

/**
 * Online backup of the SQLite database (`npm run backup`) with SQLite's backup API, while the
 * service keeps running: the copy is one consistent snapshot, taken page by page from a
 * separate read-only connection. WAL mode lets the service go on writing meanwhile; when one
 * of its writes lands between two steps, SQLite restarts the copy from the first page (the
 * snapshot must be one moment), so the steps grow after each restart until the rest is copied
 * in one step, under one read transaction, which no writer can disturb.
 *
 * The copy is written to a temporary file next to the destination, switched out of WAL mode
 * (a single standalone file, needing no -wal or -shm beside it), checked with
 * PRAGMA integrity_check, and only then renamed into place: an interrupted or failed backup
 * never leaves a half-written file under the destination's name.
 */

/** A reason not to back up (exit code 2): the message is one line for the user. */
export class BackupRefusal extends Error {}

export interface BackupProgress {
  readonly totalPages: number;
  readonly remainingPages: number;
  /** Set when SQLite restarted the copy because another connection wrote to the database. */
  readonly restarted: boolean;
}

export interface BackupResult {
  readonly source: string;
  readonly destination: string;
  readonly pages: number;
  readonly pageSize: number;
  readonly bytes: number;
  readonly seconds: number;
  /** How many times the copy started over because the service wrote meanwhile. */
  readonly restarts: number;
  readonly integrity: string;
  readonly journalMode: string;
  readonly sqliteVersion: string;
}

export interface BackupOptions {
  /** Replace the destination when it exists. */
  readonly force?: boolean;
  readonly onProgress?: (progress: BackupProgress) => void;
  /** Copy steps aimed at (default 10): pages per step = total / steps, at least 100. */
  readonly steps?: number;
}

/** The SQLite file of a DATABASE_URL, as the service opens it (ormconfig.ts); PostgreSQL is refused. */
export function sqliteFileOf(databaseUrl: string): string {
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new BackupRefusal(
      'DATABASE_URL is a PostgreSQL database; this command copies SQLite files only. Use pg_dump -Fc (a logical dump, restored with pg_restore) or pg_basebackup with WAL archiving (a physical copy, point-in-time recovery).',
    );
  }
  if (!databaseUrl.startsWith('sqlite:')) throw new BackupRefusal(`DATABASE_URL must be sqlite:PATH, got "${databaseUrl}".`);
  const file = databaseUrl.slice('sqlite:'.length) || './data/app.sqlite';
  if (file === ':memory:') throw new BackupRefusal('DATABASE_URL is an in-memory SQLite database: there is no file to back up.');
  return file;
}

const SIDE_FILES = ['-wal', '-shm', '-journal'];

function sameFile(a: string, b: string): boolean {
  try {
    const x = fs.statSync(a);
    const y = fs.statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return path.resolve(a) === path.resolve(b);
  }
}

/** Checks the source and destination before anything is written; throws BackupRefusal. */
export function checkBackupPaths(source: string, destination: string, force: boolean): void {
  if (!fs.existsSync(source) || !fs.statSync(source).isFile()) throw new BackupRefusal(`No SQLite database at ${source}: nothing to back up (check DATABASE_URL).`);
  if (sameFile(source, destination)) throw new BackupRefusal(`${destination} is the database itself; choose another file.`);
  const dir = path.dirname(path.resolve(destination));
  if (!fs.existsSync(dir)) throw new BackupRefusal(`The folder ${dir} does not exist.`);
  if (fs.existsSync(destination) && fs.statSync(destination).isDirectory()) throw new BackupRefusal(`${destination} is a folder; name a file.`);
  if (force) return;
  if (fs.existsSync(destination)) throw new BackupRefusal(`${destination} exists already; pass --force to replace it.`);
  const stale = SIDE_FILES.map((s) => destination + s).find((f) => fs.existsSync(f));
  if (stale) throw new BackupRefusal(`${stale} exists (left from another database); remove it or pass --force.`);
}

export async function backupSqlite(source: string, destination: string, options: BackupOptions = {}): Promise<BackupResult> {
  checkBackupPaths(source, destination, options.force ?? false);
  const started = process.hrtime.bigint();
  const temporary = path.join(path.dirname(path.resolve(destination)), `.${path.basename(destination)}.partial-${process.pid}`);
  const removeTemporary = () => {
    for (const suffix of ['', ...SIDE_FILES]) fs.rmSync(temporary + suffix, { force: true });
  };
  removeTemporary();
  // Read-only: the backup never writes to the service's database. The busy timeout covers the
  // rare moments a reader must wait (WAL recovery or a checkpoint's truncation by the service).
  const db = new BetterSqlite3(source, { readonly: true, fileMustExist: true, timeout: 5000 });
  let restarts = 0;
  try {
    const sqliteVersion = (db.prepare('SELECT sqlite_version() AS v').get() as { v: string }).v;
    const pageSize = Number(db.pragma('page_size', { simple: true }));
    let remainingBefore = Number.POSITIVE_INFINITY;
    let step = 0;
    const final = await db.backup(temporary, {
      progress: ({ totalPages, remainingPages }) => {
        const restarted = remainingPages > remainingBefore;
        if (step === 0) step = Math.max(100, Math.ceil(totalPages / (options.steps ?? 10)));
        if (restarted) {
          // Another connection wrote between two steps: bigger steps, and at the third restart
          // everything left in one step (one read transaction, which writers cannot disturb).
          restarts++;
          step = restarts >= 3 ? 0x7fffffff : step * 4;
        }
        remainingBefore = remainingPages;
        options.onProgress?.({ totalPages, remainingPages, restarted });
        return step;
      },
    });

    // A standalone file: out of WAL mode (the header the copy took from the source says WAL),
    // so it needs nothing beside it, and checked before it takes the destination's name.
    const copy = new BetterSqlite3(temporary, { fileMustExist: true });
    let integrity: string;
    let journalMode: string;
    try {
      journalMode = String(copy.pragma('journal_mode = DELETE', { simple: true }));
      const rows = copy.pragma('integrity_check') as { integrity_check: string }[];
      integrity = rows.map((r) => r.integrity_check).join('; ');
    } finally {
      copy.close();
    }
    if (integrity !== 'ok') throw new Error(`the copy failed PRAGMA integrity_check: ${integrity}`);
    if (options.force) for (const suffix of SIDE_FILES) fs.rmSync(destination + suffix, { force: true });
    fs.renameSync(temporary, destination);
    const bytes = fs.statSync(destination).size;
    return {
      source,
      destination,
      pages: final.totalPages,
      pageSize,
      bytes,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
      restarts,
      integrity,
      journalMode,
      sqliteVersion,
    };
  } catch (e) {
    removeTemporary();
    throw e;
  } finally {
    db.close();
  }
}
