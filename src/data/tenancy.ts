import { Principal, principalScope, RequestScope } from '../scope/scope';
import { Database } from './database';
import { Params, q } from './sql';

/**
 * Subdomain narrowing: the request sees the intersection of the slug's subtree and the
 * principal's own scope. Returns undefined when the slug names no client the caller may see
 * (unknown, elsewhere, or above the token's own client).
 *
 * One statement whatever the answer: it finds the slug and, for a client token, checks at once
 * that the token's own client is the slug's client or one of its ancestors (the slug's chain
 * upwards). An unknown slug and a slug outside the token's subtree cost the same statements, so
 * neither their count nor their number tells whether a slug exists elsewhere.
 */
export async function narrowToSlug(db: Database, principal: Principal, slug: string): Promise<RequestScope | undefined> {
  const own = principalScope(principal);
  const rows = await db.read((ex) => {
    const p = new Params();
    if (own.kind === 'all') return ex.query<{ id: string }>(`SELECT ${q('id')} FROM ${q('clients')} WHERE ${q('slug')} = ${p.add(slug)}`, p);
    return ex.query<{ id: string }>(
      `WITH RECURSIVE chain(id, parent_id) AS (` +
        `SELECT c.${q('id')}, c.${q('parent_id')} FROM ${q('clients')} c WHERE c.${q('slug')} = ${p.add(slug)} ` +
        `UNION ALL SELECT a.${q('id')}, a.${q('parent_id')} FROM ${q('clients')} a JOIN chain ON a.${q('id')} = chain.parent_id) ` +
        `SELECT s.${q('id')} AS id FROM ${q('clients')} s WHERE s.${q('slug')} = ${p.add(slug)} ` +
        `AND EXISTS (SELECT 1 FROM chain WHERE chain.id = ${p.add(own.rootId)})`,
      p,
    );
  });
  const row = rows[0];
  return row ? { principal, scope: { kind: 'subtree', rootId: row.id }, narrowed: true } : undefined;
}
