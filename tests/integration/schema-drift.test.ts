import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../ormconfig';
import { Harness, startHarness } from '../support/harness';

/** On whichever database the suite runs (SQLite, or PostgreSQL with TEST_DATABASE_URL). */
describe('the migrated schema on this database', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('When the migrations have run, then TypeORM finds nothing to change between the entities and the tables, and no migration is pending', async () => {
    const ds = new DataSource(dataSourceOptions(h.config.databaseUrl));
    await ds.initialize();
    try {
      const pending = await ds.driver.createSchemaBuilder().log();
      expect(pending.upQueries.map((q) => q.query)).toEqual([]);
      expect(await ds.showMigrations()).toBe(false);
    } finally {
      await ds.destroy();
    }
  });
});
