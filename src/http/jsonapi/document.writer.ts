import { Graph, Linkage, ResourceRecord, shownFields } from '../../data/graph-loader';
import { Fieldsets } from '../../query/ast';
import { Registry } from '../../resources/registry';
import { RelationshipDef, ResourceDef, VERSION_COLUMN } from '../../resources/types';

/**
 * JSON:API documents written by code compiled once per type and fieldset from the registry:
 * the constant parts of a resource object (its member names, link suffixes, target types) are
 * made once, a resource is exactly the plain object that is written, and the document is
 * stringified once (V8's JSON.stringify over plain objects: measured faster than building the
 * text by concatenation, whose rope of small strings costs more to flatten than to make).
 * It reads only the graph the loader filled, so it cannot query, cause N+1 or reach outside
 * the scope. (It replaced ts-japi on the hot path; bench/README.md has the profile that
 * justified it, and tests/support/reference-serializer.ts keeps ts-japi as the oracle the
 * documents are checked against.)
 */

export type JsonObject = Record<string, unknown>;

export interface PageLinks {
  first?: string | null;
  prev?: string | null;
  next?: string | null;
  last?: string | null;
}

/**
 * The link to the rest of a bounded to-many linkage: the next page of the relationship
 * endpoint, after the last identifier shown (`ownerSelf` is the owner's self link).
 */
export type LinkageNext = (ownerSelf: string, rel: RelationshipDef, lastId: string) => string;

/** A relationship's constant parts. */
interface RelationshipPlan {
  readonly rel: RelationshipDef;
  /** `/relationships/name` */
  readonly selfTail: string;
  /** `/name` */
  readonly relatedTail: string;
  /** The target's type (resource identifiers). */
  readonly target: string;
}

/** The constant parts of one type under one fieldset. */
interface TypePlan {
  readonly def: ResourceDef;
  readonly attributes: readonly { readonly name: string; readonly column: string }[];
  readonly relationships: readonly RelationshipPlan[];
  /** `/clients/` */
  readonly path: string;
}

const JSONAPI = { version: '1.1' };
const RESTRICTED = { restricted: true };

const plans = new WeakMap<Registry, Map<string, TypePlan>>();

/** The plan of `def` under the fields a document shows of it (made once per registry, type and fieldset). */
function planFor(registry: Registry, def: ResourceDef, fields: Fieldsets): TypePlan {
  const shown = shownFields(def, fields);
  let cache = plans.get(registry);
  if (!cache) plans.set(registry, (cache = new Map()));
  // Registry order, so that every spelling of one fieldset shares one plan (there are finitely many).
  const attributes = def.attributes.filter((a) => shown.has(a.name));
  const relationships = def.relationships.filter((r) => shown.has(r.name));
  const key = `${def.type}|${attributes.map((a) => a.name).join(',')}|${relationships.map((r) => r.name).join(',')}`;
  let plan = cache.get(key);
  if (plan) return plan;
  plan = {
    def,
    attributes: attributes.map((a) => ({ name: a.name, column: a.column })),
    relationships: relationships.map((rel) => ({ rel, selfTail: `/relationships/${rel.name}`, relatedTail: `/${rel.name}`, target: registry.get(rel.target).type })),
    path: `/${def.path}/`,
  };
  cache.set(key, plan);
  return plan;
}

export class DocumentWriter {
  /** This document's plan of each type (looked up in the registry-wide cache once per type). */
  private readonly plans = new Map<string, TypePlan>();

  constructor(
    private readonly registry: Registry,
    /** Absolute base of the JSON:API surface, e.g. https://host/api/v2 */
    private readonly base: string,
    private readonly fields: Fieldsets,
    private readonly linkageNext?: LinkageNext,
  ) {}

  selfUrl(def: ResourceDef, id: string): string {
    return `${this.base}/${def.path}/${id}`;
  }

  /** One resource object, as JSON text (an atomic result). */
  resource(rec: ResourceRecord, resourceMeta?: JsonObject): string {
    return JSON.stringify(this.object(rec, resourceMeta));
  }

  /** One resource object: a plain object in the member order of the plan, stringified with the document. */
  private object(rec: ResourceRecord, resourceMeta?: JsonObject): JsonObject {
    let plan = this.plans.get(rec.def.type);
    if (!plan) this.plans.set(rec.def.type, (plan = planFor(this.registry, rec.def, this.fields)));
    const self = this.base + plan.path + rec.id;
    const out: JsonObject = { type: plan.def.type, id: rec.id };
    const version = rec.row[VERSION_COLUMN];
    if (resourceMeta !== undefined || (version !== undefined && version !== null)) {
      const meta: JsonObject = { ...resourceMeta };
      if (version !== undefined && version !== null) meta.version = Number(version);
      out.meta = meta;
    }
    if (plan.attributes.length > 0) {
      const attributes: JsonObject = {};
      for (const a of plan.attributes) attributes[a.name] = rec.row[a.column] ?? null;
      out.attributes = attributes;
    }
    out.links = { self };
    if (plan.relationships.length > 0) {
      const relationships: JsonObject = {};
      for (const r of plan.relationships) relationships[r.rel.name] = this.relationship(r, self, rec.linkage.get(r.rel.name));
      out.relationships = relationships;
    }
    return out;
  }

  private relationship(plan: RelationshipPlan, self: string, link: Linkage | undefined): JsonObject {
    const links: JsonObject = { self: self + plan.selfTail, related: self + plan.relatedTail };
    if (link?.kind === 'to-many' && link.total > link.ids.length && link.ids.length > 0 && this.linkageNext) {
      links.next = this.linkageNext(self, plan.rel, link.ids[link.ids.length - 1]);
    }
    if (link === undefined) return { links };
    if (link.kind === 'restricted') return { links, meta: RESTRICTED };
    if (link.kind === 'to-one') return { links, data: link.id === null ? null : { type: plan.target, id: link.id } };
    const data: JsonObject[] = new Array(link.ids.length);
    for (let i = 0; i < link.ids.length; i++) data[i] = { type: plan.target, id: link.ids[i] };
    return { links, data, meta: { count: link.total } };
  }

  /** A primary-data document (one record, a list, or null), as JSON text: built as plain objects and stringified once. */
  document(
    primary: ResourceRecord | ResourceRecord[] | null,
    graph: Graph | undefined,
    options: { self: string; meta?: JsonObject; links?: PageLinks; includeRequested: boolean; resourceMeta?: JsonObject },
  ): string {
    const doc: JsonObject = { jsonapi: JSONAPI };
    if (options.meta) doc.meta = options.meta;
    doc.links = { self: options.self, ...options.links };
    if (primary === null) doc.data = null;
    else if (!Array.isArray(primary)) doc.data = this.object(primary, options.resourceMeta);
    else {
      const data: JsonObject[] = new Array(primary.length);
      for (let i = 0; i < primary.length; i++) data[i] = this.object(primary[i], options.resourceMeta);
      doc.data = data;
    }
    if (options.includeRequested && graph) doc.included = this.included(primary, graph);
    return JSON.stringify(doc);
  }

  /** The included resources other than the primary ones, grouped by type in the order types were first reached. */
  private included(primary: ResourceRecord | ResourceRecord[] | null, graph: Graph): JsonObject[] {
    const primaries = new Set(Array.isArray(primary) ? primary : primary ? [primary] : []);
    const byType = new Map<string, ResourceRecord[]>();
    for (const rec of graph.included.values()) {
      if (primaries.has(rec)) continue;
      let list = byType.get(rec.def.type);
      if (!list) byType.set(rec.def.type, (list = []));
      list.push(rec);
    }
    const included: JsonObject[] = [];
    for (const list of byType.values()) for (const rec of list) included.push(this.object(rec));
    return included;
  }

  /** A linkage document for a relationship endpoint. */
  linkageDocument(rel: RelationshipDef, target: ResourceDef, ids: string[], ownerSelf: string, options: { meta?: JsonObject; links?: PageLinks; restricted: boolean }): JsonObject {
    const links: JsonObject = { self: `${ownerSelf}/relationships/${rel.name}`, related: `${ownerSelf}/${rel.name}`, ...(options.links ?? {}) };
    const doc: JsonObject = { jsonapi: { version: '1.1' }, links };
    if (options.restricted) {
      doc.data = null;
      doc.meta = { restricted: true };
      return doc;
    }
    doc.data = rel.kind === 'to-one' ? (ids[0] ? { type: target.type, id: ids[0] } : null) : ids.map((id) => ({ type: target.type, id }));
    if (options.meta) doc.meta = options.meta;
    return doc;
  }
}
