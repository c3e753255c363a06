import 'reflect-metadata';
import { loadConfig } from '../config/config';
import { Store } from '../data/store';

/**
 * npm run token -- create --role admin|client [--client ID] [--name NAME]
 * npm run token -- revoke ID
 * `create` prints the new secret as its last line of output.
 */
const USAGE = 'usage: npm run token -- create --role admin|client [--client ID] [--name NAME]\n       npm run token -- revoke ID';

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? undefined : args[i + 1];
}

async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  const db = await Store.open(loadConfig().databaseUrl);
  try {
    if (command === 'create') {
      const role = option(args, 'role');
      const clientId = option(args, 'client') ?? null;
      if (role !== 'admin' && role !== 'client') throw new Error('--role must be admin or client');
      if (role === 'client' && !clientId) throw new Error('--client ID is required for role client');
      if (role === 'admin' && clientId) throw new Error('an admin token cannot belong to a client');
      const { id, secret } = await db.insertToken(option(args, 'name') ?? `${role} token`, role, clientId);
      process.stdout.write(`Created ${role} token ${id}. The secret is shown once:\n${secret}\n`);
      return 0;
    }
    if (command === 'revoke' && args[0]) {
      if (!(await db.deleteToken(args[0]))) throw new Error(`no token with id ${args[0]}`);
      process.stdout.write(`Revoked token ${args[0]}.\n`);
      return 0;
    }
    process.stderr.write(`${USAGE}\n`);
    return 2;
  } finally {
    await db.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    process.stderr.write(`token: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
