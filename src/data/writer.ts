import { NotFoundError } from '../errors/api-error';
import { ID_COLUMN, ResourceDef, ToManyDef, UPDATED_AT_COLUMN, VERSION_COLUMN } from '../resources/types';
import { WriteExecutor } from './database';
import { nowIso } from './object-id';
import type { Row } from './query-composer';
import { and, ScopeSql } from './scope.sql';
import { col, Params, q } from './sql';

/**
 * Statements that change data, each carrying the caller's scope: an UPDATE or DELETE matches
 * only rows the caller can see and checks how many it touched, so a write can never reach a
 * row outside the scope even if a check before it were missing. They run inside one write
 * transaction (Session.write); the operations decide what is allowed before calling them.
 */

/** Inserts one row; with `unlessTaken`, a row whose value in that unique column exists already is left alone. */
export async function insertRow(ex: WriteExecutor, def: ResourceDef, values: Record<string, unknown>, unlessTaken?: string): Promise<void> {
  const params = new Params();
  const columns = Object.keys(values);
  await ex.run(
    `INSERT INTO ${q(def.table)} (${columns.map(q).join(', ')}) VALUES (${columns.map((c) => params.add(values[c])).join(', ')})` + (unlessTaken ? ` ON CONFLICT (${q(unlessTaken)}) DO NOTHING` : ''),
    params,
  );
}

/** Throws unless a statement touched exactly the rows it was meant to: the others are outside the scope. */
function expectTouched(def: ResourceDef, touched: number, expected: number, ids: readonly string[]): void {
  if (touched !== expected) throw new NotFoundError(`No ${def.type} with id "${ids.join('", "')}" exists.`);
}

/** `WHERE` of a statement on rows of `def` (alias t) limited to `ids` and the scope. */
function scopedIds(ex: WriteExecutor, scope: ScopeSql, def: ResourceDef, ids: readonly string[], params: Params): string {
  const match = ids.length === 1 ? `${col('t', ID_COLUMN)} = ${params.add(ids[0])}` : ex.dialect.inArray(col('t', ID_COLUMN), ids, params);
  return and([match, scope.predicate(def, 't', params)]);
}

/**
 * The visible rows of `def` with these ids, locked until the transaction ends (sql.ts
 * lockRows): the first read of a row a write changes or deletes, so that two writes of one row
 * take turns and the second sees the first's version (If-Match, meta.version), never the same.
 */
export function lockedRows(ex: WriteExecutor, scope: ScopeSql, def: ResourceDef, ids: readonly string[], columns: readonly string[], intent: 'update' | 'delete'): Promise<Row[]> {
  if (ids.length === 0) return Promise.resolve([]);
  const params = new Params();
  const select = columns.map((c) => col('t', c)).join(', ');
  return ex.query<Row>(`SELECT ${select} FROM ${q(def.table)} t WHERE ${scopedIds(ex, scope, def, ids, params)}${ex.dialect.lockRows('t', intent)}`, params);
}

/** Sets columns of one visible row, bumps its version and updatedAt. */
export async function updateRow(ex: WriteExecutor, scope: ScopeSql, def: ResourceDef, id: string, values: Record<string, unknown>, now: string): Promise<void> {
  const params = new Params();
  const sets = Object.keys(values).map((c) => `${q(c)} = ${params.add(values[c])}`);
  sets.push(`${q(VERSION_COLUMN)} = ${q(VERSION_COLUMN)} + 1`, `${q(UPDATED_AT_COLUMN)} = ${params.add(now)}`);
  const touched = await ex.run(`UPDATE ${q(def.table)} AS t SET ${sets.join(', ')} WHERE ${scopedIds(ex, scope, def, [id], params)}`, params);
  expectTouched(def, touched, 1, [id]);
}

/** Deletes one visible row; for a type with a revocation record (api-token), its hash is kept first. */
export async function deleteRow(ex: WriteExecutor, scope: ScopeSql, def: ResourceDef, id: string): Promise<void> {
  if (def.revocation) {
    const { table, column, atColumn } = def.revocation;
    const keep = new Params();
    await ex.run(
      `INSERT INTO ${q(table)} (${q(column)}, ${q(atColumn)}) SELECT t.${q(column)}, ${keep.add(nowIso())} FROM ${q(def.table)} t ` +
        `WHERE ${scopedIds(ex, scope, def, [id], keep)} ON CONFLICT (${q(column)}) DO NOTHING`,
      keep,
    );
  }
  const params = new Params();
  const touched = await ex.run(`DELETE FROM ${q(def.table)} AS t WHERE ${scopedIds(ex, scope, def, [id], params)}`, params);
  expectTouched(def, touched, 1, [id]);
}

/** Points the visible members' foreign key at `ownerId` (or null), bumping their versions. */
export async function setForeignKey(ex: WriteExecutor, scope: ScopeSql, target: ResourceDef, rel: ToManyDef, memberIds: readonly string[], ownerId: string | null, now: string): Promise<void> {
  const ids = [...new Set(memberIds)];
  if (ids.length === 0) return;
  const params = new Params();
  const touched = await ex.run(
    `UPDATE ${q(target.table)} AS t SET ${q(rel.inverseColumn)} = ${params.add(ownerId)}, ${q(VERSION_COLUMN)} = ${q(VERSION_COLUMN)} + 1, ` +
      `${q(UPDATED_AT_COLUMN)} = ${params.add(now)} WHERE ${scopedIds(ex, scope, target, ids, params)}`,
    params,
  );
  expectTouched(target, touched, ids.length, ids);
}

/** Current members of a to-many relationship of a visible owner, in id order (all visible: an owner's subtree holds them). */
export async function memberIds(ex: WriteExecutor, scope: ScopeSql, target: ResourceDef, rel: ToManyDef, ownerId: string): Promise<string[]> {
  const params = new Params();
  const where = and([`${col('t', rel.inverseColumn)} = ${params.add(ownerId)}`, scope.predicate(target, 't', params)]);
  const rows = await ex.query<{ id: string }>(`SELECT t.${q(ID_COLUMN)} AS id FROM ${q(target.table)} t WHERE ${where} ORDER BY t.${q(ID_COLUMN)}`, params);
  return rows.map((r) => r.id);
}
