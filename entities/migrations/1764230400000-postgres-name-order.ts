import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * PostgreSQL sorts names with COLLATE "C" (code-point order, as SQLite's BINARY); an index in
 * that collation lets `sort=name` read the index instead of sorting the table. SQLite's own
 * ix_clients_name already has that order, so this is PostgreSQL only.
 */
export class PostgresNameOrder1764230400000 implements MigrationInterface {
  name = 'PostgresNameOrder1764230400000';

  async up(q: QueryRunner): Promise<void> {
    if (q.connection.options.type !== 'postgres') return;
    await q.query('CREATE INDEX "ix_clients_name_c" ON "clients" ("name" COLLATE "C", "id")');
  }

  async down(q: QueryRunner): Promise<void> {
    if (q.connection.options.type !== 'postgres') return;
    await q.query('DROP INDEX IF EXISTS "ix_clients_name_c"');
  }
}
