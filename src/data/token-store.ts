import { hashToken, newTokenSecret } from '../auth/tokens';
import { Principal } from '../scope/scope';
import { Database, Executor } from './database';
import { newObjectId, nowIso } from './object-id';
import { insertRow } from './writer';
import { registry } from '../resources/registry';
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
  return db.write(async (ex) => {
    if (clientId !== null) {
      const p = new Params();
      const found = await ex.query(`SELECT 1 AS one FROM ${q('clients')} WHERE ${q('id')} = ${p.add(clientId)}`, p);
      if (found.length === 0) throw new Error(`No client with id ${clientId}`);
    }
    return insertTokenRow(ex, name, role, clientId, secret, false);
  });
}

async function insertTokenRow(ex: Executor, name: string, role: 'admin' | 'client', clientId: string | null, secret: string, ifAbsent: boolean): Promise<{ id: string; secret: string }> {
  const id = newObjectId();
  const now = nowIso();
  const values = { id, name, role, client_id: clientId, token_hash: hashToken(secret), version: 1, created_at: now, updated_at: now };
  await insertRow(ex, registry.get('api-token'), values, ifAbsent ? 'token_hash' : undefined);
  return { id, secret };
}

/** Makes `secret` an admin token unless it already is a token (instances starting together agree). */
export async function ensureAdminToken(db: Database, secret: string): Promise<void> {
  await db.write((ex) => insertTokenRow(ex, 'ADMIN_TOKEN', 'admin', null, secret, true));
}

/**
 * With no admin token at all, makes one and returns its secret; otherwise returns undefined.
 * The count and the insert share one transaction (on PostgreSQL under an advisory lock), so
 * two instances starting together never both print a first token.
 */
export async function ensureFirstAdminToken(db: Database): Promise<string | undefined> {
  return db.write(async (ex) => {
    if (ex.dialect.name === 'postgres') await ex.query('SELECT pg_advisory_xact_lock(7242002)');
    const rows = await ex.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${q('api_tokens')} WHERE ${q('role')} = 'admin'`);
    if (Number(rows[0]?.n ?? 0) > 0) return undefined;
    return (await insertTokenRow(ex, 'first admin token', 'admin', null, newTokenSecret(), false)).secret;
  });
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
