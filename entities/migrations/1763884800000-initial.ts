import { MigrationInterface, QueryRunner, Table, TableColumnOptions } from 'typeorm';

/**
 * The initial schema, written with TypeORM's Table API so that one migration serves SQLite and
 * PostgreSQL. Every foreign key is indexed and RESTRICT: nothing is ever deleted by cascade.
 * A test checks that these tables match the entities exactly (no pending schema change).
 */
const id = (): TableColumnOptions => ({ name: 'id', type: 'varchar', length: '24', isPrimary: true });
const ref = (name: string, nullable: boolean): TableColumnOptions => ({ name, type: 'varchar', length: '24', isNullable: nullable });
const text = (name: string, length: number, nullable = false): TableColumnOptions => ({ name, type: 'varchar', length: String(length), isNullable: nullable });
const version = (): TableColumnOptions => ({ name: 'version', type: 'integer', default: 1 });
const stamps = (): TableColumnOptions[] => [text('created_at', 24), text('updated_at', 24)];

function owned(table: string, extra: TableColumnOptions[]): Table {
  return new Table({
    name: table,
    columns: [id(), text('name', 200), ...extra, ref('client_id', false), version(), ...stamps()],
    indices: [{ name: `ix_${table}_client_id`, columnNames: ['client_id'] }],
    foreignKeys: [
      {
        name: `fk_${table}_client_id`,
        columnNames: ['client_id'],
        referencedTableName: 'clients',
        referencedColumnNames: ['id'],
        onDelete: 'RESTRICT',
      },
    ],
  });
}

export class Initial1763884800000 implements MigrationInterface {
  name = 'Initial1763884800000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'clients',
        columns: [id(), text('name', 200), text('email', 254, true), text('email_key', 254, true), text('slug', 63, true), ref('parent_id', true), version(), ...stamps()],
        indices: [
          { name: 'uq_clients_email_key', columnNames: ['email_key'], isUnique: true },
          { name: 'uq_clients_slug', columnNames: ['slug'], isUnique: true },
          { name: 'ix_clients_parent_id', columnNames: ['parent_id'] },
        ],
        foreignKeys: [
          {
            name: 'fk_clients_parent_id',
            columnNames: ['parent_id'],
            referencedTableName: 'clients',
            referencedColumnNames: ['id'],
            onDelete: 'RESTRICT',
          },
        ],
      }),
    );
    await q.createTable(owned('legal_entities', [text('registration_number', 64, true), text('country', 2, true)]));
    await q.createTable(owned('reporting_entities', [text('currency', 3, true)]));
    await q.createTable(owned('projects', []));
    await q.createTable(
      new Table({
        name: 'api_tokens',
        columns: [id(), text('name', 200), text('role', 10), ref('client_id', true), text('token_hash', 64), version(), ...stamps(), text('last_used_at', 24, true)],
        indices: [
          { name: 'ix_api_tokens_client_id', columnNames: ['client_id'] },
          { name: 'uq_api_tokens_token_hash', columnNames: ['token_hash'], isUnique: true },
        ],
        foreignKeys: [
          {
            name: 'fk_api_tokens_client_id',
            columnNames: ['client_id'],
            referencedTableName: 'clients',
            referencedColumnNames: ['id'],
            onDelete: 'RESTRICT',
          },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['api_tokens', 'projects', 'reporting_entities', 'legal_entities', 'clients']) {
      await q.dropTable(t);
    }
  }
}
