import request from 'supertest';
import { insertToken } from '../../src/data/token-store';
import { makeClient, unusedId } from '../support/factories';
import { api, Harness, startHarness } from '../support/harness';
import { expectSameAsMissing, ids, Method, send, Sent } from '../support/tenancy-helpers';
import { firstError } from '../support/write-helpers';
import { ATOMIC_MEDIA_TYPE } from '../support/media-types';

/**
 * Api-tokens under a narrowed host (SPEC §4, README "Subdomains"). An admin
 * at SLUG.BASE_DOMAIN sees and manages the tokens of clients in that subtree; admin-role tokens
 * (no client) and tokens of other clients are not visible there (404, as if they did not exist);
 * creating an admin-role token there is 403 (it would reach beyond the subdomain), a token for a
 * client outside the subtree is 404 related_not_found. The same on every path: list, show,
 * relationship endpoints, create, update, delete, and atomic operations.
 *
 *   rootA "globex" ── childA1 "acme" ── grandA
 *   rootB "initech"
 */

const ACME = 'acme.example.test';
const BASE = 'example.test';

function errorOf(s: Sent): { status: number; code: string; source: unknown } {
  const e = s.res.body?.errors?.[0] ?? {};
  return { status: s.res.status, code: e.code, source: e.source };
}

const tokenBody = (attributes: Record<string, unknown>, client?: string | null) => ({
  data: {
    type: 'api-token',
    attributes,
    ...(client === undefined ? {} : { relationships: { client: { data: client === null ? null : { type: 'client', id: client } } } }),
  },
});

describe('api-tokens on a client subdomain', () => {
  let h: Harness;
  let rootA: string;
  let childA1: string;
  let grandA: string;
  let rootB: string;
  /** Token ids: of childA1, of grandA, of rootB, and an admin-role one. */
  let tok: { childA1: string; grandA: string; rootB: string; admin: string };

  const at = (host: string, method: Method, url: string, body?: unknown, token?: string) => send(h, token ?? h.admin, method, url, body, host);
  const atomicAt = (host: string, operations: unknown[], token: string = h.admin) =>
    request(h.app)
      .post('/api/v2/operations')
      .set('Host', host)
      .set('Authorization', `Bearer ${token}`)
      .set('Accept', ATOMIC_MEDIA_TYPE)
      .set('Content-Type', ATOMIC_MEDIA_TYPE)
      .send(JSON.stringify({ 'atomic:operations': operations }));
  const allTokenIds = async () => ids((await at(BASE, 'GET', '/api/v2/api-tokens?page[size]=100')).res.body.data).sort();

  beforeAll(async () => {
    h = await startHarness({ BASE_DOMAIN: BASE });
    rootA = await makeClient(h, { name: 'Root A', slug: 'globex' });
    childA1 = await makeClient(h, { name: 'Child A1', slug: 'acme' }, rootA);
    grandA = await makeClient(h, { name: 'Grand A' }, childA1);
    rootB = await makeClient(h, { name: 'Root B', slug: 'initech' });
    tok = {
      childA1: (await insertToken(h.db, 'childA1 token', 'client', childA1)).id,
      grandA: (await insertToken(h.db, 'grandA token', 'client', grandA)).id,
      rootB: (await insertToken(h.db, 'rootB token', 'client', rootB)).id,
      admin: (await insertToken(h.db, 'another admin', 'admin', null)).id,
    };
  });
  afterAll(() => h.close());

  it('When an admin lists api-tokens at acme.example.test, then it sees the tokens of clients in the acme subtree only, counted as such', async () => {
    const list = await at(ACME, 'GET', '/api/v2/api-tokens?include=client');
    expect(list.res.status).toBe(200);
    expect(ids(list.res.body.data)).toEqual([tok.childA1, tok.grandA]);
    expect(list.res.body.meta.page.total).toBe(2);
    expect(ids(list.res.body.included).sort()).toEqual([childA1, grandA].sort());
    const adminRole = await at(ACME, 'GET', '/api/v2/api-tokens?filter[role]=admin');
    expect(adminRole.res.body.data).toEqual([]);
    // Unnarrowed, an admin still sees every token.
    expect((await at(BASE, 'GET', '/api/v2/api-tokens?page[size]=100')).res.body.data.length).toBeGreaterThanOrEqual(5);
  });

  it('When an admin names an admin-role token or a token of another client at acme.example.test, then every endpoint answers 404 exactly as for a token that never existed', async () => {
    for (const hidden of [tok.rootB, tok.admin]) {
      const missing = unusedId();
      const cases: [Method, string, unknown?][] = [
        ['GET', `/api/v2/api-tokens/${hidden}`],
        ['GET', `/api/v2/api-tokens/${hidden}/client`],
        ['GET', `/api/v2/api-tokens/${hidden}/relationships/client`],
        ['PATCH', `/api/v2/api-tokens/${hidden}`, { data: { type: 'api-token', id: hidden, attributes: { name: 'renamed' } } }],
        ['DELETE', `/api/v2/api-tokens/${hidden}`],
      ];
      for (const [method, url, body] of cases) {
        const a = await at(ACME, method, url, body);
        const b = await at(ACME, method, url.replace(hidden, missing), body === undefined ? undefined : JSON.parse(JSON.stringify(body).replace(hidden, missing)));
        expect({ method, url, ...errorOf(a) }).toEqual({ method, url, status: 404, code: 'not_found', source: undefined });
        expectSameAsMissing(a, b, hidden, missing);
      }
    }
    expect(await allTokenIds()).toEqual(expect.arrayContaining([tok.rootB, tok.admin]));
  });

  it('When an admin shows, renames and reads the client of a token inside the subtree at acme.example.test, then it answers as unnarrowed', async () => {
    const one = await at(ACME, 'GET', `/api/v2/api-tokens/${tok.grandA}`);
    expect(one.res.status).toBe(200);
    expect(one.res.body.data.relationships.client.data).toEqual({ type: 'client', id: grandA });
    const renamed = await at(ACME, 'PATCH', `/api/v2/api-tokens/${tok.grandA}`, { data: { type: 'api-token', id: tok.grandA, attributes: { name: 'grandA, renamed' } } });
    expect({ status: renamed.res.status, name: renamed.res.body.data?.attributes?.name }).toEqual({ status: 200, name: 'grandA, renamed' });
    const rel = await at(ACME, 'GET', `/api/v2/api-tokens/${tok.grandA}/relationships/client`);
    expect(rel.res.body.data).toEqual({ type: 'client', id: grandA });
  });

  it('When an admin creates a client token for a client of the subtree at acme.example.test, then it answers 201 with the secret, and the token works', async () => {
    const created = await at(ACME, 'POST', '/api/v2/api-tokens', tokenBody({ name: 'made at acme', role: 'client' }, grandA));
    expect(created.res.status).toBe(201);
    expect(created.res.headers.location).toBe(`http://${ACME}/api/v2/api-tokens/${created.res.body.data.id}`);
    const secret = created.res.body.data.meta.secret as string;
    const seen = await api(h, secret).get('/api/v2/clients');
    expect(ids(seen.body.data)).toEqual([grandA]);
    expect((await at(BASE, 'DELETE', `/api/v2/api-tokens/${created.res.body.data.id}`)).res.status).toBe(204);
  });

  it('When an admin creates an admin-role token at acme.example.test, then it answers 403 forbidden and creates nothing', async () => {
    const before = await allTokenIds();
    const noClient = await at(ACME, 'POST', '/api/v2/api-tokens', tokenBody({ name: 'escaping admin', role: 'admin' }));
    expect(errorOf(noClient)).toEqual({ status: 403, code: 'forbidden', source: undefined });
    const nullClient = await at(ACME, 'POST', '/api/v2/api-tokens', tokenBody({ name: 'escaping admin', role: 'admin' }, null));
    expect(errorOf(nullClient)).toEqual({ status: 403, code: 'forbidden', source: { pointer: '/data/relationships/client' } });
    // 403 comes before 422 (an unknown attribute here).
    const invalid = await at(ACME, 'POST', '/api/v2/api-tokens', tokenBody({ name: 'escaping admin', role: 'admin', colour: 'red' }));
    expect(errorOf(invalid)).toEqual({ status: 403, code: 'forbidden', source: undefined });
    expect(await allTokenIds()).toEqual(before);
  });

  it('When an admin creates a token for a client outside the subtree at acme.example.test, then it answers 404 related_not_found as for a client that never existed', async () => {
    const before = await allTokenIds();
    for (const hidden of [rootA, rootB]) {
      const missing = unusedId();
      const a = await at(ACME, 'POST', '/api/v2/api-tokens', tokenBody({ name: 'outside', role: 'client' }, hidden));
      const b = await at(ACME, 'POST', '/api/v2/api-tokens', tokenBody({ name: 'outside', role: 'client' }, missing));
      expect({ hidden, ...errorOf(a) }).toEqual({ hidden, status: 404, code: 'related_not_found', source: { pointer: '/data/relationships/client/data' } });
      expectSameAsMissing(a, b, hidden, missing);
    }
    expect(await allTokenIds()).toEqual(before);
  });

  it('When an admin revokes a token of the subtree at acme.example.test, then it answers 204 and the token is refused at once', async () => {
    const made = await insertToken(h.db, 'to revoke at acme', 'client', childA1);
    expect((await api(h, made.secret).get('/api/v2/clients')).status).toBe(200);
    expect((await at(ACME, 'DELETE', `/api/v2/api-tokens/${made.id}`)).res.status).toBe(204);
    expect((await api(h, made.secret).get('/api/v2/clients')).status).toBe(401);
  });

  it('When an admin sends atomic operations on api-tokens at acme.example.test, then they answer as the plain endpoints do', async () => {
    const added = await atomicAt(ACME, [
      { op: 'add', data: { type: 'api-token', attributes: { name: 'atomic at acme', role: 'client' }, relationships: { client: { data: { type: 'client', id: childA1 } } } } },
    ]);
    expect(added.status).toBe(200);
    const madeId = added.body['atomic:results'][0].data.id as string;
    expect(typeof added.body['atomic:results'][0].data.meta.secret).toBe('string');
    const renamed = await atomicAt(ACME, [{ op: 'update', data: { type: 'api-token', id: madeId, attributes: { name: 'atomic, renamed' } } }]);
    expect(renamed.status).toBe(200);
    expect(renamed.body['atomic:results'][0].data.attributes.name).toBe('atomic, renamed');
    expect((await atomicAt(ACME, [{ op: 'remove', ref: { type: 'api-token', id: madeId } }])).status).toBe(204);

    const before = await allTokenIds();
    const admin = await atomicAt(ACME, [{ op: 'add', data: { type: 'api-token', attributes: { name: 'atomic admin', role: 'admin' } } }]);
    expect(firstError(admin)).toEqual({ status: 403, code: 'forbidden', source: { pointer: '/atomic:operations/0' } });
    const outside = await atomicAt(ACME, [{ op: 'add', data: { type: 'api-token', attributes: { name: 'x', role: 'client' }, relationships: { client: { data: { type: 'client', id: rootB } } } } }]);
    expect(firstError(outside)).toEqual({ status: 404, code: 'related_not_found', source: { pointer: '/atomic:operations/0/data/relationships/client/data' } });
    for (const hidden of [tok.rootB, tok.admin]) {
      const update = await atomicAt(ACME, [{ op: 'update', data: { type: 'api-token', id: hidden, attributes: { name: 'x' } } }]);
      expect(firstError(update)).toEqual({ status: 404, code: 'not_found', source: { pointer: '/atomic:operations/0' } });
      const remove = await atomicAt(ACME, [{ op: 'remove', ref: { type: 'api-token', id: hidden } }]);
      expect(firstError(remove)).toEqual({ status: 404, code: 'not_found', source: { pointer: '/atomic:operations/0' } });
    }
    expect(await allTokenIds()).toEqual(before);
  });

  it('When a client token uses api-tokens at a subdomain it may see, then it answers 403 forbidden as anywhere else', async () => {
    const made = await insertToken(h.db, 'acme client', 'client', childA1);
    for (const [method, url] of [
      ['GET', '/api/v2/api-tokens'],
      ['GET', `/api/v2/api-tokens/${tok.grandA}`],
      ['DELETE', `/api/v2/api-tokens/${tok.grandA}`],
    ] as [Method, string][]) {
      expect({ url, ...errorOf(await at(ACME, method, url, undefined, made.secret)) }).toEqual({ url, status: 403, code: 'forbidden', source: undefined });
    }
  });
});
