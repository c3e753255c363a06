import request from 'supertest';
import { insertToken } from '../../src/data/token-store';
import { makeClient, makeOwned, unusedId } from '../support/factories';
import { Harness, startHarness } from '../support/harness';
import { Method, send } from '../support/tenancy-helpers';
import { dumpDatabase, expectSameDump, firstError, relWrite } from '../support/write-helpers';
import { ATOMIC_MEDIA_TYPE } from '../support/media-types';

/**
 * The 403s of SPEC §4 on every path, in the precedence of SPEC §2
 * (403 before 404 for ids in the body, before 422).
 * - A client token on api-tokens gets 403 in atomic operations too, whatever the ref names.
 * - On a client subdomain, making a client of the subtree a root is 403 before body 404s and 422s,
 *   whether by its parent (null) or by letting it go from its parent's children.
 *
 *   rootA "globex" ── childA1 "acme" ── grandA
 *   rootB "initech"
 */

const ACME = 'acme.example.test';

describe('403 on every path, before body 404s and 422s', () => {
  let h: Harness;
  let rootA: string;
  let childA1: string;
  let grandA: string;
  let rootB: string;
  let leB: string;
  let clientSecret: string;
  let ownTokenId: string;
  let otherTokenId: string;

  const at = (host: string | undefined, method: Method, url: string, body?: unknown) => send(h, h.admin, method, url, body, host);
  const atomicAt = (host: string | undefined, operations: unknown[], token: string) => {
    let t = request(h.app).post('/api/v2/operations');
    if (host) t = t.set('Host', host);
    return t
      .set('Authorization', `Bearer ${token}`)
      .set('Accept', ATOMIC_MEDIA_TYPE)
      .set('Content-Type', ATOMIC_MEDIA_TYPE)
      .send(JSON.stringify({ 'atomic:operations': operations }));
  };

  beforeAll(async () => {
    h = await startHarness({ BASE_DOMAIN: 'example.test' });
    rootA = await makeClient(h, { name: 'Root A', slug: 'globex' });
    childA1 = await makeClient(h, { name: 'Child A1', slug: 'acme' }, rootA);
    grandA = await makeClient(h, { name: 'Grand A' }, childA1);
    rootB = await makeClient(h, { name: 'Root B', slug: 'initech' });
    leB = await makeOwned(h, 'legal-entities', rootB);
    const own = await insertToken(h.db, 'childA1 token', 'client', childA1);
    clientSecret = own.secret;
    ownTokenId = own.id;
    otherTokenId = (await insertToken(h.db, 'rootB token', 'client', rootB)).id;
  });
  afterAll(() => h.close());

  describe('a client token on api-tokens in atomic operations', () => {
    it('When a client token sends an atomic update or remove of an api-token, then it answers 403 forbidden at the operation, whatever the token, and nothing changes', async () => {
      // Used once first: its lastUsedAt is then not touched again within the minute.
      expect((await send(h, clientSecret, 'GET', '/api/v2/clients')).res.status).toBe(200);
      const before = await dumpDatabase(h);
      for (const id of [ownTokenId, otherTokenId, unusedId()]) {
        const cases: unknown[] = [
          { op: 'update', data: { type: 'api-token', id, attributes: { name: 'renamed by a client' } } },
          { op: 'remove', ref: { type: 'api-token', id } },
          { op: 'update', ref: { type: 'api-token', id, relationship: 'client' }, data: { type: 'client', id: childA1 } },
        ];
        for (const op of cases) {
          const res = await atomicAt(undefined, [op], clientSecret);
          expect({ op, ...firstError(res) }).toEqual({ op, status: 403, code: 'forbidden', source: { pointer: '/atomic:operations/0' } });
        }
      }
      const add = await atomicAt(
        undefined,
        [{ op: 'add', data: { type: 'api-token', attributes: { name: 'x', role: 'client' }, relationships: { client: { data: { type: 'client', id: childA1 } } } } }],
        clientSecret,
      );
      expect(firstError(add)).toEqual({ status: 403, code: 'forbidden', source: { pointer: '/atomic:operations/0' } });
      expectSameDump(await dumpDatabase(h), before);
    });
  });

  describe('making a root on a client subdomain', () => {
    const patchGrand = (body: Record<string, unknown>) => at(ACME, 'PATCH', `/api/v2/clients/${grandA}`, { data: { type: 'client', id: grandA, ...body } });
    const parentNull = { parent: { data: null } };

    it('When an admin at acme.example.test sets a parent to null together with an invalid value, then it answers 403 at the parent, not 422', async () => {
      const s = await patchGrand({ attributes: { email: 'not an email' }, relationships: parentNull });
      expect(firstError(s.res)).toEqual({ status: 403, code: 'forbidden', source: { pointer: '/data/relationships/parent' } });
    });

    it('When an admin at acme.example.test sets a parent to null together with a hidden id in the body, then it answers 403 at the parent, not 404', async () => {
      for (const hidden of [leB, unusedId()]) {
        const s = await patchGrand({ relationships: { ...parentNull, legalEntities: { data: [{ type: 'legal-entity', id: hidden }] } } });
        expect({ hidden, ...firstError(s.res) }).toEqual({ hidden, status: 403, code: 'forbidden', source: { pointer: '/data/relationships/parent' } });
      }
    });

    it('When an atomic update at acme.example.test makes a client a root together with an invalid value or a hidden id, then it answers 403 at that operation', async () => {
      const resource = await atomicAt(ACME, [{ op: 'update', data: { type: 'client', id: grandA, attributes: { email: 'not an email' }, relationships: parentNull } }], h.admin);
      expect(firstError(resource)).toEqual({ status: 403, code: 'forbidden', source: { pointer: '/atomic:operations/0/data/relationships/parent' } });
      const hidden = await atomicAt(
        ACME,
        [{ op: 'update', data: { type: 'client', id: grandA, relationships: { ...parentNull, legalEntities: { data: [{ type: 'legal-entity', id: leB }] } } } }],
        h.admin,
      );
      expect(firstError(hidden)).toEqual({ status: 403, code: 'forbidden', source: { pointer: '/atomic:operations/0/data/relationships/parent' } });
      const relationship = await atomicAt(ACME, [{ op: 'update', ref: { type: 'client', id: grandA, relationship: 'parent' }, data: null }], h.admin);
      expect(firstError(relationship)).toEqual({ status: 403, code: 'forbidden', source: { pointer: '/atomic:operations/0/data' } });
    });

    it("When an admin at acme.example.test lets a child go from its parent's children together with a hidden id or an invalid value, then it answers 403, not 404 or 422", async () => {
      const replace = await at(ACME, 'PATCH', `/api/v2/clients/${childA1}/relationships/children`, { data: [{ type: 'client', id: rootB }] });
      expect(firstError(replace.res)).toEqual({ status: 403, code: 'forbidden', source: { pointer: '/data' } });
      const remove = await relWrite(
        h,
        'DELETE',
        `/api/v2/clients/${childA1}/relationships/children`,
        {
          data: [
            { type: 'client', id: grandA },
            { type: 'client', id: rootB },
          ],
        },
        h.admin,
        { Host: ACME },
      );
      expect(firstError(remove)).toEqual({ status: 403, code: 'forbidden', source: { pointer: '/data' } });
      const resource = await at(ACME, 'PATCH', `/api/v2/clients/${childA1}`, {
        data: { type: 'client', id: childA1, attributes: { email: 'not an email' }, relationships: { children: { data: [] } } },
      });
      expect(firstError(resource.res)).toEqual({ status: 403, code: 'forbidden', source: { pointer: '/data/relationships/children' } });
    });

    it('When the subtree is unchanged after all of these, then grandA still has childA1 as its parent', async () => {
      const s = await at('example.test', 'GET', `/api/v2/clients/${grandA}/relationships/parent`);
      expect(s.res.body.data).toEqual({ type: 'client', id: childA1 });
    });
  });
});
