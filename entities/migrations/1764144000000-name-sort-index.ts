import { MigrationInterface, QueryRunner, TableIndex } from 'typeorm';

/** Lists sorted by client name read an index instead of sorting the whole table. */
export class NameSortIndex1764144000000 implements MigrationInterface {
  name = 'NameSortIndex1764144000000';

  async up(q: QueryRunner): Promise<void> {
    await q.createIndex('clients', new TableIndex({ name: 'ix_clients_name', columnNames: ['name', 'id'] }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropIndex('clients', 'ix_clients_name');
  }
}
