import { AttributeDef, RelationshipDef, ResourceDef, ToOneDef } from '../resources/types';

/**
 * The typed tree a query string is parsed into. Nodes hold registry objects, never raw
 * strings, so the SQL layer cannot be handed a name the registry did not declare.
 */

export interface IncludeNode {
  readonly relationship: RelationshipDef;
  readonly children: IncludeNode[];
}

/** Per type: the fields asked for. A type absent from the map shows all its fields. */
export type Fieldsets = ReadonlyMap<string, ReadonlySet<string>>;

/** `id` can be sorted and filtered on although it is not an attribute. */
export const ID_ATTRIBUTE: AttributeDef = {
  name: 'id',
  column: 'id',
  kind: 'string',
  nullable: false,
  required: false,
  creatable: false,
  updatable: false,
  sortable: true,
  filterable: true,
};

export interface SortKey {
  /** To-one relationships walked from the primary type (`parent.name` → [parent]). */
  readonly path: readonly ToOneDef[];
  readonly attribute: AttributeDef;
  readonly descending: boolean;
}

export type FilterOperator = 'eq' | 'ne' | 'in' | 'nin' | 'contains' | 'startsWith' | 'endsWith' | 'gt' | 'gte' | 'lt' | 'lte' | 'null';

export const FILTER_OPERATORS: readonly FilterOperator[] = ['eq', 'ne', 'in', 'nin', 'contains', 'startsWith', 'endsWith', 'gt', 'gte', 'lt', 'lte', 'null'];

export type FilterNode =
  | {
      readonly kind: 'attribute';
      readonly parameter: string;
      readonly path: readonly ToOneDef[];
      readonly attribute: AttributeDef;
      readonly operator: FilterOperator;
      /** Typed values: strings (timestamps normalised), or a boolean for `null`. */
      readonly values: readonly (string | boolean)[];
    }
  | {
      /** filter[parent]=ID|null, filter[client]=ID: the foreign key of a to-one. */
      readonly kind: 'relationship';
      readonly parameter: string;
      readonly relationship: ToOneDef;
      readonly ids: readonly (string | null)[];
    }
  | {
      /** filter[descendantOf]=ID (the subtree below ID) and filter[ancestorOf]=ID (the chain above it). */
      readonly kind: 'hierarchy';
      readonly parameter: string;
      readonly relation: 'descendantOf' | 'ancestorOf';
      readonly id: string;
    };

export type PageSpec =
  | { readonly mode: 'number'; readonly number: number; readonly size: number }
  | { readonly mode: 'offset'; readonly offset: number; readonly limit: number }
  | {
      /** Keyset: rows after (or before) a position; no position = from the start (or the end). */
      readonly mode: 'keyset';
      readonly size: number;
      readonly direction: 'after' | 'before';
      readonly position: { readonly values: (string | null)[]; readonly id: string } | null;
      /** What the cursors of this page's links are bound to. */
      readonly binding: string;
    };

export interface QuerySpec {
  readonly type: ResourceDef;
  readonly include: IncludeNode[];
  readonly fields: Fieldsets;
  readonly sort: SortKey[];
  readonly filters: FilterNode[];
  readonly page: PageSpec;
}

/** What an endpoint accepts: single resources take include and fields only. */
export type QueryContext = 'collection' | 'single' | 'linkage';

export interface QueryLimits {
  readonly defaultPageSize: number;
  readonly maxPageSize: number;
  /** Longest include path, and longest to-one path in sort and filter. */
  readonly maxIncludeDepth: number;
  /** Most sort keys in one `sort` (default 10). */
  readonly maxSortFields?: number;
  /** Most filter parameters in one query (default 20). */
  readonly maxFilters?: number;
  /** Most values in one comma-separated filter list (default 100). */
  readonly maxFilterValues?: number;
  /** Secret that signs keyset cursors; without one, keyset pagination is refused. */
  readonly cursorSecret?: string;
}
