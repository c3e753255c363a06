import { Registry } from '../resources/registry';
import { ID_COLUMN } from '../resources/types';
import { Caller, narrowedCaller } from './callers';
import { Database, Tally } from './database';
import { hierarchySql } from './scope.sql';
import { Params, q } from './sql';

/**
 * Subdomain narrowing: the request sees the intersection of the subtree of the client whose
 * subdomain key (slug) the host names and the principal's own scope. Returns undefined when the
 * key names no client the caller may see (unknown, elsewhere, or above the token's own client).
 *
 * One statement whatever the answer: it finds the client and, for a client token, checks at once
 * that the token's own client is that client or one of its ancestors (its chain upwards). An
 * unknown key and a key outside the token's subtree cost the same statements, so neither their
 * count nor their number tells whether a subdomain exists elsewhere.
 */
export async function narrowToSlug(db: Database, registry: Registry, caller: Caller, slug: string, tally?: Tally): Promise<Caller | undefined> {
  const key = registry.subdomainKey;
  if (!key) return undefined;
  const own = caller.scope;
  const table = q(registry.hierarchy.def.table);
  const rows = await db.read((ex) => {
    const p = new Params();
    const byKey = `s.${q(key.column)} = ${p.add(slug)}`;
    if (own.kind === 'all') return ex.query<{ id: string }>(`SELECT s.${q(ID_COLUMN)} AS id FROM ${table} s WHERE ${byKey}`, p);
    const chain = hierarchySql(registry).chain(`a0.${q(key.column)} = ${p.add(slug)}`);
    return ex.query<{ id: string }>(`${chain}SELECT s.${q(ID_COLUMN)} AS id FROM ${table} s WHERE ${byKey} AND EXISTS (SELECT 1 FROM above WHERE above.id = ${p.add(own.rootId)})`, p);
  }, tally);
  const row = rows[0];
  return row ? narrowedCaller(caller.principal, row.id) : undefined;
}
