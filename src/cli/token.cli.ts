import 'reflect-metadata';
import { loadConfig } from '../config/config';
import { Store } from '../data/store';
import { exitWithUsage, readCommandLine, UsageError } from './args';

/**
 * npm run token -- create --role admin|client [--client ID] [--name NAME]
 * npm run token -- revoke ID
 * `create` prints the new secret as its last line of output. Exit codes: 0 done, 1 failed
 * (no such token or client), 2 a mistake on the command line (with the usage).
 */
const SPEC = {
  program: 'token',
  usage: 'usage: npm run token -- create --role admin|client [--client ID] [--name NAME]\n       npm run token -- revoke ID',
  flags: { role: { type: 'string' }, client: { type: 'string' }, name: { type: 'string' } },
  positionals: true,
} as const;

type Command = { kind: 'create'; role: 'admin' | 'client'; clientId: string | null; name: string } | { kind: 'revoke'; id: string };

/** The command the line asks for; every mistake is a UsageError, found before the database is opened. */
function command(argv: string[]): Command {
  const { values, positionals } = readCommandLine(argv, SPEC);
  const [name, ...rest] = positionals;
  if (name === 'create') {
    if (rest.length > 0) throw new UsageError(`create takes no argument besides its options, got ${rest.join(' ')}`);
    const { role, client } = values;
    const clientId = client ?? null;
    if (role !== 'admin' && role !== 'client') throw new UsageError('--role must be admin or client');
    if (role === 'client' && !clientId) throw new UsageError('--client ID is required for role client');
    if (role === 'admin' && clientId) throw new UsageError('an admin token cannot belong to a client');
    return { kind: 'create', role, clientId, name: values.name ?? `${role} token` };
  }
  if (name === 'revoke') {
    const given = Object.keys(values).map((k) => `--${k}`);
    if (given.length > 0) throw new UsageError(`revoke takes no options, got ${given.join(' ')}`);
    if (rest.length !== 1 || rest[0] === '') throw new UsageError('revoke takes one token id');
    return { kind: 'revoke', id: rest[0] };
  }
  throw new UsageError(name === undefined ? 'no command given' : `unknown command ${name}`);
}

async function main(argv: string[]): Promise<number> {
  const todo = command(argv);
  const db = await Store.open(loadConfig().databaseUrl);
  try {
    if (todo.kind === 'create') {
      const { id, secret } = await db.insertToken(todo.name, todo.role, todo.clientId);
      process.stdout.write(`Created ${todo.role} token ${id}. The secret is shown once:\n${secret}\n`);
      return 0;
    }
    if (!(await db.deleteToken(todo.id))) throw new Error(`no token with id ${todo.id}`);
    process.stdout.write(`Revoked token ${todo.id}.\n`);
    return 0;
  } finally {
    await db.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof UsageError) exitWithUsage(SPEC, e);
    process.stderr.write(`token: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
