import { api, flat, Harness, JSONAPI, startHarness } from '../support/harness';
import { makeClient, makeOwned } from '../support/factories';
import { expectError } from '../support/spec-helpers';
import { httpRequest } from '../support/http-client';

/** SPEC §2 "Documents", "Writes" (success shapes) and the page-number, include, fields and sort rules. */
describe('documents', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const HOST = 'api.example.test';
  const BASE = `http://${HOST}/api/v2`;
  const RFC3339_MS_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
  const CLIENT_RELS = ['children', 'legalEntities', 'parent', 'projects', 'reportingEntities'];

  /** A GET with a fixed Host, so that absolute links can be compared exactly. */
  const get = (path: string) => api(h).get(path).set('Host', HOST);

  type Resource = { type: string; id: string; attributes?: Record<string, unknown>; relationships?: Record<string, any>; links?: Record<string, string>; meta?: unknown };
  const ids = (data: Resource[]) => data.map((r) => r.id);
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  function expectResourceLinks(r: Resource, path: string): void {
    const self = `${BASE}/${path}/${r.id}`;
    expect(r.links).toEqual({ self });
    for (const [name, rel] of Object.entries(r.relationships ?? {})) {
      expect(rel.links).toEqual({ self: `${self}/relationships/${name}`, related: `${self}/${name}` });
    }
  }

  describe('resource documents', () => {
    it('When a client is fetched, then the document has jsonapi 1.1, an absolute top-level self and every relationship with links and linkage', async () => {
      const parent = await makeClient(h, { name: 'Doc parent' });
      const id = await makeClient(h, { name: 'Doc client', email: 'doc@example.com', slug: 'doc-client' }, parent);
      const child = await makeClient(h, {}, id);
      const le = await makeOwned(h, 'legal-entities', id);
      const re1 = await makeOwned(h, 'reporting-entities', id);
      const re2 = await makeOwned(h, 'reporting-entities', id);

      const res = await get(`/api/v2/clients/${id}`);
      expect(res.status).toBe(200);
      expect(res.body.jsonapi).toEqual({ version: '1.1' });
      expect(res.body.links.self).toBe(`${BASE}/clients/${id}`);
      const data = res.body.data as Resource;
      expect(data.type).toBe('client');
      expect(data.id).toBe(id);
      expect(data.attributes).toEqual({
        name: 'Doc client',
        email: 'doc@example.com',
        slug: 'doc-client',
        createdAt: expect.stringMatching(RFC3339_MS_Z),
        updatedAt: expect.stringMatching(RFC3339_MS_Z),
      });
      expect(Object.keys(data.relationships!).sort()).toEqual(CLIENT_RELS);
      expectResourceLinks(data, 'clients');
      const rels = data.relationships!;
      expect(rels.parent.data).toEqual({ type: 'client', id: parent });
      expect(rels.parent.meta).toBeUndefined();
      expect(rels.children).toMatchObject({ data: [{ type: 'client', id: child }], meta: { count: 1 } });
      expect(rels.legalEntities).toMatchObject({ data: [{ type: 'legal-entity', id: le }], meta: { count: 1 } });
      expect(rels.reportingEntities.data).toEqual([
        { type: 'reporting-entity', id: re1 },
        { type: 'reporting-entity', id: re2 },
      ]);
      expect(rels.reportingEntities.meta).toEqual({ count: 2 });
      expect(rels.projects).toMatchObject({ data: [], meta: { count: 0 } });
    });

    it('When a root client is fetched, then its parent linkage is null', async () => {
      const id = await makeClient(h);
      const res = await get(`/api/v2/clients/${id}`);
      expect(res.body.data.relationships.parent.data).toBeNull();
    });

    it('When an owned resource is fetched, then its client relationship has links and linkage and no count', async () => {
      const c = await makeClient(h);
      const p = await makeOwned(h, 'projects', c, { name: 'Doc project' });
      const res = await get(`/api/v2/projects/${p}`);
      expect(res.status).toBe(200);
      expect(res.body.jsonapi).toEqual({ version: '1.1' });
      expect(res.body.data.attributes).toEqual({ name: 'Doc project', createdAt: expect.stringMatching(RFC3339_MS_Z), updatedAt: expect.stringMatching(RFC3339_MS_Z) });
      expectResourceLinks(res.body.data, 'projects');
      expect(res.body.data.relationships.client.data).toEqual({ type: 'client', id: c });
      expect(res.body.data.relationships.client.meta).toBeUndefined();
    });

    it('When a list is fetched, then every resource carries its own absolute self link and the document its own', async () => {
      const parent = await makeClient(h);
      const a = await makeClient(h, {}, parent);
      const b = await makeClient(h, {}, parent);
      const res = await get(`/api/v2/clients?filter[parent]=${parent}`);
      expect(res.status).toBe(200);
      expect(res.body.jsonapi).toEqual({ version: '1.1' });
      // A valid RFC 3986 URI: the brackets sent raw come back percent-encoded.
      expect(res.body.links.self).toBe(`${BASE}/clients?filter%5Bparent%5D=${parent}`);
      expect(ids(res.body.data)).toEqual([a, b]);
      for (const r of res.body.data) expectResourceLinks(r, 'clients');
    });

    it('When related and relationship endpoints are fetched, then they carry jsonapi, self links and linkage', async () => {
      const parent = await makeClient(h);
      const child = await makeClient(h, {}, parent);
      const related = await get(`/api/v2/clients/${parent}/children`);
      expect(related.status).toBe(200);
      expect(related.body.jsonapi).toEqual({ version: '1.1' });
      expect(related.body.links.self).toBe(`${BASE}/clients/${parent}/children`);
      expect(ids(related.body.data)).toEqual([child]);

      const toOne = await get(`/api/v2/clients/${child}/relationships/parent`);
      expect(toOne.status).toBe(200);
      expect(toOne.body.jsonapi).toEqual({ version: '1.1' });
      expect(toOne.body.links).toMatchObject({ self: `${BASE}/clients/${child}/relationships/parent`, related: `${BASE}/clients/${child}/parent` });
      expect(toOne.body.data).toEqual({ type: 'client', id: parent });

      const toMany = await get(`/api/v2/clients/${parent}/relationships/children`);
      expect(toMany.body.data).toEqual([{ type: 'client', id: child }]);
      expect(toMany.body.links.self).toBe(`${BASE}/clients/${parent}/relationships/children`);
      expect(toMany.body.links.related).toBe(`${BASE}/clients/${parent}/children`);
      expect(toMany.body.meta).toMatchObject({ count: 1 });

      const emptyToOne = await get(`/api/v2/clients/${parent}/parent`);
      expect(emptyToOne.status).toBe(200);
      expect(emptyToOne.body.data).toBeNull();
      expect(emptyToOne.body.jsonapi).toEqual({ version: '1.1' });
    });

    it('When the request comes through a proxy without TRUST_PROXY, then X-Forwarded-* do not change the links', async () => {
      const id = await makeClient(h);
      const res = await get(`/api/v2/clients/${id}`).set('X-Forwarded-Proto', 'https').set('X-Forwarded-Host', 'evil.example');
      expect(res.body.data.links.self).toBe(`${BASE}/clients/${id}`);
    });

    it('When the request target holds characters a URI may not (brackets, ", |, ^, {, }, `, <, >, \\), then the top-level self and the pagination links percent-encode them and keep the %XX escapes as sent', async () => {
      const query = 'filter[name][contains]=a"b|c^d{e}`<>\\%20f&sort=-name&page[size]=1';
      const res = await httpRequest(await h.listen(), 'GET', `/api/v2/clients?${query}`, { Host: HOST, Authorization: `Bearer ${h.admin}`, Accept: JSONAPI });
      expect(res.status).toBe(200);
      const links = (res.json as { links: Record<string, string | null> }).links;
      const encoded = 'filter%5Bname%5D%5Bcontains%5D=a%22b%7Cc%5Ed%7Be%7D%60%3C%3E%5C%20f&sort=-name&page%5Bsize%5D=1';
      expect(links.self).toBe(`${BASE}/clients?${encoded}`);
      expect(links.first).toBe(`${BASE}/clients?${encoded}&page%5Bnumber%5D=1`);
      expect(links.last).toBe(`${BASE}/clients?${encoded}&page%5Bnumber%5D=1`);
      // The links lead back to the same query.
      expect(new URL(links.first!).searchParams.get('filter[name][contains]')).toBe('a"b|c^d{e}`<>\\ f');
    });

    it('When the query is sent percent-encoded already, then links.self keeps it exactly as sent', async () => {
      const res = await get('/api/v2/clients?filter%5Bname%5D%5Bcontains%5D=a%2Cb%25&sort=name');
      expect(res.status).toBe(200);
      expect(res.body.links.self).toBe(`${BASE}/clients?filter%5Bname%5D%5Bcontains%5D=a%2Cb%25&sort=name`);
    });

    it('When TRUST_PROXY is set, then links use the forwarded scheme', async () => {
      const proxied = await startHarness({ TRUST_PROXY: '1' });
      try {
        const id = await makeClient(proxied);
        const res = await api(proxied).get(`/api/v2/clients/${id}`).set('Host', HOST).set('X-Forwarded-Proto', 'https');
        expect(res.body.data.links.self).toBe(`https://${HOST}/api/v2/clients/${id}`);
        expect(res.body.links.self).toBe(`https://${HOST}/api/v2/clients/${id}`);
      } finally {
        await proxied.close();
      }
    });
  });

  describe('writes', () => {
    it('When a client is created, then 201 with an absolute Location equal to data.links.self and the top-level self', async () => {
      const res = await api(h)
        .post('/api/v2/clients', { data: { type: 'client', attributes: { name: '  Created  ' } } })
        .set('Host', HOST);
      expect(res.status).toBe(201);
      const id = res.body.data.id as string;
      expect(id).toMatch(/^[0-9a-f]{24}$/);
      expect(res.headers.location).toBe(`${BASE}/clients/${id}`);
      expect(res.body.data.links.self).toBe(res.headers.location);
      expect(res.body.links.self).toBe(res.headers.location);
      expect(res.body.jsonapi).toEqual({ version: '1.1' });
      expect(res.body.data.attributes.name).toBe('Created');
      expect(res.body.data.attributes.createdAt).toMatch(RFC3339_MS_Z);
      expect(res.body.data.attributes.updatedAt).toBe(res.body.data.attributes.createdAt);
      expect(Object.keys(res.body.data.relationships).sort()).toEqual(CLIENT_RELS);
      const again = await get(`/api/v2/clients/${id}`);
      expect(again.body.data.attributes).toEqual(res.body.data.attributes);
    });

    it('When an owned resource is created, then Location points into its own collection', async () => {
      const c = await makeClient(h);
      const res = await api(h)
        .post('/api/v2/legal-entities', { data: { type: 'legal-entity', attributes: { name: 'LE' }, relationships: { client: { data: { type: 'client', id: c } } } } })
        .set('Host', HOST);
      expect(res.status).toBe(201);
      expect(res.headers.location).toBe(`${BASE}/legal-entities/${res.body.data.id}`);
      expect(res.body.data.relationships.client.data).toEqual({ type: 'client', id: c });
    });

    it('When a timestamp is created, then it is RFC 3339 UTC with milliseconds and close to now', async () => {
      const before = Date.now();
      const res = await api(h).post('/api/v2/clients', { data: { type: 'client', attributes: { name: 'Clock' } } });
      const after = Date.now();
      const created = res.body.data.attributes.createdAt as string;
      expect(created).toMatch(RFC3339_MS_Z);
      expect(Date.parse(created)).toBeGreaterThanOrEqual(before - 1);
      expect(Date.parse(created)).toBeLessThanOrEqual(after + 1);
    });

    it('When a client is PATCHed, then 200 with the updated document and a later updatedAt, createdAt unchanged', async () => {
      const created = await api(h).post('/api/v2/clients', { data: { type: 'client', attributes: { name: 'Old' } } });
      const id = created.body.data.id as string;
      const { createdAt, updatedAt } = created.body.data.attributes;
      await sleep(5);
      const res = await api(h)
        .patch(`/api/v2/clients/${id}`, { data: { type: 'client', id, attributes: { name: 'New' } } })
        .set('Host', HOST);
      expect(res.status).toBe(200);
      expect(res.body.jsonapi).toEqual({ version: '1.1' });
      expect(res.body.data.id).toBe(id);
      expect(res.body.data.attributes.name).toBe('New');
      expect(res.body.data.attributes.createdAt).toBe(createdAt);
      expect(res.body.data.attributes.updatedAt).toMatch(RFC3339_MS_Z);
      expect(Date.parse(res.body.data.attributes.updatedAt)).toBeGreaterThan(Date.parse(updatedAt));
      expect(res.body.links.self).toBe(`${BASE}/clients/${id}`);
      expect(Object.keys(res.body.data.relationships).sort()).toEqual(CLIENT_RELS);
    });

    it('When a PATCH sends Prefer: return=minimal, then 204 with no body and the change is applied', async () => {
      const id = await makeClient(h, { name: 'Minimal' });
      const res = await api(h)
        .patch(`/api/v2/clients/${id}`, { data: { type: 'client', id, attributes: { name: 'Minimal changed' } } })
        .set('Prefer', 'return=minimal');
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect((await get(`/api/v2/clients/${id}`)).body.data.attributes.name).toBe('Minimal changed');
    });

    it('When a PATCH sends Prefer: return=representation, then 200 with the document', async () => {
      const id = await makeClient(h);
      const res = await api(h)
        .patch(`/api/v2/clients/${id}`, { data: { type: 'client', id, attributes: { name: 'Rep' } } })
        .set('Prefer', 'return=representation');
      expect(res.status).toBe(200);
      expect(res.body.data.attributes.name).toBe('Rep');
    });

    it('When a resource is deleted, then 204 with no body, then GET and a second DELETE are 404', async () => {
      const c = await makeClient(h);
      const p = await makeOwned(h, 'projects', c);
      const res = await api(h).delete(`/api/v2/projects/${p}`);
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expectError(await get(`/api/v2/projects/${p}`), 404, 'not_found');
      expectError(await api(h).delete(`/api/v2/projects/${p}`), 404, 'not_found');
      expect((await get(`/api/v2/clients/${c}`)).body.data.relationships.projects.meta).toEqual({ count: 0 });
      const id = await makeClient(h);
      expect((await api(h).delete(`/api/v2/clients/${id}`)).status).toBe(204);
      expectError(await get(`/api/v2/clients/${id}`), 404, 'not_found');
    });

    it('When the flat surface shows a client, then its timestamps are RFC 3339 UTC with milliseconds too, equal to /api/v2', async () => {
      const id = await makeClient(h, { email: 'flat-ts@example.com' });
      const res = await flat(h).get(`/api/clients/client_${id}`);
      expect(res.status).toBe(200);
      expect(res.body.data.created_at).toMatch(RFC3339_MS_Z);
      expect(res.body.data.updated_at).toMatch(RFC3339_MS_Z);
      const v2 = await get(`/api/v2/clients/${id}`);
      expect(res.body.data.created_at).toBe(v2.body.data.attributes.createdAt);
    });
  });

  describe('page-number pagination', () => {
    async function parentWith(n: number): Promise<{ parent: string; children: string[] }> {
      const parent = await makeClient(h, { name: 'Pager' });
      const children: string[] = [];
      for (let i = 0; i < n; i++) children.push(await makeClient(h, { name: `Page child ${i}` }, parent));
      return { parent, children };
    }
    const pageOf = (link: string | null | undefined) => (link ? new URL(link).searchParams.get('page[number]') : null);

    it('When a list is paged, then meta.page has number, size, total and totalPages and the links walk the pages', async () => {
      const { parent, children } = await parentWith(5);
      const p1 = await get(`/api/v2/clients?filter[parent]=${parent}&page[size]=2`);
      expect(p1.status).toBe(200);
      expect(p1.body.meta.page).toEqual({ number: 1, size: 2, total: 5, totalPages: 3 });
      expect(ids(p1.body.data)).toEqual(children.slice(0, 2));
      expect(pageOf(p1.body.links.first)).toBe('1');
      expect(p1.body.links.prev ?? null).toBeNull();
      expect(pageOf(p1.body.links.next)).toBe('2');
      expect(pageOf(p1.body.links.last)).toBe('3');

      const p2 = await get(new URL(p1.body.links.next).pathname + new URL(p1.body.links.next).search);
      expect(p2.body.meta.page).toEqual({ number: 2, size: 2, total: 5, totalPages: 3 });
      expect(ids(p2.body.data)).toEqual(children.slice(2, 4));
      expect(pageOf(p2.body.links.prev)).toBe('1');
      expect(pageOf(p2.body.links.next)).toBe('3');

      const p3 = await get(`/api/v2/clients?filter[parent]=${parent}&page[size]=2&page[number]=3`);
      expect(ids(p3.body.data)).toEqual(children.slice(4));
      expect(pageOf(p3.body.links.prev)).toBe('2');
      expect(p3.body.links.next ?? null).toBeNull();
      expect(pageOf(p3.body.links.last)).toBe('3');
    });

    it('When pagination links are built, then they are absolute and keep every other query parameter', async () => {
      const { parent } = await parentWith(3);
      const res = await get(`/api/v2/clients?filter[parent]=${parent}&sort=-name&fields[client]=name,parent&include=parent&page[size]=1&page[number]=2`);
      expect(res.status).toBe(200);
      for (const key of ['first', 'prev', 'next', 'last']) {
        const link = res.body.links[key] as string;
        expect(link.startsWith(`${BASE}/clients?`)).toBe(true);
        const q = new URL(link).searchParams;
        expect(q.get('filter[parent]')).toBe(parent);
        expect(q.get('sort')).toBe('-name');
        expect(q.get('fields[client]')).toBe('name,parent');
        expect(q.get('include')).toBe('parent');
        expect(q.get('page[size]')).toBe('1');
      }
      expect([pageOf(res.body.links.first), pageOf(res.body.links.prev), pageOf(res.body.links.next), pageOf(res.body.links.last)]).toEqual(['1', '1', '3', '3']);
    });

    it('When no page parameters are given, then the page size is 20', async () => {
      const { parent } = await parentWith(1);
      const res = await get(`/api/v2/clients?filter[parent]=${parent}`);
      expect(res.body.meta.page).toEqual({ number: 1, size: 20, total: 1, totalPages: 1 });
    });

    it('When a page past the end is asked, then 200 with empty data and the true totals', async () => {
      const { parent } = await parentWith(3);
      const res = await get(`/api/v2/clients?filter[parent]=${parent}&page[size]=2&page[number]=5`);
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual([]);
      expect(res.body.meta.page).toEqual({ number: 5, size: 2, total: 3, totalPages: 2 });
      expect(res.body.links.next ?? null).toBeNull();
      expect(pageOf(res.body.links.last)).toBe('2');
    });

    it('When a page number far past the end (10 digits) is asked, then 200 with empty data', async () => {
      const { parent } = await parentWith(1);
      const res = await get(`/api/v2/clients?filter[parent]=${parent}&page[number]=1000000000`);
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual([]);
    });

    it('When the result is empty, then total 0, totalPages 0, and first and last point at page 1', async () => {
      const lonely = await makeClient(h);
      const res = await get(`/api/v2/clients?filter[parent]=${lonely}`);
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual([]);
      expect(res.body.meta.page).toEqual({ number: 1, size: 20, total: 0, totalPages: 0 });
      expect(pageOf(res.body.links.first)).toBe('1');
      expect(pageOf(res.body.links.last)).toBe('1');
      expect(res.body.links.next ?? null).toBeNull();
      expect(res.body.links.prev ?? null).toBeNull();
    });

    it('When a related collection is paged, then it has the same meta.page and links', async () => {
      const { parent, children } = await parentWith(3);
      const res = await get(`/api/v2/clients/${parent}/children?page[size]=2&page[number]=2`);
      expect(res.status).toBe(200);
      expect(ids(res.body.data)).toEqual(children.slice(2));
      expect(res.body.meta.page).toEqual({ number: 2, size: 2, total: 3, totalPages: 2 });
      expect(res.body.links.first.startsWith(`${BASE}/clients/${parent}/children?`)).toBe(true);
      expect(pageOf(res.body.links.prev)).toBe('1');
    });

    it('When a to-many relationship endpoint is paged, then it paginates like the related endpoint', async () => {
      const { parent, children } = await parentWith(3);
      const res = await get(`/api/v2/clients/${parent}/relationships/children?page[size]=2`);
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual(children.slice(0, 2).map((id) => ({ type: 'client', id })));
      expect(res.body.meta.page).toEqual({ number: 1, size: 2, total: 3, totalPages: 2 });
      expect(pageOf(res.body.links.next)).toBe('2');
    });
  });

  describe('include', () => {
    it('When include reaches four levels, then each included resource appears once and never repeats primary data', async () => {
      const root = await makeClient(h, { name: 'Inc root' });
      const c1 = await makeClient(h, {}, root);
      const c2 = await makeClient(h, {}, c1);
      const c3 = await makeClient(h, {}, c2);
      const c4 = await makeClient(h, {}, c3);
      const p1 = await makeOwned(h, 'projects', c1);
      const p3 = await makeOwned(h, 'projects', c3);
      const res = await get(`/api/v2/clients/${root}?include=children.children.children.children,children.projects,children.children.children.projects,children.parent`);
      expect(res.status).toBe(200);
      const keys = (res.body.included as Resource[]).map((r) => `${r.type}:${r.id}`);
      expect(new Set(keys).size).toBe(keys.length);
      expect(keys.sort()).toEqual([`client:${c1}`, `client:${c2}`, `client:${c3}`, `client:${c4}`, `project:${p1}`, `project:${p3}`].sort());
      for (const r of res.body.included as Resource[]) expectResourceLinks(r, r.type === 'client' ? 'clients' : 'projects');
    });

    it('When several primary resources share an included resource, then it is included once', async () => {
      const parent = await makeClient(h, { name: 'Shared parent' });
      const a = await makeClient(h, {}, parent);
      const b = await makeClient(h, {}, parent);
      await makeOwned(h, 'projects', parent);
      const res = await get(`/api/v2/clients?filter[parent]=${parent}&include=parent,parent.children`);
      expect(ids(res.body.data)).toEqual([a, b]);
      const keys = (res.body.included as Resource[]).map((r) => `${r.type}:${r.id}`);
      expect(keys).toEqual([`client:${parent}`]);
    });

    it('When include is asked and nothing is related, then included is an empty array', async () => {
      const lone = await makeClient(h);
      const res = await get(`/api/v2/clients/${lone}?include=children`);
      expect(res.body.included).toEqual([]);
    });

    it('When the owner of an owned resource is included, then it is the right client', async () => {
      const c = await makeClient(h, { name: 'Owner inc' });
      const le = await makeOwned(h, 'legal-entities', c);
      const res = await get(`/api/v2/legal-entities/${le}?include=client`);
      expect((res.body.included as Resource[]).map((r) => [r.type, r.id])).toEqual([['client', c]]);
    });
  });

  describe('sparse fieldsets', () => {
    it('When fields[client]=name, then only that attribute is shown and the relationships are gone', async () => {
      const parent = await makeClient(h);
      const id = await makeClient(h, { name: 'Sparse', email: 'sparse@example.com' }, parent);
      const res = await get(`/api/v2/clients/${id}?fields[client]=name`);
      expect(res.status).toBe(200);
      expect(res.body.data.attributes).toEqual({ name: 'Sparse' });
      expect(res.body.data.relationships).toBeUndefined();
      expect(res.body.data.links).toEqual({ self: `${BASE}/clients/${id}` });
    });

    it('When fields[client] names an attribute and a relationship, then exactly those are shown', async () => {
      const parent = await makeClient(h);
      const id = await makeClient(h, { name: 'Sparse 2', email: 'sparse2@example.com' }, parent);
      const res = await get(`/api/v2/clients/${id}?fields[client]=email,parent`);
      expect(res.body.data.attributes).toEqual({ email: 'sparse2@example.com' });
      expect(Object.keys(res.body.data.relationships)).toEqual(['parent']);
      expect(res.body.data.relationships.parent.data).toEqual({ type: 'client', id: parent });
    });

    it('When fields names only a relationship, then there are no attributes', async () => {
      const id = await makeClient(h, { name: 'Rel only' });
      const res = await get(`/api/v2/clients/${id}?fields[client]=children`);
      expect(res.body.data.attributes).toBeUndefined();
      expect(Object.keys(res.body.data.relationships)).toEqual(['children']);
    });

    it('When fields is given for an included type, then included resources are sparse and primary ones are not', async () => {
      const c = await makeClient(h, { name: 'Full' });
      await makeOwned(h, 'projects', c, { name: 'Sparse project' });
      const res = await get(`/api/v2/clients/${c}?include=projects&fields[project]=name`);
      expect(res.body.data.attributes.name).toBe('Full');
      expect(Object.keys(res.body.data.relationships).sort()).toEqual(CLIENT_RELS);
      const [p] = res.body.included as Resource[];
      expect(p.attributes).toEqual({ name: 'Sparse project' });
      expect(p.relationships).toBeUndefined();
    });

    it('When fields applies to a list, then every resource is sparse', async () => {
      const parent = await makeClient(h);
      await makeClient(h, { name: 'L1' }, parent);
      await makeClient(h, { name: 'L2' }, parent);
      const res = await get(`/api/v2/clients?filter[parent]=${parent}&fields[client]=name`);
      expect((res.body.data as Resource[]).map((r) => r.attributes)).toEqual([{ name: 'L1' }, { name: 'L2' }]);
      expect((res.body.data as Resource[]).every((r) => r.relationships === undefined)).toBe(true);
    });
  });

  describe('sort', () => {
    it('When sorting by email, then NULLs come first ascending and last descending', async () => {
      const parent = await makeClient(h);
      const b = await makeClient(h, { email: 'b-sort@example.com' }, parent);
      const none = await makeClient(h, { email: null }, parent);
      const a = await makeClient(h, { email: 'a-sort@example.com' }, parent);
      const asc = await get(`/api/v2/clients?filter[parent]=${parent}&sort=email`);
      expect(ids(asc.body.data)).toEqual([none, a, b]);
      const desc = await get(`/api/v2/clients?filter[parent]=${parent}&sort=-email`);
      expect(ids(desc.body.data)).toEqual([b, a, none]);
    });

    it('When sort keys tie, then id ascending breaks the tie in both directions', async () => {
      const parent = await makeClient(h);
      const x1 = await makeClient(h, { name: 'Same' }, parent);
      const y = await makeClient(h, { name: 'Other' }, parent);
      const x2 = await makeClient(h, { name: 'Same' }, parent);
      const x3 = await makeClient(h, { name: 'Same' }, parent);
      expect(ids((await get(`/api/v2/clients?filter[parent]=${parent}&sort=name`)).body.data)).toEqual([y, x1, x2, x3]);
      expect(ids((await get(`/api/v2/clients?filter[parent]=${parent}&sort=-name`)).body.data)).toEqual([x1, x2, x3, y]);
    });

    it('When sorting by name, then strings compare by code point (upper case before lower case)', async () => {
      const parent = await makeClient(h);
      const lowerB = await makeClient(h, { name: 'b' }, parent);
      const upperB = await makeClient(h, { name: 'B' }, parent);
      const lowerA = await makeClient(h, { name: 'a' }, parent);
      const accent = await makeClient(h, { name: 'É' }, parent);
      expect(ids((await get(`/api/v2/clients?filter[parent]=${parent}&sort=name`)).body.data)).toEqual([upperB, lowerA, lowerB, accent]);
    });

    it('When there is no sort, then the order is id ascending', async () => {
      const parent = await makeClient(h);
      const made = [await makeClient(h, { name: 'z' }, parent), await makeClient(h, { name: 'a' }, parent), await makeClient(h, { name: 'm' }, parent)];
      expect(ids((await get(`/api/v2/clients?filter[parent]=${parent}`)).body.data)).toEqual([...made].sort());
      expect(made).toEqual([...made].sort());
    });

    it('When sorting by a second key, then the first key decides and the second breaks its ties', async () => {
      const parent = await makeClient(h);
      const a2 = await makeClient(h, { name: 'A', slug: 'sort-two' }, parent);
      const a1 = await makeClient(h, { name: 'A', slug: 'sort-one' }, parent);
      const b0 = await makeClient(h, { name: 'B', slug: 'sort-zero' }, parent);
      expect(ids((await get(`/api/v2/clients?filter[parent]=${parent}&sort=-name,slug`)).body.data)).toEqual([b0, a1, a2]);
    });
  });
});
