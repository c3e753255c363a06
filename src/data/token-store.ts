import { hashToken, newTokenSecret } from '../auth/tokens';
import { attribute, registry, relationship } from '../resources/registry';
import { SETTINGS } from '../resources/settings';
import { CREATED_AT_COLUMN, ID_COLUMN, ToOneDef, UPDATED_AT_COLUMN, VERSION_COLUMN } from '../resources/types';
import { Principal } from '../scope/scope';
import { Database, Tally, WriteExecutor } from './database';
import { newObjectId, nowIso } from './object-id';
import { ScopeSql } from './scope.sql';
import { Params, q } from './sql';
import { deleteRow, insertRow } from './writer';

/** The api-token type's table and columns, from its declaration. */
const TOKEN = registry.get('api-token');
const TOKENS = q(TOKEN.table);
const HASH = q(TOKEN.revocation!.column);
const ROLE = q(attribute(TOKEN, 'role')!.column);
const LAST_USED = q(attribute(TOKEN, 'lastUsedAt')!.column);
const CLIENT = (relationship(TOKEN, 'client') as ToOneDef).column;
const REVOKED = { table: q(TOKEN.revocation!.table), at: q(TOKEN.revocation!.atColumn) };
const ID = q(ID_COLUMN);
/** The token CLI and the bootstrap act for the service itself: their writes see everything. */
const UNLIMITED = ScopeSql.of(registry, { kind: 'all' }, true);

/**
 * Token lookups for authentication and the token CLI. Every request reads the token row afresh
 * (no cache), so a revoked token is refused on its very next use, on every instance.
 */
const TOUCH_INTERVAL_MS = 60_000;

export async function principalForSecret(db: Database, secret: string, tally?: Tally): Promise<Principal | undefined> {
  const params = new Params();
  const rows = await db.read(
    (ex) =>
      ex.query<{ id: string; role: 'admin' | 'client'; client_id: string | null; last_used_at: string | null }>(
        `SELECT ${ID} AS id, ${ROLE} AS role, ${q(CLIENT)} AS client_id, ${LAST_USED} AS last_used_at FROM ${TOKENS} WHERE ${HASH} = ${params.add(hashToken(secret))}`,
        params,
      ),
    tally,
  );
  const row = rows[0];
  if (!row) return undefined;
  const now = Date.now();
  if (row.last_used_at === null || Date.parse(row.last_used_at) <= now - TOUCH_INTERVAL_MS) {
    const p = new Params();
    const cutoff = new Date(now - TOUCH_INTERVAL_MS).toISOString();
    await db.write(
      (ex) =>
        ex.query(`UPDATE ${TOKENS} SET ${LAST_USED} = ${p.add(new Date(now).toISOString())} ` + `WHERE ${ID} = ${p.add(row.id)} AND (${LAST_USED} IS NULL OR ${LAST_USED} <= ${p.add(cutoff)})`, p),
      tally,
    );
  }
  return { tokenId: row.id, role: row.role, clientId: row.client_id };
}

export async function insertToken(db: Database, name: string, role: 'admin' | 'client', clientId: string | null, secret = newTokenSecret()): Promise<{ id: string; secret: string }> {
  return db.write(async (ex) => {
    if (clientId !== null) {
      const p = new Params();
      const found = await ex.query(`SELECT 1 AS one FROM ${q(registry.hierarchy.def.table)} WHERE ${ID} = ${p.add(clientId)}`, p);
      if (found.length === 0) throw new Error(`No client with id ${clientId}`);
    }
    return insertTokenRow(ex, name, role, clientId, secret, false);
  });
}

async function insertTokenRow(ex: WriteExecutor, name: string, role: 'admin' | 'client', clientId: string | null, secret: string, ifAbsent: boolean): Promise<{ id: string; secret: string }> {
  const id = newObjectId();
  const now = nowIso();
  const values = {
    [ID_COLUMN]: id,
    [attribute(TOKEN, 'name')!.column]: name,
    [attribute(TOKEN, 'role')!.column]: role,
    [CLIENT]: clientId,
    [TOKEN.revocation!.column]: hashToken(secret),
    [VERSION_COLUMN]: 1,
    [CREATED_AT_COLUMN]: now,
    [UPDATED_AT_COLUMN]: now,
  };
  await insertRow(ex, TOKEN, values, ifAbsent ? TOKEN.revocation!.column : undefined);
  return { id, secret };
}

/** The settings row naming the token ADMIN_TOKEN made, by its hash (never the secret). */
const ADMIN_TOKEN_SETTING = 'admin_token_hash';

/**
 * Makes `secret` (ADMIN_TOKEN) an admin token, all in one write transaction, so instances
 * starting together agree: 'revoked' (nothing changes) when its hash was ever revoked, since a
 * revoked secret never comes back; otherwise the token an earlier, different ADMIN_TOKEN made is
 * revoked, this one is made unless it exists, and its hash is remembered for the next start.
 */
export async function ensureAdminToken(db: Database, secret: string): Promise<'ok' | 'revoked'> {
  const hash = hashToken(secret);
  return db.write(async (ex) => {
    const r = new Params();
    const revoked = await ex.query(`SELECT 1 AS one FROM ${REVOKED.table} WHERE ${HASH} = ${r.add(hash)}`, r);
    if (revoked.length > 0) return 'revoked';
    const s = new Params();
    const [previous] = await ex.query<{ value: string }>(`SELECT ${q(SETTINGS.value)} AS value FROM ${q(SETTINGS.table)} WHERE ${q(SETTINGS.name)} = ${s.add(ADMIN_TOKEN_SETTING)}`, s);
    if (previous && previous.value !== hash) await revokeHash(ex, previous.value);
    await insertTokenRow(ex, 'ADMIN_TOKEN', 'admin', null, secret, true);
    const u = new Params();
    await ex.query(
      `INSERT INTO ${q(SETTINGS.table)} (${q(SETTINGS.name)}, ${q(SETTINGS.value)}) VALUES (${u.add(ADMIN_TOKEN_SETTING)}, ${u.add(hash)}) ` +
        `ON CONFLICT (${q(SETTINGS.name)}) DO UPDATE SET ${q(SETTINGS.value)} = excluded.${q(SETTINGS.value)}`,
      u,
    );
    return 'ok';
  });
}

/** Revokes the token with this hash, if any, and remembers the hash either way. */
async function revokeHash(ex: WriteExecutor, hash: string): Promise<void> {
  const p = new Params();
  // Locked: instances starting together with a new ADMIN_TOKEN revoke the old one in turns.
  const [row] = await ex.query<{ id: string }>(`SELECT t.${ID} AS id FROM ${TOKENS} t WHERE t.${HASH} = ${p.add(hash)}${ex.dialect.lockRows('t', 'delete')}`, p);
  if (row) return deleteRow(ex, UNLIMITED, TOKEN, row.id);
  const k = new Params();
  await ex.run(`INSERT INTO ${REVOKED.table} (${HASH}, ${REVOKED.at}) VALUES (${k.add(hash)}, ${k.add(nowIso())}) ON CONFLICT (${HASH}) DO NOTHING`, k);
}

/**
 * With no admin token at all, makes one and returns its secret; otherwise returns undefined.
 * The count and the insert share one transaction (on PostgreSQL under an advisory lock), so
 * two instances starting together never both print a first token.
 */
export async function ensureFirstAdminToken(db: Database): Promise<string | undefined> {
  return db.write(async (ex) => {
    if (ex.dialect.name === 'postgres') await ex.query('SELECT pg_advisory_xact_lock(7242002)');
    const rows = await ex.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${TOKENS} WHERE ${ROLE} = 'admin'`);
    if (Number(rows[0]?.n ?? 0) > 0) return undefined;
    return (await insertTokenRow(ex, 'first admin token', 'admin', null, newTokenSecret(), false)).secret;
  });
}

/** Revokes a token (`npm run token -- revoke`): gone at once, and its hash is kept so it never comes back. */
export async function deleteToken(db: Database, id: string): Promise<boolean> {
  return db.write(async (ex) => {
    const p = new Params();
    // Locked: of two revocations at once, the second waits and then finds nothing.
    const found = await ex.query(`SELECT 1 AS one FROM ${TOKENS} t WHERE t.${ID} = ${p.add(id)}${ex.dialect.lockRows('t', 'delete')}`, p);
    if (found.length === 0) return false;
    await deleteRow(ex, UNLIMITED, TOKEN, id);
    return true;
  });
}
