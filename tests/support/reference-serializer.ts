import { Linker, Metaizer, Paginator, Relator, Serializer } from 'ts-japi';
import { Graph, ResourceRecord, shownFields } from '../../src/data/graph-loader';
import { Fieldsets } from '../../src/query/ast';
import { Registry } from '../../src/resources/registry';
import { RelationshipDef, ResourceDef } from '../../src/resources/types';

/**
 * ts-japi serializers built from the registry, one set per request (the fieldsets and the base
 * URL differ per request). Relators read only the graph the loader already filled: they never
 * query, so they cannot cause N+1 or reach outside the scope.
 */

/** What a serializer is given: an id, the attributes, and (hidden from projection) the record. */
interface View {
  id: string;
  [attribute: string]: unknown;
}

const RECORD = Symbol('record');
type Viewed = View & { [RECORD]: ResourceRecord };

export interface PageLinks {
  first?: string | null;
  prev?: string | null;
  next?: string | null;
  last?: string | null;
}

export type JsonObject = Record<string, unknown>;

/**
 * The link to the rest of a bounded to-many linkage: the next page of the relationship
 * endpoint, after the last identifier shown (`ownerSelf` is the owner's self link).
 */
export type LinkageNext = (ownerSelf: string, rel: RelationshipDef, lastId: string) => string;

export class DocumentSerializer {
  private readonly serializers = new Map<string, Serializer<View>>();

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

  view(rec: ResourceRecord): Viewed {
    const v: Viewed = { id: rec.id, [RECORD]: rec } as Viewed;
    const shown = shownFields(rec.def, this.fields);
    for (const a of rec.def.attributes) if (shown.has(a.name)) v[a.name] = rec.row[a.column] ?? null;
    return v;
  }

  private serializer(type: string): Serializer<View> {
    let s = this.serializers.get(type);
    if (s) return s;
    const def = this.registry.get(type);
    const shown = shownFields(def, this.fields);
    const projection = Object.fromEntries(def.attributes.filter((a) => shown.has(a.name)).map((a) => [a.name, 1 as const]));
    s = new Serializer<View>(type, {
      version: '1.1',
      projection,
      linkers: { resource: linker<[View]>((v) => this.selfUrl(def, v.id)) },
    });
    this.serializers.set(type, s);
    s.setRelators(Object.fromEntries(def.relationships.filter((r) => shown.has(r.name)).map((r) => [r.name, this.relator(def, r)])));
    return s;
  }

  private relator(def: ResourceDef, rel: RelationshipDef): Relator<View, View> {
    const linkage = (v: View) => (v as Viewed)[RECORD].linkage.get(rel.name);
    return new Relator<View, View>(
      async (v) => {
        const link = linkage(v);
        if (!link || link.kind === 'restricted') return undefined;
        if (link.kind === 'to-one') return link.id === null ? null : { id: link.id };
        return link.ids.map((id) => ({ id }));
      },
      () => this.serializer(rel.target),
      {
        relatedName: rel.name,
        linkers: {
          relationship: linker((v: View) => `${this.selfUrl(def, v.id)}/relationships/${rel.name}`),
          related: linker((v: View) => `${this.selfUrl(def, v.id)}/${rel.name}`),
        },
        metaizer: new Metaizer((v: View) => {
          const link = linkage(v);
          if (link?.kind === 'restricted') return { restricted: true };
          if (link?.kind === 'to-many') return { count: link.total };
          return undefined as unknown as Record<string, unknown>;
        }),
      },
    );
  }

  /** A primary-data document: one record, a list, or null. */
  async document(
    primary: ResourceRecord | ResourceRecord[] | null,
    type: string,
    graph: Graph | undefined,
    options: { self: string; meta?: JsonObject; links?: PageLinks; includeRequested: boolean; resourceMeta?: JsonObject },
  ): Promise<JsonObject> {
    const views = primary === null ? null : Array.isArray(primary) ? primary.map((r) => this.view(r)) : this.view(primary);
    const doc = await this.serializer(type).serialize(views as View | View[] | null, {
      linkers: {
        document: linker(() => options.self),
        ...(options.links ? { paginator: new Paginator(() => options.links as { first: string; last: string; prev: string | null; next: string | null }) } : {}),
      },
      metaizers: {
        ...(options.meta ? { document: new Metaizer(() => options.meta as Record<string, unknown>) } : {}),
        ...(options.resourceMeta ? { resource: new Metaizer(() => options.resourceMeta as Record<string, unknown>) } : {}),
      },
    });
    const out = clean(doc as unknown as JsonObject);
    const primaries = Array.isArray(primary) ? primary : primary ? [primary] : [];
    this.finish(Array.isArray(out.data) ? (out.data as JsonObject[]) : out.data ? [out.data as JsonObject] : [], primaries);
    if (options.includeRequested && graph) {
      const primaryKeys = new Set((Array.isArray(primary) ? primary : primary ? [primary] : []).map((r) => `${r.def.type}:${r.id}`));
      // One ts-japi call per included type, not per included record.
      const byType = new Map<string, View[]>();
      for (const [key, rec] of graph.included) {
        if (primaryKeys.has(key)) continue;
        const list = byType.get(rec.def.type) ?? byType.set(rec.def.type, []).get(rec.def.type)!;
        list.push(this.view(rec));
      }
      const included: JsonObject[] = [];
      for (const [t, views] of byType) {
        const part = clean((await this.serializer(t).serialize(views)) as unknown as JsonObject);
        this.finish(
          part.data as JsonObject[],
          views.map((v) => (v as Viewed)[RECORD]),
        );
        included.push(...(part.data as JsonObject[]));
      }
      out.included = included;
    }
    return out;
  }

  /**
   * Sets meta.version on each resource object from its record (resources[i] was made from
   * records[i]), and links.next on each to-many relationship that shows only part of its linkage.
   */
  private finish(resources: JsonObject[], records: readonly ResourceRecord[]): void {
    resources.forEach((r, i) => {
      const rec = records[i];
      if (!rec) return;
      const version = rec.row.version;
      if (version !== undefined && version !== null) r.meta = { ...((r.meta as JsonObject | undefined) ?? {}), version: Number(version) };
      const rels = r.relationships as Record<string, JsonObject> | undefined;
      if (!rels || !this.linkageNext) return;
      for (const name in rels) {
        const link = rec.linkage.get(name);
        if (link?.kind !== 'to-many' || link.total <= link.ids.length || link.ids.length === 0) continue;
        const rel = rec.def.relationships.find((d) => d.name === name)!;
        rels[name].links = { ...(rels[name].links as JsonObject), next: this.linkageNext(this.selfUrl(rec.def, rec.id), rel, link.ids[link.ids.length - 1]) };
      }
    });
  }
}

/** Drops, in place, the empty members ts-japi leaves behind (no copy: documents can be large). */
function clean(doc: JsonObject): JsonObject {
  const strip = (r: JsonObject) => {
    if (!r || typeof r !== 'object') return;
    if (r.attributes && Object.keys(r.attributes as object).length === 0) delete r.attributes;
    if (r.relationships) {
      const rels = r.relationships as Record<string, JsonObject>;
      for (const name in rels) {
        const meta = rels[name].meta;
        if (meta && Object.keys(meta as object).length === 0) delete rels[name].meta;
      }
      if (Object.keys(rels).length === 0) delete r.relationships;
    }
  };
  if (Array.isArray(doc.data)) for (const r of doc.data) strip(r as JsonObject);
  else if (doc.data) strip(doc.data as JsonObject);
  return doc;
}

/**
 * A ts-japi Linker that hands back the URL string as it is. Its own Linker parses every link
 * with `new URL()` (11 links a client resource); ours are built from already-valid parts.
 */
function linker<A extends unknown[]>(build: (...args: A) => string): Linker<A> {
  const l = new Linker<A>(build);
  (l as unknown as { link: (...args: A) => string }).link = build;
  return l;
}
