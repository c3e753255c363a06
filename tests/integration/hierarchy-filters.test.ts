import { api, clientToken, Harness, startHarness } from '../support/harness';
import { makeOwned, unusedId } from '../support/factories';
import { bulkClients, compareCodePoints, enc, expectQueryError, getIds } from '../support/query-helpers';

/**
 * Hierarchy and relationship filters (SPEC §2): `filter[descendantOf]=ID` (strictly below ID,
 * any depth), `filter[ancestorOf]=ID` (strictly above), `filter[parent]=ID|null`,
 * `filter[client]=ID` on owned types; composed with the tenant scope, other filters, sorts and
 * pages, and right after reparenting.
 *
 * The forest (depth 6 along the spine):
 *   S0 ── S1 ── S2 ── S3 ── S4 ── S5 ── S6
 *   │     │     │     │     │     └─ X5
 *   │     │     │     │     └─ X4
 *   │     │     │     └─ X3
 *   │     │     └─ X2 ── Y2 ── Z2
 *   │     └─ X1
 *   └─ X0
 *   Q ── Q1 ── Q2
 *   Lone
 */

interface Node {
  id: string;
  name: string;
  parent: string | null;
}

let h: Harness;
const nodes = new Map<string, Node>();
const id = (key: string) => nodes.get(key)!.id;
const keyOf = new Map<string, string>();
/** Token of S2: sees S2 and everything below it. */
let tokenS2: string;

async function add(key: string, parentKey: string | null, name = key): Promise<void> {
  const parent = parentKey ? id(parentKey) : null;
  const [newId] = await bulkClients(h, [{ name, parent }]);
  nodes.set(key, { id: newId, name, parent });
  keyOf.set(newId, key);
}

beforeAll(async () => {
  h = await startHarness();
  await add('S0', null, 'Spine 0');
  for (let i = 1; i <= 6; i++) await add(`S${i}`, `S${i - 1}`, `Spine ${i}`);
  for (let i = 0; i <= 5; i++) await add(`X${i}`, `S${i}`, `Side ${i}`);
  await add('Y2', 'X2', 'Side 2 child');
  await add('Z2', 'Y2', 'Side 2 grandchild');
  await add('Q', null, 'Queue');
  await add('Q1', 'Q', 'Queue 1');
  await add('Q2', 'Q1', 'Queue 2');
  await add('Lone', null, 'Lone');
  tokenS2 = await clientToken(h, id('S2'));
});
afterAll(() => h.close());

function below(of: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    for (const n of nodes.values())
      if (n.parent === p) {
        out.push(n.id);
        walk(n.id);
      }
  };
  walk(of);
  return out.sort(compareCodePoints);
}

function above(of: string): string[] {
  const out: string[] = [];
  let n = [...nodes.values()].find((x) => x.id === of);
  while (n?.parent) {
    out.push(n.parent);
    const p: string = n.parent;
    n = [...nodes.values()].find((x) => x.id === p);
  }
  return out.sort(compareCodePoints);
}

const keys = (ids: string[]) => ids.map((i) => keyOf.get(i) ?? i);

describe('filter[descendantOf] and filter[ancestorOf] for an admin', () => {
  it('When an admin asks for the descendants of every client, then each answer is exactly the subtree strictly below it, at any depth', async () => {
    const wrong: unknown[] = [];
    for (const [key, n] of nodes) {
      const got = await getIds(h, `/api/v2/clients?filter[descendantOf]=${n.id}&page[size]=100`);
      if (JSON.stringify(got) !== JSON.stringify(below(n.id))) wrong.push({ key, expected: keys(below(n.id)), actual: keys(got) });
    }
    expect(wrong).toEqual([]);
    expect(keys(await getIds(h, `/api/v2/clients?filter[descendantOf]=${id('S0')}&page[size]=100`))).toHaveLength(14);
  });

  it('When an admin asks for the ancestors of every client, then each answer is exactly the chain strictly above it, up to the root', async () => {
    const wrong: unknown[] = [];
    for (const [key, n] of nodes) {
      const got = await getIds(h, `/api/v2/clients?filter[ancestorOf]=${n.id}`);
      if (JSON.stringify(got) !== JSON.stringify(above(n.id))) wrong.push({ key, expected: keys(above(n.id)), actual: keys(got) });
    }
    expect(wrong).toEqual([]);
    expect(keys(await getIds(h, `/api/v2/clients?filter[ancestorOf]=${id('S6')}&sort=-name`))).toEqual(['S5', 'S4', 'S3', 'S2', 'S1', 'S0']);
    expect(await getIds(h, `/api/v2/clients?filter[ancestorOf]=${id('Lone')}`)).toEqual([]);
    expect(await getIds(h, `/api/v2/clients?filter[descendantOf]=${id('S6')}`)).toEqual([]);
  });

  it('When descendantOf and ancestorOf are combined, with each other and with other filters, sorts and pages, then a row must match them all', async () => {
    expect(keys(await getIds(h, `/api/v2/clients?filter[descendantOf]=${id('S1')}&filter[ancestorOf]=${id('S5')}&sort=name`))).toEqual(['S2', 'S3', 'S4']);
    expect(keys(await getIds(h, `/api/v2/clients?filter[descendantOf]=${id('S1')}&filter[ancestorOf]=${id('Z2')}`))).toEqual(['S2', 'X2', 'Y2'].sort((a, b) => compareCodePoints(id(a), id(b))));
    expect(keys(await getIds(h, `/api/v2/clients?filter[descendantOf]=${id('S0')}&filter[name][startsWith]=side&sort=-name`))).toEqual(
      ['Y2', 'Z2', 'X5', 'X4', 'X3', 'X2', 'X1', 'X0'].sort((a, b) => compareCodePoints(nodes.get(b)!.name, nodes.get(a)!.name)),
    );
    expect(keys(await getIds(h, `/api/v2/clients?filter[descendantOf]=${id('S2')}&filter[parent.name]=${enc('Spine 3')}`))).toEqual(['S4', 'X3']);
    expect(keys(await getIds(h, `/api/v2/clients?filter[ancestorOf]=${id('S6')}&filter[parent]=null`))).toEqual(['S0']);
    const page = await api(h).get(`/api/v2/clients?filter[descendantOf]=${id('S0')}&sort=name&page[size]=4&page[number]=2`);
    expect(page.status).toBe(200);
    expect(page.body.meta.page).toEqual({ number: 2, size: 4, total: 14, totalPages: 4 });
    const all = below(id('S0')).sort((a, b) => compareCodePoints(nodes.get(keyOf.get(a)!)!.name, nodes.get(keyOf.get(b)!)!.name));
    expect(page.body.data.map((d: { id: string }) => d.id)).toEqual(all.slice(4, 8));
  });

  it('When a related collection is filtered by descendantOf, then only the related rows below that client are listed', async () => {
    expect(keys(await getIds(h, `/api/v2/clients/${id('S2')}/children?filter[descendantOf]=${id('S1')}`))).toEqual(['S3', 'X2']);
    expect(keys(await getIds(h, `/api/v2/clients/${id('S2')}/children?filter[descendantOf]=${id('X2')}`))).toEqual([]);
    expect(keys(await getIds(h, `/api/v2/clients/${id('S2')}/relationships/children?filter[ancestorOf]=${id('S6')}`))).toEqual(['S3']);
  });

  it('When the id of a hierarchy filter does not exist, then it answers 200 with nothing; when it is malformed or has an operator, 400 at that parameter', async () => {
    for (const rel of ['descendantOf', 'ancestorOf']) {
      const res = await api(h).get(`/api/v2/clients?filter[${rel}]=${unusedId()}`);
      expect({ status: res.status, data: res.body.data, total: res.body.meta.page.total }).toEqual({ status: 200, data: [], total: 0 });
      for (const bad of ['null', '', 'abc', id('S1').toUpperCase(), `${id('S1')},${id('S2')}`, `${id('S1')} `]) {
        expectQueryError(await api(h).get(`/api/v2/clients?filter[${rel}]=${enc(bad)}`), `filter[${rel}]`);
      }
      expectQueryError(await api(h).get(`/api/v2/clients?filter[${rel}][eq]=${id('S1')}`), `filter[${rel}][eq]`);
      expectQueryError(await api(h).get(`/api/v2/clients?filter[${rel}][in]=${id('S1')}`), `filter[${rel}][in]`);
      expectQueryError(await api(h).get(`/api/v2/legal-entities?filter[${rel}]=${id('S1')}`), `filter[${rel}]`);
      expectQueryError(await api(h).get(`/api/v2/clients/${id('S1')}?filter[${rel}]=${id('S1')}`), `filter[${rel}]`);
    }
  });
});

describe('hierarchy filters under a client token', () => {
  it('When a client token asks for descendants and ancestors of every client, then it gets the answer restricted to its subtree, and nothing for clients it cannot see', async () => {
    const visible = new Set([id('S2'), ...below(id('S2'))]);
    const wrong: unknown[] = [];
    for (const [key, n] of nodes) {
      const wantBelow = visible.has(n.id) ? below(n.id).filter((x) => visible.has(x)) : [];
      const wantAbove = visible.has(n.id) ? above(n.id).filter((x) => visible.has(x)) : [];
      const gotBelow = await getIds(h, `/api/v2/clients?filter[descendantOf]=${n.id}&page[size]=100`, tokenS2);
      const gotAbove = await getIds(h, `/api/v2/clients?filter[ancestorOf]=${n.id}`, tokenS2);
      if (JSON.stringify(gotBelow) !== JSON.stringify(wantBelow)) wrong.push({ key, filter: 'descendantOf', expected: keys(wantBelow), actual: keys(gotBelow) });
      if (JSON.stringify(gotAbove) !== JSON.stringify(wantAbove)) wrong.push({ key, filter: 'ancestorOf', expected: keys(wantAbove), actual: keys(gotAbove) });
    }
    expect(wrong).toEqual([]);
  });

  it('When a client token asks for the ancestors of its own client, then it gets nothing; for the descendants of a hidden ancestor, nothing either (not its own subtree)', async () => {
    expect(await getIds(h, `/api/v2/clients?filter[ancestorOf]=${id('S2')}`, tokenS2)).toEqual([]);
    expect(keys(await getIds(h, `/api/v2/clients?filter[ancestorOf]=${id('S4')}`, tokenS2))).toEqual(['S2', 'S3']);
    expect(await getIds(h, `/api/v2/clients?filter[descendantOf]=${id('S0')}`, tokenS2)).toEqual([]);
    expect(await getIds(h, `/api/v2/clients?filter[descendantOf]=${id('S1')}`, tokenS2)).toEqual([]);
    expect(keys(await getIds(h, `/api/v2/clients?filter[descendantOf]=${id('S2')}&page[size]=100`, tokenS2))).toEqual(keys(below(id('S2'))));
  });
});

describe('hierarchy filters after writes', () => {
  it('When a subtree is moved to another parent, then descendantOf and ancestorOf follow the new tree at once', async () => {
    const move = async (key: string, to: string | null) => {
      const body = { data: { type: 'client', id: id(key), relationships: { parent: { data: to ? { type: 'client', id: id(to) } : null } } } };
      const res = await api(h).patch(`/api/v2/clients/${id(key)}`, body);
      expect(res.status).toBe(200);
      nodes.get(key)!.parent = to ? id(to) : null;
    };
    await move('X2', 'Q2');
    expect(keys(await getIds(h, `/api/v2/clients?filter[ancestorOf]=${id('Z2')}&sort=-name`))).toEqual(['Y2', 'X2', 'Q2', 'Q1', 'Q']);
    expect(await getIds(h, `/api/v2/clients?filter[descendantOf]=${id('Q')}`)).toEqual(below(id('Q')));
    expect(keys(await getIds(h, `/api/v2/clients?filter[descendantOf]=${id('S1')}&page[size]=100`))).not.toContain('Y2');
    expect(await getIds(h, `/api/v2/clients?filter[descendantOf]=${id('S1')}&page[size]=100`)).toEqual(below(id('S1')));
    // The S2 token no longer sees the moved subtree, in either direction.
    expect(await getIds(h, `/api/v2/clients?filter[ancestorOf]=${id('Z2')}`, tokenS2)).toEqual([]);
    expect(keys(await getIds(h, `/api/v2/clients?filter[descendantOf]=${id('S2')}&page[size]=100`, tokenS2))).toEqual(keys(below(id('S2'))));
    await move('X2', null);
    expect(keys(await getIds(h, `/api/v2/clients?filter[ancestorOf]=${id('Z2')}&sort=-name`))).toEqual(['Y2', 'X2']);
    await move('X2', 'S2');
    expect(keys(await getIds(h, `/api/v2/clients?filter[ancestorOf]=${id('Z2')}&sort=-name`, tokenS2))).toEqual(['S2', 'Y2', 'X2']);
  });
});

describe('filter[parent] and filter[client]', () => {
  it('When clients are filtered by parent id, null, or a list mixing both, then the children of those parents (and roots for null) are listed', async () => {
    const roots = [...nodes.values()]
      .filter((n) => n.parent === null)
      .map((n) => n.id)
      .sort();
    const childrenOf = (...ks: string[]) =>
      [...nodes.values()]
        .filter((n) => ks.some((k) => n.parent === id(k)))
        .map((n) => n.id)
        .sort();
    expect(await getIds(h, `/api/v2/clients?filter[parent]=${id('S2')}`)).toEqual(childrenOf('S2'));
    expect(await getIds(h, `/api/v2/clients?filter[parent][eq]=${id('S2')}`)).toEqual(childrenOf('S2'));
    expect(await getIds(h, '/api/v2/clients?filter[parent]=null')).toEqual(roots);
    expect(await getIds(h, `/api/v2/clients?filter[parent]=${id('S2')},${id('Q1')}`)).toEqual(childrenOf('S2', 'Q1'));
    expect(await getIds(h, `/api/v2/clients?filter[parent][in]=${id('S4')},null`)).toEqual([...childrenOf('S4'), ...roots].sort());
    expect(await getIds(h, `/api/v2/clients?filter[parent]=${unusedId()}`)).toEqual([]);
    expect(await getIds(h, `/api/v2/clients?filter[parent]=${id('Lone')}`)).toEqual([]);
    for (const bad of ['nul', 'NULL', '', 'abc', `${id('S1')},x`]) expectQueryError(await api(h).get(`/api/v2/clients?filter[parent]=${enc(bad)}`), 'filter[parent]');
  });

  it('When a client token filters by parent, then its own client is a root, hidden parents match nothing, and visible ones work', async () => {
    expect(await getIds(h, '/api/v2/clients?filter[parent]=null', tokenS2)).toEqual([id('S2')]);
    expect(await getIds(h, `/api/v2/clients?filter[parent]=${id('S1')}`, tokenS2)).toEqual([]);
    expect(await getIds(h, `/api/v2/clients?filter[parent]=${id('S1')},null`, tokenS2)).toEqual([id('S2')]);
    expect(keys(await getIds(h, `/api/v2/clients?filter[parent]=${id('S2')}`, tokenS2)).sort()).toEqual(['S3', 'X2']);
    expect(await getIds(h, `/api/v2/clients?filter[parent.id][null]=true`, tokenS2)).toEqual([id('S2')]);
  });

  it('When owned entities are filtered by client, then only the entities of those clients are listed, and hidden owners match nothing for a client token', async () => {
    const le3 = await makeOwned(h, 'legal-entities', id('S3'));
    const leX3 = await makeOwned(h, 'legal-entities', id('X3'));
    const le1 = await makeOwned(h, 'legal-entities', id('S1'));
    const re3 = await makeOwned(h, 'reporting-entities', id('S3'));
    const p1 = await makeOwned(h, 'projects', id('S1'));
    expect(await getIds(h, `/api/v2/legal-entities?filter[client]=${id('S3')}`)).toEqual([le3]);
    expect(await getIds(h, `/api/v2/legal-entities?filter[client]=${id('S3')},${id('X3')},${id('S1')}`)).toEqual([le3, leX3, le1]);
    expect(await getIds(h, `/api/v2/legal-entities?filter[client][in]=${id('X3')},${unusedId()}`)).toEqual([leX3]);
    expect(await getIds(h, `/api/v2/reporting-entities?filter[client]=${id('S3')}`)).toEqual([re3]);
    expect(await getIds(h, `/api/v2/projects?filter[client]=${id('S1')}`)).toEqual([p1]);
    expect(await getIds(h, `/api/v2/legal-entities?filter[client]=${id('S1')}`, tokenS2)).toEqual([]);
    expect(await getIds(h, `/api/v2/legal-entities?filter[client]=${id('S1')},${id('S3')}`, tokenS2)).toEqual([le3]);
    expect(await getIds(h, `/api/v2/legal-entities?filter[client.parent.id]=${id('S2')}`, tokenS2)).toEqual([le3]);
    expect(await getIds(h, `/api/v2/legal-entities?filter[client.parent.id]=${id('S3')}`, tokenS2)).toEqual([leX3]);
    expect(await getIds(h, `/api/v2/legal-entities?filter[client.parent.id]=${id('S2')}`)).toEqual([le3]);
    expect(await getIds(h, `/api/v2/legal-entities?filter[client.parent.id]=${id('S0')}`)).toEqual([le1]);
    expect(await getIds(h, `/api/v2/legal-entities?filter[client.parent.id]=${id('S0')}`, tokenS2)).toEqual([]);
    expectQueryError(await api(h).get('/api/v2/legal-entities?filter[client]=null'), 'filter[client]');
    expectQueryError(await api(h).get('/api/v2/projects?filter[client][ne]=' + id('S1')), 'filter[client][ne]');
  });
});
