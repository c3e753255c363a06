import { apiTokenResource } from './api-token.resource';
import { clientResource } from './client.resource';
import { legalEntityResource } from './legal-entity.resource';
import { projectResource } from './project.resource';
import { reportingEntityResource } from './reporting-entity.resource';
import { AttributeDef, RelationshipDef, ResourceDef, ToManyDef, ToOneDef } from './types';

/** The forest the tenant scope is built on: one type (client) and its parent/children relationships. */
export interface Hierarchy {
  readonly def: ResourceDef;
  readonly parent: ToOneDef;
  readonly children: ToManyDef;
}

/** Rows of `def` whose `rel` points at a row stop that row's delete while they exist (409 named `name`). */
export interface DeleteBlocker {
  readonly name: string;
  readonly def: ResourceDef;
  readonly rel: ToOneDef;
}

/**
 * The resource registry: every JSON:API type, looked up by type or URL path. The constructor
 * checks the declarations once at boot (targets exist, inverses agree, names are unique), so a
 * mistake in a resource file stops the service instead of surfacing as a 500 later.
 */
export class Registry {
  private readonly byType = new Map<string, ResourceDef>();
  private readonly byPathMap = new Map<string, ResourceDef>();
  private readonly blockers = new Map<string, DeleteBlocker[]>();
  /** The forest of the `client-self` type: subtrees, cycles and subdomains are all about it. */
  readonly hierarchy: Hierarchy;
  /** The attribute naming a subdomain (client slug), if the hierarchy's type declares one. */
  readonly subdomainKey: AttributeDef | undefined;

  constructor(readonly resources: readonly ResourceDef[]) {
    for (const def of resources) {
      if (this.byType.has(def.type)) throw new Error(`registry: type ${def.type} declared twice`);
      this.byType.set(def.type, def);
      this.byPathMap.set(def.path, def);
    }
    for (const def of resources) this.check(def);
    this.hierarchy = this.findHierarchy();
    const key = this.hierarchy.def.subdomainKey;
    this.subdomainKey = key === undefined ? undefined : attribute(this.hierarchy.def, key);
    if (key !== undefined && (!this.subdomainKey || !this.subdomainKey.unique)) throw new Error(`registry: subdomain key ${key} must be a unique attribute`);
    // Every to-one reference blocks the delete of the row it names (the foreign keys restrict):
    // named after the target's mirroring to-many, or after the referencing collection.
    for (const def of resources) {
      for (const rel of def.relationships) {
        if (rel.kind !== 'to-one') continue;
        const list = this.blockers.get(rel.target) ?? [];
        list.push({ name: rel.inverse ?? camel(def.path), def, rel });
        this.blockers.set(rel.target, list);
      }
    }
  }

  private findHierarchy(): Hierarchy {
    const roots = this.resources.filter((d) => d.scope.kind === 'client-self');
    if (roots.length !== 1 || !roots[0].hierarchy) throw new Error('registry: exactly one type must have the client-self scope and declare its hierarchy');
    const def = roots[0];
    const parent = relationship(def, def.hierarchy!.parent);
    const children = relationship(def, def.hierarchy!.children);
    if (parent?.kind !== 'to-one' || parent.target !== def.type || children?.kind !== 'to-many' || children.inverse !== parent.name) {
      throw new Error(`registry: ${def.type}'s hierarchy must name a to-one parent and its to-many inverse on the same type`);
    }
    return { def, parent, children };
  }

  /** What stops a delete of a row of `def` while it exists, in registry order. */
  deleteBlockers(def: ResourceDef): readonly DeleteBlocker[] {
    return this.blockers.get(def.type) ?? [];
  }

  private check(def: ResourceDef): void {
    const names = new Set<string>();
    for (const f of [...def.attributes, ...def.relationships]) {
      if (names.has(f.name) || f.name === 'id' || f.name === 'type') throw new Error(`registry: ${def.type}.${f.name} is not a valid or unique field name`);
      names.add(f.name);
    }
    for (const rel of def.relationships) {
      const target = this.byType.get(rel.target);
      if (!target) throw new Error(`registry: ${def.type}.${rel.name} targets unknown type ${rel.target}`);
      if (rel.kind === 'to-many') {
        const inverse = target.relationships.find((r) => r.name === rel.inverse);
        if (!inverse || inverse.kind !== 'to-one' || inverse.column !== rel.inverseColumn || inverse.target !== def.type) {
          throw new Error(`registry: ${def.type}.${rel.name} has no matching to-one ${rel.target}.${rel.inverse}`);
        }
      }
    }
  }

  get(type: string): ResourceDef {
    const def = this.byType.get(type);
    if (!def) throw new Error(`registry: unknown type ${type}`);
    return def;
  }

  find(type: string): ResourceDef | undefined {
    return this.byType.get(type);
  }

  byPath(path: string): ResourceDef | undefined {
    return this.byPathMap.get(path);
  }
}

function camel(path: string): string {
  return path.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function attribute(def: ResourceDef, name: string): AttributeDef | undefined {
  return def.attributes.find((a) => a.name === name);
}

export function relationship(def: ResourceDef, name: string): RelationshipDef | undefined {
  return def.relationships.find((r) => r.name === name);
}

export const registry = new Registry([clientResource, legalEntityResource, reportingEntityResource, projectResource, apiTokenResource]);
