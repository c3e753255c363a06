import { NotFoundError } from '../../errors/api-error';
import type { QueryContext, QuerySpec } from '../../query/ast';
import { Registry, relationship } from '../../resources/registry';
import type { RelationshipDef, ResourceDef } from '../../resources/types';
import type { HttpMethod, MethodDeclaration } from '../endpoint';
import type { Call } from './responder';

/**
 * The shape of an entry in the endpoint table (endpoints.ts): the path it matches, its methods,
 * what each method reads from the query string, its handler, and how the OpenAPI document
 * describes it. The router, the `Allow` header, the 405s and the OpenAPI paths all read it.
 */

/** What a URL names, by its path shape. */
export interface TypeTarget {
  readonly def: ResourceDef;
}
export interface ResourceTarget extends TypeTarget {
  readonly id: string;
}
export interface RelationshipTarget extends ResourceTarget {
  readonly rel: RelationshipDef;
  /** The relationship's target type. */
  readonly target: ResourceDef;
}
export type AnyTarget = Partial<RelationshipTarget>;

/** A document an answer carries, or a request body holds, about the endpoint's subject type. */
export type ResponseDocument = 'collection' | 'resource' | 'related' | 'to-one-linkage' | 'to-many-linkage' | 'atomic' | 'openapi';
export type RequestDocument = 'create' | 'update' | 'to-one-linkage' | 'to-many-linkage' | 'atomic';

/** A successful answer. */
export interface Answer {
  readonly status: 200 | 201 | 204 | 304;
  readonly description: string;
  readonly document?: ResponseDocument;
  /** With a Location header (a created resource). */
  readonly location?: boolean;
  readonly etag?: boolean;
}

interface Described extends MethodDeclaration {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  /** The conditional request header it honours. */
  readonly conditional?: 'If-None-Match' | 'If-Match';
  /** Honours `Prefer: return=minimal`. */
  readonly prefer?: boolean;
  readonly body?: RequestDocument;
  readonly answers: readonly Answer[];
  /** The errors it may answer: those of a read, of a write, or of a write that checks a version (412 too). */
  readonly errors?: 'read' | 'write' | 'versioned-write';
}

/**
 * What a method reads from the query string: JSON:API's parameters validated against the subject
 * type in a query context; 'none', any JSON:API parameter is a 400; 'unread', not looked at.
 */
type Handled<T> =
  { readonly query: QueryContext; readonly handle: (call: Call, t: T, spec: QuerySpec) => Promise<void> } | { readonly query: 'none' | 'unread'; readonly handle: (call: Call, t: T) => Promise<void> };

export type EndpointMethod<T> = Described & Handled<T>;

export interface EndpointKind<T> {
  /**
   * The path below /api/v2, by segment: ':type' is a collection path of the registry, ':id' any
   * id, ':rel' a relationship of that type; any other segment is literal.
   */
  readonly shape: readonly string[];
  /** The type the query, the body and the answers are about: the URL's, or the relationship's target; none. */
  readonly subject: 'type' | 'target' | 'none';
  /** The OpenAPI tag when it is not the type's path. */
  readonly tag?: string;
  /** Answered before authentication (SPEC §4). */
  readonly public?: boolean;
  readonly methods: (t: T) => readonly EndpointMethod<T>[];
  /** Checked before a 405, in this order: the query, as this method reads it; the URL's target exists and is visible. */
  readonly beforeNotAllowed?: { readonly queryAs?: HttpMethod; readonly target?: boolean };
}

export type Endpoint = EndpointKind<AnyTarget>;

/** Enters a kind in the table. Its shape decides which members of the target are present, so the handlers' target type holds. */
export function endpoint<T extends AnyTarget>(kind: EndpointKind<T>): Endpoint {
  return kind as unknown as Endpoint;
}

const isLiteral = (shape: readonly string[]) => shape.every((s) => !s.startsWith(':'));

export interface Matched {
  readonly endpoint: Endpoint;
  readonly target: AnyTarget;
}

/**
 * The endpoint a path (its decoded segments) names, and its target. `onType` runs as soon as the
 * first segment names a type: the 403 of an admin-only type comes before anything else about the URL.
 */
export function matchEndpoint(table: readonly Endpoint[], registry: Registry, segments: string[], path: string, onType: (def: ResourceDef) => void): Matched {
  const literal = table.find((e) => isLiteral(e.shape) && e.shape.length === segments.length && e.shape.every((s, i) => s === segments[i]));
  if (literal) return { endpoint: literal, target: {} };
  const def = registry.byPath(segments[0] ?? '');
  const longest = Math.max(...table.map((e) => e.shape.length));
  if (!def || segments.length > longest) throw new NotFoundError(`No endpoint at ${path}.`);
  onType(def);
  for (const e of table) {
    if (e.shape[0] !== ':type' || e.shape.length !== segments.length) continue;
    if (e.shape.some((s, i) => !s.startsWith(':') && s !== segments[i])) continue;
    const relAt = e.shape.indexOf(':rel');
    const idAt = e.shape.indexOf(':id');
    if (relAt === -1) return { endpoint: e, target: { def, id: idAt === -1 ? undefined : segments[idAt] } };
    const rel = relationship(def, segments[relAt]);
    if (!rel) throw new NotFoundError(`${def.type} has no relationship "${segments[relAt]}".`);
    return { endpoint: e, target: { def, id: segments[idAt], rel, target: registry.get(rel.target) } };
  }
  throw new NotFoundError(`No endpoint at ${path}.`);
}

/** Every endpoint of the table as a path template (for OpenAPI), in document order: per type, per relationship, then the rest. */
export function endpointInstances(table: readonly Endpoint[], registry: Registry): { template: string; endpoint: Endpoint; target: AnyTarget }[] {
  const out: { template: string; endpoint: Endpoint; target: AnyTarget }[] = [];
  const add = (e: Endpoint, target: AnyTarget) => {
    const segments = e.shape.map((s) => (s === ':type' ? target.def!.path : s === ':id' ? '{id}' : s === ':rel' ? target.rel!.name : s));
    out.push({ template: `/api/v2/${segments.join('/')}`, endpoint: e, target });
  };
  for (const def of registry.resources) {
    for (const e of table) if (e.shape[0] === ':type' && !e.shape.includes(':rel')) add(e, { def, id: '{id}' });
    for (const rel of def.relationships) {
      for (const e of table) if (e.shape.includes(':rel')) add(e, { def, id: '{id}', rel, target: registry.get(rel.target) });
    }
  }
  for (const e of table) if (isLiteral(e.shape)) add(e, {});
  return out;
}
