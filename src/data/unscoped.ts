import { DeleteBlocker, Registry } from '../resources/registry';
import { ID_COLUMN, ResourceDef } from '../resources/types';
import { Executor } from './database';
import { and, hierarchySql } from './scope.sql';
import { col, Params, q } from './sql';

/**
 * The reads that deliberately ignore the caller's scope, all in one place. Each answers a
 * question about the whole database that a write must know to keep it consistent, and none
 * returns a row to the caller: a uniqueness check must see values held outside the scope, a
 * cycle check the ancestors above it, a delete every row that still points at its target, a
 * write that reshapes the hierarchy the roots of the trees it touches (to lock them, PostgreSQL).
 * (Token lookups, migrations and backups are the other unscoped paths: token-store.ts,
 * database.ts, backup.ts.)
 */

/** Whether another row of `def` already holds `value` in `column`. */
export async function valueTaken(ex: Executor, def: ResourceDef, column: string, value: unknown, exceptId: string | undefined): Promise<boolean> {
  const params = new Params();
  const where = and([`${col('t', column)} = ${params.add(value)}`, exceptId ? `${col('t', ID_COLUMN)} <> ${params.add(exceptId)}` : undefined]);
  const rows = await ex.query(`SELECT 1 AS one FROM ${q(def.table)} t WHERE ${where} LIMIT 1`, params);
  return rows.length > 0;
}

/** Whether a row of `def` has this id (a client-generated id must be new everywhere). */
export function idTaken(ex: Executor, def: ResourceDef, id: string): Promise<boolean> {
  return valueTaken(ex, def, ID_COLUMN, id, undefined);
}

/** The chain of ancestors above a row of the hierarchy, nearest first. */
export async function ancestorIds(ex: Executor, registry: Registry, id: string): Promise<string[]> {
  const params = new Params();
  const rows = await ex.query<{ id: string }>(`${hierarchySql(registry).ancestors(id, params)} ORDER BY depth`, params);
  return rows.map((r) => r.id);
}

/** The ids of the roots of the trees holding the hierarchy rows `ids` (ids of no row are skipped). */
function rootsOf(ex: Executor, registry: Registry, ids: readonly string[], params: Params): string {
  const { def, parent } = registry.hierarchy;
  const [table, pk, up] = [q(def.table), q(ID_COLUMN), q(parent.column)];
  return (
    `WITH RECURSIVE up(id, parent_id) AS (SELECT u0.${pk}, u0.${up} FROM ${table} u0 WHERE ${ex.dialect.inArray(`u0.${pk}`, ids, params)} ` +
    `UNION SELECT un.${pk}, un.${up} FROM ${table} un JOIN up u ON un.${pk} = u.parent_id) SELECT id FROM up WHERE parent_id IS NULL`
  );
}

/** The roots of the trees holding these hierarchy rows, in id order, as they are now. */
export async function treeRoots(ex: Executor, registry: Registry, ids: readonly string[]): Promise<string[]> {
  const params = new Params();
  const rows = await ex.query<{ id: string }>(`${rootsOf(ex, registry, ids, params)} ORDER BY id`, params);
  return rows.map((r) => r.id);
}

/**
 * Locks the root rows of the trees holding these hierarchy rows (sql.ts lockRows, 'update'),
 * in id order, so that two writers locking overlapping sets of roots take turns without
 * deadlocking, and answers which it locked. A root may have moved while this waited for it:
 * the caller compares with `treeRoots` once it holds them.
 */
export async function lockTreeRoots(ex: Executor, registry: Registry, ids: readonly string[]): Promise<string[]> {
  const params = new Params();
  const roots = rootsOf(ex, registry, ids, params);
  const rows = await ex.query<{ id: string }>(
    `SELECT r.${q(ID_COLUMN)} AS id FROM ${q(registry.hierarchy.def.table)} r WHERE r.${q(ID_COLUMN)} IN (${roots}) ORDER BY r.${q(ID_COLUMN)}${ex.dialect.lockRows('r', 'update')}`,
    params,
  );
  return rows.map((r) => r.id);
}

/** Rows still pointing at a row of `def`, per blocker (those with none left out). */
export async function countBlockers(ex: Executor, registry: Registry, def: ResourceDef, id: string): Promise<{ blocker: DeleteBlocker; count: number }[]> {
  const blockers = registry.deleteBlockers(def);
  if (blockers.length === 0) return [];
  const params = new Params();
  const parts = blockers.map((b) => `SELECT ${params.add(b.name)} AS name, COUNT(*) AS n FROM ${q(b.def.table)} WHERE ${q(b.rel.column)} = ${params.add(id)}`);
  const rows = await ex.query<{ name: string; n: number | string }>(parts.join(' UNION ALL '), params);
  const counts = new Map(rows.map((r) => [r.name, Number(r.n)]));
  return blockers.map((blocker) => ({ blocker, count: counts.get(blocker.name) ?? 0 })).filter((b) => b.count > 0);
}
