import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';

/** A client: a node of the forest. `emailKey` is the case-folded email, unique. */
@Entity({ name: 'clients' })
export class ClientEntity {
  @PrimaryColumn({ type: 'varchar', length: 24 })
  id!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 254, nullable: true })
  email!: string | null;

  @Index('uq_clients_email_key', { unique: true })
  @Column({ name: 'email_key', type: 'varchar', length: 254, nullable: true })
  emailKey!: string | null;

  @Index('uq_clients_slug', { unique: true })
  @Column({ type: 'varchar', length: 63, nullable: true })
  slug!: string | null;

  @Index('ix_clients_parent_id')
  @Column({ name: 'parent_id', type: 'varchar', length: 24, nullable: true })
  parentId!: string | null;

  @ManyToOne(() => ClientEntity, { nullable: true, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'parent_id', foreignKeyConstraintName: 'fk_clients_parent_id' })
  parent?: ClientEntity | null;

  @Column({ type: 'integer', default: 1 })
  version!: number;

  @Column({ name: 'created_at', type: 'varchar', length: 24 })
  createdAt!: string;

  @Column({ name: 'updated_at', type: 'varchar', length: 24 })
  updatedAt!: string;
}
