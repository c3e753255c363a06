import { Executor } from '../data/database';
import { Graph, GraphLoader, ResourceRecord } from '../data/graph-loader';
import { Row, selectByIds, selectRows } from '../data/query-composer';
import { col, Params } from '../data/sql';
import { NotFoundError } from '../errors/api-error';
import { isObjectId } from '../data/object-id';
import { QuerySpec } from '../query/ast';
import { relationship } from '../resources/registry';
import { RelationshipDef, ResourceDef } from '../resources/types';
import { OperationContext } from './context';
import { assertMayUse } from './access';

/**
 * Read use cases: list, show, related and relationship linkage. Each runs in one read of the
 * database; every statement carries the caller's scope.
 */

export interface CollectionResult {
  readonly kind: 'collection';
  readonly def: ResourceDef;
  readonly records: ResourceRecord[];
  readonly graph: Graph;
  /** Page-number and offset modes: the total under the scope. */
  readonly total: number;
  /** Keyset mode: whether rows lie beyond this page in the direction read. */
  readonly more: boolean;
  readonly spec: QuerySpec;
}

export interface SingleResult {
  readonly kind: 'single';
  readonly def: ResourceDef;
  /** null: an empty to-one; undefined with restricted: a to-one the caller may not see. */
  readonly record: ResourceRecord | null;
  readonly restricted: boolean;
  readonly graph: Graph;
  readonly spec: QuerySpec;
}

export interface LinkageResult {
  readonly kind: 'linkage';
  readonly relationship: RelationshipDef;
  readonly target: ResourceDef;
  /** To-many: the page of rows (id and sort-key values); to-one: one id or none. */
  readonly rows: Row[];
  readonly restricted: boolean;
  readonly total: number;
  readonly more: boolean;
  readonly spec: QuerySpec;
}

function notFound(def: ResourceDef, id: string): NotFoundError {
  return new NotFoundError(`No ${def.type} with id "${id}" exists.`);
}

/** Loads one row of `def` the caller can see, or throws 404. */
export async function loadVisible(ex: Executor, ctx: OperationContext, def: ResourceDef, id: string, columns: readonly string[]): Promise<Row> {
  if (!isObjectId(id)) throw notFound(def, id);
  const [row] = await selectByIds(ex, def, [id], columns, ctx.request.scope);
  if (!row) throw notFound(def, id);
  return row;
}

async function collection(ex: Executor, ctx: OperationContext, spec: QuerySpec, where?: (p: Params) => string): Promise<CollectionResult> {
  const loader = new GraphLoader(ex, ctx.registry, ctx.request.scope, spec.fields, spec.include, ctx.maxLinkage === 'all' ? undefined : ctx.maxLinkage);
  const { rows, total, more } = await selectRows(ex, ctx.registry, {
    def: spec.type,
    columns: loader.columns(spec.type),
    scope: ctx.request.scope,
    filters: spec.filters,
    sort: spec.sort,
    page: spec.page,
    where,
    count: true,
  });
  const records = rows.map((row) => loader.graph.add(spec.type, row));
  await loader.load(spec.type, records, spec.include);
  return { kind: 'collection', def: spec.type, records, graph: loader.graph, total: total ?? 0, more: more ?? false, spec };
}

export function list(ctx: OperationContext, spec: QuerySpec): Promise<CollectionResult> {
  assertMayUse(ctx.request, spec.type);
  return ctx.db.read((ex) => collection(ex, ctx, spec));
}

/** One resource with its linkage and includes, read with the given executor (inside a write too). */
export async function showIn(ex: Executor, ctx: OperationContext, spec: QuerySpec, id: string): Promise<SingleResult> {
  assertMayUse(ctx.request, spec.type);
  const loader = new GraphLoader(ex, ctx.registry, ctx.request.scope, spec.fields, spec.include, ctx.maxLinkage === 'all' ? undefined : ctx.maxLinkage);
  const row = await loadVisible(ex, ctx, spec.type, id, loader.columns(spec.type));
  const record = loader.graph.add(spec.type, row);
  await loader.load(spec.type, [record], spec.include);
  return { kind: 'single', def: spec.type, record, restricted: false, graph: loader.graph, spec };
}

export function show(ctx: OperationContext, spec: QuerySpec, id: string): Promise<SingleResult> {
  return ctx.db.read((ex) => showIn(ex, ctx, spec, id));
}

function relationshipOf(def: ResourceDef, name: string): RelationshipDef {
  const rel = relationship(def, name);
  if (!rel) throw new NotFoundError(`${def.type} has no relationship "${name}".`);
  return rel;
}

/** Resolves the to-one target id of a visible source row: null, an id, or restricted. */
async function toOneTarget(ex: Executor, ctx: OperationContext, def: ResourceDef, id: string, rel: RelationshipDef & { kind: 'to-one' }): Promise<{ id: string | null; restricted: boolean }> {
  const source = await loadVisible(ex, ctx, def, id, ['id', rel.column]);
  const fk = (source[rel.column] as string | null) ?? null;
  if (fk === null) return { id: null, restricted: false };
  if (rel.visibleWithSource || ctx.request.scope.kind === 'all') return { id: fk, restricted: false };
  const [visible] = await selectByIds(ex, ctx.registry.get(rel.target), [fk], ['id'], ctx.request.scope);
  return visible ? { id: fk, restricted: false } : { id: null, restricted: true };
}

/** GET /:type/:id/:relationship — `spec` is parsed against the relationship's target type. */
export function related(ctx: OperationContext, def: ResourceDef, id: string, name: string, spec: QuerySpec): Promise<CollectionResult | SingleResult> {
  assertMayUse(ctx.request, def);
  const rel = relationshipOf(def, name);
  return ctx.db.read(async (ex) => {
    if (rel.kind === 'to-many') {
      await loadVisible(ex, ctx, def, id, ['id']);
      return collection(ex, ctx, spec, (p) => `${col('t', rel.inverseColumn)} = ${p.add(id)}`);
    }
    const target = await toOneTarget(ex, ctx, def, id, rel);
    if (target.id === null) {
      return { kind: 'single', def: spec.type, record: null, restricted: target.restricted, graph: new Graph(), spec };
    }
    return showIn(ex, ctx, spec, target.id);
  });
}

/** GET /:type/:id/relationships/:relationship */
export function linkage(ctx: OperationContext, def: ResourceDef, id: string, name: string, spec: QuerySpec): Promise<LinkageResult> {
  assertMayUse(ctx.request, def);
  const rel = relationshipOf(def, name);
  const target = ctx.registry.get(rel.target);
  return ctx.db.read(async (ex) => {
    if (rel.kind === 'to-many') {
      await loadVisible(ex, ctx, def, id, ['id']);
      const { rows, total, more } = await selectRows(ex, ctx.registry, {
        def: target,
        columns: ['id'],
        scope: ctx.request.scope,
        filters: spec.filters,
        sort: spec.sort,
        page: spec.page,
        where: (p) => `${col('t', rel.inverseColumn)} = ${p.add(id)}`,
        count: true,
      });
      return { kind: 'linkage', relationship: rel, target, rows, restricted: false, total: total ?? 0, more: more ?? false, spec };
    }
    const t = await toOneTarget(ex, ctx, def, id, rel);
    return { kind: 'linkage', relationship: rel, target, rows: t.id ? [{ id: t.id }] : [], restricted: t.restricted, total: t.id ? 1 : 0, more: false, spec };
  });
}
