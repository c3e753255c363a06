import * as path from 'node:path';

/**
 * The bench's settings, from the command line (`npm run bench -- --clients 2000 --fresh`) and
 * the environment (BENCH_CLIENTS, BENCH_SECONDS, DATABASE_URL). The command line wins.
 */
export interface BenchOptions {
  /** Number of clients to generate. */
  readonly clients: number;
  /** Seconds per autocannon run. */
  readonly seconds: number;
  /** Regenerate the data even when a database of the same size exists. */
  readonly fresh: boolean;
  /** The database to bench; a SQLite file under data/bench/ unless DATABASE_URL is given. */
  readonly databaseUrl: string;
  readonly kind: 'sqlite' | 'postgres';
  /** Skip the HTTP scenarios (hierarchy measurement only) or the hierarchy measurement. */
  readonly http: boolean;
  readonly hierarchy: boolean;
  /** Only these scenarios (names), or all. */
  readonly only?: readonly string[];
  /** Run the service with --cpu-prof, writing its profile under data/bench/profiles/. */
  readonly profile: boolean;
  /** Project root (where dist/ and bench/results/ are). */
  readonly root: string;
}

const USAGE = `npm run bench -- [--clients N] [--seconds S] [--fresh] [--only a,b] [--profile] [--no-http] [--no-hierarchy]
  env: BENCH_CLIENTS (default 100000), BENCH_SECONDS (default 5, or 1 below 10000 clients),
       DATABASE_URL (default sqlite:data/bench/sqlite-<N>.sqlite)`;

function positive(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, got "${raw}"\n${USAGE}`);
  return value;
}

/**
 * Walks command-line flags (`--name value` or `--name=value`): `handle` takes the ones it knows
 * (calling `value()` for their argument) and returns false for others, which stop the program
 * with the usage; `--help` prints the usage and exits.
 */
export function forEachFlag(argv: readonly string[], usage: string, handle: (flag: string, value: () => string) => boolean): void {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [flag, inline] = arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    const value = (): string => {
      if (inline !== undefined) return inline;
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value\n${usage}`);
      return next;
    };
    if (flag === '--help' || flag === '-h') {
      process.stdout.write(`${usage}\n`);
      process.exit(0);
    }
    if (!handle(flag, value)) throw new Error(`unknown argument ${arg}\n${usage}`);
  }
}

export function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv, root: string): BenchOptions {
  let clientsRaw = env.BENCH_CLIENTS;
  let secondsRaw = env.BENCH_SECONDS;
  let fresh = false;
  let http = true;
  let hierarchy = true;
  let profile = false;
  let only: string[] | undefined;
  forEachFlag(argv, USAGE, (flag, value) => {
    if (flag === '--clients') clientsRaw = value();
    else if (flag === '--seconds') secondsRaw = value();
    else if (flag === '--fresh') fresh = true;
    else if (flag === '--no-http') http = false;
    else if (flag === '--no-hierarchy') hierarchy = false;
    else if (flag === '--profile') profile = true;
    else if (flag === '--only') only = value().split(',').map((x) => x.trim()).filter((x) => x !== '');
    else return false;
    return true;
  });
  const clients = Math.floor(positive('--clients / BENCH_CLIENTS', clientsRaw, 100_000));
  const seconds = positive('--seconds / BENCH_SECONDS', secondsRaw, clients < 10_000 ? 1 : 5);
  const given = env.DATABASE_URL;
  const databaseUrl = given && given.length > 0 ? given : `sqlite:${path.join(root, 'data', 'bench', `sqlite-${clients}.sqlite`)}`;
  const kind = databaseUrl.startsWith('sqlite:') ? 'sqlite' : 'postgres';
  return { clients, seconds, fresh, databaseUrl, kind, http, hierarchy, only, profile, root };
}
