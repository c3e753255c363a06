import { Column, PrimaryColumn } from 'typeorm';

/**
 * Columns every owned entity has: id, name, the required owner, version and timestamps.
 * Abstract base (TypeORM copies inherited columns into each concrete table); each concrete
 * entity declares its own named index and foreign key on client_id.
 */
export abstract class OwnedEntity {
  @PrimaryColumn({ type: 'varchar', length: 24 })
  id!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ name: 'client_id', type: 'varchar', length: 24 })
  clientId!: string;

  @Column({ type: 'integer', default: 1 })
  version!: number;

  @Column({ name: 'created_at', type: 'varchar', length: 24 })
  createdAt!: string;

  @Column({ name: 'updated_at', type: 'varchar', length: 24 })
  updatedAt!: string;
}
