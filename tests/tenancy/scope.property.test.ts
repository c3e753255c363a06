import fc from 'fast-check';
import { registry } from '../../src/resources/registry';
import { RelationshipDef, ResourceDef } from '../../src/resources/types';
import { Harness, startHarness } from '../support/harness';
import { buildRandomForest, expectSameAsMissing, ForestModel as Model, forestArb, hexIdsIn, ids, send, Sent, swapId } from '../support/tenancy-helpers';
import { unusedId } from '../support/factories';

/**
 * Property (SPEC §4): for a random forest, a random client token and random reads (list, one,
 * related, include, filter on a to-one) over every registry type, every id in a response body is
 * visible to the token (its client's subtree, or owned by a client in it) or was named by the
 * request; what the token sees is exactly the model's answer; and an id outside the subtree
 * answers exactly like an id that never existed.
 */

const requestArb = fc.record({
  kind: fc.constantFrom('list', 'get', 'related', 'include-list', 'include-get', 'filter'),
  type: fc.nat(),
  target: fc.nat(),
  rel: fc.nat(),
  rel2: fc.option(fc.nat(), { nil: undefined }),
  missing: fc.boolean(),
});
type RequestSpec = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

function instancesOf(m: Model, def: ResourceDef): string[] {
  if (def.scope.kind === 'admin-only') return [m.token.id];
  return [...(m.owner.get(def.type)?.keys() ?? [])];
}

/** The model's answer for a relationship of a visible resource, as the token sees it. */
function modelRelated(m: Model, def: ResourceDef, id: string, rel: RelationshipDef): { ids: string[]; restricted: boolean } {
  if (rel.kind === 'to-one') {
    const target = def.type === 'client' ? m.parent.get(id)! : m.owner.get(def.type)!.get(id)!;
    if (target === null) return { ids: [], restricted: false };
    return m.visible.has(target) ? { ids: [target], restricted: false } : { ids: [], restricted: true };
  }
  const members = [...m.owner.get(rel.target)!.entries()].filter(([member, owner]) => (rel.target === 'client' ? m.parent.get(member) === id : owner === id)).map(([member]) => member);
  return { ids: members.filter((x) => m.visible.has(x)).sort(), restricted: false };
}

/** Resources an include path reaches from `start`, as the token may see them. */
function modelIncluded(m: Model, def: ResourceDef, start: string[], path: RelationshipDef[]): Set<string> {
  const out = new Set<string>();
  let frontier = start;
  let current = def;
  for (const rel of path) {
    const next = new Set<string>();
    for (const id of frontier) for (const t of modelRelated(m, current, id, rel).ids) next.add(t);
    current = registry.get(rel.target);
    for (const t of next) out.add(`${current.type}:${t}`);
    frontier = [...next];
  }
  return out;
}

describe('client-token scope, property-based', () => {
  it('When a client token reads random endpoints of a random forest, then every id it gets is in its scope or named by the request, and hidden ids answer like missing ones', async () => {
    await fc.assert(
      fc.asyncProperty(forestArb, fc.array(requestArb, { minLength: 4, maxLength: 10 }), async (forest, requests) => {
        const h: Harness = await startHarness();
        try {
          const m: Model = await buildRandomForest(h, forest);
          const token = m.token;

          const check = (s: Sent): void => {
            const named = new Set([...hexIdsIn(s.url), ...hexIdsIn(JSON.stringify(s.body ?? ''))]);
            const stray = [...hexIdsIn(s.res.text ?? '')].filter((x) => !m.visible.has(x) && !named.has(x));
            expect({ request: s.url, stray }).toEqual({ request: s.url, stray: [] });
          };
          const get = async (u: string): Promise<Sent> => {
            const s = await send(h, token.secret, 'GET', u);
            check(s);
            return s;
          };
          /** A request naming `target` where the token may not see it: compared with a never-existing id. */
          const expectLikeMissing = async (u: string, target: string, hiddenSent: Sent): Promise<void> => {
            const missing = unusedId();
            expectSameAsMissing(hiddenSent, await get(swapId(u, target, missing)), target, missing);
          };

          for (const r of requests as RequestSpec[]) {
            const def = registry.resources[r.type % registry.resources.length];
            const base = `/api/v2/${def.path}`;
            const all = instancesOf(m, def);
            const target = r.missing || all.length === 0 ? unusedId() : all[r.target % all.length];
            const seen = m.visible.has(target);
            const rel = def.relationships[r.rel % def.relationships.length];
            const relTarget = registry.get(rel.target);
            const rel2 = r.rel2 === undefined ? undefined : relTarget.relationships[r.rel2 % relTarget.relationships.length];
            const path = rel2 ? [rel, rel2] : [rel];
            const include = path.map((x) => x.name).join('.');
            const visibleOfType = all.filter((x) => m.visible.has(x)).sort();

            let u: string;
            if (r.kind === 'list') u = base;
            else if (r.kind === 'get') u = `${base}/${target}`;
            else if (r.kind === 'related') u = `${base}/${target}/${rel.name}`;
            else if (r.kind === 'include-list') u = `${base}?include=${include}`;
            else if (r.kind === 'include-get') u = `${base}/${target}?include=${include}`;
            else {
              const toOne = def.relationships.find((x) => x.kind === 'to-one')!;
              const pool = instancesOf(m, registry.get(toOne.target));
              const named = r.missing ? unusedId() : pool[r.target % pool.length];
              u = `${base}?filter[${toOne.name}]=${named}`;
              const s = await get(u);
              if (def.scope.kind === 'admin-only') {
                expect({ u, status: s.res.status, code: s.res.body.errors?.[0]?.code }).toEqual({ u, status: 403, code: 'forbidden' });
                continue;
              }
              expect({ u, status: s.res.status }).toEqual({ u, status: 200 });
              const want = m.visible.has(named) ? visibleOfType.filter((x) => (def.type === 'client' ? m.parent.get(x) : m.owner.get(def.type)!.get(x)) === named) : [];
              expect({ u, data: ids(s.res.body.data), total: s.res.body.meta.page.total }).toEqual({ u, data: want.slice(0, 20), total: want.length });
              if (!m.visible.has(named)) await expectLikeMissing(u, named, s);
              continue;
            }

            const s = await get(u);
            if (def.scope.kind === 'admin-only') {
              expect({ u, status: s.res.status, code: s.res.body.errors?.[0]?.code }).toEqual({ u, status: 403, code: 'forbidden' });
              continue;
            }
            const namesTarget = r.kind === 'get' || r.kind === 'related' || r.kind === 'include-get';
            if (namesTarget && !seen) {
              expect({ u, status: s.res.status, code: s.res.body.errors?.[0]?.code }).toEqual({ u, status: 404, code: 'not_found' });
              await expectLikeMissing(u, target, s);
              continue;
            }
            expect({ u, status: s.res.status }).toEqual({ u, status: 200 });
            if (r.kind === 'list' || r.kind === 'include-list') {
              expect({ u, data: ids(s.res.body.data), total: s.res.body.meta.page.total }).toEqual({ u, data: visibleOfType.slice(0, 20), total: visibleOfType.length });
            }
            if (r.kind === 'get' || r.kind === 'include-get') expect(s.res.body.data.id).toBe(target);
            if (r.kind === 'related') {
              const want = modelRelated(m, def, target, rel);
              expect({ u, data: ids(s.res.body.data), restricted: s.res.body.meta?.restricted === true }).toEqual({
                u,
                data: want.ids.slice(0, 20),
                restricted: want.restricted,
              });
            }
            if (r.kind === 'include-list' || r.kind === 'include-get') {
              const primary = ids(s.res.body.data);
              const want = modelIncluded(m, def, primary, path);
              for (const p of primary) want.delete(`${def.type}:${p}`);
              const got = (s.res.body.included as { type: string; id: string }[]).map((x) => `${x.type}:${x.id}`).sort();
              expect({ u, included: got }).toEqual({ u, included: [...want].sort() });
            }
          }
        } finally {
          await h.close();
        }
      }),
      { numRuns: 20 },
    );
  });
});
