import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/** A small key/value table for settings every instance must share (cursor signing secret). */
export class Settings1764057600000 implements MigrationInterface {
  name = 'Settings1764057600000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'settings',
        columns: [
          { name: 'name', type: 'varchar', length: '64', isPrimary: true },
          { name: 'value', type: 'varchar', length: '200' },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('settings');
  }
}
