import { Hierarchy, Registry } from '../resources/registry';
import { ID_COLUMN, ResourceDef, ToManyDef } from '../resources/types';
import { Scope } from '../scope/scope';
import { col, Params, q } from './sql';

/**
 * The tenant scope as SQL, derived from the registry's hierarchy (the client forest). A
 * client-role token (or a narrowed host) sees the subtree below one client; the subtree is found
 * with a recursive CTE, portable to SQLite and PostgreSQL and always right after any
 * reparenting, since nothing derived has to be kept up to date.
 */
export class HierarchySql {
  private readonly table: string;
  private readonly parent: string;

  constructor(readonly hierarchy: Hierarchy) {
    this.table = q(hierarchy.def.table);
    this.parent = q(hierarchy.parent.column);
  }

  /** Ids of `rootId` and every row below it. */
  subtree(rootId: string, params: Params): string {
    const id = q(ID_COLUMN);
    return (
      `WITH RECURSIVE subtree(id) AS (SELECT c0.${id} FROM ${this.table} c0 WHERE c0.${id} = ${params.add(rootId)} ` +
      `UNION ALL SELECT cn.${id} FROM ${this.table} cn JOIN subtree s ON cn.${this.parent} = s.id) SELECT id FROM subtree`
    );
  }

  /** Ids strictly below `id` (any depth). */
  descendants(id: string, params: Params): string {
    const pk = q(ID_COLUMN);
    return (
      `WITH RECURSIVE below(id) AS (SELECT d0.${pk} FROM ${this.table} d0 WHERE d0.${this.parent} = ${params.add(id)} ` +
      `UNION ALL SELECT dn.${pk} FROM ${this.table} dn JOIN below b ON dn.${this.parent} = b.id) SELECT id FROM below`
    );
  }

  /**
   * The chain from the row that `start` selects (a condition on alias a0) upwards: columns `id`
   * and `depth` (0 for the starting row, 1 for its parent, ...).
   */
  chain(start: string): string {
    const pk = q(ID_COLUMN);
    return (
      `WITH RECURSIVE above(id, parent_id, depth) AS (SELECT a0.${pk}, a0.${this.parent}, 0 FROM ${this.table} a0 WHERE ${start} ` +
      `UNION ALL SELECT an.${pk}, an.${this.parent}, a.depth + 1 FROM ${this.table} an JOIN above a ON an.${pk} = a.parent_id) `
    );
  }

  /** Ids strictly above `id` (its parent, grandparent, ...). */
  ancestors(id: string, params: Params): string {
    return `${this.chain(`a0.${q(ID_COLUMN)} = ${params.add(id)}`)}SELECT id FROM above WHERE depth > 0`;
  }
}

/** The scope of one caller over the registry's types, as predicates. */
export class ScopeSql {
  constructor(
    readonly scope: Scope,
    readonly hierarchy: HierarchySql,
    /** Whether the caller is an admin: rows of admin-only types exist for no one else. */
    private readonly admin: boolean,
  ) {}

  static of(registry: Registry, scope: Scope, admin: boolean): ScopeSql {
    return new ScopeSql(scope, hierarchySql(registry), admin);
  }

  /** Every row of every type is visible: no predicate needed anywhere. */
  get unlimited(): boolean {
    return this.scope.kind === 'all' && this.admin;
  }

  /** The column of `def` naming the client whose subtree decides a row's visibility. */
  static ownerColumn(def: ResourceDef): string {
    return def.scope.kind === 'client-self' ? ID_COLUMN : def.scope.column;
  }

  /**
   * Predicate limiting rows of `def` under `alias` to the scope, or undefined for everything.
   * Admin-only rows exist for admins only (operations/access.ts answers 403 to every other role
   * first), and a narrowed admin sees those of clients in the subtree (a row that belongs to no
   * client, NULL, never matches).
   */
  predicate(def: ResourceDef, alias: string, params: Params): string | undefined {
    if (def.scope.kind === 'admin-only' && !this.admin) return '1 = 0';
    if (this.scope.kind === 'all') return undefined;
    return `${col(alias, ScopeSql.ownerColumn(def))} IN (${this.hierarchy.subtree(this.scope.rootId, params)})`;
  }

  /**
   * Predicate limiting rows of `target` reached as members of a visible owner through `rel`
   * (linkage subqueries correlated to rows the statement already scoped), or undefined when the
   * owner's visibility implies theirs: a child of a client in the subtree is in it, and a row
   * scoped by the very column that names its owner belongs to a visible client. Re-stating the
   * subtree there made SQLite evaluate it again for every row and relationship.
   */
  memberPredicate(target: ResourceDef, rel: ToManyDef, alias: string, params: Params): string | undefined {
    const scopedByOwner =
      target.scope.kind === 'client-self'
        ? target === this.hierarchy.hierarchy.def && rel.inverseColumn === this.hierarchy.hierarchy.parent.column
        : target.scope.kind === 'owner' && target.scope.column === rel.inverseColumn;
    return scopedByOwner ? undefined : this.predicate(target, alias, params);
  }

  /** Predicate that an id expression names a row of `target` the scope can see. */
  visibleId(target: ResourceDef, idExpr: string, params: Params): string | undefined {
    if (this.scope.kind === 'all' && (this.admin || target.scope.kind !== 'admin-only')) return undefined;
    if (target.scope.kind === 'client-self' && this.scope.kind === 'subtree') return `${idExpr} IN (${this.hierarchy.subtree(this.scope.rootId, params)})`;
    return `${idExpr} IN (SELECT v.${q(ID_COLUMN)} FROM ${q(target.table)} v WHERE ${this.predicate(target, 'v', params)})`;
  }
}

const hierarchies = new WeakMap<Registry, HierarchySql>();

/** The hierarchy's SQL for a registry (made once per registry). */
export function hierarchySql(registry: Registry): HierarchySql {
  let made = hierarchies.get(registry);
  if (!made) hierarchies.set(registry, (made = new HierarchySql(registry.hierarchy)));
  return made;
}

export function and(parts: (string | undefined)[]): string {
  const present = parts.filter((p): p is string => p !== undefined && p !== '');
  return present.length === 0 ? '1 = 1' : present.map((p) => `(${p})`).join(' AND ');
}
