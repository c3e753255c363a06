import { MigrationInterface, QueryRunner, TableColumn } from 'typeorm';

/**
 * Substring search on client names: a case-folded copy of the name (written by the service
 * with every name) and a trigram index over it: an FTS5 trigram table kept in step by
 * triggers on SQLite, a pg_trgm GIN index on PostgreSQL. Existing rows are backfilled with
 * the same folding rule the service uses.
 */
const fold = (s: string): string => s.toUpperCase().toLowerCase();

export class NameSearch1763971200000 implements MigrationInterface {
  name = 'NameSearch1763971200000';

  async up(q: QueryRunner): Promise<void> {
    await q.addColumn('clients', new TableColumn({ name: 'name_key', type: 'varchar', length: '800', isNullable: true }));
    const rows: { id: string; name: string }[] = await q.query('SELECT "id", "name" FROM "clients"');
    const postgres = q.connection.options.type === 'postgres';
    for (const row of rows) {
      await q.query(`UPDATE "clients" SET "name_key" = ${postgres ? '$1' : '?'} WHERE "id" = ${postgres ? '$2' : '?'}`, [fold(row.name), row.id]);
    }
    if (postgres) {
      await q.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
      await q.query('CREATE INDEX "ix_clients_name_key_trgm" ON "clients" USING gin ("name_key" gin_trgm_ops)');
      return;
    }
    await q.query(`CREATE VIRTUAL TABLE "clients_name_fts" USING fts5(name_key, content='clients', content_rowid='rowid', tokenize='trigram')`);
    await q.query(`CREATE TRIGGER "clients_name_fts_ai" AFTER INSERT ON "clients" BEGIN
      INSERT INTO "clients_name_fts"(rowid, name_key) VALUES (new.rowid, new.name_key); END`);
    await q.query(`CREATE TRIGGER "clients_name_fts_ad" AFTER DELETE ON "clients" BEGIN
      INSERT INTO "clients_name_fts"("clients_name_fts", rowid, name_key) VALUES ('delete', old.rowid, old.name_key); END`);
    await q.query(`CREATE TRIGGER "clients_name_fts_au" AFTER UPDATE OF "name_key" ON "clients" BEGIN
      INSERT INTO "clients_name_fts"("clients_name_fts", rowid, name_key) VALUES ('delete', old.rowid, old.name_key);
      INSERT INTO "clients_name_fts"(rowid, name_key) VALUES (new.rowid, new.name_key); END`);
    await q.query(`INSERT INTO "clients_name_fts"("clients_name_fts") VALUES ('rebuild')`);
  }

  async down(q: QueryRunner): Promise<void> {
    if (q.connection.options.type === 'postgres') {
      await q.query('DROP INDEX IF EXISTS "ix_clients_name_key_trgm"');
    } else {
      for (const t of ['clients_name_fts_ai', 'clients_name_fts_ad', 'clients_name_fts_au']) await q.query(`DROP TRIGGER IF EXISTS "${t}"`);
      await q.query('DROP TABLE IF EXISTS "clients_name_fts"');
    }
    await q.dropColumn('clients', 'name_key');
  }
}
