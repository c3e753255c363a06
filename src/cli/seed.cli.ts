import 'reflect-metadata';
import { loadConfig } from '../config/config';
import { Store } from '../data/store';
import { readCommandLine } from './args';
import { seedDemoData } from './seed';

/** npm run seed: loads the demo data into DATABASE_URL (once; a second run changes nothing). */
const SPEC = {
  program: 'seed',
  usage: 'usage: npm run seed   (loads the demo data into the database of DATABASE_URL, once; takes no options)',
  flags: {},
} as const;

async function main(argv: string[]): Promise<void> {
  readCommandLine(argv, SPEC);
  const db = await Store.open(loadConfig().databaseUrl);
  try {
    const result = await seedDemoData(db);
    process.stdout.write(result.created ? `Seeded ${result.clients} clients.\n` : 'Demo data already present; nothing changed.\n');
  } finally {
    await db.close();
  }
}

main(process.argv.slice(2)).catch((e) => {
  process.stderr.write(`seed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
