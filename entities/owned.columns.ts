import { Column } from 'typeorm';
import { BaseColumns } from './base.columns';

/**
 * Columns every owned entity has besides the base ones: its name and its required owner.
 * Abstract base (TypeORM copies inherited columns into each concrete table); each concrete
 * entity declares its own named index and foreign key on client_id.
 */
export abstract class OwnedEntity extends BaseColumns {
  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ name: 'client_id', type: 'varchar', length: 24 })
  clientId!: string;
}
