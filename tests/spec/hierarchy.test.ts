import { api, flat, Harness, startHarness } from '../support/harness';
import { makeClient, makeOwned } from '../support/factories';
import { expectError, expectErrors, sortErrors } from '../support/spec-helpers';

/** SPEC §1 "The hierarchy is a forest" and "Nothing is lost silently", on both surfaces. */
describe('hierarchy integrity', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const ref = (id: string) => ({ type: 'client', id });
  const setParent = (id: string, parent: string | null) =>
    api(h).patch(`/api/v2/clients/${id}`, { data: { type: 'client', id, relationships: { parent: { data: parent === null ? null : ref(parent) } } } });
  const setChildren = (id: string, children: string[]) => api(h).patch(`/api/v2/clients/${id}`, { data: { type: 'client', id, relationships: { children: { data: children.map(ref) } } } });
  const parentOf = async (id: string) => (await api(h).get(`/api/v2/clients/${id}/relationships/parent`)).body.data?.id ?? null;
  const linkage = async (id: string, rel: string) => ((await api(h).get(`/api/v2/clients/${id}/relationships/${rel}`)).body.data as { id: string }[]).map((r) => r.id).sort();
  const ownerOf = async (path: string, id: string) => (await api(h).get(`/api/v2/${path}/${id}/relationships/client`)).body.data?.id ?? null;

  /** root ── a ── b ── c */
  async function chain(): Promise<{ root: string; a: string; b: string; c: string }> {
    const root = await makeClient(h, { name: 'Chain root' });
    const a = await makeClient(h, { name: 'Chain a' }, root);
    const b = await makeClient(h, { name: 'Chain b' }, a);
    const c = await makeClient(h, { name: 'Chain c' }, b);
    return { root, a, b, c };
  }

  describe('cycles', () => {
    it('When a client is made its own parent, then 409 at /data/relationships/parent and nothing changes', async () => {
      const { a, root } = await chain();
      expectError(await setParent(a, a), 409, 'conflict', { pointer: '/data/relationships/parent' });
      expect(await parentOf(a)).toBe(root);
    });

    it('When a root is made the child of its own child, then 409 at /data/relationships/parent', async () => {
      const { root, a } = await chain();
      expectError(await setParent(root, a), 409, 'conflict', { pointer: '/data/relationships/parent' });
      expect(await parentOf(root)).toBeNull();
    });

    it('When a client is made the child of a deep descendant, then 409 at /data/relationships/parent', async () => {
      const { root, a, c } = await chain();
      expectError(await setParent(a, c), 409, 'conflict', { pointer: '/data/relationships/parent' });
      expectError(await setParent(root, c), 409, 'conflict', { pointer: '/data/relationships/parent' });
      expect(await parentOf(a)).toBe(root);
      expect(await parentOf(root)).toBeNull();
    });

    it('When a client is moved under a cousin (not a descendant), then it is allowed', async () => {
      const { root, b } = await chain();
      const cousin = await makeClient(h, { name: 'Cousin' }, root);
      const res = await setParent(b, cousin);
      expect(res.status).toBe(200);
      expect(res.body.data.relationships.parent.data).toEqual(ref(cousin));
      expect(await linkage(cousin, 'children')).toEqual([b]);
    });

    it('When a subtree is moved to another tree and made a root again, then both moves are allowed', async () => {
      const { a, b, c } = await chain();
      const other = await makeClient(h, { name: 'Other tree' });
      expect((await setParent(b, other)).status).toBe(200);
      expect(await parentOf(c)).toBe(b);
      expect(await linkage(a, 'children')).toEqual([]);
      expect((await setParent(b, null)).status).toBe(200);
      expect(await parentOf(b)).toBeNull();
    });

    it('When PATCH children takes in an ancestor, then 409 at /data/relationships/children and nothing moves', async () => {
      const { root, a, b, c } = await chain();
      expectError(await setChildren(c, [root]), 409, 'conflict', { pointer: '/data/relationships/children' });
      expectError(await setChildren(b, [a]), 409, 'conflict', { pointer: '/data/relationships/children' });
      expectError(await setChildren(b, [b]), 409, 'conflict', { pointer: '/data/relationships/children' });
      expect(await parentOf(root)).toBeNull();
      expect(await parentOf(a)).toBe(root);
      expect(await linkage(b, 'children')).toEqual([c]);
    });

    it('When PATCH children takes in a grandchild, then it is allowed (it moves up a level)', async () => {
      const { a, b, c } = await chain();
      const res = await setChildren(a, [b, c]);
      expect(res.status).toBe(200);
      expect(await parentOf(c)).toBe(a);
      expect(await linkage(a, 'children')).toEqual([b, c].sort());
    });

    it('When a new client names P as parent and as child, then 409 and it is not created', async () => {
      const p = await makeClient(h, { name: 'Both ways' });
      const res = await api(h).post('/api/v2/clients', {
        data: { type: 'client', attributes: { name: 'Loop' }, relationships: { parent: { data: ref(p) }, children: { data: [ref(p)] } } },
      });
      const pointer = res.body.errors?.[0]?.source?.pointer as string;
      expect(['/data/relationships/parent', '/data/relationships/children']).toContain(pointer);
      expectError(res, 409, 'conflict', { pointer });
      expect(await parentOf(p)).toBeNull();
      expect((await api(h).get('/api/v2/clients?filter[name]=Loop')).body.data).toEqual([]);
    });

    it('When a PATCH sets the parent and takes that parent in as a child at once, then 409', async () => {
      const x = await makeClient(h);
      const y = await makeClient(h);
      const res = await api(h).patch(`/api/v2/clients/${x}`, {
        data: { type: 'client', id: x, relationships: { parent: { data: ref(y) }, children: { data: [ref(y)] } } },
      });
      const pointer = res.body.errors?.[0]?.source?.pointer as string;
      expect(['/data/relationships/parent', '/data/relationships/children']).toContain(pointer);
      expectError(res, 409, 'conflict', { pointer });
      expect(await parentOf(x)).toBeNull();
      expect(await parentOf(y)).toBeNull();
    });

    it('When a client is created with existing children, then they move under it', async () => {
      const old = await makeClient(h, { name: 'Old parent' });
      const kid = await makeClient(h, {}, old);
      const res = await api(h).post('/api/v2/clients', { data: { type: 'client', attributes: { name: 'Adopter' }, relationships: { children: { data: [ref(kid)] } } } });
      expect(res.status).toBe(201);
      expect(await parentOf(kid)).toBe(res.body.data.id);
      expect(await linkage(old, 'children')).toEqual([]);
    });
  });

  describe('owned entities are never orphaned', () => {
    it.each([
      ['legalEntities', 'legal-entities'],
      ['reportingEntities', 'reporting-entities'],
      ['projects', 'projects'],
    ] as const)('When PATCH %s leaves out an owned entity, then 403 at the relationship and nothing changes', async (rel, path) => {
      const c = await makeClient(h);
      const kept = await makeOwned(h, path, c);
      const dropped = await makeOwned(h, path, c);
      const res = await api(h).patch(`/api/v2/clients/${c}`, {
        data: {
          type: 'client',
          id: c,
          attributes: { name: 'Renamed' },
          relationships: { [rel]: { data: [{ type: ({ 'legal-entities': 'legal-entity', 'reporting-entities': 'reporting-entity', projects: 'project' } as const)[path], id: kept }] } },
        },
      });
      expectError(res, 403, 'forbidden', { pointer: `/data/relationships/${rel}` });
      expect(await linkage(c, rel)).toEqual([kept, dropped].sort());
      expect(await ownerOf(path, dropped)).toBe(c);
      expect((await api(h).get(`/api/v2/clients/${c}`)).body.data.attributes.name).not.toBe('Renamed');
    });

    it('When PATCH empties legalEntities, then 403', async () => {
      const c = await makeClient(h);
      const le = await makeOwned(h, 'legal-entities', c);
      const res = await api(h).patch(`/api/v2/clients/${c}`, { data: { type: 'client', id: c, relationships: { legalEntities: { data: [] } } } });
      expectError(res, 403, 'forbidden', { pointer: '/data/relationships/legalEntities' });
      expect(await ownerOf('legal-entities', le)).toBe(c);
    });

    it("When an owned entity's client is changed by PATCH, then it moves to the new owner", async () => {
      const from = await makeClient(h);
      const to = await makeClient(h);
      const p = await makeOwned(h, 'projects', from);
      const res = await api(h).patch(`/api/v2/projects/${p}`, { data: { type: 'project', id: p, relationships: { client: { data: ref(to) } } } });
      expect(res.status).toBe(200);
      expect(res.body.data.relationships.client.data).toEqual(ref(to));
      expect(await linkage(from, 'projects')).toEqual([]);
      expect(await linkage(to, 'projects')).toEqual([p]);
      expect((await api(h).get(`/api/v2/clients/${to}`)).body.data.relationships.projects.meta).toEqual({ count: 1 });
    });

    it("When the new owner's to-many lists an entity of another owner with its own, then the entity moves", async () => {
      const from = await makeClient(h);
      const to = await makeClient(h);
      const mine = await makeOwned(h, 'reporting-entities', to);
      const theirs = await makeOwned(h, 'reporting-entities', from);
      const res = await api(h).patch(`/api/v2/clients/${to}`, {
        data: { type: 'client', id: to, relationships: { reportingEntities: { data: [mine, theirs].map((id) => ({ type: 'reporting-entity', id })) } } },
      });
      expect(res.status).toBe(200);
      expect(await linkage(to, 'reportingEntities')).toEqual([mine, theirs].sort());
      expect(await linkage(from, 'reportingEntities')).toEqual([]);
    });

    it('When a children list leaves out a child, then the child becomes a root (children are not owned)', async () => {
      const p = await makeClient(h);
      const stay = await makeClient(h, {}, p);
      const go = await makeClient(h, {}, p);
      const res = await setChildren(p, [stay]);
      expect(res.status).toBe(200);
      expect(await parentOf(go)).toBeNull();
      expect(await parentOf(stay)).toBe(p);
    });
  });

  describe('deletes that would lose data', () => {
    it('When a client still has children, legal entities, reporting entities, projects and api tokens, then 409 with one error per relationship and nothing is deleted', async () => {
      const c = await makeClient(h, { name: 'Busy' });
      const kids = [await makeClient(h, {}, c), await makeClient(h, {}, c)];
      const le = await makeOwned(h, 'legal-entities', c);
      const res1 = await makeOwned(h, 'reporting-entities', c);
      await makeOwned(h, 'reporting-entities', c);
      await makeOwned(h, 'reporting-entities', c);
      const proj = await makeOwned(h, 'projects', c);
      const token = await api(h).post('/api/v2/api-tokens', { data: { type: 'api-token', attributes: { name: 't', role: 'client' }, relationships: { client: { data: ref(c) } } } });
      expect(token.status).toBe(201);

      const res = sortErrors(await api(h).delete(`/api/v2/clients/${c}`), (e) => e.meta?.relationship ?? '');
      const errors = expectErrors(res, 409, [
        { code: 'conflict', meta: { relationship: 'apiTokens', count: 1 } },
        { code: 'conflict', meta: { relationship: 'children', count: 2 } },
        { code: 'conflict', meta: { relationship: 'legalEntities', count: 1 } },
        { code: 'conflict', meta: { relationship: 'projects', count: 1 } },
        { code: 'conflict', meta: { relationship: 'reportingEntities', count: 3 } },
      ]);
      expect(new Set(errors.map((e) => e.detail)).size).toBe(5);

      expect((await api(h).get(`/api/v2/clients/${c}`)).status).toBe(200);
      expect(await linkage(c, 'children')).toEqual([...kids].sort());
      expect(await ownerOf('legal-entities', le)).toBe(c);
      expect(await ownerOf('reporting-entities', res1)).toBe(c);
      expect(await ownerOf('projects', proj)).toBe(c);
      expect((await api(h, token.body.data.meta.secret).get(`/api/v2/clients/${c}`)).status).toBe(200);
    });

    it.each([
      ['children', async (c: string) => void (await makeClient(h, {}, c))],
      ['legalEntities', async (c: string) => void (await makeOwned(h, 'legal-entities', c))],
      ['reportingEntities', async (c: string) => void (await makeOwned(h, 'reporting-entities', c))],
      ['projects', async (c: string) => void (await makeOwned(h, 'projects', c))],
      [
        'apiTokens',
        async (c: string) => {
          const r = await api(h).post('/api/v2/api-tokens', { data: { type: 'api-token', attributes: { name: 't', role: 'client' }, relationships: { client: { data: ref(c) } } } });
          expect(r.status).toBe(201);
        },
      ],
    ])("When a client's only blocker is %s, then DELETE is 409 naming just that relationship", async (rel, add) => {
      const c = await makeClient(h);
      await add(c);
      expectErrors(await api(h).delete(`/api/v2/clients/${c}`), 409, [{ code: 'conflict', meta: { relationship: rel, count: 1 } }]);
      expect((await api(h).get(`/api/v2/clients/${c}`)).status).toBe(200);
    });

    it('When the blockers are removed, then the client can be deleted', async () => {
      const c = await makeClient(h);
      const kid = await makeClient(h, {}, c);
      const p = await makeOwned(h, 'projects', c);
      expect((await api(h).delete(`/api/v2/clients/${c}`)).status).toBe(409);
      expect((await setParent(kid, null)).status).toBe(200);
      expect((await api(h).delete(`/api/v2/projects/${p}`)).status).toBe(204);
      expect((await api(h).delete(`/api/v2/clients/${c}`)).status).toBe(204);
      expect((await api(h).get(`/api/v2/clients/${kid}`)).status).toBe(200);
    });

    it('When a grandparent is deleted while its child has children, then it is refused for its own child only', async () => {
      const g = await makeClient(h);
      const p = await makeClient(h, {}, g);
      await makeClient(h, {}, p);
      expectErrors(await api(h).delete(`/api/v2/clients/${g}`), 409, [{ code: 'conflict', meta: { relationship: 'children', count: 1 } }]);
    });

    it('When a flat DELETE hits a client with projects, then 409 in the flat shape and nothing is deleted', async () => {
      const c = await makeClient(h, { email: 'flat-del@example.com' });
      const p = await makeOwned(h, 'projects', c);
      expectErrors(await flat(h).delete(`/api/clients/client_${c}`), 409, [{ code: 'conflict', meta: { relationship: 'projects', count: 1 } }], 'flat');
      expect(await ownerOf('projects', p)).toBe(c);
    });
  });

  describe('flat projects', () => {
    it('When a flat PATCH leaves out a project the client owns, then 403 at /projects and nothing changes', async () => {
      const c = await makeClient(h, { name: 'Flat owner', email: 'flat-owner@example.com' });
      const keep = await makeOwned(h, 'projects', c);
      const drop = await makeOwned(h, 'projects', c);
      const res = await flat(h).patch(`/api/clients/client_${c}`, { name: 'Flat renamed', projects: [`proj_${keep}`] });
      expectError(res, 403, 'forbidden', { pointer: '/projects' }, 'flat');
      expect(await ownerOf('projects', drop)).toBe(c);
      expect((await flat(h).get(`/api/clients/client_${c}`)).body.data.name).toBe('Flat owner');
    });

    it('When a flat PATCH sends an empty projects list to a client with projects, then 403 at /projects', async () => {
      const c = await makeClient(h, { email: 'flat-empty@example.com' });
      await makeOwned(h, 'projects', c);
      expectError(await flat(h).patch(`/api/clients/client_${c}`, { projects: [] }), 403, 'forbidden', { pointer: '/projects' }, 'flat');
    });

    it("When a flat PATCH lists its own projects plus another client's, then the other one moves over", async () => {
      const c = await makeClient(h, { email: 'flat-taker@example.com' });
      const other = await makeClient(h);
      const mine = await makeOwned(h, 'projects', c);
      const theirs = await makeOwned(h, 'projects', other);
      const res = await flat(h).patch(`/api/clients/client_${c}`, { projects: [`proj_${mine}`, theirs] });
      expect(res.status).toBe(200);
      expect([...res.body.data.projects].sort()).toEqual([`proj_${mine}`, `proj_${theirs}`].sort());
      expect(await ownerOf('projects', theirs)).toBe(c);
      expect(await linkage(other, 'projects')).toEqual([]);
    });

    it('When a flat POST lists existing projects, then they move to the new client', async () => {
      const old = await makeClient(h);
      const p1 = await makeOwned(h, 'projects', old);
      const p2 = await makeOwned(h, 'projects', old);
      const res = await flat(h).post('/api/clients', { name: 'Flat new', email: 'flat-new@example.com', projects: [`proj_${p1}`, p2] });
      expect(res.status).toBe(201);
      const id = (res.body.data.id as string).replace(/^client_/, '');
      expect([...res.body.data.projects].sort()).toEqual([`proj_${p1}`, `proj_${p2}`].sort());
      expect(await ownerOf('projects', p1)).toBe(id);
      expect(await ownerOf('projects', p2)).toBe(id);
      expect(await linkage(old, 'projects')).toEqual([]);
    });

    it('When a flat POST lists an unknown project, then 404 at /projects/N and no client is created', async () => {
      const old = await makeClient(h);
      const p = await makeOwned(h, 'projects', old);
      const res = await flat(h).post('/api/clients', { name: 'Flat none', email: 'flat-none@example.com', projects: [`proj_${p}`, 'proj_ffffffffffffffffffffff01'] });
      expectError(res, 404, 'related_not_found', { pointer: '/projects/1' }, 'flat');
      expect((await flat(h).get('/api/clients?email=flat-none@example.com')).body.data).toEqual([]);
      expect(await ownerOf('projects', p)).toBe(old);
    });
  });
});
