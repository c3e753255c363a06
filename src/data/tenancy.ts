import { Principal, principalScope, RequestScope } from '../scope/scope';
import { Database } from './database';
import { Params, q } from './sql';
import { ancestorIds } from './writer';

/**
 * Subdomain narrowing: the request sees the intersection of the slug's subtree and the
 * principal's own scope. Returns undefined when the slug names no client the caller may see
 * (unknown, elsewhere, or above the token's own client).
 */
export async function narrowToSlug(db: Database, principal: Principal, slug: string): Promise<RequestScope | undefined> {
  return db.read(async (ex) => {
    const p = new Params();
    const [row] = await ex.query<{ id: string }>(`SELECT ${q('id')} FROM ${q('clients')} WHERE ${q('slug')} = ${p.add(slug)}`, p);
    if (!row) return undefined;
    const own = principalScope(principal);
    if (own.kind === 'all') return { principal, scope: { kind: 'subtree', rootId: row.id }, narrowed: true };
    if (row.id === own.rootId || (await ancestorIds(ex, row.id)).includes(own.rootId)) {
      return { principal, scope: { kind: 'subtree', rootId: row.id }, narrowed: true };
    }
    // A slug above the token's own client names a client it may not see: 404, like an unknown slug.
    return undefined;
  });
}
