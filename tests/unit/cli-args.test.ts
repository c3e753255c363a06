import { parseCommandLine, UsageError } from '../../src/cli/args';
import { BENCH_COMMAND, benchOptions } from '../../bench/options';

/** The strict command-line reading every CLI and the bench share (src/cli/args.ts). */

const SPEC = {
  program: 'demo',
  usage: 'usage: demo [--force] [--name NAME] FILE',
  flags: { force: { type: 'boolean' }, name: { type: 'string' } },
  positionals: true,
} as const;

function mistake(argv: string[], spec: Parameters<typeof parseCommandLine>[1] = SPEC): string {
  try {
    parseCommandLine(argv, spec);
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    return (e as Error).message;
  }
  throw new Error(`expected ${JSON.stringify(argv)} to be refused`);
}

describe('parseCommandLine', () => {
  it('When known flags and arguments are given, in either --name value or --name=value form, then their values come back', () => {
    expect(parseCommandLine(['a.sqlite', '--force', '--name', 'x'], SPEC)).toEqual({ help: false, values: { force: true, name: 'x' }, positionals: ['a.sqlite'] });
    expect(parseCommandLine(['--name=y', 'b'], SPEC)).toEqual({ help: false, values: { name: 'y' }, positionals: ['b'] });
    expect(parseCommandLine([], SPEC)).toEqual({ help: false, values: {}, positionals: [] });
  });

  it.each<[string[], string]>([
    [['--forse'], 'unknown option --forse (did you mean --force?)'],
    [['--nmae', 'x'], 'unknown option --nmae (did you mean --name?)'],
    [['--forse=1'], 'unknown option --forse (did you mean --force?)'],
    [['--verbose'], 'unknown option --verbose'],
    [['-f'], 'unknown option -f'],
    [['--name'], '--name needs a value'],
    [['--name', '--force'], '--name needs a value (for a value that starts with a dash, write --name=VALUE)'],
    [['--force=yes'], '--force takes no value'],
  ])('When the line is %j, then it is a UsageError: %s', (argv, message) => {
    expect(mistake(argv)).toBe(message);
  });

  it('When a program takes no arguments and is given one, then that is a UsageError naming it', () => {
    expect(mistake(['extra'], { program: 'seed', usage: 'usage: seed', flags: {} })).toBe('unexpected argument extra');
  });

  it('When --help or -h is anywhere before a bare --, then the usage is asked for, even beside a mistake; after --, it is an argument', () => {
    expect(parseCommandLine(['--help'], SPEC)).toEqual({ help: true });
    expect(parseCommandLine(['file', '-h'], SPEC)).toEqual({ help: true });
    expect(parseCommandLine(['--forse', '--help'], SPEC)).toEqual({ help: true });
    expect(parseCommandLine(['--', '--help'], SPEC)).toEqual({ help: false, values: {}, positionals: ['--help'] });
  });
});

describe('the bench command line', () => {
  const root = '/srv/project';

  it('When every documented flag is given, then each keeps its meaning', () => {
    const { values } = parseCommandLine(['--clients', '2000', '--seconds=2', '--rounds', '2', '--fresh', '--only', 'get-one, contains', '--profile', '--no-http', '--no-hierarchy'], BENCH_COMMAND) as {
      values: Parameters<typeof benchOptions>[0];
    };
    expect(benchOptions(values, {}, root)).toEqual({
      clients: 2000,
      seconds: 2,
      rounds: 2,
      fresh: true,
      databaseUrl: 'sqlite:/srv/project/data/bench/sqlite-2000.sqlite',
      kind: 'sqlite',
      http: false,
      hierarchy: false,
      only: ['get-one', 'contains'],
      profile: true,
      root,
    });
  });

  it('When no flag is given, then the environment and the defaults apply, and a flag wins over its variable', () => {
    expect(benchOptions({}, {}, root)).toMatchObject({ clients: 100_000, seconds: 5, rounds: 3, fresh: false, http: true, hierarchy: true, only: undefined, profile: false });
    expect(benchOptions({}, { BENCH_CLIENTS: '500', BENCH_SECONDS: '3', DATABASE_URL: 'postgres://db/bench' }, root)).toMatchObject({
      clients: 500,
      seconds: 3,
      databaseUrl: 'postgres://db/bench',
      kind: 'postgres',
    });
    expect(benchOptions({ clients: '700' }, { BENCH_CLIENTS: '500' }, root).clients).toBe(700);
  });

  it('When a flag is misspelled or a number is not positive, then it is a UsageError', () => {
    expect(mistake(['--clinets', '5'], BENCH_COMMAND)).toBe('unknown option --clinets (did you mean --clients?)');
    expect(mistake(['--no-htp'], BENCH_COMMAND)).toBe('unknown option --no-htp (did you mean --no-http?)');
    expect(() => benchOptions({ seconds: '0' }, {}, root)).toThrow(new UsageError('--seconds / BENCH_SECONDS must be a positive number, got "0"'));
    expect(() => benchOptions({}, { BENCH_CLIENTS: 'many' }, root)).toThrow(UsageError);
  });
});
