import { ResourceDef } from '../resources/types';
import { Scope } from '../scope/scope';
import { col, Params, q } from './sql';

/**
 * The tenant scope as SQL. A client-role token (or a narrowed host) sees the subtree below one
 * client; the subtree is found with a recursive CTE, portable to SQLite and PostgreSQL and
 * always right after any reparenting, since nothing derived has to be kept up to date.
 */
export function subtreeSql(rootId: string, params: Params): string {
  return (
    `WITH RECURSIVE subtree(id) AS (SELECT c0.${q('id')} FROM ${q('clients')} c0 WHERE c0.${q('id')} = ${params.add(rootId)} ` +
    `UNION ALL SELECT cn.${q('id')} FROM ${q('clients')} cn JOIN subtree s ON cn.${q('parent_id')} = s.id) SELECT id FROM subtree`
  );
}

/**
 * Predicate limiting rows of `def` under `alias` to the scope, or undefined for everything.
 * Admin-only rows are limited like owned ones: only admins reach them (operations/access.ts
 * refuses every other role first), and a narrowed admin sees those of clients in the subtree
 * (a row that belongs to no client, NULL, never matches).
 */
export function scopePredicate(def: ResourceDef, alias: string, scope: Scope, params: Params): string | undefined {
  if (scope.kind === 'all') return undefined;
  const column = def.scope.kind === 'client-self' ? 'id' : def.scope.column;
  return `${col(alias, column)} IN (${subtreeSql(scope.rootId, params)})`;
}

/** Predicate that an id expression names a row of `target` the scope can see. */
export function visibleIdPredicate(target: ResourceDef, idExpr: string, scope: Scope, params: Params): string | undefined {
  if (scope.kind === 'all') return undefined;
  if (target.scope.kind === 'client-self') return `${idExpr} IN (${subtreeSql(scope.rootId, params)})`;
  return `${idExpr} IN (SELECT v.${q('id')} FROM ${q(target.table)} v WHERE ${scopePredicate(target, 'v', scope, params)})`;
}

export function and(parts: (string | undefined)[]): string {
  const present = parts.filter((p): p is string => p !== undefined && p !== '');
  return present.length === 0 ? '1 = 1' : present.map((p) => `(${p})`).join(' AND ');
}

/** Ids strictly below `id` in the hierarchy of `table` (any depth). */
export function descendantsSql(table: string, parentColumn: string, id: string, params: Params): string {
  return (
    `WITH RECURSIVE below(id) AS (SELECT d0.${q('id')} FROM ${q(table)} d0 WHERE d0.${q(parentColumn)} = ${params.add(id)} ` +
    `UNION ALL SELECT dn.${q('id')} FROM ${q(table)} dn JOIN below b ON dn.${q(parentColumn)} = b.id) SELECT id FROM below`
  );
}

/** Ids strictly above `id` in the hierarchy of `table` (its parent, grandparent, ...). */
export function ancestorsSql(table: string, parentColumn: string, id: string, params: Params): string {
  return (
    `WITH RECURSIVE above(id, parent_id) AS (SELECT a0.${q('id')}, a0.${q(parentColumn)} FROM ${q(table)} a0 WHERE a0.${q('id')} = ${params.add(id)} ` +
    `UNION ALL SELECT an.${q('id')}, an.${q(parentColumn)} FROM ${q(table)} an JOIN above a ON an.${q('id')} = a.parent_id) ` +
    `SELECT id FROM above WHERE id <> ${params.add(id)}`
  );
}
