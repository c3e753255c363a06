import { cursorBinding, encodeCursor } from '../src/query/cursor';
import { CLIENT_RELATIONSHIPS, ClientRelationship, FloorQuery, FloorScope, scopeKey, splitQuery } from './floor-query';
import { ClientRow, FloorSql, LinkedClientRow, MEMBERS, OwnedRow, ToManyName } from './floor-sql';

/**
 * The floor's documents (bench/floor.ts), built by hand as plain objects: the linkage of every
 * client in a document (bounded to-many linkage with its whole count, as the service's graph
 * loader reads it, src/data/graph-loader.ts) and the included resources, then resource objects
 * and documents as the service writes them (src/http/jsonapi/document.writer.ts, responder.ts).
 */

type Json = Record<string, unknown>;

interface Linkage {
  readonly ids: string[];
  readonly total: number;
}

/** A client and its linkage. */
interface ClientRecord {
  readonly type: 'client';
  readonly row: ClientRow;
  readonly parent: { readonly id: string | null } | 'restricted';
  readonly children: Linkage;
  readonly legalEntities: Linkage;
  readonly reportingEntities: Linkage;
  readonly projects: Linkage;
}

interface OwnedRecord {
  readonly type: 'legal-entity' | 'reporting-entity' | 'project';
  readonly row: OwnedRow;
}

type AnyRecord = ClientRecord | OwnedRecord;

/** Per owned type: its URL path and its attributes (wire name → column), in the service's order. */
const OWNED = {
  'legal-entity': {
    path: 'legal-entities',
    attributes: [
      ['name', 'name'],
      ['registrationNumber', 'registration_number'],
      ['country', 'country'],
    ],
  },
  'reporting-entity': {
    path: 'reporting-entities',
    attributes: [
      ['name', 'name'],
      ['currency', 'currency'],
    ],
  },
  project: { path: 'projects', attributes: [['name', 'name']] },
} as const;

/**
 * The records of one document: the primary clients (read with their linkage), then the
 * resources `include` names, relationship by relationship in the service's order (clients read
 * with their linkage too, so an include level costs one statement per relationship).
 */
export class FloorGraph {
  private readonly clients = new Map<string, ClientRecord>();
  private readonly owned = new Map<string, OwnedRecord>();
  /** Records reached through include, by type:id, in the order reached. */
  readonly included = new Map<string, AnyRecord>();

  constructor(
    private readonly sql: FloorSql,
    private readonly scope: FloorScope,
  ) {}

  /** The record of a client row read with its linkage. */
  add(row: LinkedClientRow): ClientRecord {
    let rec = this.clients.get(row.id);
    if (!rec) {
      const linkage = (rel: ToManyName): Linkage => ({ ids: JSON.parse(row[rel]) as string[], total: Number(row[`${rel}_n`]) });
      rec = {
        type: 'client',
        row,
        parent: this.restricted(row) ? 'restricted' : { id: row.parent_id },
        children: linkage('children'),
        legalEntities: linkage('legalEntities'),
        reportingEntities: linkage('reportingEntities'),
        projects: linkage('projects'),
      };
      this.clients.set(row.id, rec);
    }
    return rec;
  }

  /** Reads the resources `include` names from `primaries`, in the order the service includes them. */
  load(primaries: readonly ClientRecord[], include: ReadonlySet<ClientRelationship>): void {
    for (const rel of CLIENT_RELATIONSHIPS) {
      if (!include.has(rel)) continue;
      if (rel === 'parent') {
        const ids = [...new Set(primaries.flatMap((r) => (r.parent !== 'restricted' && r.parent.id !== null ? [r.parent.id] : [])))];
        this.readClients(ids);
        for (const id of ids) this.reach(this.clients.get(id));
        continue;
      }
      const ids = [...new Set(primaries.flatMap((r) => r[rel].ids))];
      if (rel === 'children') {
        this.readClients(ids);
        for (const id of ids) this.reach(this.clients.get(id));
        continue;
      }
      const type = MEMBERS[rel].type;
      const missing = ids.filter((id) => !this.owned.has(`${type}:${id}`));
      if (missing.length > 0) for (const row of this.sql.owned(rel, missing)) this.owned.set(`${type}:${row.id}`, { type, row });
      for (const id of ids) this.reach(this.owned.get(`${type}:${id}`));
    }
  }

  private readClients(ids: readonly string[]): void {
    const missing = ids.filter((id) => !this.clients.has(id));
    if (missing.length > 0) for (const row of this.sql.clients(missing)) this.add(row);
  }

  private reach(rec: AnyRecord | undefined): void {
    if (rec) this.included.set(`${rec.type}:${rec.row.id}`, rec);
  }

  /**
   * A client token sees its client's subtree: the parent of every client in it is in it too,
   * except the parent of the subtree's root, which the token may not see.
   */
  private restricted(row: ClientRow): boolean {
    return this.scope.kind === 'subtree' && row.id === this.scope.rootId && row.parent_id !== null;
  }

  /**
   * The included resources as the service lists them (undefined when include was not given):
   * grouped by type in the order each type was first reached, primaries left out.
   */
  includedRecords(primaries: readonly ClientRecord[], include: ReadonlySet<ClientRelationship>): AnyRecord[] | undefined {
    if (include.size === 0) return undefined;
    const primary = new Set(primaries.map((r) => `client:${r.row.id}`));
    const byType = new Map<string, AnyRecord[]>();
    for (const [key, rec] of this.included) {
      if (primary.has(key)) continue;
      const list = byType.get(rec.type);
      if (list) list.push(rec);
      else byType.set(rec.type, [rec]);
    }
    return [...byType.values()].flat();
  }
}

export type { AnyRecord, ClientRecord, Linkage };

/** Percent-encodes query pairs as the service does (brackets too; commas stay readable). */
export function encodeQuery(pairs: readonly [string, string][]): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%2C/gi, ',');
  return pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
}

/** Writes resource objects and documents for one request (its origin and scope). */
export class FloorWriter {
  private readonly base: string;
  private readonly linkagePageSize: string;
  private readonly scopeKey: string;

  constructor(
    readonly origin: string,
    scope: FloorScope,
    private readonly cursorSecret: string,
    limits: { readonly maxLinkage: number; readonly maxPageSize: number },
  ) {
    this.base = `${origin}/api/v2`;
    this.linkagePageSize = String(Math.min(limits.maxLinkage, limits.maxPageSize));
    this.scopeKey = scopeKey(scope);
  }

  resource(rec: AnyRecord): Json {
    return rec.type === 'client' ? this.client(rec) : this.ownedResource(rec);
  }

  client(rec: ClientRecord): Json {
    const row = rec.row;
    const self = `${this.base}/clients/${row.id}`;
    const parent = rec.parent;
    return {
      type: 'client',
      id: row.id,
      meta: { version: Number(row.version) },
      attributes: { name: row.name, email: row.email ?? null, slug: row.slug ?? null, createdAt: row.created_at, updatedAt: row.updated_at },
      links: { self },
      relationships: {
        parent:
          parent === 'restricted'
            ? { links: relationshipLinks(self, 'parent'), meta: { restricted: true } }
            : { links: relationshipLinks(self, 'parent'), data: parent.id === null ? null : { type: 'client', id: parent.id } },
        children: this.toMany(self, 'children', rec.children),
        legalEntities: this.toMany(self, 'legalEntities', rec.legalEntities),
        reportingEntities: this.toMany(self, 'reportingEntities', rec.reportingEntities),
        projects: this.toMany(self, 'projects', rec.projects),
      },
    };
  }

  private ownedResource(rec: OwnedRecord): Json {
    const def = OWNED[rec.type];
    const row = rec.row;
    const self = `${this.base}/${def.path}/${row.id}`;
    const attributes: Json = {};
    for (const [name, column] of def.attributes) attributes[name] = row[column] ?? null;
    attributes.createdAt = row.created_at;
    attributes.updatedAt = row.updated_at;
    return {
      type: rec.type,
      id: row.id,
      meta: { version: Number(row.version) },
      attributes,
      links: { self },
      relationships: { client: { links: relationshipLinks(self, 'client'), data: { type: 'client', id: row.client_id } } },
    };
  }

  /** A to-many relationship: its first identifiers, the whole count, and links.next to the rest when cut. */
  private toMany(self: string, name: ToManyName, linkage: Linkage): Json {
    const type = MEMBERS[name].type;
    const links: Json = relationshipLinks(self, name);
    if (linkage.total > linkage.ids.length && linkage.ids.length > 0) {
      const cursor = encodeCursor(this.cursorSecret, cursorBinding(type, [], [], this.scopeKey), { values: [], id: linkage.ids[linkage.ids.length - 1] });
      links.next = `${self}/relationships/${name}?${encodeQuery([
        ['page[size]', this.linkagePageSize],
        ['page[after]', cursor],
      ])}`;
    }
    return { links, data: linkage.ids.map((id) => ({ type, id })), meta: { count: linkage.total } };
  }

  /** A collection document: the page, its meta and pagination links, and the included resources when include was given. */
  collection(records: readonly ClientRecord[], included: readonly AnyRecord[] | undefined, query: FloorQuery, request: RequestTarget, page: { total?: number; more?: boolean }): Json {
    const { meta, links } = this.pagination(query, request, records, page);
    const doc: Json = { jsonapi: { version: '1.1' }, meta, links: { self: request.self, ...links }, data: records.map((r) => this.client(r)) };
    if (included) doc.included = included.map((r) => this.resource(r));
    return doc;
  }

  /** A single-resource document (`self`: the request's URL, or the Location of a created resource). */
  single(record: ClientRecord, included: readonly AnyRecord[] | undefined, self: string): Json {
    const doc: Json = { jsonapi: { version: '1.1' }, links: { self }, data: this.client(record) };
    if (included) doc.included = included.map((r) => this.resource(r));
    return doc;
  }

  /**
   * meta.page and the pagination links: page numbers carry number, size, total and totalPages;
   * keyset pages their size, with signed cursors of the boundary rows in next and prev.
   */
  private pagination(query: FloorQuery, request: RequestTarget, records: readonly ClientRecord[], page: { total?: number; more?: boolean }): { meta: Json; links: Json } {
    const pairs = splitQuery(request.rawQuery).filter(([k]) => k !== 'page[number]' && k !== 'page[after]' && k !== 'page[before]');
    const url = (position: [string, string]) => `${this.origin}${request.path}?${encodeQuery([...pairs, position])}`;
    const p = query.page;
    if (p.mode === 'keyset') {
      const cursor = (r: ClientRecord) => encodeCursor(this.cursorSecret, p.binding, { values: query.sort ? [String(r.row.name)] : [], id: r.row.id });
      const first = records[0];
      const last = records[records.length - 1];
      let next: string | null = null;
      let prev: string | null = null;
      if (p.direction === 'after') {
        if (page.more && last) next = url(['page[after]', cursor(last)]);
        if (p.position) prev = url(['page[before]', first ? cursor(first) : '']);
      } else {
        if (page.more && first) prev = url(['page[before]', cursor(first)]);
        if (p.position) next = url(['page[after]', last ? cursor(last) : '']);
      }
      return { meta: { page: { size: p.size } }, links: { first: url(['page[after]', '']), last: url(['page[before]', '']), prev, next } };
    }
    const total = page.total ?? 0;
    const totalPages = Math.ceil(total / p.size);
    const lastPage = Math.max(totalPages, 1);
    const numbered = (n: number) => url(['page[number]', String(n)]);
    return {
      meta: { page: { number: p.number, size: p.size, total, totalPages } },
      links: {
        first: numbered(1),
        last: numbered(lastPage),
        prev: p.number > 1 ? numbered(Math.min(p.number - 1, lastPage)) : null,
        next: p.number < totalPages ? numbered(p.number + 1) : null,
      },
    };
  }
}

/** The request's path and raw query as sent, and its self link. */
export interface RequestTarget {
  readonly path: string;
  readonly rawQuery: string;
  readonly self: string;
}

function relationshipLinks(self: string, name: string): Json {
  return { self: `${self}/relationships/${name}`, related: `${self}/${name}` };
}
