/**
 * Who is asking, and what they may see. A principal comes from the bearer token; the scope is
 * the principal narrowed by the request's subdomain. The data layer turns a scope into a
 * predicate inside every SQL statement (data/scope.sql.ts).
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

export const ALL: Scope = { kind: 'all' };

export function principalScope(principal: Principal): Scope {
  if (principal.role === 'admin') return ALL;
  return { kind: 'subtree', rootId: principal.clientId as string };
}

/** The request's context: passed to every operation and every data function. */
export interface RequestScope {
  readonly principal: Principal;
  readonly scope: Scope;
  /** Set when the host named a client's subdomain: creating roots is refused. */
  readonly narrowed: boolean;
}
