import { Graph, Linkage, ResourceRecord, shownFields } from '../../data/graph-loader';
import { Fieldsets } from '../../query/ast';
import { Registry } from '../../resources/registry';
import { RelationshipDef, ResourceDef, VERSION_COLUMN } from '../../resources/types';

/**
 * JSON:API documents written straight to JSON text by code compiled once per type and
 * fieldset from the registry: the constant parts of a resource object (its type, member
 * names, link suffixes) are strings made once, and a resource costs only the string it adds.
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

const str = (s: string): string => JSON.stringify(s);

/** A relationship's constant fragments. */
interface RelationshipPlan {
  readonly rel: RelationshipDef;
  /** `"name":{"links":{"self":"` (prefixed by a comma after the first). */
  readonly open: string;
  /** `/relationships/name","related":"` */
  readonly selfTail: string;
  /** `/name"` */
  readonly relatedTail: string;
  /** `{"type":"target","id":` */
  readonly identifier: string;
}

/** The constant fragments of one type under one fieldset. */
interface TypePlan {
  readonly def: ResourceDef;
  /** `{"type":"client","id":` */
  readonly head: string;
  readonly attributes: readonly { readonly member: string; readonly column: string }[];
  readonly relationships: readonly RelationshipPlan[];
  /** `/clients/` */
  readonly path: string;
}

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
    head: `{"type":${str(def.type)},"id":`,
    attributes: attributes.map((a, i) => ({ member: `${i === 0 ? '' : ','}${str(a.name)}:`, column: a.column })),
    relationships: relationships.map((rel, i) => ({
      rel,
      open: `${i === 0 ? '' : ','}${str(rel.name)}:{"links":{"self":`,
      selfTail: `/relationships/${rel.name}`,
      relatedTail: `/${rel.name}`,
      identifier: `{"type":${str(registry.get(rel.target).type)},"id":`,
    })),
    path: `/${def.path}/`,
  };
  cache.set(key, plan);
  return plan;
}

/** A JSON value as text (attribute values are strings, numbers, booleans, null or dates). */
function value(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return str(v);
  return JSON.stringify(v);
}

export class DocumentWriter {
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

  /** One resource object. */
  resource(rec: ResourceRecord, resourceMeta?: JsonObject): string {
    const plan = planFor(this.registry, rec.def, this.fields);
    const self = this.base + plan.path + rec.id;
    let out = plan.head + str(rec.id);
    const version = rec.row[VERSION_COLUMN];
    if (resourceMeta !== undefined || (version !== undefined && version !== null)) {
      const meta: JsonObject = { ...resourceMeta };
      if (version !== undefined && version !== null) meta.version = Number(version);
      out += `,"meta":${JSON.stringify(meta)}`;
    }
    if (plan.attributes.length > 0) {
      out += ',"attributes":{';
      for (const a of plan.attributes) out += a.member + value(rec.row[a.column]);
      out += '}';
    }
    out += `,"links":{"self":${str(self)}}`;
    if (plan.relationships.length > 0) {
      out += ',"relationships":{';
      for (const r of plan.relationships) out += this.relationship(r, self, rec.linkage.get(r.rel.name));
      out += '}';
    }
    return out + '}';
  }

  private relationship(plan: RelationshipPlan, self: string, link: Linkage | undefined): string {
    let out = plan.open + str(self + plan.selfTail) + ',"related":' + str(self + plan.relatedTail);
    if (link?.kind === 'to-many' && link.total > link.ids.length && link.ids.length > 0 && this.linkageNext) {
      out += ',"next":' + str(this.linkageNext(self, plan.rel, link.ids[link.ids.length - 1]));
    }
    out += '}';
    if (link === undefined) return out + '}';
    if (link.kind === 'restricted') return out + ',"meta":{"restricted":true}}';
    if (link.kind === 'to-one') return out + ',"data":' + (link.id === null ? 'null' : plan.identifier + str(link.id) + '}') + '}';
    out += ',"data":[';
    for (let i = 0; i < link.ids.length; i++) out += (i === 0 ? '' : ',') + plan.identifier + str(link.ids[i]) + '}';
    return out + `],"meta":{"count":${link.total}}}`;
  }

  /** A primary-data document: one record, a list, or null. */
  document(
    primary: ResourceRecord | ResourceRecord[] | null,
    graph: Graph | undefined,
    options: { self: string; meta?: JsonObject; links?: PageLinks; includeRequested: boolean; resourceMeta?: JsonObject },
  ): string {
    let out = '{"jsonapi":{"version":"1.1"}';
    if (options.meta) out += `,"meta":${JSON.stringify(options.meta)}`;
    out += `,"links":${JSON.stringify({ self: options.self, ...options.links })},"data":`;
    if (primary === null) out += 'null';
    else if (!Array.isArray(primary)) out += this.resource(primary, options.resourceMeta);
    else {
      out += '[';
      for (let i = 0; i < primary.length; i++) out += (i === 0 ? '' : ',') + this.resource(primary[i], options.resourceMeta);
      out += ']';
    }
    if (options.includeRequested && graph) out += `,"included":[${this.included(primary, graph)}]`;
    return out + '}';
  }

  /** The included resources other than the primary ones, grouped by type in the order types were first reached. */
  private included(primary: ResourceRecord | ResourceRecord[] | null, graph: Graph): string {
    const primaries = new Set(Array.isArray(primary) ? primary : primary ? [primary] : []);
    const byType = new Map<string, ResourceRecord[]>();
    for (const rec of graph.included.values()) {
      if (primaries.has(rec)) continue;
      let list = byType.get(rec.def.type);
      if (!list) byType.set(rec.def.type, (list = []));
      list.push(rec);
    }
    const parts: string[] = [];
    for (const list of byType.values()) for (const rec of list) parts.push(this.resource(rec));
    return parts.join(',');
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
