import { FilterNode, PageSpec, SortKey } from '../query/ast';
import { Registry } from '../resources/registry';
import { AttributeDef, ResourceDef, ToOneDef } from '../resources/types';
import { casefold } from '../resources/values';
import { Scope } from '../scope/scope';
import { Executor } from './database';
import { and, scopePredicate, visibleIdPredicate } from './scope.sql';
import { col, Dialect, likeLiteral, Params, q } from './sql';

/**
 * Composes the SELECT of a collection: the scope predicate, filters, joins for to-one paths
 * (scoped in the join, so a related row the caller may not see behaves as null), ORDER BY
 * with the id tiebreaker, the page, and the matching COUNT.
 */

export interface SelectRequest {
  readonly def: ResourceDef;
  readonly columns: readonly string[];
  readonly scope: Scope;
  readonly filters?: readonly FilterNode[];
  readonly sort?: readonly SortKey[];
  readonly page?: PageSpec;
  /** An extra constraint on the primary alias `t` (the owner of a related collection). */
  readonly where?: (params: Params) => string;
  readonly count?: boolean;
}

export type Row = Record<string, unknown> & { id: string };

class Joins {
  private readonly aliases = new Map<string, string>();
  readonly sql: string[] = [];

  constructor(
    private readonly registry: Registry,
    private readonly scope: Scope,
    private readonly params: Params,
  ) {}

  /** The alias of the row at the end of a to-one path from `t`, joining as needed. */
  alias(path: readonly ToOneDef[]): string {
    let alias = 't';
    let key = '';
    for (const rel of path) {
      key = key ? `${key}.${rel.name}` : rel.name;
      let next = this.aliases.get(key);
      if (!next) {
        next = `j${this.aliases.size + 1}`;
        this.aliases.set(key, next);
        const target = this.registry.get(rel.target);
        const on = and([`${col(next, 'id')} = ${col(alias, rel.column)}`, scopePredicate(target, next, this.scope, this.params)]);
        this.sql.push(`LEFT JOIN ${q(target.table)} ${next} ON ${on}`);
      }
      alias = next;
    }
    return alias;
  }
}

function attributeCondition(dialect: Dialect, column: string, attribute: AttributeDef, alias: string, node: FilterNode & { kind: 'attribute' }, params: Params): string {
  const insensitive = attribute.caseInsensitiveEquality === true && attribute.foldedColumn !== undefined;
  const eqExpr = insensitive ? col(alias, attribute.foldedColumn!) : column;
  const eqValue = (v: string | boolean): unknown => (insensitive ? casefold(String(v)) : v);
  const values = node.values;
  switch (node.operator) {
    case 'eq':
      return `${eqExpr} = ${params.add(eqValue(values[0]))}`;
    case 'ne':
      return `(${eqExpr} IS NULL OR ${eqExpr} <> ${params.add(eqValue(values[0]))})`;
    case 'in':
      return `${eqExpr} IN (${params.list(values.map(eqValue))})`;
    case 'nin':
      return `(${eqExpr} IS NULL OR ${eqExpr} NOT IN (${params.list(values.map(eqValue))}))`;
    case 'null':
      return values[0] ? `${column} IS NULL` : `${column} IS NOT NULL`;
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      const op = { gt: '>', gte: '>=', lt: '<', lte: '<=' }[node.operator];
      return `${dialect.binary(column)} ${op} ${params.add(values[0])}`;
    }
    case 'contains':
    case 'startsWith':
    case 'endsWith': {
      const folded = casefold(String(values[0]));
      const needle = likeLiteral(folded);
      const pattern = node.operator === 'contains' ? `%${needle}%` : node.operator === 'startsWith' ? `${needle}%` : `%${needle}`;
      const haystack = attribute.foldedColumn ? col(alias, attribute.foldedColumn) : dialect.casefold(column);
      const exact = `${haystack} LIKE ${params.add(pattern)} ESCAPE '\\'`;
      // The trigram index narrows the rows; the LIKE keeps the result exactly the plain operator's.
      const prefilter = attribute.substringIndex ? dialect.substringPrefilter(alias, attribute.substringIndex, folded, params) : undefined;
      return prefilter ? `${prefilter} AND ${exact}` : exact;
    }
  }
}

function filterCondition(registry: Registry, dialect: Dialect, def: ResourceDef, node: FilterNode, joins: Joins, scope: Scope, params: Params): string {
  if (node.kind === 'relationship') {
    const fk = col('t', node.relationship.column);
    const target = registry.get(node.relationship.target);
    const hidden = node.relationship.visibleWithSource ? undefined : visibleIdPredicate(target, fk, scope, params);
    const parts: string[] = [];
    const ids = node.ids.filter((id): id is string => id !== null);
    if (ids.length > 0) parts.push(and([`${fk} IN (${params.list(ids)})`, hidden]));
    // A parent the caller may not see reads as null.
    if (node.ids.includes(null)) parts.push(hidden ? `(${fk} IS NULL OR NOT (${hidden}))` : `${fk} IS NULL`);
    return parts.map((p) => `(${p})`).join(' OR ');
  }
  const alias = joins.alias(node.path);
  return attributeCondition(dialect, col(alias, node.attribute.column), node.attribute, alias, node, params);
}

export async function selectRows(ex: Executor, registry: Registry, req: SelectRequest): Promise<{ rows: Row[]; total?: number }> {
  const params = new Params();
  const joins = new Joins(registry, req.scope, params);
  const where = and([
    scopePredicate(req.def, 't', req.scope, params),
    req.where?.(params),
    ...(req.filters ?? []).map((f) => filterCondition(registry, ex.dialect, req.def, f, joins, req.scope, params)),
  ]);
  const filterJoins = [...joins.sql];

  const order: string[] = [];
  for (const key of req.sort ?? []) {
    const alias = joins.alias(key.path);
    const expr = ex.dialect.binary(col(alias, key.attribute.column));
    order.push(key.descending ? `${expr} DESC NULLS LAST` : `${expr} ASC NULLS FIRST`);
  }
  order.push(`${col('t', 'id')} ASC`);

  let limit = '';
  if (req.page?.mode === 'number') limit = ` LIMIT ${req.page.size} OFFSET ${(req.page.number - 1) * req.page.size}`;
  if (req.page?.mode === 'offset') limit = ` LIMIT ${req.page.limit} OFFSET ${req.page.offset}`;

  const select = req.columns.map((c) => col('t', c)).join(', ');
  const from = `FROM ${q(req.def.table)} t`;
  const rows = await ex.query<Row>(`SELECT ${select} ${from} ${joins.sql.join(' ')} WHERE ${where} ORDER BY ${order.join(', ')}${limit}`, params);
  if (!req.count) return { rows };
  const counted = await ex.query<{ n: number | string }>(`SELECT COUNT(*) AS n ${from} ${filterJoins.join(' ')} WHERE ${where}`, params);
  return { rows, total: Number(counted[0]?.n ?? 0) };
}

/** Rows of `def` with the given ids that the scope can see (batched, one statement). */
export async function selectByIds(ex: Executor, def: ResourceDef, ids: readonly string[], columns: readonly string[], scope: Scope): Promise<Row[]> {
  if (ids.length === 0) return [];
  const params = new Params();
  const where = and([`${col('t', 'id')} IN (${params.list(ids)})`, scopePredicate(def, 't', scope, params)]);
  return ex.query<Row>(`SELECT ${columns.map((c) => col('t', c)).join(', ')} FROM ${q(def.table)} t WHERE ${where}`, params);
}

/** Rows of `def` whose foreign key `column` is one of `ids`, in id order (to-many linkage). */
export async function selectByForeignKey(ex: Executor, def: ResourceDef, column: string, ids: readonly string[], columns: readonly string[], scope: Scope): Promise<Row[]> {
  if (ids.length === 0) return [];
  const params = new Params();
  const where = and([`${col('t', column)} IN (${params.list(ids)})`, scopePredicate(def, 't', scope, params)]);
  return ex.query<Row>(`SELECT ${columns.map((c) => col('t', c)).join(', ')} FROM ${q(def.table)} t WHERE ${where} ORDER BY ${col('t', 'id')} ASC`, params);
}
