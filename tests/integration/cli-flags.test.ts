import * as fs from 'node:fs';
import * as path from 'node:path';
import { TMP } from '../support/harness';
import { ROOT, runNode } from '../support/server-process';

/**
 * Every command-line program, run as its compiled self (`tsc -p bench/tsconfig.json`, which
 * compiles src and the bench together, into a private folder): a misspelled or unknown flag
 * exits 2 with a line that names it and the usage, before any database is opened or any file
 * written; `--help` prints the usage and exits 0.
 */

const OUT = path.join(TMP, `cli-flags-build-${process.pid}`);
/** A database that must never be created: every run here stops before opening one. */
const UNTOUCHED = path.join(TMP, `cli-flags-${process.pid}.sqlite`);

const PROGRAMS: { name: string; file: string; usage: string; misspelled: string[]; message: string }[] = [
  {
    name: 'token',
    file: 'src/cli/token.cli.js',
    usage: 'usage: npm run token -- create --role',
    misspelled: ['create', '--rol', 'admin'],
    message: 'token: unknown option --rol (did you mean --role?)',
  },
  { name: 'seed', file: 'src/cli/seed.cli.js', usage: 'usage: npm run seed', misspelled: ['--fresh'], message: 'seed: unknown option --fresh' },
  { name: 'bench', file: 'bench/run.js', usage: 'usage: npm run bench -- [--clients N]', misspelled: ['--clinets', '10'], message: 'bench: unknown option --clinets (did you mean --clients?)' },
  { name: 'soak', file: 'bench/soak.js', usage: 'usage: npm run soak -- [--seconds N]', misspelled: ['--worker', '2'], message: 'soak: unknown option --worker (did you mean --workers?)' },
];

const run = (file: string, args: string[]) => runNode(path.join(OUT, file), args, { DATABASE_URL: `sqlite:${UNTOUCHED}`, LOG_LEVEL: 'silent', ADMIN_TOKEN: '' });

beforeAll(async () => {
  fs.mkdirSync(TMP, { recursive: true });
  const tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  const build = await runNode(tsc, ['-p', path.join(ROOT, 'bench', 'tsconfig.json'), '--outDir', OUT], {}, 120_000);
  for (const { file } of PROGRAMS) if (!fs.existsSync(path.join(OUT, file))) throw new Error(`the build produced no ${file}: ${build.stdout}${build.stderr}`);
}, 150_000);

afterAll(() => {
  fs.rmSync(OUT, { recursive: true, force: true });
  fs.rmSync(UNTOUCHED, { force: true });
});

afterEach(() => {
  expect(fs.existsSync(UNTOUCHED)).toBe(false);
});

describe.each(PROGRAMS)('$name', ({ file, usage, misspelled, message }) => {
  it('When a flag is misspelled, then it exits 2, names the flag and prints the usage on stderr, and does nothing else', async () => {
    const out = await run(file, misspelled);
    expect(out.code).toBe(2);
    expect(out.stdout).toBe('');
    const lines = out.stderr.split('\n');
    expect(lines[0]).toBe(message);
    expect(lines[1]).toContain(usage);
  });

  it('When --help is given, then it prints the usage on stdout and exits 0', async () => {
    const out = await run(file, ['--help']);
    expect(out.code).toBe(0);
    expect(out.stdout.startsWith(usage)).toBe(true);
    expect(out.stderr).toBe('');
  });
});

describe('backup', () => {
  const file = 'src/cli/backup.cli.js';
  const usage = 'usage: npm run backup -- FILE [--force]';

  it('When a flag is misspelled, then it is refused like any refusal: exit 2, one line naming the flag and the usage, no copy made', async () => {
    const copy = path.join(TMP, `cli-flags-copy-${process.pid}.sqlite`);
    const out = await run(file, [copy, '--forse']);
    expect(out.code).toBe(2);
    expect(out.stdout).toBe('');
    expect(out.stderr).toBe(`backup: refused: unknown option --forse (did you mean --force?); ${usage}   (copies the SQLite database of DATABASE_URL to FILE)\n`);
    expect(fs.existsSync(copy)).toBe(false);
  });

  it('When --help or -h is given, then it prints the usage on stdout and exits 0', async () => {
    for (const flag of ['--help', '-h']) {
      const out = await run(file, [flag]);
      expect(out.code).toBe(0);
      expect(out.stdout.startsWith(usage)).toBe(true);
    }
  });
});

describe('token', () => {
  it.each<[string[], string]>([
    [['create', '--role', 'owner'], 'token: --role must be admin or client'],
    [['create', '--role'], 'token: --role needs a value'],
    [['revoke'], 'token: revoke takes one token id'],
    [['revoke', 'a', 'b'], 'token: revoke takes one token id'],
    [['revoke', 'a', '--role', 'admin'], 'token: revoke takes no options, got --role'],
    [['rename'], 'token: unknown command rename'],
  ])('When the line is %j, then it exits 2 before opening the database: %s', async (args, message) => {
    const out = await run('src/cli/token.cli.js', args);
    expect(out.code).toBe(2);
    expect(out.stderr.split('\n')[0]).toBe(message);
  });
});
