import { Graph, ResourceRecord } from '../data/graph-loader';
import { LinkagePlan, MemberOf, Row, ScopedReader } from '../data/session';
import { NotFoundError } from '../errors/api-error';
import { isObjectId } from '../data/object-id';
import { QuerySpec } from '../query/ast';
import { relationship } from '../resources/registry';
import { ID_COLUMN, RelationshipDef, ResourceDef } from '../resources/types';
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
export async function loadVisible(r: ScopedReader, def: ResourceDef, id: string, columns: readonly string[], linkage?: LinkagePlan): Promise<Row> {
  if (!isObjectId(id)) throw notFound(def, id);
  const [row] = await r.byIds(def, [id], columns, linkage);
  if (!row) throw notFound(def, id);
  return row;
}

function loaderFor(r: ScopedReader, ctx: OperationContext, spec: QuerySpec) {
  return r.loader(spec.fields, spec.include, ctx.maxLinkage === 'all' ? undefined : ctx.maxLinkage);
}

async function collection(r: ScopedReader, ctx: OperationContext, spec: QuerySpec, memberOf?: MemberOf): Promise<CollectionResult> {
  const loader = loaderFor(r, ctx, spec);
  const { rows, total, more } = await r.select({
    def: spec.type,
    columns: loader.columns(spec.type),
    filters: spec.filters,
    sort: spec.sort,
    page: spec.page,
    memberOf,
    count: true,
    linkage: loader.linkage(spec.type),
  });
  const records = rows.map((row) => loader.adopt(spec.type, row));
  await loader.load(spec.type, records, spec.include);
  return { kind: 'collection', def: spec.type, records, graph: loader.graph, total: total ?? 0, more: more ?? false, spec };
}

export function list(ctx: OperationContext, spec: QuerySpec): Promise<CollectionResult> {
  assertMayUse(ctx.request, spec.type);
  return ctx.session.read((r) => collection(r, ctx, spec));
}

/** One resource with its linkage and includes, read with the given reader (inside a write too). */
export async function showIn(r: ScopedReader, ctx: OperationContext, spec: QuerySpec, id: string): Promise<SingleResult> {
  assertMayUse(ctx.request, spec.type);
  const loader = loaderFor(r, ctx, spec);
  const row = await loadVisible(r, spec.type, id, loader.columns(spec.type), loader.linkage(spec.type));
  const record = loader.adopt(spec.type, row);
  await loader.load(spec.type, [record], spec.include);
  return { kind: 'single', def: spec.type, record, restricted: false, graph: loader.graph, spec };
}

export function show(ctx: OperationContext, spec: QuerySpec, id: string): Promise<SingleResult> {
  return ctx.session.read((r) => showIn(r, ctx, spec, id));
}

/** 404 unless the caller can see this resource (a relationship write's target). */
export function assertVisible(ctx: OperationContext, def: ResourceDef, id: string): Promise<void> {
  return ctx.session.read(async (r) => void (await loadVisible(r, def, id, [ID_COLUMN])));
}

function relationshipOf(def: ResourceDef, name: string): RelationshipDef {
  const rel = relationship(def, name);
  if (!rel) throw new NotFoundError(`${def.type} has no relationship "${name}".`);
  return rel;
}

/** Resolves the to-one target id of a visible source row: null, an id, or restricted. */
async function toOneTarget(r: ScopedReader, ctx: OperationContext, def: ResourceDef, id: string, rel: RelationshipDef & { kind: 'to-one' }): Promise<{ id: string | null; restricted: boolean }> {
  const source = await loadVisible(r, def, id, [ID_COLUMN, rel.column]);
  const fk = (source[rel.column] as string | null) ?? null;
  if (fk === null) return { id: null, restricted: false };
  if (rel.visibleWithSource || ctx.request.scope.kind === 'all') return { id: fk, restricted: false };
  const [visible] = await r.byIds(ctx.registry.get(rel.target), [fk], [ID_COLUMN]);
  return visible ? { id: fk, restricted: false } : { id: null, restricted: true };
}

/** GET /:type/:id/:relationship — `spec` is parsed against the relationship's target type. */
export function related(ctx: OperationContext, def: ResourceDef, id: string, name: string, spec: QuerySpec): Promise<CollectionResult | SingleResult> {
  assertMayUse(ctx.request, def);
  const rel = relationshipOf(def, name);
  return ctx.session.read(async (r) => {
    if (rel.kind === 'to-many') {
      await loadVisible(r, def, id, [ID_COLUMN]);
      return collection(r, ctx, spec, { rel, ownerId: id });
    }
    const target = await toOneTarget(r, ctx, def, id, rel);
    if (target.id === null) {
      return { kind: 'single', def: spec.type, record: null, restricted: target.restricted, graph: new Graph(), spec };
    }
    return showIn(r, ctx, spec, target.id);
  });
}

/** GET /:type/:id/relationships/:relationship */
export function linkage(ctx: OperationContext, def: ResourceDef, id: string, name: string, spec: QuerySpec): Promise<LinkageResult> {
  assertMayUse(ctx.request, def);
  const rel = relationshipOf(def, name);
  const target = ctx.registry.get(rel.target);
  return ctx.session.read(async (r) => {
    if (rel.kind === 'to-many') {
      await loadVisible(r, def, id, [ID_COLUMN]);
      const { rows, total, more } = await r.select({
        def: target,
        columns: [ID_COLUMN],
        filters: spec.filters,
        sort: spec.sort,
        page: spec.page,
        memberOf: { rel, ownerId: id },
        count: true,
      });
      return { kind: 'linkage', relationship: rel, target, rows, restricted: false, total: total ?? 0, more: more ?? false, spec };
    }
    const t = await toOneTarget(r, ctx, def, id, rel);
    return { kind: 'linkage', relationship: rel, target, rows: t.id ? [{ id: t.id }] : [], restricted: t.restricted, total: t.id ? 1 : 0, more: false, spec };
  });
}
