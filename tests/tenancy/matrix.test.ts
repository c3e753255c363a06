import { insertToken } from '../../src/data/token-store';
import { registry } from '../../src/resources/registry';
import { RelationshipDef, ResourceDef } from '../../src/resources/types';
import { Forest, makeForest, unusedId } from '../support/factories';
import { Harness, startHarness } from '../support/harness';
import { allForestIds, expectNoHiddenIdLeaked, expectSameAsMissing, forestIdsOf, ids, Method, send, Sent, swapId } from '../support/tenancy-helpers';

/**
 * The tenancy matrix (SPEC §4), generated from the resource registry: every endpoint kind of
 * every type (list, one, related and linkage of every relationship, create, update, delete) ×
 * {admin, client token on resources in its scope, client token on resources outside it}.
 *
 * The forest (tests/support/factories.ts):
 *   rootA ── childA1 ── grandA        the client token belongs to childA1: it sees childA1,
 *        └─ childA2                    grandA and what they own; rootA, childA2 and the B tree
 *   rootB ── childB1                   are outside its scope.
 *
 * Every response the client token gets is checked for ids outside its scope that the request did
 * not name itself. Reads only use the forest; writes that succeed use fresh resources.
 */

type Kind = 'list' | 'get' | 'related' | 'linkage' | 'create' | 'update' | 'delete';

interface Endpoint {
  readonly def: ResourceDef;
  readonly kind: Kind;
  readonly rel?: RelationshipDef;
  readonly label: string;
}

const endpoints: Endpoint[] = registry.resources.flatMap((def): Endpoint[] => {
  const base = `/api/v2/${def.path}`;
  return [
    { def, kind: 'list', label: `GET ${base}` },
    { def, kind: 'get', label: `GET ${base}/{id}` },
    ...def.relationships.map((rel): Endpoint => ({ def, kind: 'related', rel, label: `GET ${base}/{id}/${rel.name}` })),
    ...def.relationships.map((rel): Endpoint => ({ def, kind: 'linkage', rel, label: `GET ${base}/{id}/relationships/${rel.name}` })),
    { def, kind: 'create', label: `POST ${base}` },
    { def, kind: 'update', label: `PATCH ${base}/{id}` },
    { def, kind: 'delete', label: `DELETE ${base}/{id}` },
  ];
});

/** Values for required attributes of a create body; a registry type with another required attribute must be added here. */
const SAMPLE_ATTRIBUTES: Record<string, unknown> = { name: 'Matrix resource', role: 'client' };

function createBody(def: ResourceDef, client: string): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  for (const a of def.attributes) {
    if (!a.required) continue;
    if (!(a.name in SAMPLE_ATTRIBUTES)) throw new Error(`matrix: no sample value for required ${def.type}.${a.name}`);
    attributes[a.name] = SAMPLE_ATTRIBUTES[a.name];
  }
  const relationships: Record<string, unknown> = {};
  for (const rel of def.relationships) {
    if (rel.kind === 'to-one' && rel.target === 'client') relationships[rel.name] = { data: { type: 'client', id: client } };
  }
  return { data: { type: def.type, attributes, relationships } };
}

function updateBody(def: ResourceDef, id: string, name: string): Record<string, unknown> {
  return { data: { type: def.type, id, attributes: { name } } };
}

function url(e: Endpoint, id?: string): string {
  const base = `/api/v2/${e.def.path}`;
  switch (e.kind) {
    case 'list':
    case 'create':
      return base;
    case 'get':
    case 'update':
    case 'delete':
      return `${base}/${id}`;
    case 'related':
      return `${base}/${id}/${e.rel!.name}`;
    case 'linkage':
      return `${base}/${id}/relationships/${e.rel!.name}`;
  }
}

function methodOf(kind: Kind): Method {
  return kind === 'create' ? 'POST' : kind === 'update' ? 'PATCH' : kind === 'delete' ? 'DELETE' : 'GET';
}

function errorOf(s: Sent): { status: number; code: string; source: unknown } {
  const e = s.res.body?.errors?.[0] ?? {};
  return { status: s.res.status, code: e.code, source: e.source };
}

describe('tenancy matrix', () => {
  let h: Harness;
  let f: Forest;
  let token: string;
  /** Type → ids the client token can see / ids outside its scope. */
  const inScope = new Map<string, string[]>();
  const outOfScope = new Map<string, string[]>();
  let all: Set<string>;
  let visible: Set<string>;

  const asAdmin = (method: Method, u: string, body?: unknown) => send(h, h.admin, method, u, body);
  const asClient = async (method: Method, u: string, body?: unknown): Promise<Sent> => {
    const s = await send(h, token, method, u, body);
    expectNoHiddenIdLeaked(s, all, visible);
    return s;
  };

  beforeAll(async () => {
    h = await startHarness();
    f = await makeForest(h);
    const own = await insertToken(h.db, 'childA1 token', 'client', f.childA1);
    token = own.secret;
    const other = await insertToken(h.db, 'rootB token', 'client', f.rootB);
    const inClients = [f.childA1, f.grandA];
    const outClients = [f.rootA, f.childA2, f.rootB, f.childB1];
    for (const def of registry.resources) {
      if (def.scope.kind === 'admin-only') {
        inScope.set(def.type, [own.id]);
        outOfScope.set(def.type, [other.id]);
      } else {
        inScope.set(def.type, forestIdsOf(f, def, inClients));
        outOfScope.set(def.type, forestIdsOf(f, def, outClients));
      }
    }
    visible = new Set(registry.resources.filter((d) => d.scope.kind !== 'admin-only').flatMap((d) => inScope.get(d.type)!));
    all = allForestIds(f);
    const tokens = await asAdmin('GET', '/api/v2/api-tokens?page[size]=100');
    for (const id of ids(tokens.res.body.data)) all.add(id);
    expect(all.has(own.id) && all.has(other.id)).toBe(true);
  });
  afterAll(() => h.close());

  /** The admin's view of a relationship of `id`: the oracle for what the client token should see of it. */
  async function adminLinkage(def: ResourceDef, id: string, rel: RelationshipDef): Promise<string[]> {
    const s = await asAdmin('GET', `/api/v2/${def.path}/${id}/relationships/${rel.name}${rel.kind === 'to-many' ? '?page[size]=100' : ''}`);
    expect(s.res.status).toBe(200);
    return ids(s.res.body.data);
  }

  /** What the client token should get for a relationship: the admin's ids it can see, or restricted. */
  function expectedFor(rel: RelationshipDef, adminIds: string[]): { ids: string[]; restricted: boolean } {
    if (rel.kind === 'to-many') return { ids: adminIds.filter((i) => visible.has(i)), restricted: false };
    if (adminIds.length === 0) return { ids: [], restricted: false };
    return visible.has(adminIds[0]) ? { ids: adminIds, restricted: false } : { ids: [], restricted: true };
  }

  /** Creates a fresh resource of `def` as the admin (owned by rootB, outside the client token's scope). */
  async function freshResource(def: ResourceDef): Promise<string> {
    const s = await asAdmin('POST', `/api/v2/${def.path}`, createBody(def, f.rootB));
    expect(s.res.status).toBe(201);
    return s.res.body.data.id as string;
  }

  describe.each(endpoints)('$label', (e) => {
    const method = methodOf(e.kind);
    const adminOnly = e.def.scope.kind === 'admin-only';

    it(`When an admin sends ${e.label}, then it answers ${e.kind === 'create' ? 201 : e.kind === 'delete' ? 204 : 200}`, async () => {
      const every = [...inScope.get(e.def.type)!, ...outOfScope.get(e.def.type)!];
      switch (e.kind) {
        case 'list': {
          const s = await asAdmin('GET', `${url(e)}?page[size]=100`);
          expect(s.res.status).toBe(200);
          expect(ids(s.res.body.data)).toEqual(expect.arrayContaining(every));
          expect(s.res.body.meta.page.total).toBe(s.res.body.data.length);
          return;
        }
        case 'get':
          for (const id of every) {
            const s = await asAdmin('GET', url(e, id));
            expect({ id, status: s.res.status }).toEqual({ id, status: 200 });
            expect(s.res.body.data).toMatchObject({ type: e.def.type, id });
          }
          return;
        case 'related':
        case 'linkage':
          for (const id of every) {
            const one = await asAdmin('GET', `/api/v2/${e.def.path}/${id}`);
            const fromResource = ids(one.res.body.data.relationships[e.rel!.name].data);
            const s = await asAdmin('GET', url(e, id));
            expect({ id, status: s.res.status }).toEqual({ id, status: 200 });
            expect(ids(s.res.body.data)).toEqual(fromResource);
            if (e.rel!.kind === 'to-one') expect(s.res.body.meta?.restricted).toBeUndefined();
          }
          return;
        case 'create': {
          const s = await asAdmin('POST', url(e), createBody(e.def, f.rootB));
          expect(s.res.status).toBe(201);
          expect(s.res.body.data.type).toBe(e.def.type);
          expect(s.res.headers.location).toMatch(new RegExp(`/api/v2/${e.def.path}/${s.res.body.data.id}$`));
          expect((await asAdmin('DELETE', url({ ...e, kind: 'delete' }, s.res.body.data.id))).res.status).toBe(204);
          return;
        }
        case 'update': {
          const id = outOfScope.get(e.def.type)![0];
          const s = await asAdmin('PATCH', url(e, id), updateBody(e.def, id, 'Renamed by admin'));
          expect(s.res.status).toBe(200);
          expect(s.res.body.data).toMatchObject({ type: e.def.type, id, attributes: { name: 'Renamed by admin' } });
          return;
        }
        case 'delete': {
          const id = await freshResource(e.def);
          expect((await asAdmin('DELETE', url(e, id))).res.status).toBe(204);
          expect((await asAdmin('GET', url({ ...e, kind: 'get' }, id))).res.status).toBe(404);
          return;
        }
      }
    });

    it(
      adminOnly
        ? `When a client token sends ${e.label} on its own resources, then it answers 403 forbidden`
        : e.kind === 'create' || e.kind === 'update' || e.kind === 'delete'
          ? `When a client token sends ${e.label} on resources in its scope, then it answers 403 forbidden and nothing changes`
          : `When a client token sends ${e.label} on resources in its scope, then it answers 200 with only what it can see`,
      async () => {
        const mine = inScope.get(e.def.type)!;
        if (adminOnly) {
          const targets = e.kind === 'list' || e.kind === 'create' ? [undefined] : mine;
          for (const id of targets) {
            const body = e.kind === 'create' ? createBody(e.def, f.childA1) : e.kind === 'update' ? updateBody(e.def, id!, 'Renamed') : undefined;
            const s = await asClient(method, url(e, id), body);
            expect(errorOf(s)).toEqual({ status: 403, code: 'forbidden', source: undefined });
          }
          if (e.kind === 'delete' || e.kind === 'update') {
            const still = await asAdmin('GET', url({ ...e, kind: 'get' }, mine[0]));
            expect(still.res.status).toBe(200);
            expect(still.res.body.data.attributes.name).toBe('childA1 token');
          }
          return;
        }
        switch (e.kind) {
          case 'list': {
            const s = await asClient('GET', url(e));
            expect(s.res.status).toBe(200);
            expect(ids(s.res.body.data)).toEqual([...mine].sort());
            expect(s.res.body.meta.page.total).toBe(mine.length);
            return;
          }
          case 'get':
            for (const id of mine) {
              const s = await asClient('GET', url(e, id));
              expect({ id, status: s.res.status }).toEqual({ id, status: 200 });
              expect(s.res.body.data).toMatchObject({ type: e.def.type, id });
              for (const rel of e.def.relationships) {
                const want = expectedFor(rel, await adminLinkage(e.def, id, rel));
                const got = s.res.body.data.relationships[rel.name];
                if (want.restricted) {
                  expect({ rel: rel.name, hasData: 'data' in got, meta: got.meta }).toEqual({ rel: rel.name, hasData: false, meta: { restricted: true } });
                } else {
                  expect({ rel: rel.name, ids: ids(got.data) }).toEqual({ rel: rel.name, ids: want.ids });
                  if (rel.kind === 'to-many') expect(got.meta).toEqual({ count: want.ids.length });
                }
              }
            }
            return;
          case 'related':
          case 'linkage':
            for (const id of mine) {
              const want = expectedFor(e.rel!, await adminLinkage(e.def, id, e.rel!));
              const s = await asClient('GET', url(e, id));
              expect({ id, status: s.res.status }).toEqual({ id, status: 200 });
              expect(ids(s.res.body.data)).toEqual(want.ids);
              if (want.restricted) {
                expect(s.res.body.data).toBeNull();
                expect(s.res.body.meta).toEqual({ restricted: true });
              } else if (e.rel!.kind === 'to-many') {
                if (e.kind === 'linkage') expect(s.res.body.meta.count).toBe(want.ids.length);
                expect(s.res.body.meta.page.total).toBe(want.ids.length);
              } else {
                expect(s.res.body.meta?.restricted).toBeUndefined();
              }
            }
            return;
          case 'create': {
            const before = (await asAdmin('GET', url(e))).res.body.meta.page.total;
            const s = await asClient('POST', url(e), createBody(e.def, f.childA1));
            expect(errorOf(s)).toEqual({ status: 403, code: 'forbidden', source: undefined });
            expect((await asAdmin('GET', url(e))).res.body.meta.page.total).toBe(before);
            return;
          }
          case 'update':
            for (const id of mine) {
              const name = (await asAdmin('GET', url({ ...e, kind: 'get' }, id))).res.body.data.attributes.name;
              const s = await asClient('PATCH', url(e, id), updateBody(e.def, id, 'Renamed by client'));
              expect({ id, ...errorOf(s) }).toEqual({ id, status: 403, code: 'forbidden', source: undefined });
              expect((await asAdmin('GET', url({ ...e, kind: 'get' }, id))).res.body.data.attributes.name).toBe(name);
            }
            // 403 (the role) comes before 404 for ids in the body: a hidden relationship target changes nothing.
            for (const rel of e.def.relationships) {
              if (rel.kind !== 'to-one') continue;
              const id = mine[0];
              const hidden = outOfScope.get(rel.target)![0];
              const missing = unusedId();
              const body = (target: string) => ({ data: { type: e.def.type, id, relationships: { [rel.name]: { data: { type: rel.target, id: target } } } } });
              const a = await asClient('PATCH', url(e, id), body(hidden));
              const b = await asClient('PATCH', url(e, id), body(missing));
              expect({ rel: rel.name, ...errorOf(a) }).toEqual({ rel: rel.name, status: 403, code: 'forbidden', source: undefined });
              expectSameAsMissing(a, b, hidden, missing);
            }
            return;
          case 'delete':
            for (const id of mine) {
              const s = await asClient('DELETE', url(e, id));
              expect({ id, ...errorOf(s) }).toEqual({ id, status: 403, code: 'forbidden', source: undefined });
              expect((await asAdmin('GET', url({ ...e, kind: 'get' }, id))).res.status).toBe(200);
            }
            // A leaf with nothing to block its delete is refused too (403 is not a 409 in disguise).
            if (e.def.type === 'client' || e.def.scope.kind === 'owner') {
              const leaf = (await asAdmin('POST', url({ ...e, kind: 'create' }), createBody(e.def, f.grandA))).res.body.data.id as string;
              visible.add(leaf);
              try {
                const s = await asClient('DELETE', url(e, leaf));
                expect(errorOf(s)).toEqual({ status: 403, code: 'forbidden', source: undefined });
                expect((await asAdmin('GET', url({ ...e, kind: 'get' }, leaf))).res.status).toBe(200);
              } finally {
                await asAdmin('DELETE', url(e, leaf));
                visible.delete(leaf);
              }
            }
            return;
        }
      },
    );

    it(
      adminOnly
        ? `When a client token sends ${e.label} on another client's resources, then it answers 403 forbidden, as for an id that never existed`
        : e.kind === 'list'
          ? `When a client token sends ${e.label} filtered by an id outside its scope, then it answers 200 with nothing, as for an id that never existed`
          : e.kind === 'create'
            ? `When a client token sends ${e.label} naming a client outside its scope, then it answers 403 forbidden, as for an id that never existed`
            : `When a client token sends ${e.label} on a resource outside its scope, then it answers 404 exactly as for an id that never existed`,
      async () => {
        const theirs = outOfScope.get(e.def.type)!;
        const requests: { method: Method; url: string; body?: unknown; hidden: string }[] = [];
        if (e.kind === 'list') {
          if (adminOnly) requests.push({ method, url: `${url(e)}?filter[client]=${f.rootB}`, hidden: f.rootB });
          for (const rel of e.def.relationships) {
            if (rel.kind !== 'to-one' || adminOnly) continue;
            for (const hidden of outOfScope.get(rel.target)!) requests.push({ method, url: `${url(e)}?filter[${rel.name}]=${hidden}`, hidden });
          }
        } else if (e.kind === 'create') {
          for (const hidden of outOfScope.get('client')!) requests.push({ method, url: url(e), body: createBody(e.def, hidden), hidden });
        } else {
          for (const hidden of theirs) {
            requests.push({ method, url: url(e, hidden), body: e.kind === 'update' ? updateBody(e.def, hidden, 'Renamed by client') : undefined, hidden });
          }
        }
        expect(requests.length).toBeGreaterThan(0);
        for (const r of requests) {
          const missing = unusedId();
          const hiddenSent = await asClient(r.method, r.url, r.body);
          const missingSent = await asClient(r.method, swapId(r.url, r.hidden, missing), swapId(r.body, r.hidden, missing));
          if (adminOnly || e.kind === 'create') {
            expect({ request: r.url, ...errorOf(hiddenSent) }).toEqual({ request: r.url, status: 403, code: 'forbidden', source: undefined });
          } else if (e.kind === 'list') {
            expect({ request: r.url, status: hiddenSent.res.status, data: hiddenSent.res.body.data, total: hiddenSent.res.body.meta?.page?.total }).toEqual({
              request: r.url,
              status: 200,
              data: [],
              total: 0,
            });
          } else {
            expect({ request: r.url, ...errorOf(hiddenSent) }).toEqual({ request: r.url, status: 404, code: 'not_found', source: undefined });
          }
          expectSameAsMissing(hiddenSent, missingSent, r.hidden, missing);
        }
        if (e.kind === 'update' || e.kind === 'delete') {
          for (const hidden of theirs) {
            const still = await asAdmin('GET', url({ ...e, kind: 'get' }, hidden));
            expect(still.res.status).toBe(200);
            expect(still.res.body.data.attributes.name).not.toBe('Renamed by client');
          }
        }
      },
    );
  });

  describe('include', () => {
    const readable = registry.resources.filter((d) => d.scope.kind !== 'admin-only');
    /** Every include path of length 1 and 2, from the registry. */
    const paths = readable.flatMap((def) =>
      def.relationships.flatMap((rel) => [{ def, include: rel.name }, ...registry.get(rel.target).relationships.map((r2) => ({ def, include: `${rel.name}.${r2.name}` }))]),
    );

    /** What `include` reaches from `start` following the admin's linkage, restricted to what the token sees at every step. */
    const linkageCache = new Map<string, Promise<string[]>>();
    const cachedLinkage = (def: ResourceDef, id: string, rel: RelationshipDef): Promise<string[]> => {
      const key = `${def.type}:${id}:${rel.name}`;
      if (!linkageCache.has(key)) linkageCache.set(key, adminLinkage(def, id, rel));
      return linkageCache.get(key)!;
    };

    async function reachable(def: ResourceDef, start: string[], include: string): Promise<Set<string>> {
      const out = new Set<string>();
      let frontier = start;
      let current = def;
      for (const name of include.split('.')) {
        const rel = current.relationships.find((r) => r.name === name)!;
        const next: string[] = [];
        for (const id of frontier) for (const t of expectedFor(rel, await cachedLinkage(current, id, rel)).ids) next.push(t);
        current = registry.get(rel.target);
        for (const t of next) out.add(`${current.type}:${t}`);
        frontier = [...new Set(next)];
      }
      return out;
    }

    it.each(paths)('When a client token lists $def.path with include=$include, then only resources in its scope are included', async ({ def, include }) => {
      const s = await asClient('GET', `/api/v2/${def.path}?include=${include}`);
      expect(s.res.status).toBe(200);
      const primary = ids(s.res.body.data);
      expect(primary).toEqual([...inScope.get(def.type)!].sort());
      const want = await reachable(def, primary, include);
      for (const id of primary) want.delete(`${def.type}:${id}`);
      const got = (s.res.body.included as { type: string; id: string }[]).map((r) => `${r.type}:${r.id}`);
      expect(got.sort()).toEqual([...want].sort());
    });

    it.each(paths)('When a client token reads one $def.type with include=$include, then only resources in its scope are included', async ({ def, include }) => {
      for (const id of inScope.get(def.type)!) {
        const s = await asClient('GET', `/api/v2/${def.path}/${id}?include=${include}`);
        expect(s.res.status).toBe(200);
        const want = await reachable(def, [id], include);
        want.delete(`${def.type}:${id}`);
        const got = (s.res.body.included as { type: string; id: string }[]).map((r) => `${r.type}:${r.id}`);
        expect({ id, included: got.sort() }).toEqual({ id, included: [...want].sort() });
      }
    });

    it.each(paths.map((p, i) => ({ ...p, i })))(
      'When a client token reads a $def.type outside its scope with include=$include, then it answers 404 as for an id that never existed',
      async ({ def, include, i }) => {
        // One hidden id per path, cycling through ancestor, sibling, other root and other child.
        const theirs = outOfScope.get(def.type)!;
        for (const hidden of [theirs[i % theirs.length]]) {
          const missing = unusedId();
          const a = await asClient('GET', `/api/v2/${def.path}/${hidden}?include=${include}`);
          const b = await asClient('GET', `/api/v2/${def.path}/${missing}?include=${include}`);
          expect({ hidden, ...errorOf(a) }).toEqual({ hidden, status: 404, code: 'not_found', source: undefined });
          expectSameAsMissing(a, b, hidden, missing);
        }
      },
    );
  });

  describe('restricted linkage and counts', () => {
    it('When a client token reads its own client, then the parent relationship has no data and meta.restricted is true', async () => {
      const one = await asClient('GET', `/api/v2/clients/${f.childA1}`);
      expect(one.res.status).toBe(200);
      const parent = one.res.body.data.relationships.parent;
      expect('data' in parent).toBe(false);
      expect(parent.meta).toEqual({ restricted: true });
      expect(parent.links.self).toMatch(new RegExp(`/api/v2/clients/${f.childA1}/relationships/parent$`));
      expect(parent.links.related).toMatch(new RegExp(`/api/v2/clients/${f.childA1}/parent$`));

      const listed = await asClient('GET', '/api/v2/clients');
      const root = listed.res.body.data.find((r: { id: string }) => r.id === f.childA1);
      expect('data' in root.relationships.parent).toBe(false);
      expect(root.relationships.parent.meta).toEqual({ restricted: true });
      const grand = listed.res.body.data.find((r: { id: string }) => r.id === f.grandA);
      expect(grand.relationships.parent.data).toEqual({ type: 'client', id: f.childA1 });
      expect(grand.relationships.parent.meta).toBeUndefined();
    });

    it('When a client token reads GET /clients/{root}/parent and /relationships/parent, then both answer 200 with data null and meta.restricted true', async () => {
      for (const u of [`/api/v2/clients/${f.childA1}/parent`, `/api/v2/clients/${f.childA1}/relationships/parent`]) {
        const s = await asClient('GET', u);
        expect({ u, status: s.res.status, data: s.res.body.data, meta: s.res.body.meta }).toEqual({ u, status: 200, data: null, meta: { restricted: true } });
      }
    });

    it('When an admin reads a root client, then its parent is data null without meta.restricted', async () => {
      const s = await asAdmin('GET', `/api/v2/clients/${f.rootA}/relationships/parent`);
      expect(s.res.status).toBe(200);
      expect(s.res.body.data).toBeNull();
      expect(s.res.body.meta).toBeUndefined();
    });

    it('When a client token lists every type, then meta.page.total counts only what it can see', async () => {
      for (const def of registry.resources.filter((d) => d.scope.kind !== 'admin-only')) {
        const admin = await asAdmin('GET', `/api/v2/${def.path}`);
        const s = await asClient('GET', `/api/v2/${def.path}?page[size]=1`);
        expect({ type: def.type, total: s.res.body.meta.page.total, totalPages: s.res.body.meta.page.totalPages }).toEqual({
          type: def.type,
          total: inScope.get(def.type)!.length,
          totalPages: inScope.get(def.type)!.length,
        });
        expect(admin.res.body.meta.page.total).toBeGreaterThan(inScope.get(def.type)!.length);
      }
    });

    it('When a client token reads childA1, then every to-many meta.count counts what it can see', async () => {
      const s = await asClient('GET', `/api/v2/clients/${f.childA1}`);
      const rels = s.res.body.data.relationships;
      expect(rels.children.meta).toEqual({ count: 1 });
      expect(rels.legalEntities.meta).toEqual({ count: 1 });
      expect(rels.reportingEntities.meta).toEqual({ count: 1 });
      expect(rels.projects.meta).toEqual({ count: 1 });
      const linkage = await asClient('GET', `/api/v2/clients/${f.childA1}/relationships/children`);
      expect(linkage.res.body.meta.count).toBe(1);
      expect(linkage.res.body.data).toEqual([{ type: 'client', id: f.grandA }]);
    });

    it('When a client token filters clients by parent, then its own client counts as a root and hidden parents match nothing', async () => {
      const roots = await asClient('GET', '/api/v2/clients?filter[parent]=null');
      expect(roots.res.status).toBe(200);
      expect(ids(roots.res.body.data)).toEqual([f.childA1]);
      const byHiddenParent = await asClient('GET', `/api/v2/clients?filter[parent]=${f.rootA}`);
      expect(ids(byHiddenParent.res.body.data)).toEqual([]);
      expect(byHiddenParent.res.body.meta.page.total).toBe(0);
      const byVisibleParent = await asClient('GET', `/api/v2/clients?filter[parent]=${f.childA1}`);
      expect(ids(byVisibleParent.res.body.data)).toEqual([f.grandA]);
    });
    it("When a client token filters or sorts by its client's hidden parent, then that parent behaves as null", async () => {
      const byName = await asClient('GET', `/api/v2/clients?filter[parent.name]=${encodeURIComponent('Root A')}`);
      expect(byName.res.status).toBe(200);
      expect(ids(byName.res.body.data)).toEqual([]);
      const asc = await asClient('GET', '/api/v2/clients?sort=parent.name');
      expect(ids(asc.res.body.data)).toEqual([f.childA1, f.grandA]);
      const desc = await asClient('GET', '/api/v2/clients?sort=-parent.name');
      expect(ids(desc.res.body.data)).toEqual([f.grandA, f.childA1]);
    });

    it('When a client token filters a visible to-many relationship by an owner outside its scope, then it answers 200 with nothing', async () => {
      for (const rel of registry.get('client').relationships) {
        if (rel.kind !== 'to-many') continue;
        const target = registry.get(rel.target);
        const inverse = target.relationships.find((r) => r.name === rel.inverse)!;
        for (const kind of ['', 'relationships/']) {
          const s = await asClient('GET', `/api/v2/clients/${f.childA1}/${kind}${rel.name}?filter[${inverse.name}]=${f.rootA}`);
          expect({ rel: rel.name, kind, status: s.res.status, data: s.res.body.data }).toEqual({ rel: rel.name, kind, status: 200, data: [] });
        }
      }
    });
  });

  describe('methods a route does not have', () => {
    const readable = registry.resources.filter((d) => d.scope.kind !== 'admin-only');
    const routes = readable.flatMap((def) => [
      { def, method: 'POST' as Method, suffix: '' },
      ...def.relationships.map((rel) => ({ def, method: (rel.kind === 'to-one' ? 'DELETE' : 'PATCH') as Method, suffix: `/${rel.name}` })),
      ...def.relationships.filter((r) => r.kind === 'to-one').map((rel) => ({ def, method: 'POST' as Method, suffix: `/relationships/${rel.name}` })),
    ]);

    it.each(routes)('When a client token sends $method /api/v2/$def.path/{id}$suffix, then it answers 405 in scope and 404 as for a missing id outside it', async ({ def, method, suffix }) => {
      const mine = await asClient(method, `/api/v2/${def.path}/${inScope.get(def.type)![0]}${suffix}`, method === 'DELETE' ? undefined : { data: null });
      expect(errorOf(mine)).toMatchObject({ status: 405, code: 'method_not_allowed' });
      for (const hidden of outOfScope.get(def.type)!) {
        const missing = unusedId();
        const a = await asClient(method, `/api/v2/${def.path}/${hidden}${suffix}`, method === 'DELETE' ? undefined : { data: null });
        const b = await asClient(method, `/api/v2/${def.path}/${missing}${suffix}`, method === 'DELETE' ? undefined : { data: null });
        expect({ hidden, ...errorOf(a) }).toEqual({ hidden, status: 404, code: 'not_found', source: undefined });
        expectSameAsMissing(a, b, hidden, missing);
      }
    });
  });

  describe('flat surface /api/clients', () => {
    const flatId = (id: string) => `client_${id}`;

    it('When each caller lists /api/clients, then the admin sees every client and the client token only its subtree', async () => {
      const admin = await asAdmin('GET', '/api/clients?limit=1000');
      expect(admin.res.status).toBe(200);
      expect(admin.res.body.data.map((c: { id: string }) => c.id)).toEqual(expect.arrayContaining(inScope.get('client')!.concat(outOfScope.get('client')!).map(flatId)));
      const s = await asClient('GET', '/api/clients');
      expect(s.res.status).toBe(200);
      expect(s.res.body.data.map((c: { id: string }) => c.id)).toEqual([f.childA1, f.grandA].map(flatId));
      expect(s.res.body.meta).toEqual({ total: 2, limit: 100, offset: 0 });
      expect(s.res.body.data[0].projects).toEqual([`proj_${f.owned[f.childA1].project}`]);
      const search = await asClient('GET', '/api/clients?search=root');
      expect(search.res.body).toEqual({ data: [], meta: { total: 0, limit: 100, offset: 0 } });
      const child = await asClient('GET', '/api/clients?search=child');
      expect(child.res.body.data.map((c: { id: string }) => c.id)).toEqual([flatId(f.childA1)]);
      expect(child.res.body.meta.total).toBe(1);
    });

    it('When each caller reads /api/clients/{id}, then admin and in-scope answer 200 and out-of-scope answers 404 as for an id that never existed', async () => {
      for (const id of [...inScope.get('client')!, ...outOfScope.get('client')!]) {
        const s = await asAdmin('GET', `/api/clients/${flatId(id)}`);
        expect({ id, status: s.res.status, got: s.res.body.data?.id }).toEqual({ id, status: 200, got: flatId(id) });
      }
      for (const id of inScope.get('client')!) {
        const s = await asClient('GET', `/api/clients/${flatId(id)}`);
        expect({ id, status: s.res.status, got: s.res.body.data?.id }).toEqual({ id, status: 200, got: flatId(id) });
      }
      for (const hidden of outOfScope.get('client')!) {
        for (const form of [flatId, (x: string) => x]) {
          const missing = unusedId();
          const a = await asClient('GET', `/api/clients/${form(hidden)}`);
          const b = await asClient('GET', `/api/clients/${form(missing)}`);
          expect({ hidden, ...errorOf(a) }).toEqual({ hidden, status: 404, code: 'not_found', source: undefined });
          expectSameAsMissing(a, b, hidden, missing);
        }
      }
    });

    it('When each caller patches /api/clients/{id}, then admin gets 200, in-scope 403 and out-of-scope 404 as for an id that never existed', async () => {
      const target = outOfScope.get('client')![1];
      const admin = await asAdmin('PATCH', `/api/clients/${flatId(target)}`, { name: 'Flat renamed' });
      expect(admin.res.status).toBe(200);
      expect(admin.res.body.data).toMatchObject({ id: flatId(target), name: 'Flat renamed' });
      for (const id of inScope.get('client')!) {
        const s = await asClient('PATCH', `/api/clients/${flatId(id)}`, { name: 'Client renamed' });
        expect({ id, ...errorOf(s) }).toEqual({ id, status: 403, code: 'forbidden', source: undefined });
        expect((await asAdmin('GET', `/api/clients/${flatId(id)}`)).res.body.data.name).not.toBe('Client renamed');
      }
      for (const hidden of outOfScope.get('client')!) {
        const missing = unusedId();
        const a = await asClient('PATCH', `/api/clients/${flatId(hidden)}`, { name: 'Client renamed' });
        const b = await asClient('PATCH', `/api/clients/${flatId(missing)}`, { name: 'Client renamed' });
        expect({ hidden, ...errorOf(a) }).toEqual({ hidden, status: 404, code: 'not_found', source: undefined });
        expectSameAsMissing(a, b, hidden, missing);
      }
    });

    it('When each caller deletes /api/clients/{id}, then admin gets 204, in-scope 403 and out-of-scope 404 as for an id that never existed', async () => {
      const leaf = await freshResource(registry.get('client'));
      expect((await asAdmin('DELETE', `/api/clients/${flatId(leaf)}`)).res.status).toBe(204);
      expect((await asAdmin('GET', `/api/clients/${flatId(leaf)}`)).res.status).toBe(404);
      for (const id of inScope.get('client')!) {
        const s = await asClient('DELETE', `/api/clients/${flatId(id)}`);
        expect({ id, ...errorOf(s) }).toEqual({ id, status: 403, code: 'forbidden', source: undefined });
      }
      for (const hidden of outOfScope.get('client')!) {
        const missing = unusedId();
        const a = await asClient('DELETE', `/api/clients/${flatId(hidden)}`);
        const b = await asClient('DELETE', `/api/clients/${flatId(missing)}`);
        expect({ hidden, ...errorOf(a) }).toEqual({ hidden, status: 404, code: 'not_found', source: undefined });
        expectSameAsMissing(a, b, hidden, missing);
        expect((await asAdmin('GET', `/api/clients/${flatId(hidden)}`)).res.status).toBe(200);
      }
    });

    it('When a client token posts to /api/clients, then it answers 403 forbidden whatever projects it names', async () => {
      const mine = await asClient('POST', '/api/clients', { name: 'New', email: 'new-in@example.com', projects: [`proj_${f.owned[f.grandA].project}`] });
      expect(errorOf(mine)).toEqual({ status: 403, code: 'forbidden', source: undefined });
      const hidden = f.owned[f.rootB].project;
      const missing = unusedId();
      const a = await asClient('POST', '/api/clients', { name: 'New', email: 'new-out@example.com', projects: [`proj_${hidden}`] });
      const b = await asClient('POST', '/api/clients', { name: 'New', email: 'new-out@example.com', projects: [`proj_${missing}`] });
      expect(errorOf(a)).toEqual({ status: 403, code: 'forbidden', source: undefined });
      expectSameAsMissing(a, b, hidden, missing);
      const after = await asAdmin('GET', '/api/clients?email=new-out@example.com');
      expect(after.res.body.data).toEqual([]);
      expect((await asAdmin('GET', `/api/v2/projects/${hidden}/relationships/client`)).res.body.data.id).toBe(f.rootB);
    });
  });
});
