import { bulkInsert } from '../../src/data/bulk-loader';
import { registry } from '../../src/resources/registry';
import { api, clientToken, Harness, ON_POSTGRES, startHarness } from '../support/harness';
import { makeClient } from '../support/factories';

/**
 * Every to-many relationship in a document is bounded (SPEC §2): at most MAX_LINKAGE
 * identifiers in id order, meta.count with the total, links.next to the next page of the
 * relationship endpoint; included resources follow the bounded linkage.
 */

type Json = Record<string, any>;

/** The path and query of an absolute link (supertest talks to the app in-process). */
const local = (link: string) => link.replace(/^https?:\/\/[^/]+/, '');

/** Follows links.next of relationship endpoint pages from `first`, collecting every identifier. */
async function followLinkage(h: Harness, token: string, first: string): Promise<string[]> {
  const ids: string[] = [];
  let next: string | null | undefined = first;
  for (let guard = 0; next && guard < 10_000; guard++) {
    const page = await api(h, token).get(local(next));
    expect(page.status).toBe(200);
    ids.push(...page.body.data.map((d: Json) => d.id));
    next = page.body.links.next;
  }
  return ids;
}

describe('bounded to-many linkage with a small MAX_LINKAGE', () => {
  let h: Harness;
  let root: string;
  let children: string[];
  let lonely: string;

  beforeAll(async () => {
    h = await startHarness({ MAX_LINKAGE: '2' });
    root = await makeClient(h, { name: 'Root' });
    children = [];
    for (let i = 0; i < 5; i++) children.push(await makeClient(h, { name: `Child ${i}` }, root));
    lonely = await makeClient(h, { name: 'Lonely' });
  });
  afterAll(() => h.close());

  it('When a client has more children than MAX_LINKAGE, then its linkage shows the first ones in id order, meta.count all of them, and links.next', async () => {
    const res = await api(h).get(`/api/v2/clients/${root}`);
    expect(res.status).toBe(200);
    const rel = res.body.data.relationships.children;
    expect(rel.data).toEqual(children.slice(0, 2).map((id) => ({ type: 'client', id })));
    expect(rel.meta).toEqual({ count: 5 });
    expect(rel.links.related).toMatch(new RegExp(`/api/v2/clients/${root}/children$`));
    expect(rel.links.next).toMatch(new RegExp(`/api/v2/clients/${root}/relationships/children\\?`));
  });

  it('When links.next of a bounded linkage is followed to the end, then every member is named exactly once, in id order', async () => {
    const res = await api(h).get(`/api/v2/clients/${root}`);
    const rel = res.body.data.relationships.children;
    const rest = await followLinkage(h, h.admin, rel.links.next);
    expect([...rel.data.map((d: Json) => d.id), ...rest]).toEqual(children);
  });

  it('When children are included, then the included resources are the ones the bounded linkage names', async () => {
    const res = await api(h).get(`/api/v2/clients/${root}?include=children`);
    expect(res.status).toBe(200);
    expect(res.body.included.map((r: Json) => r.id)).toEqual(children.slice(0, 2));
  });

  it('When a list includes children, then each resource of the page has its own bounded linkage and count', async () => {
    const res = await api(h).get(`/api/v2/clients?filter[parent]=null&include=children`);
    expect(res.status).toBe(200);
    const byId = new Map(res.body.data.map((r: Json) => [r.id, r.relationships.children]));
    expect((byId.get(root) as Json).meta).toEqual({ count: 5 });
    expect(byId.get(lonely) as Json).toEqual(expect.objectContaining({ data: [], meta: { count: 0 } }));
    expect((byId.get(lonely) as Json).links.next).toBeUndefined();
  });

  it('When a relationship has no more members than MAX_LINKAGE, then it has no links.next', async () => {
    const res = await api(h).get(`/api/v2/clients/${children[0]}?include=parent`);
    expect(res.status).toBe(200);
    expect(res.body.data.relationships.children).toEqual(expect.objectContaining({ data: [], meta: { count: 0 } }));
    expect(res.body.data.relationships.children.links.next).toBeUndefined();
    // The included parent's own to-many linkage is bounded too.
    expect(res.body.included[0].relationships.children.meta).toEqual({ count: 5 });
    expect(res.body.included[0].relationships.children.data).toHaveLength(2);
  });

  it('When a client token follows links.next, then the cursor works for it and names only what it may see', async () => {
    const token = await clientToken(h, root);
    const res = await api(h, token).get(`/api/v2/clients/${root}`);
    expect(res.status).toBe(200);
    const rel = res.body.data.relationships.children;
    expect(rel.meta).toEqual({ count: 5 });
    expect([...rel.data.map((d: Json) => d.id), ...(await followLinkage(h, token, rel.links.next))]).toEqual(children);
  });
});

/** More children than the database's bind-variable limit (SQLite 32,766; PostgreSQL 65,535). */
const MANY = ON_POSTGRES ? 66_000 : 33_000;

describe(`a client with ${MANY} children, bulk-loaded`, () => {
  let h: Harness;
  let root: string;
  let firstIds: string[];

  beforeAll(async () => {
    h = await startHarness();
    root = await makeClient(h, { name: 'Big family' });
    const [ids] = await bulkInsert(h.db, [{ def: registry.get('client'), rows: Array.from({ length: MANY }, (_, i) => ({ attributes: { name: `Child ${i}` }, relationships: { parent: root } })) }]);
    firstIds = [...ids].sort().slice(0, 200);
  }, 120_000);
  afterAll(() => h.close());

  for (const who of ['admin', 'client'] as const) {
    it(`When ${who === 'admin' ? 'an admin' : 'a client token'} reads it with include=children, then the answer is 200 with 100 identifiers, meta.count ${MANY} and a next link to the rest`, async () => {
      const token = who === 'admin' ? h.admin : await clientToken(h, root);
      const res = await api(h, token).get(`/api/v2/clients/${root}?include=children`);
      expect(res.status).toBe(200);
      const rel = res.body.data.relationships.children;
      expect(rel.meta).toEqual({ count: MANY });
      expect(rel.data.map((d: Json) => d.id)).toEqual(firstIds.slice(0, 100));
      expect(res.body.included.map((r: Json) => r.id).sort()).toEqual(firstIds.slice(0, 100));
      const next = await api(h, token).get(local(rel.links.next));
      expect(next.status).toBe(200);
      expect(next.body.data.map((d: Json) => d.id)).toEqual(firstIds.slice(100, 200));
      expect(next.body.links.next).toEqual(expect.stringContaining('/relationships/children?'));
    });
  }

  it('When the to-many relationship endpoint is read by page number, then meta.count is the whole total', async () => {
    const res = await api(h).get(`/api/v2/clients/${root}/relationships/children?page[size]=100&page[number]=2`);
    expect(res.status).toBe(200);
    expect(res.body.meta.count).toBe(MANY);
    expect(res.body.data.map((d: Json) => d.id)).toEqual(firstIds.slice(100, 200));
  });
});
