import { Column, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { BaseColumns } from './base.columns';
import { ClientEntity } from './client.entity';

/** An API token. Only the SHA-256 of the secret is stored. */
@Entity({ name: 'api_tokens' })
export class ApiTokenEntity extends BaseColumns {
  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'varchar', length: 10 })
  role!: 'admin' | 'client';

  @Index('ix_api_tokens_client_id')
  @Column({ name: 'client_id', type: 'varchar', length: 24, nullable: true })
  clientId!: string | null;

  @ManyToOne(() => ClientEntity, { nullable: true, onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'client_id', foreignKeyConstraintName: 'fk_api_tokens_client_id' })
  client?: ClientEntity | null;

  @Index('uq_api_tokens_token_hash', { unique: true })
  @Column({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  @Column({ name: 'last_used_at', type: 'varchar', length: 24, nullable: true })
  lastUsedAt!: string | null;
}
