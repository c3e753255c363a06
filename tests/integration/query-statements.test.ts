import { api, clientToken, countStatements, Harness, startHarness, ON_POSTGRES } from '../support/harness';
import { bulkClients, bulkOwned, cursorOf, relative } from '../support/query-helpers';

/**
 * Statement counts of the query language: every filter, path filter, path sort,
 * hierarchy filter, keyset page (first, middle, last) and include issues a number of SQL
 * statements that depends neither on the page size nor on the size of the data. Keyset pages
 * never count rows.
 *
 * The data, grown in place between measurements (the same shape, more of it):
 *   Org ── Region k ── 60 × "Shape k.i" ── 1 × "Leaf k.i"
 * every Shape owns a legal entity and a reporting entity; the client token belongs to Org, so
 * its scope grows with the data. First one region (121 clients under Org), then five.
 *
 * Counts may legitimately differ with the data's shape (an empty level needs no statement), so
 * each comparison keeps the shape (every page full, every include level non-empty).
 */

let h: Harness;
let org: string;
let orgToken: string;
const regions: string[] = [];
/** A Leaf of region 0 (its ancestors: Shape, Region, Org). */
let deepLeaf: string;
let shape0: string;

async function addRegion(k: number): Promise<void> {
  const at = `2024-0${(k % 9) + 1}-01T00:00:00.000Z`;
  const [region] = await bulkClients(h, [{ name: `Region ${k}`, parent: org }], at);
  regions.push(region);
  const shapes = await bulkClients(
    h,
    Array.from({ length: 60 }, (_v, i) => ({ name: `Shape ${k}.${i}`, parent: region, email: i % 2 ? `shape${k}.${i}@x.io` : null })),
    at,
  );
  const leaves = await bulkClients(
    h,
    shapes.map((s, i) => ({ name: `Leaf ${k}.${i} (leaf)`, parent: s })),
    at,
  );
  await bulkOwned(
    h,
    'legal-entity',
    shapes.map((s, i) => ({ client: s, attributes: { name: `LE ${k}.${i}`, country: i % 3 ? 'FR' : null } })),
    at,
  );
  await bulkOwned(
    h,
    'reporting-entity',
    shapes.map((s, i) => ({ client: s, attributes: { name: `RE ${k}.${i}` } })),
    at,
  );
  if (k === 0) {
    deepLeaf = leaves[0];
    shape0 = shapes[0];
  }
}

async function warm(token: string): Promise<void> {
  expect((await api(h, token).get('/api/v2/clients?page[size]=1')).status).toBe(200);
}

beforeAll(async () => {
  h = await startHarness();
  [org] = await bulkClients(h, [{ name: 'Org' }]);
  orgToken = await clientToken(h, org);
  await addRegion(0);
  await warm(h.admin);
  await warm(orgToken);
}, 60_000);
afterAll(() => h.close());

/** Statements and body of one GET that must answer 200. */
async function measure(url: string, token: string): Promise<{ count: number; body: Record<string, any> }> {
  let body: Record<string, any> = {};
  const count = await countStatements(h, async () => {
    const res = await api(h, token).get(url);
    expect({ url, status: res.status, errors: res.body?.errors }).toEqual({ url, status: 200, errors: undefined });
    body = res.body as Record<string, any>;
  });
  return { count, body };
}

/** The SQL texts issued while `fn` runs (the statement counter's listener sees each one). */
async function statements(fn: () => Promise<unknown>): Promise<string[]> {
  const seen: string[] = [];
  h.db.counter.listener = (sql) => seen.push(sql);
  try {
    await fn();
  } finally {
    h.db.counter.listener = undefined;
  }
  return seen;
}

const INCLUDE = 'include=children,legalEntities,reportingEntities';

/** Scenarios: a URL for a page size, each expected to fill a page of 50 at the smallest data size. */
const SCENARIOS: { name: string; url: (size: number) => string }[] = [
  { name: 'filter eq (plain, list)', url: (n) => `/api/v2/clients?filter[name]=${Array.from({ length: 60 }, (_v, i) => `Shape 0.${i}`).join(',')}&page[size]=${n}` },
  { name: 'filter ne', url: (n) => `/api/v2/clients?filter[name][ne]=Org&page[size]=${n}` },
  { name: 'filter nin', url: (n) => `/api/v2/clients?filter[name][nin]=Org,Region 0&page[size]=${n}` },
  { name: 'filter contains, 2 characters (scan)', url: (n) => `/api/v2/clients?filter[name][contains]=pe&page[size]=${n}` },
  { name: 'filter contains, 5 characters (trigram index)', url: (n) => `/api/v2/clients?filter[name][contains]=SHAPE&page[size]=${n}` },
  { name: 'filter startsWith', url: (n) => `/api/v2/clients?filter[name][startsWith]=sha&page[size]=${n}` },
  { name: 'filter endsWith', url: (n) => `/api/v2/clients?filter[name][endsWith]=${encodeURIComponent('(LEAF)')}&page[size]=${n}&sort=-name` },
  { name: 'filter null', url: (n) => `/api/v2/clients?filter[email][null]=true&page[size]=${n}` },
  { name: 'filter gt on a timestamp', url: (n) => `/api/v2/clients?filter[createdAt][gt]=2000-01-01T00:00:00Z&page[size]=${n}` },
  { name: 'to-one path filter', url: (n) => `/api/v2/clients?filter[parent.name][startsWith]=region&page[size]=${n}` },
  { name: 'two-step path filter and path sort', url: (n) => `/api/v2/clients?filter[parent.parent.name][contains]=region&sort=-parent.parent.name,parent.name,-name&page[size]=${n}` },
  { name: 'to-one path sort with includes', url: (n) => `/api/v2/clients?sort=parent.name,-email&${INCLUDE}&page[size]=${n}` },
  { name: 'filter[parent]', url: (n) => `/api/v2/clients?filter[parent]=${regions[0]}&page[size]=${n}` },
  { name: 'descendantOf', url: (n) => `/api/v2/clients?filter[descendantOf]=${regions[0]}&sort=name&page[size]=${n}` },
  { name: 'ancestorOf', url: (n) => `/api/v2/clients?filter[ancestorOf]=${deepLeaf}&page[size]=${n}` },
  { name: 'include, page numbers', url: (n) => `/api/v2/clients?filter[parent]=${regions[0]}&${INCLUDE}&page[size]=${n}&page[number]=1` },
  { name: 'keyset first page with includes', url: (n) => `/api/v2/clients?filter[parent]=${regions[0]}&sort=-email,name&${INCLUDE}&page[size]=${n}&page[after]=` },
  { name: 'keyset last page with includes', url: (n) => `/api/v2/clients?filter[parent]=${regions[0]}&sort=-email,name&${INCLUDE}&page[size]=${n}&page[before]=` },
  {
    name: 'owned type by client path, sorted, with include',
    url: (n) => `/api/v2/legal-entities?filter[client.parent.name][startsWith]=Region&sort=client.name,-country&include=client&page[size]=${n}`,
  },
  { name: 'related collection with filter and sort', url: (n) => `/api/v2/clients/${regions[0]}/children?filter[name][contains]=shape&sort=-name&include=legalEntities&page[size]=${n}` },
  { name: 'relationship linkage, keyset', url: (n) => `/api/v2/clients/${regions[0]}/relationships/children?sort=-name&page[size]=${n}&page[after]=` },
];

/** The page after the first (a cursor from links.next) of a keyset walk. */
async function middlePage(size: number, token: string): Promise<string> {
  const first = await api(h, token).get(`/api/v2/clients?filter[parent.name][startsWith]=Region&sort=-email,parent.name,name&${INCLUDE}&page[size]=${size}&page[after]=`);
  expect(first.status).toBe(200);
  const c = cursorOf(first.body.links.next);
  expect(c).toBeTruthy();
  return relative(first.body.links.next);
}

const WHO = [
  ['admin', () => h.admin],
  ['client token', () => orgToken],
] as const;

describe('statement counts do not depend on page size or data size', () => {
  const small = new Map<string, number>();

  it.each(WHO)('When %s reads every scenario with pages of 5 and of 50, then each costs the same number of statements', async (who, token) => {
    const differ: unknown[] = [];
    for (const s of SCENARIOS) {
      const five = await measure(s.url(5), token());
      const fifty = await measure(s.url(50), token());
      const rows = fifty.body.data.length;
      if (!s.name.startsWith('ancestorOf')) {
        expect({ scenario: s.name, five: five.body.data.length, fullPage: rows }).toEqual({ scenario: s.name, five: 5, fullPage: 50 });
      }
      if (five.count !== fifty.count) differ.push({ scenario: s.name, five: five.count, fifty: fifty.count });
      small.set(`${who} ${s.name}`, fifty.count);
    }
    const m5 = await measure(await middlePage(5, token()), token());
    const m50 = await measure(await middlePage(50, token()), token());
    expect(m5.body.data).toHaveLength(5);
    expect(m50.body.data).toHaveLength(10);
    if (m5.count !== m50.count) differ.push({ scenario: 'keyset middle page', five: m5.count, fifty: m50.count });
    small.set(`${who} keyset middle page`, m50.count);
    expect(differ).toEqual([]);
    // Batched: a handful of statements, never one per row.
    expect(Math.max(...small.values())).toBeLessThan(15);
  });

  it.each(WHO)('When the data grows fivefold, then every scenario %s reads costs what it cost before', async (who, token) => {
    if (regions.length === 1) for (let k = 1; k < 5; k++) await addRegion(k);
    const differ: unknown[] = [];
    for (const s of SCENARIOS) {
      const before = small.get(`${who} ${s.name}`);
      const after = await measure(s.url(50), token());
      if (!s.name.startsWith('ancestorOf')) expect({ scenario: s.name, rows: after.body.data.length }).toEqual({ scenario: s.name, rows: 50 });
      if (before !== after.count) differ.push({ scenario: s.name, before, after: after.count });
    }
    const middle = await measure(await middlePage(50, token()), token());
    expect(middle.body.data).toHaveLength(50);
    if (small.get(`${who} keyset middle page`) !== middle.count) differ.push({ scenario: 'keyset middle page', before: small.get(`${who} keyset middle page`), after: middle.count });
    expect(differ).toEqual([]);
    const total = await api(h).get('/api/v2/clients?page[size]=1');
    expect(total.body.meta.page.total).toBe(1 + 5 * 121);
  });
});

describe('what the statements are', () => {
  // The page's own COUNT is a statement of its own; each to-many linkage counts its members
  // per owner in a subquery of the page's statement (meta.count), which is not a count of the page.
  const pageCount = (s: string) => /^SELECT COUNT\(\*\) AS/i.test(s);

  it("When keyset pages are read (first, middle, last), then no statement counts the page's rows; page numbers count once", async () => {
    const keysetUrls = [
      `/api/v2/clients?sort=-email,name&${INCLUDE}&page[size]=10&page[after]=`,
      await middlePage(10, h.admin),
      `/api/v2/clients?filter[name][contains]=shape&page[size]=10&page[before]=`,
      `/api/v2/clients/${regions[0]}/relationships/children?page[size]=10&page[before]=`,
      `/api/v2/clients/${regions[0]}/children?page[size]=10&page[after]=`,
    ];
    for (const url of keysetUrls) {
      const sql = await statements(() => api(h).get(url));
      expect({ url, counting: sql.filter(pageCount) }).toEqual({ url, counting: [] });
    }
    const numbered = await statements(() => api(h).get(`/api/v2/clients?sort=-email,name&${INCLUDE}&page[size]=10`));
    expect(numbered.filter(pageCount)).toHaveLength(1);
  });

  (ON_POSTGRES ? it.skip : it)(
    'When a name is searched with a needle of 3 or more characters, then the trigram index is used; with fewer, it is not (SQLite FTS5; pg_trgm works on LIKE itself)',
    async () => {
      const uses = async (needle: string) =>
        (await statements(() => api(h).get(`/api/v2/clients?filter[name][contains]=${encodeURIComponent(needle)}`))).some((s) => /clients_name_fts/.test(s) && /MATCH/i.test(s));
      expect(await uses('sh')).toBe(false);
      expect(await uses('s')).toBe(false);
      expect(await uses('sha')).toBe(true);
      expect(await uses('SHAPE 1')).toBe(true);
      expect(await uses('ß')).toBe(false);
      expect(await uses('aß')).toBe(true);
      const startsWith = await statements(() => api(h).get('/api/v2/clients?filter[name][startsWith]=Shape 1'));
      expect(startsWith.some((s) => /clients_name_fts/.test(s))).toBe(true);
    },
  );

  it('When one client is read with includes, then the statements do not grow with its children', async () => {
    const leafShape = await measure(`/api/v2/clients/${shape0}?include=children,legalEntities,reportingEntities`, orgToken);
    const region = await measure(`/api/v2/clients/${regions[0]}?include=children,legalEntities,reportingEntities`, orgToken);
    expect(region.body.data.relationships.children.data).toHaveLength(60);
    expect(leafShape.body.data.relationships.children.data).toHaveLength(1);
    // The region owns no entities (its include levels for them are empty), so it may cost less, never more.
    expect(region.count).toBeLessThanOrEqual(leafShape.count);
  });
});
