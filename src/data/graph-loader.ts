import { Fieldsets, IncludeNode } from '../query/ast';
import { Registry } from '../resources/registry';
import { ID_COLUMN, RelationshipDef, ResourceDef, ToManyDef, ToOneDef, VERSION_COLUMN } from '../resources/types';
import { Executor } from './database';
import { MEMBER_COUNT, Row, selectByIds, selectMembers } from './query-composer';
import { ScopeSql } from './scope.sql';

/**
 * Loads what a document shows beyond its primary rows: relationship linkage for every
 * relationship in the fieldset and the included resources, one statement per relationship per
 * include level (never per row), every statement scoped. To-many linkage is bounded: at most
 * `maxLinkage` identifiers per relationship, in id order, with the owner's whole count; the
 * included resources are those the bounded linkage names. The serializer reads only this graph.
 */

export type Linkage =
  | { readonly kind: 'to-one'; readonly id: string | null }
  /** `ids`: the first members in id order (all of them when `total` is no larger); `total`: how many there are. */
  | { readonly kind: 'to-many'; readonly ids: string[]; readonly total: number }
  | { readonly kind: 'restricted' };

export interface ResourceRecord {
  readonly def: ResourceDef;
  readonly id: string;
  readonly row: Row;
  readonly linkage: Map<string, Linkage>;
}

export class Graph {
  private readonly records = new Map<string, ResourceRecord>();
  /** Records reached through include paths, in the order they were reached. */
  readonly included = new Map<string, ResourceRecord>();

  add(def: ResourceDef, row: Row): ResourceRecord {
    const key = `${def.type}:${row.id}`;
    let rec = this.records.get(key);
    if (!rec) {
      rec = { def, id: row.id, row, linkage: new Map() };
      this.records.set(key, rec);
    }
    return rec;
  }

  get(type: string, id: string): ResourceRecord | undefined {
    return this.records.get(`${type}:${id}`);
  }
}

/** The fields of `def` that a document shows: its fieldset, or all of them. */
export function shownFields(def: ResourceDef, fields: Fieldsets): ReadonlySet<string> {
  return fields.get(def.type) ?? new Set([...def.attributes.map((a) => a.name), ...def.relationships.map((r) => r.name)]);
}

/** Columns to select for rows of `def`: id, version, shown attributes, and foreign keys of to-ones shown or included. */
export function columnsFor(def: ResourceDef, fields: Fieldsets, includedNames: ReadonlySet<string> = new Set()): string[] {
  const shown = shownFields(def, fields);
  const columns = new Set([ID_COLUMN, VERSION_COLUMN]);
  for (const a of def.attributes) if (shown.has(a.name)) columns.add(a.column);
  for (const r of def.relationships) {
    if (r.kind === 'to-one' && (shown.has(r.name) || includedNames.has(r.name))) columns.add(r.column);
  }
  return [...columns];
}

/** Every relationship name used anywhere in an include tree (so foreign keys get selected). */
export function includedNames(include: readonly IncludeNode[], into = new Set<string>()): Set<string> {
  for (const node of include) {
    into.add(node.relationship.name);
    includedNames(node.children, into);
  }
  return into;
}

export class GraphLoader {
  private readonly names: Set<string>;

  constructor(
    private readonly ex: Executor,
    private readonly registry: Registry,
    private readonly scope: ScopeSql,
    private readonly fields: Fieldsets,
    include: readonly IncludeNode[],
    /** Most linkage identifiers per to-many relationship; undefined: all (the flat surface's `projects`). */
    private readonly maxLinkage: number | undefined,
    readonly graph = new Graph(),
  ) {
    this.names = includedNames(include);
  }

  columns(def: ResourceDef): string[] {
    return columnsFor(def, this.fields, this.names);
  }

  /** Loads linkage for `records` and, level by level, the resources `include` names. */
  async load(def: ResourceDef, records: readonly ResourceRecord[], include: readonly IncludeNode[]): Promise<void> {
    if (records.length === 0) return;
    const shown = shownFields(def, this.fields);
    const next: { node: IncludeNode; records: ResourceRecord[] }[] = [];
    for (const rel of def.relationships) {
      const node = include.find((n) => n.relationship === rel);
      if (!shown.has(rel.name) && !node) continue;
      const pending = records.filter((r) => !r.linkage.has(rel.name));
      const reached = rel.kind === 'to-many' ? await this.loadToMany(rel, pending, !!node) : await this.loadToOne(rel, pending, !!node);
      if (node) {
        const targets = await this.targets(rel, records, reached);
        for (const t of targets) this.graph.included.set(`${t.def.type}:${t.id}`, t);
        next.push({ node, records: targets });
      }
    }
    for (const { node, records: targets } of next) {
      await this.load(this.registry.get(node.relationship.target), targets, node.children);
    }
  }

  private async loadToMany(rel: ToManyDef, records: ResourceRecord[], full: boolean): Promise<ResourceRecord[]> {
    const target = this.registry.get(rel.target);
    const columns = full ? [...new Set([...this.columns(target), rel.inverseColumn])] : [ID_COLUMN, rel.inverseColumn];
    const rows = await selectMembers(
      this.ex,
      target,
      rel.inverseColumn,
      records.map((r) => r.id),
      columns,
      this.scope,
      this.maxLinkage,
    );
    const byOwner = new Map<string, { ids: string[]; total: number }>();
    const reached: ResourceRecord[] = [];
    for (const row of rows) {
      const owner = String(row[rel.inverseColumn]);
      let members = byOwner.get(owner);
      if (!members) byOwner.set(owner, (members = { ids: [], total: 0 }));
      members.ids.push(row.id);
      members.total = row[MEMBER_COUNT] === undefined ? members.ids.length : Number(row[MEMBER_COUNT]);
      if (full) reached.push(this.graph.add(target, row));
    }
    for (const r of records) {
      const members = byOwner.get(r.id);
      r.linkage.set(rel.name, { kind: 'to-many', ids: members?.ids ?? [], total: members?.total ?? 0 });
    }
    return reached;
  }

  private async loadToOne(rel: ToOneDef, records: ResourceRecord[], full: boolean): Promise<ResourceRecord[]> {
    const target = this.registry.get(rel.target);
    const fk = (r: ResourceRecord): string | null => (r.row[rel.column] as string | null | undefined) ?? null;
    const mustCheck = !rel.visibleWithSource && !this.scope.unlimited;
    if (!full && !mustCheck) {
      for (const r of records) r.linkage.set(rel.name, { kind: 'to-one', id: fk(r) });
      return [];
    }
    const ids = [...new Set(records.map(fk).filter((id): id is string => id !== null))];
    const rows = await selectByIds(this.ex, target, ids, full ? this.columns(target) : [ID_COLUMN], this.scope);
    const visible = new Set(rows.map((row) => row.id));
    for (const r of records) {
      const id = fk(r);
      r.linkage.set(rel.name, id === null ? { kind: 'to-one', id: null } : visible.has(id) ? { kind: 'to-one', id } : { kind: 'restricted' });
    }
    return full ? rows.map((row) => this.graph.add(target, row)) : [];
  }

  /** The records an include node reaches from `records`, fetching any the linkage named but did not load. */
  private async targets(rel: RelationshipDef, records: readonly ResourceRecord[], reached: ResourceRecord[]): Promise<ResourceRecord[]> {
    const target = this.registry.get(rel.target);
    const ids = new Set<string>();
    for (const r of records) {
      const link = r.linkage.get(rel.name);
      if (link?.kind === 'to-one' && link.id !== null) ids.add(link.id);
      if (link?.kind === 'to-many') link.ids.forEach((id) => ids.add(id));
    }
    const known = new Set(reached.map((r) => r.id));
    const missing = [...ids].filter((id) => !known.has(id) && !this.graph.get(target.type, id));
    if (missing.length > 0) {
      for (const row of await selectByIds(this.ex, target, missing, this.columns(target), this.scope)) this.graph.add(target, row);
    }
    return [...ids].map((id) => this.graph.get(target.type, id)).filter((r): r is ResourceRecord => r !== undefined);
  }
}
