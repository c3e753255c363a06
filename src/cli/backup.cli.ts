import { ConfigError, loadConfig } from '../config/config';
import { BackupRefusal, backupSqlite, checkBackupPaths, sqliteFileOf } from '../data/backup';
import { CommandLine, parseCommandLine, UsageError } from './args';

/**
 * npm run backup -- FILE [--force]
 * A consistent copy of the SQLite database named by DATABASE_URL (read as the service reads
 * it; default sqlite:./data/app.sqlite), taken with SQLite's backup API while the service
 * runs. Exit codes: 0 done, 1 failed, 2 refused (PostgreSQL, no database, FILE exists, an
 * unknown option) with a one-line reason on standard error.
 */
const USAGE = 'usage: npm run backup -- FILE [--force]   (copies the SQLite database of DATABASE_URL to FILE)';

const SPEC = { program: 'backup', usage: USAGE, flags: { force: { type: 'boolean' } }, positionals: true } as const;

const number = (n: number) => n.toLocaleString('en-US');

async function main(argv: string[]): Promise<number> {
  let line: CommandLine<typeof SPEC.flags>;
  try {
    line = parseCommandLine(argv, SPEC);
  } catch (e) {
    // A mistake on the command line is refused like the rest: one line, exit code 2.
    throw e instanceof UsageError ? new BackupRefusal(`${e.message}; ${USAGE}`) : e;
  }
  if (line.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const files = line.positionals;
  if (files.length !== 1) throw new BackupRefusal(files.length === 0 ? USAGE : `one FILE expected, got ${files.length}; ${USAGE}`);
  const destination = files[0];
  // Only DATABASE_URL matters here: the rest of the service's configuration is not checked.
  const source = sqliteFileOf(loadConfig({ DATABASE_URL: process.env.DATABASE_URL }).databaseUrl);
  const force = line.values.force === true;
  checkBackupPaths(source, destination, force);
  process.stdout.write(`Backing up ${source} to ${destination} (SQLite online backup; the service may keep running)\n`);
  let lastShown = -1;
  const result = await backupSqlite(source, destination, {
    force,
    onProgress: ({ totalPages, remainingPages, restarted }) => {
      if (restarted) process.stdout.write(`  the database changed during the copy (the service wrote): SQLite started the copy again, in larger steps\n`);
      const done = totalPages - remainingPages;
      const percent = totalPages === 0 ? 100 : Math.floor((100 * done) / totalPages);
      if (percent !== lastShown) {
        lastShown = percent;
        process.stdout.write(`  ${String(percent).padStart(3)}%  ${number(done)} of ${number(totalPages)} pages\n`);
      }
    },
  });
  process.stdout.write(
    `  100%  ${number(result.pages)} of ${number(result.pages)} pages\n` +
      `Backed up ${number(result.pages)} pages of ${number(result.pageSize)} bytes (${number(result.bytes)} bytes) in ${result.seconds.toFixed(2)} s to ${result.destination}` +
      `${result.restarts > 0 ? ` after ${result.restarts} restart${result.restarts > 1 ? 's' : ''}` : ''}; ` +
      `integrity_check ${result.integrity}, journal_mode ${result.journalMode} (a standalone file), SQLite ${result.sqliteVersion}.\n`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    const refused = e instanceof BackupRefusal || e instanceof ConfigError;
    process.stderr.write(`backup: ${refused ? 'refused: ' : 'failed: '}${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(refused ? 2 : 1);
  },
);
