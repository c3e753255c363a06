import * as path from 'node:path';
import { FlagValues, UsageError } from '../src/cli/args';

/**
 * The bench's settings, from the command line (`npm run bench -- --clients 2000 --fresh`) and
 * the environment (BENCH_CLIENTS, BENCH_SECONDS, DATABASE_URL). The command line wins. The soak
 * (soak.ts) reads its own flags the same way, with src/cli/args.ts.
 */
export interface BenchOptions {
  /** Number of clients to generate. */
  readonly clients: number;
  /** Seconds per autocannon run. */
  readonly seconds: number;
  /** Alternating turns of service and floor per scenario; the median of each side is reported. */
  readonly rounds: number;
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

const USAGE = `usage: npm run bench -- [--clients N] [--seconds S] [--rounds R] [--fresh] [--only a,b] [--profile] [--no-http] [--no-hierarchy]
  env: BENCH_CLIENTS (default 100000), BENCH_SECONDS (default 5, or 1 below 10000 clients),
       BENCH_ROUNDS (turns of service and floor per scenario, medians kept; default 3, or 1 below 10000 clients),
       DATABASE_URL (default sqlite:data/bench/sqlite-<N>.sqlite)`;

/** The bench's command line (`--name value` or `--name=value`; a flag it does not know is an error). */
export const BENCH_COMMAND = {
  program: 'bench',
  usage: USAGE,
  flags: {
    clients: { type: 'string' },
    seconds: { type: 'string' },
    rounds: { type: 'string' },
    fresh: { type: 'boolean' },
    only: { type: 'string' },
    profile: { type: 'boolean' },
    'no-http': { type: 'boolean' },
    'no-hierarchy': { type: 'boolean' },
  },
} as const;

/** A setting that must be a positive number (from its flag or its environment variable). */
export function positive(name: string, raw: string | undefined, fallback: number, integer = false): number {
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || (integer && !Number.isInteger(value))) throw new UsageError(`${name} must be a positive ${integer ? 'whole ' : ''}number, got "${raw}"`);
  return value;
}

/** The bench's settings from its flags (as readCommandLine gives them) and the environment; a bad value is a UsageError. */
export function benchOptions(values: FlagValues<typeof BENCH_COMMAND.flags>, env: NodeJS.ProcessEnv, root: string): BenchOptions {
  const clients = Math.floor(positive('--clients / BENCH_CLIENTS', values.clients ?? env.BENCH_CLIENTS, 100_000));
  const seconds = positive('--seconds / BENCH_SECONDS', values.seconds ?? env.BENCH_SECONDS, clients < 10_000 ? 1 : 5);
  const rounds = positive('--rounds / BENCH_ROUNDS', values.rounds ?? env.BENCH_ROUNDS, clients < 10_000 ? 1 : 3, true);
  const only = values.only?.split(',').flatMap((x) => (x.trim() === '' ? [] : [x.trim()]));
  const given = env.DATABASE_URL;
  const databaseUrl = given && given.length > 0 ? given : `sqlite:${path.join(root, 'data', 'bench', `sqlite-${clients}.sqlite`)}`;
  const kind = databaseUrl.startsWith('sqlite:') ? 'sqlite' : 'postgres';
  return {
    clients,
    seconds,
    rounds,
    fresh: values.fresh === true,
    databaseUrl,
    kind,
    http: values['no-http'] !== true,
    hierarchy: values['no-hierarchy'] !== true,
    only,
    profile: values.profile === true,
    root,
  };
}
