import { ResourceDef, ToManyDef } from '../resources/types';
import { Executor } from './database';
import { and } from './scope.sql';
import { nowIso } from './object-id';
import { col, Params, q } from './sql';

/**
 * Statements that change data. They run inside `Database.write` (one transaction); the
 * operations layer decides what is allowed before calling them.
 */

/** Inserts one row; with `unlessTaken`, a row whose value in that unique column exists already is left alone. */
export async function insertRow(ex: Executor, def: ResourceDef, values: Record<string, unknown>, unlessTaken?: string): Promise<void> {
  const params = new Params();
  const columns = Object.keys(values);
  await ex.query(
    `INSERT INTO ${q(def.table)} (${columns.map(q).join(', ')}) VALUES (${columns.map((c) => params.add(values[c])).join(', ')})` +
      (unlessTaken ? ` ON CONFLICT (${q(unlessTaken)}) DO NOTHING` : ''),
    params,
  );
}

/** Sets columns, bumps the version and updatedAt. */
export async function updateRow(ex: Executor, def: ResourceDef, id: string, values: Record<string, unknown>, now: string): Promise<void> {
  const params = new Params();
  const sets = Object.keys(values).map((c) => `${q(c)} = ${params.add(values[c])}`);
  sets.push(`${q('version')} = ${q('version')} + 1`, `${q('updated_at')} = ${params.add(now)}`);
  await ex.query(`UPDATE ${q(def.table)} SET ${sets.join(', ')} WHERE ${q('id')} = ${params.add(id)}`, params);
}

/** Deletes one row; for a type with a revocation record (api-token), its hash is kept first. */
export async function deleteRow(ex: Executor, def: ResourceDef, id: string): Promise<void> {
  if (def.revocation) {
    const { table, column } = def.revocation;
    const keep = new Params();
    await ex.query(
      `INSERT INTO ${q(table)} (${q(column)}, ${q('revoked_at')}) SELECT t.${q(column)}, ${keep.add(nowIso())} FROM ${q(def.table)} t ` +
        `WHERE t.${q('id')} = ${keep.add(id)} ON CONFLICT (${q(column)}) DO NOTHING`,
      keep,
    );
  }
  const params = new Params();
  await ex.query(`DELETE FROM ${q(def.table)} WHERE ${q('id')} = ${params.add(id)}`, params);
}

/** Points the members' foreign key at `ownerId` (or null), bumping their versions. */
export async function setForeignKey(ex: Executor, target: ResourceDef, rel: ToManyDef, memberIds: readonly string[], ownerId: string | null, now: string): Promise<void> {
  if (memberIds.length === 0) return;
  const params = new Params();
  await ex.query(
    `UPDATE ${q(target.table)} SET ${q(rel.inverseColumn)} = ${params.add(ownerId)}, ${q('version')} = ${q('version')} + 1, ` +
      `${q('updated_at')} = ${params.add(now)} WHERE ${ex.dialect.inArray(q('id'), memberIds, params)}`,
    params,
  );
}

/** Current members of a to-many relationship (unscoped: writes are checked against the whole truth). */
export async function memberIds(ex: Executor, target: ResourceDef, rel: ToManyDef, ownerId: string): Promise<string[]> {
  const params = new Params();
  const rows = await ex.query<{ id: string }>(`SELECT ${q('id')} FROM ${q(target.table)} WHERE ${q(rel.inverseColumn)} = ${params.add(ownerId)} ORDER BY ${q('id')}`, params);
  return rows.map((r) => r.id);
}

/** The chain of ancestors above a client, nearest first. */
export async function ancestorIds(ex: Executor, clientId: string): Promise<string[]> {
  const params = new Params();
  const rows = await ex.query<{ id: string }>(
    `WITH RECURSIVE up(id, parent_id, depth) AS (` +
      `SELECT c.${q('id')}, c.${q('parent_id')}, 0 FROM ${q('clients')} c WHERE c.${q('id')} = ${params.add(clientId)} ` +
      `UNION ALL SELECT p.${q('id')}, p.${q('parent_id')}, up.depth + 1 FROM ${q('clients')} p JOIN up ON p.${q('id')} = up.parent_id) ` +
      `SELECT id FROM up WHERE depth > 0 ORDER BY depth`,
    params,
  );
  return rows.map((r) => r.id);
}

/** Number of rows in each blocking relationship that stop a delete. */
export async function countBlockers(ex: Executor, def: ResourceDef, id: string): Promise<{ name: string; count: number }[]> {
  if (def.deleteBlockers.length === 0) return [];
  const params = new Params();
  const parts = def.deleteBlockers.map(
    (b) => `SELECT ${params.add(b.name)} AS name, COUNT(*) AS n FROM ${q(b.table)} WHERE ${q(b.column)} = ${params.add(id)}`,
  );
  const rows = await ex.query<{ name: string; n: number | string }>(parts.join(' UNION ALL '), params);
  const counts = new Map(rows.map((r) => [r.name, Number(r.n)]));
  return def.deleteBlockers.map((b) => ({ name: b.name, count: counts.get(b.name) ?? 0 })).filter((b) => b.count > 0);
}

/** Whether another row of `def` already holds `value` in `column`. */
export async function valueTaken(ex: Executor, def: ResourceDef, column: string, value: unknown, exceptId: string | undefined): Promise<boolean> {
  const params = new Params();
  const where = and([`${col('t', column)} = ${params.add(value)}`, exceptId ? `${col('t', 'id')} <> ${params.add(exceptId)}` : undefined]);
  const rows = await ex.query(`SELECT 1 AS one FROM ${q(def.table)} t WHERE ${where} LIMIT 1`, params);
  return rows.length > 0;
}
