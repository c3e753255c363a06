import { parseArgs } from 'node:util';

/**
 * Command lines of the CLIs and the bench, read with node:util's parseArgs in strict mode: a
 * flag the program does not know, a flag without its value or an argument it does not take is
 * a UsageError (exit code 2), never silently ignored. `--help` or `-h` anywhere before a bare
 * `--` asks for the usage instead, whatever else is on the line.
 */

export interface FlagSpec {
  readonly type: 'string' | 'boolean';
}

export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** The flags given: a string flag's value, `true` for a boolean flag; absent when not given. */
export type FlagValues<F extends FlagSpecs> = { [K in keyof F]?: F[K]['type'] extends 'boolean' ? boolean : string };

export interface CommandLineSpec<F extends FlagSpecs> {
  /** The name errors start with (`token: unknown option --rol`). */
  readonly program: string;
  readonly usage: string;
  readonly flags: F;
  /** Whether arguments that are not flags (a command, a file) are taken. */
  readonly positionals?: boolean;
}

export type CommandLine<F extends FlagSpecs> = { readonly help: true } | { readonly help: false; readonly values: FlagValues<F>; readonly positionals: string[] };

/** A mistake on the command line: the program prints the message and its usage, and exits 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export function parseCommandLine<F extends FlagSpecs>(argv: readonly string[], spec: CommandLineSpec<F>): CommandLine<F> {
  const end = argv.indexOf('--');
  const flags = end === -1 ? argv : argv.slice(0, end);
  if (flags.includes('--help') || flags.includes('-h')) return { help: true };
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options: { ...spec.flags }, strict: true, allowPositionals: spec.positionals ?? false });
    return { help: false, values: values as FlagValues<F>, positionals };
  } catch (e) {
    throw new UsageError(explain(e, Object.keys(spec.flags)));
  }
}

/**
 * For a program's entry: the parsed command line, or the process ends here, with the usage on
 * standard output and exit code 0 for `--help`, or the mistake and the usage on standard error
 * and exit code 2.
 */
export function readCommandLine<F extends FlagSpecs>(argv: readonly string[], spec: CommandLineSpec<F>): { values: FlagValues<F>; positionals: string[] } {
  let line: CommandLine<F>;
  try {
    line = parseCommandLine(argv, spec);
  } catch (e) {
    if (e instanceof UsageError) exitWithUsage(spec, e);
    throw e;
  }
  if (line.help) {
    process.stdout.write(`${spec.usage}\n`);
    process.exit(0);
  }
  return line;
}

/** Ends the process for a UsageError: `program: message`, the usage, exit code 2. */
export function exitWithUsage(spec: Pick<CommandLineSpec<FlagSpecs>, 'program' | 'usage'>, e: UsageError): never {
  process.stderr.write(`${spec.program}: ${e.message}\n${spec.usage}\n`);
  process.exit(2);
}

/** parseArgs's error in a line that names the flag, with the nearest known flag for a misspelling. */
function explain(e: unknown, known: readonly string[]): string {
  // Duck-typed, not instanceof Error: under jest, node's own errors come from another realm.
  const { code, message } = typeof e === 'object' && e !== null ? (e as { code?: unknown; message?: unknown }) : {};
  if (typeof message !== 'string') return String(e);
  const quoted = (/'([^']*)'/.exec(message)?.[1] ?? '').replace(/ <value>$/, '');
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const near = nearest(quoted.replace(/^-+/, '').split('=')[0], known);
    return `unknown option ${quoted}${near ? ` (did you mean --${near}?)` : ''}`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (/does not take an argument/.test(message)) return `${quoted} takes no value`;
    if (/ambiguous/.test(message)) return `${quoted} needs a value (for a value that starts with a dash, write ${quoted}=VALUE)`;
    return `${quoted} needs a value`;
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') return `unexpected argument ${quoted}`;
  return message;
}

/** The known flag within two edits of `name` (the closest), if any. */
function nearest(name: string, known: readonly string[]): string | undefined {
  let best: { flag: string; distance: number } | undefined;
  for (const flag of known) {
    const distance = editDistance(name, flag);
    if (distance <= 2 && distance < name.length && (!best || distance < best.distance)) best = { flag, distance };
  }
  return best?.flag;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length];
}
