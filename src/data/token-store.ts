import { hashToken, newTokenSecret } from '../auth/tokens';
import { Principal } from '../scope/scope';
import { Database } from './database';
import { newObjectId, nowIso } from './object-id';
import { Params, q } from './sql';

/**
 * Token lookups for authentication and the token CLI. Every request reads the token row afresh
 * (no cache), so a revoked token is refused on its very next use, on every instance.
 */
const TOUCH_INTERVAL_MS = 60_000;

export async function principalForSecret(db: Database, secret: string): Promise<Principal | undefined> {
  const params = new Params();
  const rows = await db.read((ex) =>
    ex.query<{ id: string; role: 'admin' | 'client'; client_id: string | null; last_used_at: string | null }>(
      `SELECT ${q('id')}, ${q('role')}, ${q('client_id')}, ${q('last_used_at')} FROM ${q('api_tokens')} WHERE ${q('token_hash')} = ${params.add(hashToken(secret))}`,
      params,
    ),
  );
  const row = rows[0];
  if (!row) return undefined;
  const now = Date.now();
  if (row.last_used_at === null || Date.parse(row.last_used_at) <= now - TOUCH_INTERVAL_MS) {
    const p = new Params();
    const cutoff = new Date(now - TOUCH_INTERVAL_MS).toISOString();
    await db.write((ex) =>
      ex.query(
        `UPDATE ${q('api_tokens')} SET ${q('last_used_at')} = ${p.add(new Date(now).toISOString())} ` +
          `WHERE ${q('id')} = ${p.add(row.id)} AND (${q('last_used_at')} IS NULL OR ${q('last_used_at')} <= ${p.add(cutoff)})`,
        p,
      ),
    );
  }
  return { tokenId: row.id, role: row.role, clientId: row.client_id };
}

export async function insertToken(db: Database, name: string, role: 'admin' | 'client', clientId: string | null, secret = newTokenSecret()): Promise<{ id: string; secret: string }> {
  const id = newObjectId();
  const now = nowIso();
  const params = new Params();
  await db.write(async (ex) => {
    if (clientId !== null) {
      const p = new Params();
      const found = await ex.query(`SELECT 1 AS one FROM ${q('clients')} WHERE ${q('id')} = ${p.add(clientId)}`, p);
      if (found.length === 0) throw new Error(`No client with id ${clientId}`);
    }
    await ex.query(
      `INSERT INTO ${q('api_tokens')} (${['id', 'name', 'role', 'client_id', 'token_hash', 'version', 'created_at', 'updated_at'].map(q).join(', ')}) ` +
        `VALUES (${[id, name, role, clientId, hashToken(secret), 1, now, now].map((v) => params.add(v)).join(', ')})`,
      params,
    );
  });
  return { id, secret };
}

export async function deleteToken(db: Database, id: string): Promise<boolean> {
  return db.write(async (ex) => {
    const p = new Params();
    const found = await ex.query(`SELECT 1 AS one FROM ${q('api_tokens')} WHERE ${q('id')} = ${p.add(id)}`, p);
    if (found.length === 0) return false;
    const d = new Params();
    await ex.query(`DELETE FROM ${q('api_tokens')} WHERE ${q('id')} = ${d.add(id)}`, d);
    return true;
  });
}

/** True when a token with this secret exists. */
export async function tokenExists(db: Database, secret: string): Promise<boolean> {
  const p = new Params();
  const rows = await db.read((ex) => ex.query(`SELECT 1 AS one FROM ${q('api_tokens')} WHERE ${q('token_hash')} = ${p.add(hashToken(secret))}`, p));
  return rows.length > 0;
}

export async function adminTokenCount(db: Database): Promise<number> {
  const rows = await db.read((ex) => ex.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${q('api_tokens')} WHERE ${q('role')} = 'admin'`));
  return Number(rows[0]?.n ?? 0);
}
