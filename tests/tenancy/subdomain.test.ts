import { Forest, makeClient, makeOwned, unusedId } from '../support/factories';
import { clientToken, Harness, startHarness } from '../support/harness';
import { expectNoHiddenIdLeaked, expectSameAsMissing, ids, Method, send, Sent } from '../support/tenancy-helpers';

/**
 * Subdomain narrowing (SPEC §4): with BASE_DOMAIN set, a request to SLUG.BASE_DOMAIN sees only the
 * subtree of the client with that slug (intersected with the token's own scope).
 *
 *   rootA "globex" ── childA1 "acme" ── grandA
 *                 └─ childA2
 *   rootB "initech" ── childB1
 * every client owning one legal entity.
 */

/** makeForest's clients, each with one legal entity (`le`, by client id). */
interface World extends Omit<Forest, 'owned'> {
  le: Record<string, string>;
}

const ACME = 'acme.example.test';

function errorOf(s: Sent): { status: number; code: string; source: unknown } {
  const e = s.res.body?.errors?.[0] ?? {};
  return { status: s.res.status, code: e.code, source: e.source };
}

describe('subdomain narrowing', () => {
  let h: Harness;
  let w: World;
  let all: Set<string>;
  let acmeSubtree: Set<string>;

  const at = (host: string, method: Method, url: string, body?: unknown, token?: string) => send(h, token ?? h.admin, method, url, body, host);

  beforeAll(async () => {
    h = await startHarness({ BASE_DOMAIN: 'example.test' });
    const rootA = await makeClient(h, { name: 'Root A', slug: 'globex' });
    const childA1 = await makeClient(h, { name: 'Child A1', slug: 'acme' }, rootA);
    const childA2 = await makeClient(h, { name: 'Child A2' }, rootA);
    const grandA = await makeClient(h, { name: 'Grand A' }, childA1);
    const rootB = await makeClient(h, { name: 'Root B', slug: 'initech' });
    const childB1 = await makeClient(h, { name: 'Child B1' }, rootB);
    const le: Record<string, string> = {};
    for (const c of [rootA, childA1, childA2, grandA, rootB, childB1]) le[c] = await makeOwned(h, 'legal-entities', c);
    w = { rootA, childA1, childA2, grandA, rootB, childB1, le };
    all = new Set([rootA, childA1, childA2, grandA, rootB, childB1, ...Object.values(le)]);
    acmeSubtree = new Set([childA1, grandA, le[childA1], le[grandA]]);
  });
  afterAll(() => h.close());

  it('When an admin lists clients and legal entities at acme.example.test, then only the acme subtree is shown and counted', async () => {
    const clients = await at(ACME, 'GET', '/api/v2/clients');
    expect(clients.res.status).toBe(200);
    expect(ids(clients.res.body.data)).toEqual([w.childA1, w.grandA]);
    expect(clients.res.body.meta.page.total).toBe(2);
    expectNoHiddenIdLeaked(clients, all, acmeSubtree);
    const les = await at(ACME, 'GET', '/api/v2/legal-entities?include=client');
    expect(ids(les.res.body.data)).toEqual([w.le[w.childA1], w.le[w.grandA]]);
    expect(les.res.body.meta.page.total).toBe(2);
    expectNoHiddenIdLeaked(les, all, acmeSubtree);
    const flatList = await at(ACME, 'GET', '/api/clients');
    expect(flatList.res.status).toBe(200);
    expect(flatList.res.body.data.map((c: { id: string }) => c.id)).toEqual([`client_${w.childA1}`, `client_${w.grandA}`]);
    expect(flatList.res.body.meta.total).toBe(2);
    expectNoHiddenIdLeaked(flatList, all, acmeSubtree);
  });

  it("When an admin reads the slug's client at its subdomain, then its parent outside the subtree is restricted", async () => {
    const one = await at(ACME, 'GET', `/api/v2/clients/${w.childA1}?include=parent,children`);
    expect(one.res.status).toBe(200);
    expect('data' in one.res.body.data.relationships.parent).toBe(false);
    expect(one.res.body.data.relationships.parent.meta).toEqual({ restricted: true });
    expect(one.res.body.included.map((r: { id: string }) => r.id)).toEqual([w.grandA]);
    expectNoHiddenIdLeaked(one, all, acmeSubtree);
    for (const u of [`/api/v2/clients/${w.childA1}/parent`, `/api/v2/clients/${w.childA1}/relationships/parent`]) {
      const s = await at(ACME, 'GET', u);
      expect({ u, status: s.res.status, data: s.res.body.data, meta: s.res.body.meta }).toEqual({ u, status: 200, data: null, meta: { restricted: true } });
    }
  });

  it('When an admin names a client outside the acme subtree at acme.example.test, then it answers 404 exactly as for an id that never existed', async () => {
    for (const hidden of [w.rootA, w.childA2, w.rootB, w.le[w.rootA]]) {
      const path = hidden === w.le[w.rootA] ? 'legal-entities' : 'clients';
      for (const [method, u] of [
        ['GET', `/api/v2/${path}/${hidden}`],
        ['DELETE', `/api/v2/${path}/${hidden}`],
        ['GET', `/api/clients/client_${hidden}`],
      ] as [Method, string][]) {
        if (u.startsWith('/api/clients') && path !== 'clients') continue;
        const missing = unusedId();
        const a = await at(ACME, method, u);
        const b = await at(ACME, method, u.replace(hidden, missing));
        expect({ u, ...errorOf(a) }).toEqual({ u, status: 404, code: 'not_found', source: undefined });
        expectSameAsMissing(a, b, hidden, missing);
      }
      expect((await at('example.test', 'GET', `/api/v2/${path}/${hidden}`)).res.status).toBe(200);
    }
    const filtered = await at(ACME, 'GET', `/api/v2/clients?filter[parent]=${w.rootA}`);
    expect(filtered.res.status).toBe(200);
    expect(filtered.res.body.data).toEqual([]);
    const roots = await at(ACME, 'GET', '/api/v2/clients?filter[parent]=null');
    expect(ids(roots.res.body.data)).toEqual([w.childA1]);
  });

  it('When a request names an unknown slug, then every request answers 404 not_found', async () => {
    const host = 'nosuch.example.test';
    const requests: [Method, string, unknown?][] = [
      ['GET', '/api/v2/clients'],
      ['GET', `/api/v2/clients/${w.childA1}`],
      ['GET', `/api/v2/clients/${w.childA1}/children`],
      ['GET', `/api/v2/clients/${w.childA1}/relationships/children`],
      ['GET', '/api/v2/legal-entities'],
      ['POST', '/api/v2/clients', { data: { type: 'client', attributes: { name: 'X' }, relationships: { parent: { data: { type: 'client', id: w.childA1 } } } } }],
      ['PATCH', `/api/v2/clients/${w.childA1}`, { data: { type: 'client', id: w.childA1, attributes: { name: 'X' } } }],
      ['DELETE', `/api/v2/clients/${w.grandA}`],
      ['GET', '/api/clients'],
      ['GET', `/api/clients/client_${w.childA1}`],
      ['POST', '/api/clients', { name: 'X', email: 'x@example.com' }],
    ];
    for (const [method, u, body] of requests) {
      const s = await at(host, method, u, body);
      expect({ request: `${method} ${u}`, ...errorOf(s) }).toEqual({ request: `${method} ${u}`, status: 404, code: 'not_found', source: undefined });
      expectNoHiddenIdLeaked(s, all, new Set());
    }
    expect((await at('example.test', 'GET', `/api/v2/clients/${w.childA1}`)).res.body.data.attributes.name).toBe('Child A1');
    const token = await clientToken(h, w.childA1);
    const s = await at(host, 'GET', '/api/v2/clients', undefined, token);
    expect(errorOf(s)).toEqual({ status: 404, code: 'not_found', source: undefined });
  });

  it('When a request at an unknown slug has no valid token, then it answers 401 first', async () => {
    const s = await at('nosuch.example.test', 'GET', '/api/v2/clients', undefined, 'not-a-token');
    expect(errorOf(s)).toEqual({ status: 401, code: 'unauthorized', source: undefined });
  });

  /** Every request by `token` at `host` answers exactly as at a slug that does not exist. */
  async function expectLikeUnknownSlug(who: string, token: string, host: string): Promise<void> {
    const slug = host.split('.')[0];
    for (const u of ['/api/v2/clients', `/api/v2/clients/${w.childA1}`, '/api/clients']) {
      const hidden = await at(host, 'GET', u, undefined, token);
      const unknown = await at('zz-unknown.example.test', 'GET', u, undefined, token);
      expect({ who, u, ...errorOf(hidden) }).toEqual({ who, u, status: 404, code: 'not_found', source: undefined });
      expectSameAsMissing(hidden, unknown, slug, 'zz-unknown');
    }
  }

  it("When a client token whose client is outside the slug's subtree calls that subdomain, then it answers 404 exactly as for an unknown slug", async () => {
    await expectLikeUnknownSlug('rootB token at acme', await clientToken(h, w.rootB), ACME);
    await expectLikeUnknownSlug('childA2 token at acme', await clientToken(h, w.childA2), ACME);
    await expectLikeUnknownSlug('childA1 token at initech', await clientToken(h, w.childA1), 'initech.example.test');
  });

  it("When a client token calls the subdomain of its own client's hidden ancestor, then it answers 404 exactly as for an unknown slug", async () => {
    // SPEC §4: "a slug whose client the token may not see → 404"; childA1's token cannot see rootA ("globex").
    await expectLikeUnknownSlug('childA1 token at globex', await clientToken(h, w.childA1), 'globex.example.test');
  });

  it('When a client token calls a subdomain at or below its own client, then it sees that subtree', async () => {
    const rootAToken = await clientToken(h, w.rootA);
    const narrowed = await at(ACME, 'GET', '/api/v2/clients', undefined, rootAToken);
    expect(narrowed.res.status).toBe(200);
    expect(ids(narrowed.res.body.data)).toEqual([w.childA1, w.grandA]);
    const childToken = await clientToken(h, w.childA1);
    const own = await at(ACME, 'GET', '/api/v2/clients', undefined, childToken);
    expect(ids(own.res.body.data)).toEqual([w.childA1, w.grandA]);
  });

  it('When a client token calls the subdomain of a client above its own, then it answers 404 exactly as for an unknown slug', async () => {
    // The token cannot see acme (its parent), so the slug must not be confirmed to exist.
    await expectLikeUnknownSlug('grandA token at acme', await clientToken(h, w.grandA), ACME);
  });

  it('When the host is a reserved name, the bare base domain or another domain, then the request is not narrowed', async () => {
    for (const host of ['api.example.test', 'www.example.test', 'API.Example.Test:8443', 'example.test', 'localhost', 'acme.other.test']) {
      const s = await at(host, 'GET', '/api/v2/clients?page[size]=100');
      expect({ host, status: s.res.status, ids: ids(s.res.body.data).sort() }).toEqual({
        host,
        status: 200,
        ids: [w.rootA, w.childA1, w.childA2, w.grandA, w.rootB, w.childB1].sort(),
      });
    }
  });

  it('When the host differs in case or carries a port, then it is narrowed to the same subtree', async () => {
    for (const host of ['ACME.Example.TEST', 'acme.example.test:8080', 'Acme.EXAMPLE.test:443']) {
      const s = await at(host, 'GET', '/api/v2/clients');
      expect({ host, status: s.res.status, ids: ids(s.res.body.data) }).toEqual({ host, status: 200, ids: [w.childA1, w.grandA] });
    }
  });

  it('When an admin creates a client without a parent at a narrowed host, then it answers 403 forbidden and creates nothing', async () => {
    const noParent = await at(ACME, 'POST', '/api/v2/clients', { data: { type: 'client', attributes: { name: 'Orphan' } } });
    expect(errorOf(noParent)).toEqual({ status: 403, code: 'forbidden', source: undefined });
    const nullParent = await at(ACME, 'POST', '/api/v2/clients', {
      data: { type: 'client', attributes: { name: 'Orphan' }, relationships: { parent: { data: null } } },
    });
    expect(errorOf(nullParent)).toEqual({ status: 403, code: 'forbidden', source: { pointer: '/data/relationships/parent' } });
    const flatCreate = await at(ACME, 'POST', '/api/clients', { name: 'Orphan', email: 'orphan@example.com' });
    expect(errorOf(flatCreate)).toEqual({ status: 403, code: 'forbidden', source: undefined });
    const everything = await at('example.test', 'GET', '/api/v2/clients?filter[name]=Orphan');
    expect(everything.res.body.data).toEqual([]);
  });

  it('When an admin creates a client at a narrowed host with a parent inside the subtree, then it answers 201', async () => {
    const s = await at(ACME, 'POST', '/api/v2/clients', {
      data: { type: 'client', attributes: { name: 'Inside' }, relationships: { parent: { data: { type: 'client', id: w.grandA } } } },
    });
    expect(s.res.status).toBe(201);
    expect(s.res.headers.location).toBe(`http://${ACME}/api/v2/clients/${s.res.body.data.id}`);
    expect((await at('example.test', 'DELETE', `/api/v2/clients/${s.res.body.data.id}`)).res.status).toBe(204);
  });

  it('When an admin names a parent outside the subtree at a narrowed host, then it answers 404 related_not_found at the parent data, as for a parent that never existed', async () => {
    for (const hidden of [w.rootA, w.childA2, w.rootB]) {
      const missing = unusedId();
      const body = (id: string) => ({ data: { type: 'client', attributes: { name: 'Outside' }, relationships: { parent: { data: { type: 'client', id } } } } });
      const a = await at(ACME, 'POST', '/api/v2/clients', body(hidden));
      const b = await at(ACME, 'POST', '/api/v2/clients', body(missing));
      expect({ hidden, ...errorOf(a) }).toEqual({ hidden, status: 404, code: 'related_not_found', source: { pointer: '/data/relationships/parent/data' } });
      expectSameAsMissing(a, b, hidden, missing);
    }
    const moved = await at(ACME, 'PATCH', `/api/v2/clients/${w.grandA}`, {
      data: { type: 'client', id: w.grandA, relationships: { parent: { data: { type: 'client', id: w.rootB } } } },
    });
    expect(errorOf(moved)).toEqual({ status: 404, code: 'related_not_found', source: { pointer: '/data/relationships/parent/data' } });
    const owned = await at(ACME, 'POST', '/api/v2/legal-entities', {
      data: { type: 'legal-entity', attributes: { name: 'LE' }, relationships: { client: { data: { type: 'client', id: w.rootB } } } },
    });
    expect(errorOf(owned)).toEqual({ status: 404, code: 'related_not_found', source: { pointer: '/data/relationships/client/data' } });
    const check = await at('example.test', 'GET', `/api/v2/clients/${w.grandA}/relationships/parent`);
    expect(check.res.body.data).toEqual({ type: 'client', id: w.childA1 });
    expect((await at('example.test', 'GET', '/api/v2/clients?filter[name]=Outside')).res.body.data).toEqual([]);
  });

  it('When an admin makes a client of the subtree a root at a narrowed host, then it answers 403 forbidden', async () => {
    const s = await at(ACME, 'PATCH', `/api/v2/clients/${w.grandA}`, { data: { type: 'client', id: w.grandA, relationships: { parent: { data: null } } } });
    expect(errorOf(s)).toEqual({ status: 403, code: 'forbidden', source: { pointer: '/data/relationships/parent' } });
    expect((await at('example.test', 'GET', `/api/v2/clients/${w.grandA}/relationships/parent`)).res.body.data).toEqual({ type: 'client', id: w.childA1 });
  });

  it('When RESERVED_SUBDOMAINS is set, then those names are not narrowed and the defaults become ordinary slugs', async () => {
    const h2 = await startHarness({ BASE_DOMAIN: 'example.test', RESERVED_SUBDOMAINS: 'portal' });
    try {
      const root = await makeClient(h2, { name: 'Root' });
      const apiClient = await makeClient(h2, { name: 'Api', slug: 'api' }, root);
      const portal = await send(h2, h2.admin, 'GET', '/api/v2/clients', undefined, 'portal.example.test');
      expect(ids(portal.res.body.data)).toEqual([root, apiClient]);
      const api = await send(h2, h2.admin, 'GET', '/api/v2/clients', undefined, 'api.example.test');
      expect(ids(api.res.body.data)).toEqual([apiClient]);
      const www = await send(h2, h2.admin, 'GET', '/api/v2/clients', undefined, 'www.example.test');
      expect(errorOf(www)).toEqual({ status: 404, code: 'not_found', source: undefined });
    } finally {
      await h2.close();
    }
  });
});
