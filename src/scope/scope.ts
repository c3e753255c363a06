/**
 * Who is asking, and what they may see. A principal comes from the bearer token; the scope is
 * the principal narrowed by the request's subdomain. Only the data layer issues a request's
 * scope (src/data/callers.ts), and a store session opens only for one it issued; the data layer
 * turns the scope into a predicate inside every SQL statement (data/scope.sql.ts).
 */
export type Role = 'admin' | 'client';

export interface Principal {
  readonly tokenId: string;
  readonly role: Role;
  /** The client a client-role token belongs to. */
  readonly clientId: string | null;
}

/** Everything, or the subtree below (and including) one client. */
export type Scope = { readonly kind: 'all' } | { readonly kind: 'subtree'; readonly rootId: string };

/** The request's context: who asks, what they may see. Issued by the data layer only. */
export interface RequestScope {
  readonly principal: Principal;
  readonly scope: Scope;
  /** Set when the host named a client's subdomain: creating roots is refused. */
  readonly narrowed: boolean;
}
