import request from 'supertest';
import { makeClient, makeOwned, unusedId } from '../support/factories';
import { api, clientToken, Harness, JSONAPI, startHarness } from '../support/harness';

import { registry } from '../../src/resources/registry';
import { ResourceDef } from '../../src/resources/types';
import { firstError, relWrite, versionOf } from '../support/write-helpers';

/**
 * Versions and entity tags (SPEC §6): meta.version, the strong ETag "type:id:version" on
 * single-resource responses, If-None-Match → 304, If-Match → 412 when stale (after every
 * other error), and relationship writes checked against the resource whose relationship it is.
 */

describe('ETags and versions', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const tag = (type: string, id: string, version: number) => `"${type}:${id}:${version}"`;

  function withHeaders(method: 'get' | 'patch' | 'delete', url: string, headers: Record<string, string>, body?: unknown, token: string = h.admin) {
    let t = request(h.app)[method](url).set('Authorization', `Bearer ${token}`).set('Accept', JSONAPI);
    for (const [k, v] of Object.entries(headers)) t = t.set(k, v);
    if (body !== undefined) t = t.set('Content-Type', JSONAPI).send(JSON.stringify(body));
    return t;
  }

  const rename = (type: string, id: string, name: string) => ({ data: { type, id, attributes: { name } } });

  /** Full state of a resource as the admin sees it. */
  async function state(path: string, id: string): Promise<{ status: number; data: unknown; etag: unknown }> {
    const res = await api(h).get(`/api/v2/${path}/${id}`);
    // supertest serves each request on a fresh port: links differ only by it.
    const data = JSON.parse(JSON.stringify(res.body.data ?? null).replace(/\/\/127\.0\.0\.1:\d+\//g, '//<HOST>/'));
    return { status: res.status, data, etag: res.headers.etag };
  }

  /** A create body for every registry type (api-token needs a role and, for role client, a client). */
  function createBody(def: ResourceDef, client: string): Record<string, unknown> {
    const attributes: Record<string, unknown> = { name: `etag ${def.type}` };
    if (def.type === 'api-token') attributes.role = 'client';
    const relationships: Record<string, unknown> = {};
    for (const rel of def.relationships) if (rel.kind === 'to-one' && rel.target === 'client' && def.type !== 'client') relationships[rel.name] = { data: { type: 'client', id: client } };
    return { data: { type: def.type, attributes, relationships } };
  }

  describe.each(registry.resources.map((def) => ({ def, type: def.type })))('$type', ({ def }) => {
    it(`When a ${def.type} is created, read and updated, then each response carries the strong ETag "type:id:version" matching meta.version 1, 1, 2`, async () => {
      const owner = await makeClient(h);
      const created = await api(h).post(`/api/v2/${def.path}`, createBody(def, owner));
      expect(created.status).toBe(201);
      const id = created.body.data.id as string;
      expect(created.headers.etag).toBe(tag(def.type, id, 1));
      expect(created.body.data.meta.version).toBe(1);

      const read = await api(h).get(`/api/v2/${def.path}/${id}`);
      expect(read.status).toBe(200);
      expect(read.headers.etag).toBe(tag(def.type, id, 1));
      expect(read.headers.etag.startsWith('W/')).toBe(false);
      expect(read.body.data.meta.version).toBe(1);

      const patched = await api(h).patch(`/api/v2/${def.path}/${id}`, rename(def.type, id, 'etag renamed'));
      expect(patched.status).toBe(200);
      expect(patched.headers.etag).toBe(tag(def.type, id, 2));
      expect(patched.body.data.meta.version).toBe(2);
      expect((await api(h).get(`/api/v2/${def.path}/${id}`)).headers.etag).toBe(tag(def.type, id, 2));
    });
  });

  describe('If-None-Match', () => {
    it('When GET sends If-None-Match with the current tag, then it answers 304 with no body and the same ETag', async () => {
      const id = await makeClient(h);
      const res = await withHeaders('get', `/api/v2/clients/${id}`, { 'If-None-Match': tag('client', id, 1) });
      expect(res.status).toBe(304);
      expect(res.text ?? '').toBe('');
      expect(res.headers.etag).toBe(tag('client', id, 1));
    });

    it('When GET sends If-None-Match with a stale tag, then it answers 200 with the document and the new ETag', async () => {
      const id = await makeClient(h);
      await api(h).patch(`/api/v2/clients/${id}`, rename('client', id, 'changed'));
      const res = await withHeaders('get', `/api/v2/clients/${id}`, { 'If-None-Match': tag('client', id, 1) });
      expect(res.status).toBe(200);
      expect(res.body.data.attributes.name).toBe('changed');
      expect(res.headers.etag).toBe(tag('client', id, 2));
    });

    it('When If-None-Match lists several tags, one of them current, then it answers 304', async () => {
      const id = await makeClient(h);
      const res = await withHeaders('get', `/api/v2/clients/${id}`, { 'If-None-Match': `${tag('client', unusedId(), 1)}, ${tag('client', id, 1)}` });
      expect(res.status).toBe(304);
    });

    it('When If-None-Match is the weak form of the current tag, then it answers 304 (If-None-Match compares weakly)', async () => {
      const id = await makeClient(h);
      const res = await withHeaders('get', `/api/v2/clients/${id}`, { 'If-None-Match': `W/${tag('client', id, 1)}` });
      expect(res.status).toBe(304);
    });

    it('When If-None-Match is *, then GET of an existing resource answers 304', async () => {
      const id = await makeClient(h);
      const res = await withHeaders('get', `/api/v2/clients/${id}`, { 'If-None-Match': '*' });
      expect(res.status).toBe(304);
    });

    it('When If-None-Match names the tag of another resource, then it answers 200', async () => {
      const a = await makeClient(h);
      const b = await makeClient(h);
      const res = await withHeaders('get', `/api/v2/clients/${a}`, { 'If-None-Match': tag('client', b, 1) });
      expect(res.status).toBe(200);
      expect(res.body.data.id).toBe(a);
    });
  });

  describe('If-Match on PATCH and DELETE', () => {
    it('When PATCH sends If-Match with a stale tag, then it answers 412 precondition_failed and nothing changes', async () => {
      const id = await makeClient(h, { name: 'Original' });
      await api(h).patch(`/api/v2/clients/${id}`, rename('client', id, 'Second'));
      const before = await state('clients', id);
      const res = await withHeaders('patch', `/api/v2/clients/${id}`, { 'If-Match': tag('client', id, 1) }, rename('client', id, 'Lost update'));
      expect(firstError(res)).toEqual({ status: 412, code: 'precondition_failed', source: undefined });
      expect(res.body.jsonapi).toEqual({ version: '1.1' });
      expect(await state('clients', id)).toEqual(before);
    });

    it('When PATCH sends If-Match with the current tag, then it answers 200, the version goes up and the ETag follows', async () => {
      const id = await makeClient(h);
      const res = await withHeaders('patch', `/api/v2/clients/${id}`, { 'If-Match': tag('client', id, 1) }, rename('client', id, 'Matched'));
      expect(res.status).toBe(200);
      expect(res.body.data.attributes.name).toBe('Matched');
      expect(res.body.data.meta.version).toBe(2);
      expect(res.headers.etag).toBe(tag('client', id, 2));
    });

    it('When PATCH sends If-Match: *, then it answers 200', async () => {
      const id = await makeClient(h);
      const res = await withHeaders('patch', `/api/v2/clients/${id}`, { 'If-Match': '*' }, rename('client', id, 'Star'));
      expect(res.status).toBe(200);
      expect(res.body.data.meta.version).toBe(2);
    });

    it('When PATCH sends If-Match with the weak form of the current tag, then it answers 412 (If-Match compares strongly) and nothing changes', async () => {
      const id = await makeClient(h, { name: 'Weakly held' });
      const before = await state('clients', id);
      const res = await withHeaders('patch', `/api/v2/clients/${id}`, { 'If-Match': `W/${tag('client', id, 1)}` }, rename('client', id, 'Weak'));
      expect(firstError(res)).toEqual({ status: 412, code: 'precondition_failed', source: undefined });
      expect(await state('clients', id)).toEqual(before);
    });

    it('When If-Match lists a stale tag and the current one, then PATCH answers 200', async () => {
      const id = await makeClient(h);
      await api(h).patch(`/api/v2/clients/${id}`, rename('client', id, 'Two'));
      const res = await withHeaders('patch', `/api/v2/clients/${id}`, { 'If-Match': `${tag('client', id, 1)}, ${tag('client', id, 2)}` }, rename('client', id, 'Three'));
      expect(res.status).toBe(200);
      expect(res.body.data.meta.version).toBe(3);
    });

    it('When If-Match carries the current tag of another resource (same version number), then PATCH answers 412', async () => {
      const a = await makeClient(h, { name: 'Target' });
      const b = await makeClient(h);
      const res = await withHeaders('patch', `/api/v2/clients/${a}`, { 'If-Match': tag('client', b, 1) }, rename('client', a, 'Wrong tag'));
      expect(firstError(res)).toEqual({ status: 412, code: 'precondition_failed', source: undefined });
      expect((await state('clients', a)).data).toMatchObject({ attributes: { name: 'Target' }, meta: { version: 1 } });
    });

    it('When If-Match is not an entity tag at all, then PATCH answers 412 and nothing changes', async () => {
      const id = await makeClient(h, { name: 'Kept' });
      const res = await withHeaders('patch', `/api/v2/clients/${id}`, { 'If-Match': 'version-1' }, rename('client', id, 'Garbage'));
      expect(firstError(res)).toEqual({ status: 412, code: 'precondition_failed', source: undefined });
      expect((await state('clients', id)).data).toMatchObject({ attributes: { name: 'Kept' } });
    });

    it('When PATCH with Prefer: return=minimal carries the current If-Match, then it answers 204 and the version goes up', async () => {
      const id = await makeClient(h);
      const res = await withHeaders('patch', `/api/v2/clients/${id}`, { 'If-Match': tag('client', id, 1), Prefer: 'return=minimal' }, rename('client', id, 'Minimal'));
      expect(res.status).toBe(204);
      expect((await versionOf(h, 'clients', id)).version).toBe(2);
    });

    it('When DELETE sends a stale If-Match, then it answers 412 and the resource is still there', async () => {
      const owner = await makeClient(h);
      const le = await makeOwned(h, 'legal-entities', owner);
      await api(h).patch(`/api/v2/legal-entities/${le}`, rename('legal-entity', le, 'Moved on'));
      const before = await state('legal-entities', le);
      const res = await withHeaders('delete', `/api/v2/legal-entities/${le}`, { 'If-Match': tag('legal-entity', le, 1) });
      expect(firstError(res)).toEqual({ status: 412, code: 'precondition_failed', source: undefined });
      expect(await state('legal-entities', le)).toEqual(before);
    });

    it('When DELETE sends the current If-Match, then it answers 204 and the resource is gone', async () => {
      const owner = await makeClient(h);
      const le = await makeOwned(h, 'legal-entities', owner);
      const res = await withHeaders('delete', `/api/v2/legal-entities/${le}`, { 'If-Match': tag('legal-entity', le, 1) });
      expect(res.status).toBe(204);
      expect((await api(h).get(`/api/v2/legal-entities/${le}`)).status).toBe(404);
    });

    it('When the ETag a client fetched is used twice, then the first PATCH answers 200 and the second 412 (no lost update)', async () => {
      const id = await makeClient(h);
      const { etag } = await versionOf(h, 'clients', id);
      const first = await withHeaders('patch', `/api/v2/clients/${id}`, { 'If-Match': etag }, rename('client', id, 'First writer'));
      const second = await withHeaders('patch', `/api/v2/clients/${id}`, { 'If-Match': etag }, rename('client', id, 'Second writer'));
      expect(first.status).toBe(200);
      expect(firstError(second)).toEqual({ status: 412, code: 'precondition_failed', source: undefined });
      expect((await state('clients', id)).data).toMatchObject({ attributes: { name: 'First writer' }, meta: { version: 2 } });
    });
  });

  describe('precedence: 412 comes after every other error', () => {
    it('When a stale If-Match comes with an invalid value, then it answers 422 at the member', async () => {
      const id = await makeClient(h);
      await api(h).patch(`/api/v2/clients/${id}`, rename('client', id, 'v2'));
      const res = await withHeaders('patch', `/api/v2/clients/${id}`, { 'If-Match': tag('client', id, 1) }, { data: { type: 'client', id, attributes: { email: 'not an email' } } });
      expect(firstError(res)).toEqual({ status: 422, code: 'validation_failed', source: { pointer: '/data/attributes/email' } });
    });

    it('When a stale If-Match comes with a duplicate email, then it answers 409 at the member', async () => {
      await makeClient(h, { email: 'taken-etag@example.com' });
      const id = await makeClient(h);
      await api(h).patch(`/api/v2/clients/${id}`, rename('client', id, 'v2'));
      const res = await withHeaders('patch', `/api/v2/clients/${id}`, { 'If-Match': tag('client', id, 1) }, { data: { type: 'client', id, attributes: { email: 'TAKEN-etag@example.com' } } });
      expect(firstError(res)).toEqual({ status: 409, code: 'conflict', source: { pointer: '/data/attributes/email' } });
    });

    it('When a stale If-Match comes with a parent that does not exist, then it answers 404 related_not_found', async () => {
      const id = await makeClient(h);
      await api(h).patch(`/api/v2/clients/${id}`, rename('client', id, 'v2'));
      const res = await withHeaders(
        'patch',
        `/api/v2/clients/${id}`,
        { 'If-Match': tag('client', id, 1) },
        { data: { type: 'client', id, relationships: { parent: { data: { type: 'client', id: unusedId() } } } } },
      );
      expect(firstError(res)).toEqual({ status: 404, code: 'related_not_found', source: { pointer: '/data/relationships/parent/data' } });
    });

    it('When If-Match is sent to a resource that does not exist, then it answers 404 not_found', async () => {
      const missing = unusedId();
      const res = await withHeaders('patch', `/api/v2/clients/${missing}`, { 'If-Match': tag('client', missing, 1) }, rename('client', missing, 'x'));
      expect(firstError(res)).toEqual({ status: 404, code: 'not_found', source: undefined });
    });

    it('When a client token sends a stale If-Match to a resource it can see, then it answers 403 (the role comes first)', async () => {
      const id = await makeClient(h);
      const token = await clientToken(h, id);
      const res = await withHeaders('patch', `/api/v2/clients/${id}`, { 'If-Match': tag('client', id, 7) }, rename('client', id, 'x'), token);
      expect(firstError(res)).toEqual({ status: 403, code: 'forbidden', source: undefined });
    });

    it('When a stale If-Match comes with a delete that children block, then it answers 409', async () => {
      const parent = await makeClient(h);
      await makeClient(h, {}, parent);
      const res = await withHeaders('delete', `/api/v2/clients/${parent}`, { 'If-Match': tag('client', parent, 99) });
      expect(firstError(res).status).toBe(409);
      expect(firstError(res).code).toBe('conflict');
    });
  });

  describe('relationship writes', () => {
    it('When a client goes through PATCH, a relationship write and PATCH again, then the ETag and meta.version change each time (1, 2, 3, 4)', async () => {
      const id = await makeClient(h);
      const parent = await makeClient(h);
      const seen: unknown[] = [(await versionOf(h, 'clients', id)).etag];
      await api(h).patch(`/api/v2/clients/${id}`, rename('client', id, 'one'));
      seen.push((await versionOf(h, 'clients', id)).etag);
      expect((await relWrite(h, 'PATCH', `/api/v2/clients/${id}/relationships/parent`, { data: { type: 'client', id: parent } })).status).toBe(204);
      seen.push((await versionOf(h, 'clients', id)).etag);
      const last = await api(h).patch(`/api/v2/clients/${id}`, rename('client', id, 'two'));
      seen.push(last.headers.etag);
      expect(seen).toEqual([1, 2, 3, 4].map((v) => tag('client', id, v)));
      expect(last.body.data.meta.version).toBe(4);
    });

    it("When PATCH /relationships/parent carries the client's current ETag, then it answers 204 and the version goes up by one", async () => {
      const id = await makeClient(h);
      const parent = await makeClient(h);
      const res = await relWrite(h, 'PATCH', `/api/v2/clients/${id}/relationships/parent`, { data: { type: 'client', id: parent } }, h.admin, { 'If-Match': tag('client', id, 1) });
      expect(res.status).toBe(204);
      expect((await versionOf(h, 'clients', id)).version).toBe(2);
    });

    it('When PATCH /relationships/parent carries a stale ETag of the client, then it answers 412 and nothing changes', async () => {
      const id = await makeClient(h);
      const parent = await makeClient(h);
      await api(h).patch(`/api/v2/clients/${id}`, rename('client', id, 'moved on'));
      const before = await state('clients', id);
      const res = await relWrite(h, 'PATCH', `/api/v2/clients/${id}/relationships/parent`, { data: { type: 'client', id: parent } }, h.admin, { 'If-Match': tag('client', id, 1) });
      expect(firstError(res)).toEqual({ status: 412, code: 'precondition_failed', source: undefined });
      expect(await state('clients', id)).toEqual(before);
      expect((await api(h).get(`/api/v2/clients/${parent}/relationships/children`)).body.data).toEqual([]);
    });

    it('When a relationship write carries the current ETag of the related resource instead of the owner, then it answers 412', async () => {
      const owner = await makeClient(h);
      const le = await makeOwned(h, 'legal-entities', owner);
      const other = await makeClient(h);
      await api(h).patch(`/api/v2/legal-entities/${le}`, rename('legal-entity', le, 'v2'));
      // le is at version 2 and `other` at version 1: the client's tag names the wrong resource.
      const res = await relWrite(h, 'PATCH', `/api/v2/legal-entities/${le}/relationships/client`, { data: { type: 'client', id: other } }, h.admin, { 'If-Match': tag('client', other, 1) });
      expect(firstError(res)).toEqual({ status: 412, code: 'precondition_failed', source: undefined });
      expect((await api(h).get(`/api/v2/legal-entities/${le}/relationships/client`)).body.data.id).toBe(owner);
    });

    it.each(['POST', 'DELETE', 'PATCH'] as const)('When %s /clients/P/relationships/children carries a stale ETag of P, then it answers 412 and the children are unchanged', async (method) => {
      const p = await makeClient(h);
      const child = await makeClient(h, {}, p);
      const loose = await makeClient(h);
      await api(h).patch(`/api/v2/clients/${p}`, rename('client', p, 'v2'));
      const body = { data: method === 'DELETE' ? [{ type: 'client', id: child }] : [{ type: 'client', id: loose }] };
      const res = await relWrite(h, method, `/api/v2/clients/${p}/relationships/children`, body, h.admin, { 'If-Match': tag('client', p, 1) });
      expect(firstError(res)).toEqual({ status: 412, code: 'precondition_failed', source: undefined });
      const now = await api(h).get(`/api/v2/clients/${p}/relationships/children`);
      expect(now.body.data.map((d: { id: string }) => d.id)).toEqual([child]);
      expect((await versionOf(h, 'clients', p)).version).toBe(2);
    });

    it.each(['POST', 'DELETE', 'PATCH'] as const)('When %s /clients/P/relationships/children carries the current ETag of P, then it answers 204 and P goes to the next version', async (method) => {
      const p = await makeClient(h);
      const child = await makeClient(h, {}, p);
      const loose = await makeClient(h);
      const body = { data: method === 'DELETE' ? [{ type: 'client', id: child }] : [{ type: 'client', id: loose }] };
      const res = await relWrite(h, method, `/api/v2/clients/${p}/relationships/children`, body, h.admin, { 'If-Match': tag('client', p, 1) });
      expect(res.status).toBe(204);
      expect((await versionOf(h, 'clients', p)).etag).toBe(tag('client', p, 2));
    });

    it('When a stale If-Match comes with a relationship write that would make a cycle, then it answers 409 (cycles before 412)', async () => {
      const root = await makeClient(h);
      const child = await makeClient(h, {}, root);
      await api(h).patch(`/api/v2/clients/${root}`, rename('client', root, 'v2'));
      const res = await relWrite(h, 'PATCH', `/api/v2/clients/${root}/relationships/parent`, { data: { type: 'client', id: child } }, h.admin, { 'If-Match': tag('client', root, 1) });
      expect(firstError(res)).toEqual({ status: 409, code: 'conflict', source: { pointer: '/data' } });
    });

    it('When a stale If-Match comes with removing an owned entity, then it answers 403 (forbidden before 412)', async () => {
      const owner = await makeClient(h);
      const le = await makeOwned(h, 'legal-entities', owner);
      await api(h).patch(`/api/v2/clients/${owner}`, rename('client', owner, 'v2'));
      const res = await relWrite(h, 'DELETE', `/api/v2/clients/${owner}/relationships/legalEntities`, { data: [{ type: 'legal-entity', id: le }] }, h.admin, { 'If-Match': tag('client', owner, 1) });
      expect(firstError(res)).toEqual({ status: 403, code: 'forbidden', source: { pointer: '/data' } });
    });

    it('When a stale If-Match comes with clearing a required owner, then it answers 422 (validation before 412)', async () => {
      const owner = await makeClient(h);
      const le = await makeOwned(h, 'legal-entities', owner);
      await api(h).patch(`/api/v2/legal-entities/${le}`, rename('legal-entity', le, 'v2'));
      const res = await relWrite(h, 'PATCH', `/api/v2/legal-entities/${le}/relationships/client`, { data: null }, h.admin, { 'If-Match': tag('legal-entity', le, 1) });
      expect(firstError(res)).toEqual({ status: 422, code: 'validation_failed', source: { pointer: '/data' } });
    });
  });
});
