import { Config } from '../../config/config';
import { FilterOperator } from '../../query/ast';
import { attribute, Registry, relationship } from '../../resources/registry';
import { AttributeDef, ResourceDef, ToManyDef } from '../../resources/types';

/**
 * The flat `/api/clients` surface (SPEC §3) as one declaration over the `client` resource: the
 * id prefixes, which flat member is which attribute or relationship, and which query parameter
 * is which filter or page bound. The flat router, its presenter, its body and query parsers and
 * the flat OpenAPI schemas all read it; `resolveFlatMapping` checks it against the registry.
 */

/** A flat member: an attribute of the resource, or a to-many relationship shown as prefixed ids. A and R name them. */
export type FlatMemberOf<A, R> = { readonly member: string; readonly writable?: boolean } & (
  | {
      readonly attribute: A;
      /** Required on create and never null on this surface, whatever the resource allows. */
      readonly required?: boolean;
    }
  | {
      readonly relationship: R;
      /** The prefix of the related ids on this surface (bare 24 hex ids are accepted too). */
      readonly idPrefix: string;
      /** What writing the member does (OpenAPI). */
      readonly note: string;
    }
);

/** A query parameter of the list: a filter on an attribute, or a page bound. */
export type FlatParameterOf<A> =
  | { readonly name: string; readonly filter: { readonly attribute: A; readonly operator: FilterOperator }; readonly description: string }
  | { readonly name: 'limit' | 'offset'; readonly description: (limits: Config['limits']) => string };

export interface FlatMappingOf<T, A, R> {
  readonly resource: T;
  readonly path: string;
  readonly idPrefix: string;
  /** In the order a flat resource shows them, after `id`. */
  readonly members: readonly FlatMemberOf<A, R>[];
  readonly parameters: readonly FlatParameterOf<A>[];
}

/** The declaration, by name. */
export type FlatMappingDeclaration = FlatMappingOf<string, string, string>;
/** The declaration with the registry's objects in place of names. */
export type FlatMapping = FlatMappingOf<ResourceDef, AttributeDef, ToManyDef>;
export type FlatMember = FlatMemberOf<AttributeDef, ToManyDef>;

export const FLAT_CLIENTS: FlatMappingDeclaration = {
  resource: 'client',
  path: '/api/clients',
  idPrefix: 'client_',
  members: [
    { member: 'name', attribute: 'name', writable: true },
    { member: 'email', attribute: 'email', writable: true, required: true },
    { member: 'projects', relationship: 'projects', idPrefix: 'proj_', writable: true, note: 'existing project ids, moved to this client' },
    { member: 'created_at', attribute: 'createdAt' },
    { member: 'updated_at', attribute: 'updatedAt' },
  ],
  parameters: [
    { name: 'email', filter: { attribute: 'email', operator: 'eq' }, description: 'Exact email, compared case-insensitively.' },
    { name: 'search', filter: { attribute: 'name', operator: 'contains' }, description: 'Part of the name, case-insensitive; % and _ are literal.' },
    { name: 'limit', description: (limits) => `Page size (default ${limits.flatDefaultLimit}).` },
    { name: 'offset', description: () => 'Rows to skip.' },
  ],
};

/** The page bounds the `limit` and `offset` parameters take. */
export function flatPageBounds(limits: Config['limits']): Record<'limit' | 'offset', { min: number; max: number; default: number }> {
  return {
    limit: { min: 1, max: limits.flatMaxLimit, default: limits.flatDefaultLimit },
    offset: { min: 0, max: 999_999_999, default: 0 },
  };
}

/** Resolves the declaration against the registry; a name it does not know stops the service at boot. */
export function resolveFlatMapping(registry: Registry, declared: FlatMappingDeclaration = FLAT_CLIENTS): FlatMapping {
  const def = registry.get(declared.resource);
  const attributeOf = (name: string): AttributeDef => {
    const a = attribute(def, name);
    if (!a) throw new Error(`flat mapping: ${def.type} has no attribute ${name}`);
    return a;
  };
  const members = declared.members.map((m): FlatMember => {
    if ('attribute' in m) return { ...m, attribute: attributeOf(m.attribute) };
    const rel = relationship(def, m.relationship);
    if (rel?.kind !== 'to-many') throw new Error(`flat mapping: ${def.type} has no to-many relationship ${m.relationship}`);
    return { ...m, relationship: rel };
  });
  const parameters = declared.parameters.map((p) => ('filter' in p ? { ...p, filter: { ...p.filter, attribute: attributeOf(p.filter.attribute) } } : p));
  return { ...declared, resource: def, members, parameters };
}

/** A flat id (`client_<24 hex>`, `proj_<24 hex>`) without its prefix; a bare id stays as it is. */
export function unprefix(value: string, prefix: string): string {
  return value.startsWith(prefix) ? value.slice(prefix.length) : value;
}
