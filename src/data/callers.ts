import { Principal, RequestScope, Scope } from '../scope/scope';

/**
 * Request scopes are issued here and nowhere else: by the token lookup (a principal's own
 * scope), by subdomain narrowing, and for the service's own seed. A store session opens only
 * for a scope issued here, so an object literal such as `{ scope: { kind: 'all' } }` built
 * anywhere else is refused at run time, and cannot be typed as a Caller at compile time.
 */
declare const issuedBrand: unique symbol;

/** A request scope the data layer issued. */
export type Caller = RequestScope & { readonly [issuedBrand]: true };

const issued = new WeakSet<object>();

function issue(principal: Principal, scope: Scope, narrowed: boolean): Caller {
  const caller = Object.freeze({ principal, scope: Object.freeze(scope), narrowed }) as Caller;
  issued.add(caller);
  return caller;
}

/** The principal's own scope: everything for an admin, its client's subtree for a client token. */
export function callerFor(principal: Principal): Caller {
  return issue(principal, principal.role === 'admin' ? { kind: 'all' } : { kind: 'subtree', rootId: principal.clientId as string }, false);
}

/** The same principal, narrowed to the subtree of one client (a subdomain). */
export function narrowedCaller(principal: Principal, rootId: string): Caller {
  return issue(principal, { kind: 'subtree', rootId }, true);
}

export function assertIssued(caller: RequestScope): asserts caller is Caller {
  if (!issued.has(caller)) throw new Error('store: a session opens only for a request scope the data layer issued');
}
