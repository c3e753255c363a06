import { Harness, startHarness } from '../support/harness';
import { expectNoSchemaDrift } from '../support/schema-helpers';

/** On whichever database the suite runs (SQLite, or PostgreSQL with TEST_DATABASE_URL). */
describe('the migrated schema on this database', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('When the migrations have run, then TypeORM finds nothing to change between the entities and the tables, and no migration is pending', async () => {
    await expectNoSchemaDrift(h.config.databaseUrl);
  });
});
