import { Column, PrimaryColumn } from 'typeorm';

/** Columns every table has: the id, the version each write increments, and the timestamps. */
export abstract class BaseColumns {
  @PrimaryColumn({ type: 'varchar', length: 24 })
  id!: string;

  @Column({ type: 'integer', default: 1 })
  version!: number;

  @Column({ name: 'created_at', type: 'varchar', length: 24 })
  createdAt!: string;

  @Column({ name: 'updated_at', type: 'varchar', length: 24 })
  updatedAt!: string;
}
