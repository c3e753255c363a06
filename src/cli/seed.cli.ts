import 'reflect-metadata';
import { loadConfig } from '../config/config';
import { Store } from '../data/store';
import { seedDemoData } from './seed';

/** npm run seed: loads the demo data into DATABASE_URL (once; a second run changes nothing). */
async function main(): Promise<void> {
  const db = await Store.open(loadConfig().databaseUrl);
  try {
    const result = await seedDemoData(db);
    process.stdout.write(result.created ? `Seeded ${result.clients} clients.\n` : 'Demo data already present; nothing changed.\n');
  } finally {
    await db.close();
  }
}

main().catch((e) => {
  process.stderr.write(`seed: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
