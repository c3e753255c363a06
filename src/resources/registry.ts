import { apiTokenResource } from './api-token.resource';
import { clientResource } from './client.resource';
import { legalEntityResource } from './legal-entity.resource';
import { projectResource } from './project.resource';
import { reportingEntityResource } from './reporting-entity.resource';
import { AttributeDef, RelationshipDef, ResourceDef } from './types';

/**
 * The resource registry: every JSON:API type, looked up by type or URL path. The constructor
 * checks the declarations once at boot (targets exist, inverses agree, names are unique), so a
 * mistake in a resource file stops the service instead of surfacing as a 500 later.
 */
export class Registry {
  private readonly byType = new Map<string, ResourceDef>();
  private readonly byPathMap = new Map<string, ResourceDef>();

  constructor(readonly resources: readonly ResourceDef[]) {
    for (const def of resources) {
      if (this.byType.has(def.type)) throw new Error(`registry: type ${def.type} declared twice`);
      this.byType.set(def.type, def);
      this.byPathMap.set(def.path, def);
    }
    for (const def of resources) this.check(def);
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

export function attribute(def: ResourceDef, name: string): AttributeDef | undefined {
  return def.attributes.find((a) => a.name === name);
}

export function relationship(def: ResourceDef, name: string): RelationshipDef | undefined {
  return def.relationships.find((r) => r.name === name);
}

export const registry = new Registry([clientResource, legalEntityResource, reportingEntityResource, projectResource, apiTokenResource]);
