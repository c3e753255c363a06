import { api, clientToken, Harness, startHarness } from '../support/harness';
import { bulkOwned, ClientRow, compareCodePoints, expectQueryError, getIds, KeyedSeed, OracleKey, orderRows, seedClients, sortKey, subtreeOf } from '../support/query-helpers';

/**
 * Sorting (SPEC §2): attributes and to-one paths, several keys in mixed directions, id ascending
 * as the final tiebreaker, strings by code point (C collation), NULLs first ascending and last
 * descending; a related row the caller may not see sorts as null.
 *
 * The data is built so that a wrong implementation fails: many ties on every key (so the
 * tiebreaker decides), NULL emails, slugs and parents, names whose code-point order differs
 * from UTF-16 order (U+FF21 < U+1F600, but not in JS string comparison), from locale order
 * (`Zebra` < `apple` < `Émile`) and from case-insensitive order; and parents shared by several
 * children so that `parent.name` ties too.
 */

const T1 = '2024-05-01T00:00:00.000Z';
const T2 = '2024-05-01T00:00:00.001Z';
const T3 = '2024-06-01T00:00:00.000Z';

let h: Harness;
const rows: ClientRow[] = [];
const byKey = new Map<string, ClientRow>();
/** Token of client `m1`: it sees m1 and its subtree; m1's parent (`Zebra`) is hidden from it. */
let token: string;
let visible: Set<string>;

const SEEDS: KeyedSeed[] = [
  { key: 'a', name: 'Acme', email: 'z@acme.io', at: T2 },
  { key: 'b', name: 'acme', at: T1 },
  { key: 'c', name: 'Zebra', slug: 'zebra', at: T3 },
  { key: 'd', name: 'Acme', slug: 'acme', at: T1 },
  { key: 'e', name: 'Émile', email: 'A@acme.io', at: T2 },
  { key: 'f', name: '😀 smile', at: T3 },
  { key: 'g', name: '\uFF21 fullwidth', email: 'b@acme.io', at: T1 },
  { key: 'm1', name: 'Acme', parent: 'c', email: 'Y@acme.io', at: T3 },
  { key: 'm2', name: 'apple', parent: 'c', slug: 'apple', at: T1 },
  { key: 'm3', name: 'Acme', parent: 'a', at: T2 },
  { key: 'm4', name: 'Mid', parent: 'd', at: T2 },
  { key: 'm5', name: 'Mid', parent: 'b', slug: 'mid', at: T3 },
  { key: 'n1', name: 'Leaf', parent: 'm1', at: T1 },
  { key: 'n2', name: 'leaf', parent: 'm1', email: 'leaf@acme.io', at: T1 },
  { key: 'n3', name: 'Leaf', parent: 'm4', at: T3 },
  { key: 'n4', name: 'Leaf', parent: 'm3', slug: 'leaf', at: T2 },
  { key: 'n5', name: 'Zz', parent: 'm2', at: T2 },
  { key: 'o1', name: 'Deep', parent: 'n1', at: T3 },
  { key: 'o2', name: 'Deep', parent: 'n2', at: T2 },
];

beforeAll(async () => {
  h = await startHarness();
  // Inserted in an order unrelated to names, so that id order is not name order.
  for (const [key, r] of await seedClients(h, SEEDS)) {
    rows.push(r);
    byKey.set(key, r);
  }
  const m1 = byKey.get('m1')!.id;
  token = await clientToken(h, m1);
  visible = subtreeOf(rows, m1);
});
afterAll(() => h.close());

const rowById = (id: string) => rows.find((x) => x.id === id);
const oracleKey = (segment: string, scope: Set<string> | null) => sortKey(rowById, segment, scope);

function expectedOrder(sort: string, scope: Set<string> | null): string[] {
  const candidates = rows.filter((r) => !scope || scope.has(r.id));
  return orderRows(
    candidates,
    sort.split(',').map((s) => oracleKey(s, scope)),
  ).map((r) => r.id);
}

const names = (ids: string[]) => ids.map((id) => rows.find((r) => r.id === id)?.name ?? id);

const SORTS = [
  'name',
  '-name',
  'email',
  '-email',
  'slug,-name',
  '-slug,name',
  'createdAt',
  '-createdAt,name',
  'createdAt,-name',
  'id',
  '-id',
  'name,-id',
  'parent.name',
  '-parent.name',
  'parent.name,-name',
  '-parent.name,name,-createdAt',
  'parent.createdAt,-email',
  '-parent.email,slug',
  'parent.parent.name,name',
  '-parent.parent.name,-name',
  'parent.parent.parent.name',
  'parent.id',
  '-parent.id,-createdAt',
  '-updatedAt,-slug,-email,name',
];

describe('sort orders', () => {
  it('When the names are compared by code point, then the data really separates C collation from JS and locale orders', () => {
    const js = ['😀 smile', '\uFF21 fullwidth'].sort();
    const cp = ['😀 smile', '\uFF21 fullwidth'].sort(compareCodePoints);
    expect(js).not.toEqual(cp);
    expect(['Zebra', 'apple', 'Émile'].sort(compareCodePoints)).toEqual(['Zebra', 'apple', 'Émile']);
    expect(['Zebra', 'apple'].sort((a, b) => a.localeCompare(b))).toEqual(['apple', 'Zebra']);
  });

  it.each(SORTS)('When an admin lists clients with sort=%s, then the order is the in-memory order (C collation, NULLs first ascending and last descending, id last)', async (sort) => {
    const got = await getIds(h, `/api/v2/clients?sort=${sort}&page[size]=100`);
    expect(names(got)).toEqual(names(expectedOrder(sort, null)));
    expect(got).toEqual(expectedOrder(sort, null));
  });

  it.each(SORTS)('When a client token lists clients with sort=%s, then its hidden parent sorts as null and the order is the in-memory order', async (sort) => {
    const got = await getIds(h, `/api/v2/clients?sort=${sort}&page[size]=100`, token);
    expect(got).toEqual(expectedOrder(sort, visible));
  });

  it('When a client token sorts by parent.name, then its own client (whose parent is hidden) comes first ascending and last descending', async () => {
    const m1 = byKey.get('m1')!.id;
    const asc = await getIds(h, '/api/v2/clients?sort=parent.name', token);
    const desc = await getIds(h, '/api/v2/clients?sort=-parent.name', token);
    expect(asc[0]).toBe(m1);
    expect(desc[desc.length - 1]).toBe(m1);
    expect(asc).toHaveLength(5);
  });

  it('When the sort has ties across pages, then page-number pages of 4 put together give the full order with no row repeated or missing', async () => {
    for (const sort of ['name', '-parent.name', 'createdAt,-email', 'parent.parent.name']) {
      const full = expectedOrder(sort, null);
      const pages: string[] = [];
      for (let n = 1; n <= Math.ceil(full.length / 4); n++) pages.push(...(await getIds(h, `/api/v2/clients?sort=${sort}&page[size]=4&page[number]=${n}`)));
      expect({ sort, ids: pages }).toEqual({ sort, ids: full });
    }
  });

  it('When a sort is combined with a filter, then the filtered rows keep the sort order', async () => {
    const sort = '-name,parent.name';
    const got = await getIds(h, `/api/v2/clients?sort=${sort}&filter[name][contains]=acme&page[size]=100`);
    expect(got).toEqual(expectedOrder(sort, null).filter((id) => /acme/i.test(rows.find((r) => r.id === id)!.name)));
  });

  it('When no sort is given, then clients come in id order', async () => {
    expect(await getIds(h, '/api/v2/clients?page[size]=100')).toEqual(rows.map((r) => r.id).sort());
  });

  it('When related collections are sorted, then the same rules apply to the rows of that relationship', async () => {
    const c = byKey.get('c')!.id;
    const children = rows.filter((r) => r.parent === c);
    const sorted = orderRows(children, [oracleKey('-slug', null)]).map((r) => r.id);
    expect(await getIds(h, `/api/v2/clients/${c}/children?sort=-slug`)).toEqual(sorted);
    expect(await getIds(h, `/api/v2/clients/${c}/relationships/children?sort=-slug`)).toEqual(sorted);
  });
});

describe('sorting owned types by their owner', () => {
  it('When legal entities are sorted by client.name, -country and client.parent.name, then the order is the in-memory order', async () => {
    const owners = ['a', 'b', 'm1', 'n1', 'c'].map((k) => byKey.get(k)!);
    const seeds = [
      { client: owners[0].id, name: 'LE', country: 'FR' },
      { client: owners[1].id, name: 'LE', country: null },
      { client: owners[2].id, name: 'le', country: 'DE' },
      { client: owners[3].id, name: 'LE', country: 'FR' },
      { client: owners[0].id, name: 'LE', country: null },
      { client: owners[4].id, name: 'Émile', country: 'AT' },
      { client: owners[2].id, name: 'LE', country: 'FR' },
    ];
    const ids = await bulkOwned(
      h,
      'legal-entity',
      seeds.map((s) => ({ client: s.client, attributes: { name: s.name, country: s.country } })),
      T1,
    );
    const entities = seeds.map((s, i) => ({ id: ids[i], ...s }));
    const client = (id: string) => rows.find((r) => r.id === id)!;
    const parentName = (id: string) => {
      const p = client(id).parent;
      return p ? client(p).name : null;
    };
    const cases: [string, OracleKey<(typeof entities)[number]>[]][] = [
      ['client.name,-country', [{ get: (e) => client(e.client).name }, { get: (e) => e.country, descending: true }]],
      ['-country,name', [{ get: (e) => e.country, descending: true }, { get: (e) => e.name }]],
      ['country', [{ get: (e) => e.country }]],
      ['client.parent.name,-client.name', [{ get: (e) => parentName(e.client) }, { get: (e) => client(e.client).name, descending: true }]],
      ['-client.parent.name', [{ get: (e) => parentName(e.client), descending: true }]],
    ];
    for (const [sort, keys] of cases) {
      const got = await getIds(h, `/api/v2/legal-entities?sort=${sort}&page[size]=100`);
      expect({ sort, ids: got }).toEqual({ sort, ids: orderRows(entities, keys).map((e) => e.id) });
    }
    // The client token sees entities of m1 and n1 only; m1's parent is hidden, so client.parent.name is null there.
    const mine = entities.filter((e) => visible.has(e.client));
    const hiddenAware = (id: string) => (visible.has(client(id).parent ?? '') ? parentName(id) : null);
    const got = await getIds(h, '/api/v2/legal-entities?sort=-client.parent.name,country', token);
    expect(got).toEqual(orderRows(mine, [{ get: (e) => hiddenAware(e.client), descending: true }, { get: (e) => e.country }]).map((e) => e.id));
  });
});

describe('sort errors and guards', () => {
  it('When sort names something that cannot be sorted, then it answers 400 at sort', async () => {
    for (const sort of [
      'nope',
      '-nope',
      'parent',
      'children',
      'children.name',
      'parent.nope',
      'legalEntities.name',
      'parent..name',
      '',
      '-',
      'name,',
      ',name',
      'name,,id',
      '--name',
      '+name',
      'Name',
      'parent.children.name',
    ]) {
      expectQueryError(await api(h).get(`/api/v2/clients?sort=${encodeURIComponent(sort)}`), 'sort');
    }
    expectQueryError(await api(h).get('/api/v2/legal-entities?sort=client.legalEntities.name'), 'sort');
    expectQueryError(await api(h).get('/api/v2/legal-entities?sort=parent.name'), 'sort');
  });

  it('When sort is sent on a single resource, twice, or with brackets, then it answers 400 at that parameter', async () => {
    const id = byKey.get('a')!.id;
    expectQueryError(await api(h).get(`/api/v2/clients/${id}?sort=name`), 'sort');
    expectQueryError(await api(h).get(`/api/v2/clients/${id}/parent?sort=name`), 'sort');
    expectQueryError(await api(h).get('/api/v2/clients?sort=name&sort=-name'), 'sort');
    expectQueryError(await api(h).get('/api/v2/clients?sort[client]=name'), 'sort[client]');
  });

  it('When sort has more keys than MAX_SORT_FIELDS or a path deeper than MAX_INCLUDE_DEPTH, then it answers 400 at sort', async () => {
    const ten = ['name', '-email', 'slug', 'createdAt', 'updatedAt', 'parent.name', 'parent.email', 'parent.slug', 'parent.createdAt', 'id'];
    expect((await api(h).get(`/api/v2/clients?sort=${ten.join(',')}`)).status).toBe(200);
    expectQueryError(await api(h).get(`/api/v2/clients?sort=${[...ten, 'parent.id'].join(',')}`), 'sort');
    expect((await api(h).get('/api/v2/clients?sort=parent.parent.parent.parent.name')).status).toBe(200);
    expectQueryError(await api(h).get('/api/v2/clients?sort=parent.parent.parent.parent.parent.name'), 'sort');
    const small = await startHarness({ MAX_SORT_FIELDS: '2', MAX_INCLUDE_DEPTH: '1' });
    try {
      expect((await api(small).get('/api/v2/clients?sort=-name,parent.name')).status).toBe(200);
      expectQueryError(await api(small).get('/api/v2/clients?sort=-name,email,slug'), 'sort');
      expectQueryError(await api(small).get('/api/v2/clients?sort=parent.parent.name'), 'sort');
      expectQueryError(await api(small).get('/api/v2/legal-entities?sort=client.parent.name'), 'sort');
    } finally {
      await small.close();
    }
  });
});
