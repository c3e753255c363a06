import { createHash, randomBytes } from 'node:crypto';

/** Token secrets: 256 random bits, shown once; only their SHA-256 is stored. */
export const TOKEN_PREFIX = 'chs_';

export function newTokenSecret(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** Secrets are high-entropy, so a fast hash is enough: nothing to brute-force. */
export function hashToken(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Columns for a new token row (the hash) and the secret to show once (response meta). */
export function tokenSecretColumns(): { columns: Record<string, unknown>; meta: Record<string, unknown> } {
  const secret = newTokenSecret();
  return { columns: { token_hash: hashToken(secret) }, meta: { secret } };
}
