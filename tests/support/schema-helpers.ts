import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../ormconfig';

/**
 * Asserts that the migrations and the TypeORM entities describe the same schema on the database
 * at `databaseUrl`: TypeORM's schema builder finds nothing to change, and no migration is pending.
 */
export async function expectNoSchemaDrift(databaseUrl: string): Promise<void> {
  const ds = new DataSource(dataSourceOptions(databaseUrl));
  await ds.initialize();
  try {
    const pending = await ds.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
    expect(await ds.showMigrations()).toBe(false);
  } finally {
    await ds.destroy();
  }
}
