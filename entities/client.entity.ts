import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { BaseColumns } from './base.columns';

/** A client: a node of the forest. `emailKey` is the case-folded email, unique. */
@Entity({ name: 'clients' })
@Index('ix_clients_name', ['name', 'id'])
// The trigram index on name_key is made by a migration (pg_trgm on PostgreSQL, FTS5 on SQLite).
@Index('ix_clients_name_key_trgm', { synchronize: false })
// PostgreSQL only: the name in code-point order (COLLATE "C"), made by a migration.
@Index('ix_clients_name_c', { synchronize: false })
export class ClientEntity extends BaseColumns {
  @Column({ type: 'varchar', length: 200 })
  name!: string;

  /** Case-folded name (at most 3 × 200 code points): substring filters compare on it (and a trigram index covers it). */
  @Column({ name: 'name_key', type: 'varchar', length: 800, nullable: true })
  nameKey!: string | null;

  @Column({ type: 'varchar', length: 254, nullable: true })
  email!: string | null;

  /**
   * Case-folded email. Folding can make a string longer (ﬃ → ffi, ΐ → three code points): no
   * character grows past 3 code points, so 3 × 254 holds the folded form of any valid email.
   */
  @Index('uq_clients_email_key', { unique: true })
  @Column({ name: 'email_key', type: 'varchar', length: 762, nullable: true })
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
}
