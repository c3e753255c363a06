import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * email_key holds the case-folded email, and folding can make a string longer: `ﬃ` folds to
 * `ffi`, `ΐ` to three code points. No character grows past 3 code points, so 3 × 254 = 762
 * holds the folded form of any valid email (254 characters at most). PostgreSQL refused longer
 * ones (a 500); SQLite does not enforce lengths, but its declared type follows the entity.
 *
 * On SQLite a column's type changes by rebuilding the table, which drops the triggers that keep
 * the name search index (clients_name_fts) in step and renumbers rowids: the triggers are made
 * again and the index rebuilt from the table.
 */
const WIDE = new TableColumn({ name: 'email_key', type: 'varchar', length: '762', isNullable: true });
const NARROW = new TableColumn({ name: 'email_key', type: 'varchar', length: '254', isNullable: true });
const TRIGGERS = ['clients_name_fts_ai', 'clients_name_fts_ad', 'clients_name_fts_au'];

async function sqliteRebuild(q: QueryRunner, from: TableColumn, to: TableColumn): Promise<void> {
  for (const t of TRIGGERS) await q.query(`DROP TRIGGER IF EXISTS "${t}"`);
  await q.changeColumn('clients', from.name, to);
  await q.query(`CREATE TRIGGER "clients_name_fts_ai" AFTER INSERT ON "clients" BEGIN
      INSERT INTO "clients_name_fts"(rowid, name_key) VALUES (new.rowid, new.name_key); END`);
  await q.query(`CREATE TRIGGER "clients_name_fts_ad" AFTER DELETE ON "clients" BEGIN
      INSERT INTO "clients_name_fts"("clients_name_fts", rowid, name_key) VALUES ('delete', old.rowid, old.name_key); END`);
  await q.query(`CREATE TRIGGER "clients_name_fts_au" AFTER UPDATE OF "name_key" ON "clients" BEGIN
      INSERT INTO "clients_name_fts"("clients_name_fts", rowid, name_key) VALUES ('delete', old.rowid, old.name_key);
      INSERT INTO "clients_name_fts"(rowid, name_key) VALUES (new.rowid, new.name_key); END`);
  await q.query(`INSERT INTO "clients_name_fts"("clients_name_fts") VALUES ('rebuild')`);
}

export class WideEmailKey1764316800000 implements MigrationInterface {
  name = 'WideEmailKey1764316800000';

  async up(q: QueryRunner): Promise<void> {
    if (q.connection.options.type === 'postgres') {
      // In place: TypeORM's changeColumn would drop and re-add the column (and its data).
      await q.query('ALTER TABLE "clients" ALTER COLUMN "email_key" TYPE varchar(762)');
      return;
    }
    await sqliteRebuild(q, NARROW, WIDE);
  }

  async down(q: QueryRunner): Promise<void> {
    if (q.connection.options.type === 'postgres') {
      await q.query('ALTER TABLE "clients" ALTER COLUMN "email_key" TYPE varchar(254)');
      return;
    }
    await sqliteRebuild(q, WIDE, NARROW);
  }
}
