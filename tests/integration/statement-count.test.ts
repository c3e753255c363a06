process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? 'silent';
import { api, clientToken, countStatements, Harness, startHarness } from '../support/harness';
import { makeClient, makeOwned } from '../support/factories';

/**
 * The number of SQL statements a read issues does not grow with the page or the data: linkage
 * and includes are loaded in batches per page, never one query per row.
 *
 * The data is built once for the file (every test here only reads it):
 *   org ── tenant ── 50 roots ── 2 children each ── 1 grandchild each
 * every root owns a legal entity and a reporting entity, every child a legal entity, and the
 * tenant owns three of each. The client token belongs to the org, so its scope holds all
 * 252 clients and its pages are as full as the admin's. The tenant (50 children) and a root
 * (2 children) have the same shape (a visible parent, owned entities), only sizes differ.
 *
 * Counts may legitimately differ with the data's shape (a level with nothing new to load, a
 * null parent, needs no statement); so each comparison keeps the shape and changes the size.
 */

const INCLUDE = 'include=children.children,legalEntities,reportingEntities';

interface Data {
  tenant: string;
  roots: string[];
  /** A root: two children, one legal and one reporting entity. */
  small: string;
  orgToken: string;
}

let h: Harness;
let d: Data;

/** Reads once so that the token's lastUsedAt update is not counted later. */
async function warmUp(token: string): Promise<void> {
  const res = await api(h, token).get('/api/v2/clients?page[size]=1');
  if (res.status !== 200) throw new Error(`warm-up failed: ${res.status} ${res.text}`);
}

beforeAll(async () => {
  h = await startHarness();
  const org = await makeClient(h, { name: 'Org' });
  const tenant = await makeClient(h, { name: 'Tenant' }, org);
  const roots: string[] = [];
  for (let i = 0; i < 50; i++) {
    const root = await makeClient(h, { name: `Root ${i}` }, tenant);
    roots.push(root);
    await makeOwned(h, 'legal-entities', root);
    await makeOwned(h, 'reporting-entities', root);
    for (let j = 0; j < 2; j++) {
      const child = await makeClient(h, { name: `Child ${i}.${j}` }, root);
      await makeOwned(h, 'legal-entities', child);
      await makeClient(h, { name: `Grandchild ${i}.${j}` }, child);
    }
  }
  for (let i = 0; i < 3; i++) {
    await makeOwned(h, 'legal-entities', tenant);
    await makeOwned(h, 'reporting-entities', tenant);
  }
  const orgToken = await clientToken(h, org);
  await warmUp(h.admin);
  await warmUp(orgToken);
  d = { tenant, roots, small: roots[0], orgToken };
}, 60_000);
afterAll(() => h.close());

/** Statements for one GET, which must answer 200; returns the count and the parsed body. */
async function measure(url: string, token: string = h.admin): Promise<{ count: number; body: Record<string, any> }> {
  let body: Record<string, any> = {};
  const count = await countStatements(h, async () => {
    const res = await api(h, token).get(url);
    expect(res.status).toBe(200);
    body = JSON.parse(res.text) as Record<string, any>;
  });
  return { count, body };
}

const types = (body: Record<string, any>) => new Set((body.included ?? []).map((r: { type: string }) => r.type));

describe('statement counts on GET /api/v2/clients with nested includes', () => {
  it('When an admin lists 5 or 50 clients per page with include=children.children,legalEntities,reportingEntities, then the same number of statements is issued', async () => {
    const five = await measure(`/api/v2/clients?page[size]=5&${INCLUDE}`);
    const fifty = await measure(`/api/v2/clients?page[size]=50&${INCLUDE}`);
    expect(five.body.data).toHaveLength(5);
    expect(fifty.body.data).toHaveLength(50);
    expect(fifty.body.meta.page.total).toBe(252);
    expect(types(fifty.body)).toEqual(new Set(['client', 'legal-entity', 'reporting-entity']));
    expect(types(five.body)).toEqual(new Set(['client', 'legal-entity', 'reporting-entity']));
    expect(fifty.count).toBe(five.count);
    // Batched per relationship and level: a handful, not one per row.
    expect(fifty.count).toBeLessThan(20);
  });

  it("When the page of 50 holds the tenant's 50 roots, then it costs what a page of 5 roots costs", async () => {
    const five = await measure(`/api/v2/clients?filter[parent]=${d.tenant}&page[size]=5&${INCLUDE}`);
    const fifty = await measure(`/api/v2/clients?filter[parent]=${d.tenant}&page[size]=50&${INCLUDE}`);
    expect(fifty.body.data.map((r: { id: string }) => r.id)).toEqual(d.roots);
    // 50 roots: 100 children, 100 grandchildren, 50 legal and 50 reporting entities included.
    expect(fifty.body.included).toHaveLength(300);
    expect(five.body.included).toHaveLength(30);
    expect(fifty.count).toBe(five.count);
  });

  it('When a client token lists 5 or 50 clients per page with the same includes, then the count is the same (scope applied inside the SQL)', async () => {
    const five = await measure(`/api/v2/clients?page[size]=5&${INCLUDE}`, d.orgToken);
    const fifty = await measure(`/api/v2/clients?page[size]=50&${INCLUDE}`, d.orgToken);
    expect(five.body.data).toHaveLength(5);
    expect(fifty.body.data).toHaveLength(50);
    expect(fifty.body.meta.page.total).toBe(252);
    expect(fifty.count).toBe(five.count);
    expect(fifty.count).toBeLessThan(25);
    // Another page of 50 (whose nested levels partly repeat the page) costs no more.
    const secondPage = await measure(`/api/v2/clients?page[size]=50&page[number]=2&${INCLUDE}`, d.orgToken);
    expect(secondPage.body.data).toHaveLength(50);
    expect(secondPage.count).toBeLessThanOrEqual(fifty.count);
  });
});

describe('statement counts on single, related and relationship endpoints', () => {
  it.each([
    ['admin', () => h.admin],
    ['client token', () => d.orgToken],
  ])('When %s reads one client with nested includes, then a client with 50 children costs what one with 2 costs', async (_who, token) => {
    const small = await measure(`/api/v2/clients/${d.small}?${INCLUDE}`, token());
    const large = await measure(`/api/v2/clients/${d.tenant}?${INCLUDE}`, token());
    expect(small.body.data.relationships.children.data).toHaveLength(2);
    expect(large.body.data.relationships.children.data).toHaveLength(50);
    expect(large.body.included).toHaveLength(50 + 100 + 3 + 3);
    expect(large.count).toBe(small.count);
  });

  it.each([
    ['admin', () => h.admin],
    ['client token', () => d.orgToken],
  ])('When %s reads a related collection with includes, then 50 related clients cost what 2 cost', async (_who, token) => {
    const small = await measure(`/api/v2/clients/${d.small}/children?page[size]=50&include=children,legalEntities`, token());
    const large = await measure(`/api/v2/clients/${d.tenant}/children?page[size]=50&include=children,legalEntities`, token());
    expect(small.body.data).toHaveLength(2);
    expect(large.body.data).toHaveLength(50);
    expect(large.count).toBe(small.count);
  });

  it.each([
    ['admin', () => h.admin],
    ['client token', () => d.orgToken],
  ])('When %s reads relationship linkage, then its cost does not depend on how many resources it names', async (_who, token) => {
    const small = await measure(`/api/v2/clients/${d.small}/relationships/children?page[size]=50`, token());
    const large = await measure(`/api/v2/clients/${d.tenant}/relationships/children?page[size]=50`, token());
    expect(small.body.data).toHaveLength(2);
    expect(large.body.data).toHaveLength(50);
    expect(large.count).toBe(small.count);
    const oneEntity = await measure(`/api/v2/clients/${d.small}/relationships/legalEntities`, token());
    const threeEntities = await measure(`/api/v2/clients/${d.tenant}/relationships/legalEntities`, token());
    expect(oneEntity.body.data).toHaveLength(1);
    expect(threeEntities.body.data).toHaveLength(3);
    expect(threeEntities.count).toBe(oneEntity.count);
  });

  it.each([
    ['admin', () => h.admin],
    ['client token', () => d.orgToken],
  ])('When %s reads owned entities through a related endpoint, then three cost what one costs', async (_who, token) => {
    const one = await measure(`/api/v2/clients/${d.small}/legalEntities?include=client`, token());
    const three = await measure(`/api/v2/clients/${d.tenant}/legalEntities?include=client`, token());
    expect(one.body.data).toHaveLength(1);
    expect(three.body.data).toHaveLength(3);
    expect(three.count).toBe(one.count);
  });
});

/**
 * The round trips of a read (each statement is one on PostgreSQL): one to authenticate, one for
 * the page or resource with its linkage, one for the total (page numbers only), one per include
 * level whatever the types and relationships it reaches.
 */
describe('a read costs one statement per round trip the design allows', () => {
  it.each([
    ['admin', () => h.admin],
    ['client token', () => d.orgToken],
  ])('When %s reads, then: one resource 2, a numbered page 3, a keyset page 2, and one more per include level', async (_who, token) => {
    const cases: [string, number][] = [
      [`/api/v2/clients/${d.tenant}`, 2],
      [`/api/v2/clients/${d.tenant}?include=children,legalEntities,reportingEntities,parent`, 3],
      [`/api/v2/clients/${d.tenant}?include=children.children.legalEntities`, 5],
      ['/api/v2/clients?page[size]=50', 3],
      ['/api/v2/clients?page[size]=50&page[after]=', 2],
      ['/api/v2/clients?page[size]=50&include=children,legalEntities,reportingEntities', 4],
      [`/api/v2/clients?page[size]=50&${INCLUDE}`, 5],
      [`/api/v2/clients/${d.tenant}/children?page[size]=50&include=legalEntities`, 5],
    ];
    const measured: [string, number][] = [];
    for (const [url] of cases) measured.push([url, (await measure(url, token())).count]);
    expect(measured).toEqual(cases);
  });
});
