/**
 * The shape of a resource declaration. Each JSON:API type is declared once in a
 * `<type>.resource.ts`; routing, query validation, SQL composition, serialization and the flat
 * surface all read these objects (see registry.ts).
 */

/** A JSON Schema (2020-12) fragment, as the OpenAPI document shows it. */
export type JsonSchema = Record<string, unknown>;

/** Thrown by an attribute's parser with a human-readable reason; becomes a 422 at the member. */
export class ValueError extends Error {}

export type AttributeKind = 'string' | 'timestamp';

export interface AttributeDef {
  /** Member name on the wire. */
  readonly name: string;
  /** Column in the table. */
  readonly column: string;
  readonly kind: AttributeKind;
  readonly nullable: boolean;
  /** Must be present on create. */
  readonly required: boolean;
  /** May be sent on create. */
  readonly creatable: boolean;
  /** May be sent on update. */
  readonly updatable: boolean;
  readonly sortable: boolean;
  readonly filterable: boolean;
  /** Column holding a case-folded copy, written with every value; contains/startsWith/endsWith compare on it. */
  readonly foldedColumn?: string;
  /** Equality (eq, ne, in, nin, uniqueness) compares case-insensitively, on the folded column (email). */
  readonly caseInsensitiveEquality?: boolean;
  /** A trigram index over the folded column that speeds up substring filters (SQLite FTS5 table name). */
  readonly substringIndex?: string;
  /** No two rows may hold the same value (compared on the folded column when there is one): 409. */
  readonly unique?: boolean;
  /** Normalises and validates a value from a request body; throws ValueError. */
  readonly parse?: (value: unknown) => unknown;
  /** JSON Schema of a valid non-null value (OpenAPI); declared with the parser in values.ts. */
  readonly schema?: JsonSchema;
}

export interface ToOneDef {
  readonly kind: 'to-one';
  readonly name: string;
  readonly target: string;
  /** Foreign-key column on this type's table. */
  readonly column: string;
  readonly nullable: boolean;
  /** Must be given on create. */
  readonly required: boolean;
  readonly updatable: boolean;
  /** The target of a visible row is always visible too (an owned row's owner), so linkage needs no check. */
  readonly visibleWithSource: boolean;
  /** Name of the to-many relationship on the target that mirrors this one, if any. */
  readonly inverse?: string;
}

export interface ToManyDef {
  readonly kind: 'to-many';
  readonly name: string;
  readonly target: string;
  /** Foreign-key column on the target's table that points back at this type. */
  readonly inverseColumn: string;
  /** The to-one on the target that mirrors this one. */
  readonly inverse: string;
  /** Members cannot exist without an owner: removing one is refused (403). */
  readonly owned: boolean;
}

export type RelationshipDef = ToOneDef | ToManyDef;

/** How a row reaches the client whose subtree decides who may see it. */
export type ScopeRule =
  | { readonly kind: 'client-self' }
  | { readonly kind: 'owner'; readonly column: string }
  /**
   * Admin tokens only (any other role: 403). `column` names the client a row belongs to, if any:
   * under a narrowed host an admin sees the rows of clients in the subtree, and no row that
   * belongs to no client.
   */
  | { readonly kind: 'admin-only'; readonly column: string };

export interface ResourceDef {
  /** JSON:API type, singular kebab-case. */
  readonly type: string;
  /** URL segment of the collection. */
  readonly path: string;
  readonly table: string;
  readonly attributes: readonly AttributeDef[];
  readonly relationships: readonly RelationshipDef[];
  readonly scope: ScopeRule;
  /**
   * The type forms a forest through these relationships: writes are checked for cycles. The
   * type whose scope is `client-self` declares it, and its subtrees are what scopes narrow to.
   */
  readonly hierarchy?: { readonly parent: string; readonly children: string };
  /** The attribute whose value names a row's subdomain (BASE_DOMAIN narrowing): the client's slug. */
  readonly subdomainKey?: string;
  /** Extra columns and response meta for a new row (api-token: the hashed secret, shown once). */
  readonly onCreate?: () => { columns: Record<string, unknown>; meta: Record<string, unknown> };
  /** The schema of each member onCreate adds to the created resource's meta (OpenAPI). */
  readonly createdMeta?: Record<string, JsonSchema>;
  /**
   * Deleting a row revokes it for good (api-token): the value of `column` (a hash, never a
   * secret) is kept in `table` (under the same column name, with the time in `atColumn`) in the same transaction.
   */
  readonly revocation?: { readonly table: string; readonly column: string; readonly atColumn: string };
  /** Cross-member validation after single members passed (api-token: role vs client); `member` names the relationship at fault. */
  readonly validate?: (values: { attributes: Record<string, unknown>; relationships: Record<string, unknown> }, isCreate: boolean) => { detail: string; member: string } | undefined;
}

/** Columns every table has: the id and version (not attributes), and the two timestamps' columns. */
export const ID_COLUMN = 'id';
export const VERSION_COLUMN = 'version';
export const CREATED_AT_COLUMN = 'created_at';
export const UPDATED_AT_COLUMN = 'updated_at';
