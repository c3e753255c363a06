import { MigrationInterface, QueryRunner, Table } from 'typeorm';

/**
 * The hashes of revoked tokens, written by every revocation (DELETE of an api-token, an atomic
 * remove, `npm run token -- revoke`, a replaced ADMIN_TOKEN), so that a revoked secret never
 * becomes valid again. Tokens revoked before this migration are not known.
 */
export class RevokedTokens1764403200000 implements MigrationInterface {
  name = 'RevokedTokens1764403200000';

  async up(q: QueryRunner): Promise<void> {
    await q.createTable(
      new Table({
        name: 'revoked_tokens',
        columns: [
          { name: 'token_hash', type: 'varchar', length: '64', isPrimary: true },
          { name: 'revoked_at', type: 'varchar', length: '24' },
        ],
      }),
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('revoked_tokens');
  }
}
