import { Registry } from '../resources/registry';
import { ID_COLUMN, RelationshipDef, ResourceDef } from '../resources/types';
import { Executor } from './database';
import { Row } from './query-composer';
import { and, ScopeSql } from './scope.sql';
import { col, Dialect, Params, q, readIdList } from './sql';

/**
 * Linkage as columns of the statement that reads the rows: for each to-many relationship a
 * correlated subquery gives the first members' ids (one value: a JSON array on SQLite, an
 * array on PostgreSQL) and another their count; a to-one that the caller might not see gets a
 * visibility flag. So a page and its linkage are one statement, and the resources an include
 * level reaches, of every type, are one more (a UNION ALL of one JSON object per row). Every
 * subquery carries the scope.
 */

export type Linkage =
  | { readonly kind: 'to-one'; readonly id: string | null }
  /** `ids`: the first members in id order (all of them when `total` is no larger); `total`: how many there are. */
  | { readonly kind: 'to-many'; readonly ids: string[]; readonly total: number }
  | { readonly kind: 'restricted' };

/** Which linkage rows of one type carry, and how to select and read it. */
export class LinkagePlan {
  constructor(
    private readonly registry: Registry,
    private readonly scope: ScopeSql,
    readonly def: ResourceDef,
    readonly relationships: readonly RelationshipDef[],
    /** Most ids per to-many relationship; undefined: all of them. */
    private readonly max: number | undefined,
  ) {}

  private static ids = (rel: RelationshipDef) => `__ids_${rel.name}`;
  private static count = (rel: RelationshipDef) => `__n_${rel.name}`;
  private static visible = (rel: RelationshipDef) => `__vis_${rel.name}`;

  /** Whether a to-one's target must be checked: the caller's scope might not include it. */
  private checked(rel: RelationshipDef): boolean {
    return rel.kind === 'to-one' && !rel.visibleWithSource && !this.scope.unlimited;
  }

  /** `[name, expression, is an id list]` for the row under `alias`. */
  members(dialect: Dialect, alias: string, params: Params): [string, string, boolean][] {
    const out: [string, string, boolean][] = [];
    for (const rel of this.relationships) {
      const target = this.registry.get(rel.target);
      if (rel.kind === 'to-one') {
        if (!this.checked(rel)) continue;
        const fk = col(alias, rel.column);
        out.push([LinkagePlan.visible(rel), `CASE WHEN ${fk} IS NULL THEN NULL WHEN ${this.scope.visibleId(target, fk, params) ?? '1 = 1'} THEN 1 ELSE 0 END`, false]);
        continue;
      }
      const where = (m: string) => and([`${col(m, rel.inverseColumn)} = ${col(alias, ID_COLUMN)}`, this.scope.memberPredicate(target, rel, m, params)]);
      const limit = this.max === undefined ? '' : ` LIMIT ${params.add(this.max)}`;
      const first = `SELECT m.${q(ID_COLUMN)} AS id FROM ${q(target.table)} m WHERE ${where('m')} ORDER BY m.${q(ID_COLUMN)}${limit}`;
      out.push([LinkagePlan.ids(rel), dialect.idList(first), true]);
      if (this.max !== undefined) out.push([LinkagePlan.count(rel), `(SELECT COUNT(*) FROM ${q(target.table)} c WHERE ${where('c')})`, false]);
    }
    return out;
  }

  /** The members as select-list items (`expr AS "name"`). */
  select(dialect: Dialect, alias: string, params: Params): string[] {
    return this.members(dialect, alias, params).map(([name, expr]) => `${expr} AS ${q(name)}`);
  }

  /** The linkage a row carries (its to-one foreign keys are among its columns). */
  read(row: Row): Map<string, Linkage> {
    const linkage = new Map<string, Linkage>();
    for (const rel of this.relationships) {
      if (rel.kind === 'to-one') {
        const id = (row[rel.column] as string | null | undefined) ?? null;
        const visible = id === null || !this.checked(rel) || row[LinkagePlan.visible(rel)] === 1 || row[LinkagePlan.visible(rel)] === true;
        linkage.set(rel.name, visible ? { kind: 'to-one', id } : { kind: 'restricted' });
        continue;
      }
      const ids = readIdList(row[LinkagePlan.ids(rel)]);
      const total = this.max === undefined ? ids.length : Number(row[LinkagePlan.count(rel)] ?? 0);
      linkage.set(rel.name, { kind: 'to-many', ids, total });
    }
    return linkage;
  }
}

/** What one include level reads of one type: the rows with these ids, these columns and this linkage. */
export interface LevelBranch {
  readonly plan: LinkagePlan;
  readonly ids: readonly string[];
  readonly columns: readonly string[];
}

/** The rows of several types at once, those of each branch the scope can see (one statement). */
export async function selectLevel(ex: Executor, scope: ScopeSql, branches: readonly LevelBranch[]): Promise<{ def: ResourceDef; row: Row }[]> {
  const live = branches.filter((b) => b.ids.length > 0);
  if (live.length === 0) return [];
  const params = new Params();
  const parts = live.map((b, i) => {
    const def = b.plan.def;
    const object = ex.dialect.jsonObject([...b.columns.map((c): [string, string, boolean] => [c, col('t', c), false]), ...b.plan.members(ex.dialect, 't', params)]);
    const where = and([ex.dialect.inArray(col('t', ID_COLUMN), b.ids, params), scope.predicate(def, 't', params)]);
    return `SELECT ${i} AS "__branch", ${object} AS "__row" FROM ${q(def.table)} t WHERE ${where}`;
  });
  const rows = await ex.query<{ __branch: number | string; __row: Row | string }>(parts.join(' UNION ALL '), params);
  return rows.map((r) => ({
    def: live[Number(r.__branch)].plan.def,
    row: (typeof r.__row === 'string' ? JSON.parse(r.__row) : r.__row) as Row,
  }));
}
