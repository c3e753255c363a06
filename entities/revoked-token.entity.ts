import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The SHA-256 of every revoked token (never a secret): a revoked secret can never be made a
 * token again, ADMIN_TOKEN included (the service refuses to start with one).
 */
@Entity({ name: 'revoked_tokens' })
export class RevokedTokenEntity {
  @PrimaryColumn({ name: 'token_hash', type: 'varchar', length: 64 })
  tokenHash!: string;

  @Column({ name: 'revoked_at', type: 'varchar', length: 24 })
  revokedAt!: string;
}
