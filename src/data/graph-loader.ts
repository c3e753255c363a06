import { Fieldsets, IncludeNode } from '../query/ast';
import { Registry } from '../resources/registry';
import { ID_COLUMN, RelationshipDef, ResourceDef, VERSION_COLUMN } from '../resources/types';
import { Executor } from './database';
import { LevelBranch, Linkage, LinkagePlan, selectLevel } from './graph.sql';
import { Row } from './query-composer';
import { ScopeSql } from './scope.sql';

/**
 * Loads what a document shows beyond its primary rows: relationship linkage for every
 * relationship in the fieldset (selected with the rows themselves, graph.sql.ts) and the
 * included resources, one statement per include level whatever the types and relationships it
 * reaches (never per row), every statement scoped. To-many linkage is bounded: at most
 * `maxLinkage` identifiers per relationship, in id order, with the owner's whole count; the
 * included resources are those the bounded linkage names. The serializer reads only this graph.
 */

export type { Linkage };

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
  private readonly plans = new Map<string, LinkagePlan>();

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

  /**
   * The linkage rows of `def` carry: of the relationships shown, and of those any include path
   * names (so a row read once serves every path that reaches it).
   */
  linkage(def: ResourceDef): LinkagePlan {
    let plan = this.plans.get(def.type);
    if (!plan) {
      const shown = shownFields(def, this.fields);
      const rels = def.relationships.filter((r) => shown.has(r.name) || this.names.has(r.name));
      this.plans.set(def.type, (plan = new LinkagePlan(this.registry, this.scope, def, rels, this.maxLinkage)));
    }
    return plan;
  }

  /** The record of a row read with `linkage(def)`. */
  adopt(def: ResourceDef, row: Row): ResourceRecord {
    const rec = this.graph.add(def, row);
    if (rec.linkage.size === 0) for (const [name, link] of this.linkage(def).read(row)) rec.linkage.set(name, link);
    return rec;
  }

  /** Loads, level by level, the resources `include` names from `records` (of type `def`): one statement a level. */
  async load(def: ResourceDef, records: readonly ResourceRecord[], include: readonly IncludeNode[]): Promise<void> {
    // Nodes in the order of the owner's relationships (the order of `included`).
    const ordered = (owner: ResourceDef, nodes: readonly IncludeNode[]) => owner.relationships.flatMap((rel) => nodes.filter((n) => n.relationship === rel));
    let level = ordered(def, include).map((node) => ({ node, from: records }));
    while (level.length > 0) {
      const wanted = new Map<string, Set<string>>();
      for (const { node, from } of level) {
        const target = this.registry.get(node.relationship.target);
        let ids = wanted.get(target.type);
        if (!ids) wanted.set(target.type, (ids = new Set()));
        for (const id of this.named(node.relationship, from)) if (!this.graph.get(target.type, id)) ids.add(id);
      }
      const branches: LevelBranch[] = [...wanted].map(([type, ids]) => {
        const target = this.registry.get(type);
        return { plan: this.linkage(target), ids: [...ids], columns: this.columns(target) };
      });
      for (const { def: t, row } of await selectLevel(this.ex, this.scope, branches)) this.adopt(t, row);
      const next: typeof level = [];
      for (const { node, from } of level) {
        const target = this.registry.get(node.relationship.target);
        const reached = this.named(node.relationship, from)
          .map((id) => this.graph.get(target.type, id))
          .filter((r): r is ResourceRecord => r !== undefined);
        for (const r of reached) this.graph.included.set(`${target.type}:${r.id}`, r);
        if (reached.length > 0) next.push(...ordered(target, node.children).map((child) => ({ node: child, from: reached })));
      }
      level = next;
    }
  }

  /** The ids the linkage of `records` names for `rel`, in order, once each (restricted ones are not named). */
  private named(rel: RelationshipDef, records: readonly ResourceRecord[]): string[] {
    const ids = new Set<string>();
    for (const r of records) {
      const link = r.linkage.get(rel.name);
      if (link?.kind === 'to-one' && link.id !== null) ids.add(link.id);
      if (link?.kind === 'to-many') for (const id of link.ids) ids.add(id);
    }
    return [...ids];
  }
}
