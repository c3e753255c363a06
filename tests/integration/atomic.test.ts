import request from 'supertest';
import { makeClient, makeOwned, unusedId } from '../support/factories';
import { api, Harness, JSONAPI, startHarness } from '../support/harness';

import { httpRequest } from '../support/http-client';
import { allErrors, atomic, dumpDatabase, expectSameDump, firstError, versionOf } from '../support/write-helpers';
import { ATOMIC_EXT, ATOMIC_MEDIA_TYPE } from '../support/media-types';

/**
 * Atomic operations (SPEC §5, §6): POST /api/v2/operations with the atomic extension. All
 * operations in one transaction; results in atomic:results; error pointers under
 * /atomic:operations/N; lid; the operation limit; meta.version preconditions.
 */

type Op = Record<string, unknown>;

const addClient = (lid: string, attributes: Record<string, unknown> = {}, parentLid?: string): Op => ({
  op: 'add',
  data: {
    type: 'client',
    lid,
    attributes: { name: `Atomic ${lid}`, ...attributes },
    ...(parentLid ? { relationships: { parent: { data: { type: 'client', lid: parentLid } } } } : {}),
  },
});
const addOwned = (type: string, client: { id?: string; lid?: string }, attributes: Record<string, unknown> = {}, lid?: string): Op => ({
  op: 'add',
  data: { type, ...(lid ? { lid } : {}), attributes: { name: `Atomic ${type}`, ...attributes }, relationships: { client: { data: { type: 'client', ...client } } } },
});
const rename = (type: string, id: string, name: string, meta?: Record<string, unknown>): Op => ({ op: 'update', data: { type, id, attributes: { name } }, ...(meta ? { meta } : {}) });

describe('atomic operations', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const results = (res: { body: any }) => res.body['atomic:results'] as { data?: any }[];
  const childIds = async (id: string) => ((await api(h).get(`/api/v2/clients/${id}/relationships/children?page[size]=100`)).body.data as { id: string }[]).map((d) => d.id).sort();
  const parentOf = async (id: string) => (await api(h).get(`/api/v2/clients/${id}/relationships/parent`)).body.data?.id ?? null;
  const status = async (path: string, id: string) => (await api(h).get(`/api/v2/${path}/${id}`)).status;
  const clientTotal = async () => (await api(h).get('/api/v2/clients')).body.meta.page.total as number;

  describe('a subtree in one request', () => {
    it('When one request adds a client, two children by lid and a legal entity for each, then it answers 200 with five results in order and the tree exists', async () => {
      const res = await atomic(h, [
        addClient('root', { name: 'Atomic Holding' }),
        addClient('c1', { name: 'Atomic Child 1' }, 'root'),
        addClient('c2', { name: 'Atomic Child 2' }, 'root'),
        addOwned('legal-entity', { lid: 'c1' }, { name: 'C1 Ltd', country: 'FR' }),
        addOwned('legal-entity', { lid: 'c2' }, { name: 'C2 GmbH', country: 'DE' }),
      ]);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe(ATOMIC_MEDIA_TYPE);
      expect(res.body.jsonapi).toEqual({ version: '1.1', ext: [ATOMIC_EXT] });
      expect(res.body.errors).toBeUndefined();
      const r = results(res);
      expect(r.map((x) => [x.data.type, x.data.attributes.name, x.data.meta.version])).toEqual([
        ['client', 'Atomic Holding', 1],
        ['client', 'Atomic Child 1', 1],
        ['client', 'Atomic Child 2', 1],
        ['legal-entity', 'C1 Ltd', 1],
        ['legal-entity', 'C2 GmbH', 1],
      ]);
      const [root, c1, c2, le1, le2] = r.map((x) => x.data.id as string);
      for (const id of [root, c1, c2, le1, le2]) expect(id).toMatch(/^[0-9a-f]{24}$/);
      expect(new Set([root, c1, c2, le1, le2]).size).toBe(5);
      expect(r[1].data.relationships.parent.data).toEqual({ type: 'client', id: root });
      expect(r[2].data.relationships.parent.data).toEqual({ type: 'client', id: root });
      expect(r[3].data.relationships.client.data).toEqual({ type: 'client', id: c1 });
      expect(r[4].data.relationships.client.data).toEqual({ type: 'client', id: c2 });

      expect(await parentOf(root)).toBeNull();
      expect(await childIds(root)).toEqual([c1, c2].sort());
      const le = async (c: string) =>
        ((await api(h).get(`/api/v2/clients/${c}/legalEntities`)).body.data as { id: string; attributes: { country: string } }[]).map((d) => [d.id, d.attributes.country]);
      expect(await le(c1)).toEqual([[le1, 'FR']]);
      expect(await le(c2)).toEqual([[le2, 'DE']]);
      const below = await api(h).get(`/api/v2/clients?filter[descendantOf]=${root}`);
      expect(below.body.data.map((d: { id: string }) => d.id).sort()).toEqual([c1, c2].sort());
    });

    it('When a resource is added and then updated by its lid in the same request, then the update result shows the change at version 2', async () => {
      const res = await atomic(h, [addClient('x', { name: 'Before' }), { op: 'update', data: { type: 'client', lid: 'x', attributes: { name: 'After' } } }]);
      expect(res.status).toBe(200);
      const [added, updated] = results(res);
      expect(updated.data.id).toBe(added.data.id);
      expect(updated.data.attributes.name).toBe('After');
      expect(updated.data.meta.version).toBe(2);
      expect((await versionOf(h, 'clients', added.data.id)).body.data.attributes.name).toBe('After');
    });

    it('When an api-token is added through atomic operations, then its result carries meta.secret once, and the secret works as a bearer token', async () => {
      const res = await atomic(h, [{ op: 'add', data: { type: 'api-token', attributes: { name: 'atomic token', role: 'admin' } } }]);
      expect(res.status).toBe(200);
      const [r] = results(res);
      expect(r.data.type).toBe('api-token');
      expect(typeof r.data.meta.secret).toBe('string');
      expect(r.data.meta.secret.length).toBeGreaterThanOrEqual(43);
      const viaSecret = await api(h, r.data.meta.secret).get('/api/v2/clients');
      expect(viaSecret.status).toBe(200);
      const shown = await api(h).get(`/api/v2/api-tokens/${r.data.id}`);
      expect(shown.status).toBe(200);
      expect(shown.text).not.toContain(r.data.meta.secret);
      expect(shown.body.data.meta?.secret).toBeUndefined();
    });

    it('When an api-token is added and a later operation fails, then no token is created and the error shows no secret', async () => {
      const taken = `taken-${Date.now()}@example.com`;
      await makeClient(h, { email: taken });
      const tokensBefore = (await api(h).get('/api/v2/api-tokens')).body.meta.page.total;
      const res = await atomic(h, [{ op: 'add', data: { type: 'api-token', attributes: { name: 'doomed', role: 'admin' } } }, addClient('dup', { email: taken })]);
      expect(firstError(res)).toEqual({ status: 409, code: 'conflict', source: { pointer: '/atomic:operations/1/data/attributes/email' } });
      expect(res.text).not.toContain('secret');
      expect((await api(h).get('/api/v2/api-tokens')).body.meta.page.total).toBe(tokensBefore);
    });
  });

  describe('all or nothing', () => {
    /**
     * Four operations that succeed (an add, an update, a relationship add, a remove) over fresh
     * data; the fifth is given by the test.
     */
    async function fourGoodOps(): Promise<{ ops: Op[]; world: { parent: string; loose: string; owner: string; le: string } }> {
      const parent = await makeClient(h, { name: 'AoN parent' });
      const loose = await makeClient(h, { name: 'AoN loose' });
      const owner = await makeClient(h, { name: 'AoN owner' });
      const le = await makeOwned(h, 'legal-entities', owner);
      const ops: Op[] = [
        addClient('fresh', { name: 'AoN fresh' }, undefined),
        rename('client', loose, 'AoN renamed'),
        { op: 'add', ref: { type: 'client', id: parent, relationship: 'children' }, data: [{ type: 'client', id: loose }] },
        { op: 'remove', ref: { type: 'legal-entity', id: le } },
      ];
      return { ops, world: { parent, loose, owner, le } };
    }

    const fifth: { label: string; op: (w: { parent: string; loose: string; owner: string; le: string }, taken: string) => Op; status: number; code: string; pointer: string }[] = [
      { label: 'a duplicate email (409)', op: (_w, taken) => addClient('dup', { email: taken.toUpperCase() }), status: 409, code: 'conflict', pointer: '/atomic:operations/4/data/attributes/email' },
      {
        label: 'an invalid country (422)',
        op: (w) => addOwned('legal-entity', { id: w.owner }, { country: 'XX' }),
        status: 422,
        code: 'validation_failed',
        pointer: '/atomic:operations/4/data/attributes/country',
      },
      {
        label: 'an owner that does not exist (404)',
        op: () => addOwned('project', { id: unusedId() }),
        status: 404,
        code: 'related_not_found',
        pointer: '/atomic:operations/4/data/relationships/client/data',
      },
      {
        label: 'a cycle made with the earlier operations (409)',
        op: (w) => ({ op: 'update', ref: { type: 'client', id: w.parent, relationship: 'parent' }, data: { type: 'client', id: w.loose } }),
        status: 409,
        code: 'conflict',
        pointer: '/atomic:operations/4/data',
      },
      { label: 'an unknown lid (400)', op: () => addOwned('project', { lid: 'nobody' }), status: 400, code: 'invalid_document', pointer: '/atomic:operations/4/data/relationships/client/data/lid' },
      { label: 'a stale meta.version (412)', op: (w) => rename('client', w.loose, 'Stale', { version: 1 }), status: 412, code: 'precondition_failed', pointer: '/atomic:operations/4' },
      {
        label: 'removing an owned entity from its owner (403)',
        op: (w) => ({ op: 'remove', ref: { type: 'client', id: w.owner, relationship: 'legalEntities' }, data: [{ type: 'legal-entity', id: w.le }] }),
        status: 403,
        code: 'forbidden',
        pointer: '/atomic:operations/4/data',
      },
    ];

    it.each(fifth)('When the 5th operation fails with $label, then the answer names /atomic:operations/4 and every table is exactly as before', async ({ op, status: want, code, pointer }) => {
      const taken = `aon-${unusedId()}@example.com`;
      await makeClient(h, { email: taken });
      const { ops, world } = await fourGoodOps();
      // The fourth operation removes `le`; the 403 case needs a legal entity that is still there.
      const w = { ...world, le: await makeOwned(h, 'legal-entities', world.owner) };
      const before = await dumpDatabase(h);
      const res = await atomic(h, [...ops, op(w, taken)]);
      expect(firstError(res)).toEqual({ status: want, code, source: { pointer } });
      expect(res.body['atomic:results']).toBeUndefined();
      expectSameDump(await dumpDatabase(h), before);
    });

    it('When the same four operations are sent without the failing fifth, then all of them take effect (the control for the rollback test)', async () => {
      const { ops, world } = await fourGoodOps();
      const before = await dumpDatabase(h);
      const res = await atomic(h, ops);
      expect(res.status).toBe(200);
      expect(await dumpDatabase(h)).not.toEqual(before);
      expect(results(res).map((r) => (r.data ? r.data.type : null))).toEqual(['client', 'client', null, null]);
      expect(results(res)[2]).toEqual({});
      expect(results(res)[3]).toEqual({});
      expect(await parentOf(world.loose)).toBe(world.parent);
      expect((await versionOf(h, 'clients', world.loose)).body.data.attributes.name).toBe('AoN renamed');
      expect(await status('legal-entities', world.le)).toBe(404);
    });
  });

  describe('pointers', () => {
    it('When the first operation has an invalid email, then the pointer is /atomic:operations/0/data/attributes/email', async () => {
      const res = await atomic(h, [addClient('a', { email: 'nope' })]);
      expect(firstError(res)).toEqual({ status: 422, code: 'validation_failed', source: { pointer: '/atomic:operations/0/data/attributes/email' } });
    });

    it('When the third operation misses a required name, then the pointer is /atomic:operations/2/data/attributes/name', async () => {
      const res = await atomic(h, [addClient('a'), addClient('b'), { op: 'add', data: { type: 'client', attributes: { email: null } } }]);
      expect(firstError(res)).toEqual({ status: 422, code: 'validation_failed', source: { pointer: '/atomic:operations/2/data/attributes/name' } });
    });

    it('When the eighth operation sends an unknown attribute, then the pointer is /atomic:operations/7/data/attributes/colour', async () => {
      const ops = Array.from({ length: 7 }, (_, i) => addClient(`n${i}`));
      const res = await atomic(h, [...ops, { op: 'add', data: { type: 'client', attributes: { name: 'x', colour: 'red' } } }]);
      expect(firstError(res)).toEqual({ status: 422, code: 'validation_failed', source: { pointer: '/atomic:operations/7/data/attributes/colour' } });
    });

    it('When an operation has two invalid members, then both errors carry the operation index', async () => {
      const res = await atomic(h, [addClient('a'), addClient('b', { email: 'bad', slug: 'Not A Slug' })]);
      expect(res.status).toBe(422);
      expect(allErrors(res)).toEqual([
        { code: 'validation_failed', source: { pointer: '/atomic:operations/1/data/attributes/email' } },
        { code: 'validation_failed', source: { pointer: '/atomic:operations/1/data/attributes/slug' } },
      ]);
    });

    it('When the second operation updates a client that does not exist, then it answers 404 not_found with a pointer at that operation', async () => {
      const before = await clientTotal();
      const res = await atomic(h, [addClient('a'), rename('client', unusedId(), 'ghost')]);
      const e = firstError(res);
      expect([e.status, e.code]).toEqual([404, 'not_found']);
      expect(String((e.source as { pointer?: string } | undefined)?.pointer)).toMatch(/^\/atomic:operations\/1(\/|$)/);
      expect(await clientTotal()).toBe(before);
    });

    it('When an operation has an unknown op code, then it answers 400 at /atomic:operations/N/op', async () => {
      const res = await atomic(h, [addClient('a'), { op: 'upsert', data: { type: 'client', attributes: { name: 'x' } } }]);
      expect(firstError(res)).toEqual({ status: 400, code: 'invalid_document', source: { pointer: '/atomic:operations/1/op' } });
    });

    it('When atomic:operations is missing or empty, then it answers 400 invalid_document', async () => {
      const missing = await atomic(h, { data: { type: 'client', attributes: { name: 'x' } } });
      expect(firstError(missing).status).toBe(400);
      expect(firstError(missing).code).toBe('invalid_document');
      const empty = await atomic(h, []);
      expect(firstError(empty).status).toBe(400);
      expect(firstError(empty).code).toBe('invalid_document');
    });
  });

  describe('lid', () => {
    it('When relationship data names a lid no operation created, then it answers 400 at that lid and nothing is created', async () => {
      const before = await clientTotal();
      const res = await atomic(h, [addClient('a'), addClient('b', {}, 'nobody')]);
      expect(firstError(res)).toEqual({ status: 400, code: 'invalid_document', source: { pointer: '/atomic:operations/1/data/relationships/parent/data/lid' } });
      expect(await clientTotal()).toBe(before);
    });

    it('When a lid is used before the operation that creates it, then it answers 400 at that lid and nothing is created', async () => {
      const before = await clientTotal();
      const res = await atomic(h, [addClient('child', {}, 'later'), addClient('later')]);
      expect(firstError(res)).toEqual({ status: 400, code: 'invalid_document', source: { pointer: '/atomic:operations/0/data/relationships/parent/data/lid' } });
      expect(await clientTotal()).toBe(before);
    });

    it('When a ref names an unknown lid, then it answers 400 at /atomic:operations/N/ref/lid', async () => {
      const res = await atomic(h, [addClient('a'), { op: 'update', ref: { type: 'client', lid: 'ghost', relationship: 'parent' }, data: null }]);
      expect(firstError(res)).toEqual({ status: 400, code: 'invalid_document', source: { pointer: '/atomic:operations/1/ref/lid' } });
    });

    it('When a lid is reused with another type, then it does not resolve (lids are per type): 400 at the lid', async () => {
      const res = await atomic(h, [addClient('x'), { op: 'update', data: { type: 'project', lid: 'x', attributes: { name: 'y' } } }]);
      expect(firstError(res)).toEqual({ status: 400, code: 'invalid_document', source: { pointer: '/atomic:operations/1/data/lid' } });
    });

    it('When two add operations declare the same lid, then it answers 400 at the second lid and nothing is created', async () => {
      const before = await clientTotal();
      const res = await atomic(h, [addClient('twin'), addClient('twin'), addClient('kid', {}, 'twin')]);
      expect(firstError(res)).toEqual({ status: 400, code: 'invalid_document', source: { pointer: '/atomic:operations/1/data/lid' } });
      expect(await clientTotal()).toBe(before);
    });

    it('When a lid names the parent in a relationship operation by ref, then the created client is the one changed', async () => {
      const existing = await makeClient(h);
      const res = await atomic(h, [addClient('p'), { op: 'update', ref: { type: 'client', id: existing, relationship: 'parent' }, data: { type: 'client', lid: 'p' } }]);
      expect(res.status).toBe(200);
      expect(results(res)[1]).toEqual({});
      expect(await parentOf(existing)).toBe(results(res)[0].data.id);
    });
  });

  describe('relationship operations', () => {
    it('When add, remove and update target relationships by ref, then each applies and the results are empty objects (204 when none has data)', async () => {
      const p = await makeClient(h);
      const a = await makeClient(h);
      const b = await makeClient(h, {}, p);
      const q = await makeClient(h);
      const res = await atomic(h, [
        { op: 'add', ref: { type: 'client', id: p, relationship: 'children' }, data: [{ type: 'client', id: a }] },
        { op: 'remove', ref: { type: 'client', id: p, relationship: 'children' }, data: [{ type: 'client', id: b }] },
        { op: 'update', ref: { type: 'client', id: b, relationship: 'parent' }, data: { type: 'client', id: q } },
      ]);
      expect(res.status).toBe(204);
      expect(res.text ?? '').toBe('');
      expect(await childIds(p)).toEqual([a]);
      expect(await parentOf(b)).toBe(q);
      expect((await versionOf(h, 'clients', p)).version).toBe(3);
    });

    it('When a to-many relationship is replaced by an update operation, then the new members are exactly those sent', async () => {
      const p = await makeClient(h);
      const old = await makeClient(h, {}, p);
      const next = await makeClient(h);
      const res = await atomic(h, [{ op: 'update', ref: { type: 'client', id: p, relationship: 'children' }, data: [{ type: 'client', id: next }] }]);
      expect(res.status).toBe(204);
      expect(await childIds(p)).toEqual([next]);
      expect(await parentOf(old)).toBeNull();
    });

    it("When a legal entity is added to another client's legalEntities by ref, then it moves", async () => {
      const a = await makeClient(h);
      const b = await makeClient(h);
      const le = await makeOwned(h, 'legal-entities', a);
      const res = await atomic(h, [{ op: 'add', ref: { type: 'client', id: b, relationship: 'legalEntities' }, data: [{ type: 'legal-entity', id: le }] }]);
      expect(res.status).toBe(204);
      expect((await api(h).get(`/api/v2/legal-entities/${le}/relationships/client`)).body.data.id).toBe(b);
    });

    it('When an operation clears the required owner of a project by ref, then it answers 422 at /atomic:operations/0/data', async () => {
      const a = await makeClient(h);
      const p = await makeOwned(h, 'projects', a);
      const res = await atomic(h, [{ op: 'update', ref: { type: 'project', id: p, relationship: 'client' }, data: null }]);
      expect(firstError(res)).toEqual({ status: 422, code: 'validation_failed', source: { pointer: '/atomic:operations/0/data' } });
    });

    it('When a relationship operation names an id that does not exist, then it answers 404 related_not_found at /atomic:operations/N/data/I', async () => {
      const p = await makeClient(h);
      const a = await makeClient(h);
      const res = await atomic(h, [
        addClient('z'),
        {
          op: 'add',
          ref: { type: 'client', id: p, relationship: 'children' },
          data: [
            { type: 'client', id: a },
            { type: 'client', id: unusedId() },
          ],
        },
      ]);
      expect(firstError(res)).toEqual({ status: 404, code: 'related_not_found', source: { pointer: '/atomic:operations/1/data/1' } });
      expect(await childIds(p)).toEqual([]);
    });

    it('When add is used on a to-one relationship, then it answers 400 with a pointer in that operation', async () => {
      const a = await makeClient(h);
      const b = await makeClient(h);
      const res = await atomic(h, [{ op: 'add', ref: { type: 'client', id: a, relationship: 'parent' }, data: { type: 'client', id: b } }]);
      const e = firstError(res);
      expect([e.status, e.code]).toEqual([400, 'invalid_document']);
      expect(String((e.source as { pointer?: string } | undefined)?.pointer)).toMatch(/^\/atomic:operations\/0(\/|$)/);
      expect(await parentOf(a)).toBeNull();
    });
  });

  describe('remove', () => {
    it('When a remove operation names a leaf client and its legal entity, then both are gone and the answer is 204', async () => {
      const c = await makeClient(h);
      const le = await makeOwned(h, 'legal-entities', c);
      const res = await atomic(h, [
        { op: 'remove', ref: { type: 'legal-entity', id: le } },
        { op: 'remove', ref: { type: 'client', id: c } },
      ]);
      expect(res.status).toBe(204);
      expect(await status('legal-entities', le)).toBe(404);
      expect(await status('clients', c)).toBe(404);
    });

    it('When a client is removed before what blocks it, then it answers 409 naming the blocker at /atomic:operations/0 and nothing is removed', async () => {
      const c = await makeClient(h);
      const le = await makeOwned(h, 'legal-entities', c);
      const res = await atomic(h, [
        { op: 'remove', ref: { type: 'client', id: c } },
        { op: 'remove', ref: { type: 'legal-entity', id: le } },
      ]);
      expect(res.status).toBe(409);
      expect(res.body.errors.map((e: any) => [e.code, e.source?.pointer, e.meta])).toEqual([['conflict', '/atomic:operations/0', { relationship: 'legalEntities', count: 1 }]]);
      expect(await status('legal-entities', le)).toBe(200);
      expect(await status('clients', c)).toBe(200);
    });

    it('When results mix a remove, an add and an update, then atomic:results has {} for the remove and data for the others, in order', async () => {
      const gone = await makeClient(h);
      const kept = await makeClient(h);
      const res = await atomic(h, [{ op: 'remove', ref: { type: 'client', id: gone } }, addClient('n'), rename('client', kept, 'Kept and renamed')]);
      expect(res.status).toBe(200);
      const r = results(res);
      expect(r).toHaveLength(3);
      expect(r[0]).toEqual({});
      expect(r[1].data.type).toBe('client');
      expect(r[2].data).toMatchObject({ type: 'client', id: kept, attributes: { name: 'Kept and renamed' }, meta: { version: 2 } });
    });
  });

  describe('meta.version', () => {
    it('When an operation carries the current meta.version, then it applies', async () => {
      const c = await makeClient(h);
      const res = await atomic(h, [rename('client', c, 'Versioned', { version: 1 })]);
      expect(res.status).toBe(200);
      expect(results(res)[0].data.meta.version).toBe(2);
    });

    it('When the third operation carries a stale meta.version, then it answers 412 at /atomic:operations/2 and every table is exactly as before', async () => {
      const c = await makeClient(h);
      await api(h).patch(`/api/v2/clients/${c}`, { data: { type: 'client', id: c, attributes: { name: 'v2' } } });
      const before = await dumpDatabase(h);
      const res = await atomic(h, [addClient('a'), addClient('b'), rename('client', c, 'Stale write', { version: 1 })]);
      expect(firstError(res)).toEqual({ status: 412, code: 'precondition_failed', source: { pointer: '/atomic:operations/2' } });
      expectSameDump(await dumpDatabase(h), before);
    });

    it('When a later operation expects the version an earlier operation of the same request replaced, then it answers 412', async () => {
      const c = await makeClient(h);
      const ok = rename('client', c, 'First', { version: 1 });
      const stale = rename('client', c, 'Second', { version: 1 });
      const res = await atomic(h, [ok, stale]);
      expect(firstError(res)).toEqual({ status: 412, code: 'precondition_failed', source: { pointer: '/atomic:operations/1' } });
      expect((await versionOf(h, 'clients', c)).body.data).toMatchObject({ attributes: { name: expect.not.stringMatching(/First|Second/) }, meta: { version: 1 } });
    });

    it('When a relationship operation carries a stale meta.version of its owner, then it answers 412 and the relationship is unchanged', async () => {
      const p = await makeClient(h);
      const a = await makeClient(h);
      await api(h).patch(`/api/v2/clients/${p}`, { data: { type: 'client', id: p, attributes: { name: 'v2' } } });
      const res = await atomic(h, [{ op: 'add', ref: { type: 'client', id: p, relationship: 'children' }, data: [{ type: 'client', id: a }], meta: { version: 1 } }]);
      expect(firstError(res)).toEqual({ status: 412, code: 'precondition_failed', source: { pointer: '/atomic:operations/0' } });
      expect(await childIds(p)).toEqual([]);
    });

    it('When a remove operation carries a stale meta.version, then it answers 412 and the resource stays', async () => {
      const c = await makeClient(h);
      await api(h).patch(`/api/v2/clients/${c}`, { data: { type: 'client', id: c, attributes: { name: 'v2' } } });
      const res = await atomic(h, [{ op: 'remove', ref: { type: 'client', id: c }, meta: { version: 1 } }]);
      expect(firstError(res)).toEqual({ status: 412, code: 'precondition_failed', source: { pointer: '/atomic:operations/0' } });
      expect(await status('clients', c)).toBe(200);
    });

    it('When meta.version is not a positive whole number, then it answers 400 at /atomic:operations/N/meta/version', async () => {
      const c = await makeClient(h);
      const res = await atomic(h, [rename('client', c, 'x', { version: '1' })]);
      expect(firstError(res)).toEqual({ status: 400, code: 'invalid_document', source: { pointer: '/atomic:operations/0/meta/version' } });
    });
  });

  describe('media types', () => {
    const op = [addClient('m')];

    it.each([
      ['plain JSON:API without ext', JSONAPI],
      ['another extension', `${JSONAPI}; ext="https://example.com/ext/other"`],
      ['application/json', 'application/json'],
    ])('When the operations are sent as %s, then it answers 415 and nothing is created', async (_label, contentType) => {
      const before = await clientTotal();
      const res = await atomic(h, op, h.admin, contentType);
      expect(firstError(res)).toEqual({ status: 415, code: 'unsupported_media_type', source: { header: 'Content-Type' } });
      expect(await clientTotal()).toBe(before);
    });

    it('When the operations are sent with no Content-Type at all, then it answers 415 and nothing is created', async () => {
      const before = await clientTotal();
      const res = await httpRequest(await h.listen(), 'POST', '/api/v2/operations', { Authorization: `Bearer ${h.admin}`, Accept: ATOMIC_MEDIA_TYPE }, JSON.stringify({ 'atomic:operations': op }));
      expect(res.headers['content-type']).toBeDefined();
      expect(firstError({ status: res.status, body: res.json })).toEqual({ status: 415, code: 'unsupported_media_type', source: { header: 'Content-Type' } });
      expect(await clientTotal()).toBe(before);
    });

    it('When a plain endpoint gets a body with the atomic extension, then it answers 415', async () => {
      const res = await request(h.app)
        .post('/api/v2/clients')
        .set('Authorization', `Bearer ${h.admin}`)
        .set('Accept', JSONAPI)
        .set('Content-Type', ATOMIC_MEDIA_TYPE)
        .send(JSON.stringify({ data: { type: 'client', attributes: { name: 'x' } } }));
      expect(firstError(res)).toEqual({ status: 415, code: 'unsupported_media_type', source: { header: 'Content-Type' } });
    });

    it('When Accept is plain JSON:API and Content-Type has the extension, then it answers 200 with the extension in Content-Type', async () => {
      const res = await request(h.app)
        .post('/api/v2/operations')
        .set('Authorization', `Bearer ${h.admin}`)
        .set('Accept', JSONAPI)
        .set('Content-Type', ATOMIC_MEDIA_TYPE)
        .send(JSON.stringify({ 'atomic:operations': op }));
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe(ATOMIC_MEDIA_TYPE);
    });
  });

  describe('the operation limit', () => {
    it('When 101 operations are sent, then it answers 413 payload_too_large and nothing is created', async () => {
      const before = await clientTotal();
      const res = await atomic(
        h,
        Array.from({ length: 101 }, (_, i) => addClient(`l${i}`)),
      );
      expect(res.status).toBe(413);
      expect(res.body.errors.map((e: any) => e.code)).toEqual(['payload_too_large']);
      expect(await clientTotal()).toBe(before);
    });

    it('When 101 operations are sent and the first is malformed, then 413 still wins (413 comes before 400)', async () => {
      const res = await atomic(h, [{ op: 'nope' }, ...Array.from({ length: 100 }, (_, i) => addClient(`l${i}`))]);
      expect(res.status).toBe(413);
    });

    it('When exactly 100 operations are sent, then all 100 apply', async () => {
      const before = await clientTotal();
      const res = await atomic(
        h,
        Array.from({ length: 100 }, (_, i) => addClient(`k${i}`)),
      );
      expect(res.status).toBe(200);
      expect(results(res)).toHaveLength(100);
      expect(await clientTotal()).toBe(before + 100);
    });

    it('When MAX_OPERATIONS is 3, then 4 operations answer 413 and 3 apply', async () => {
      const small = await startHarness({ MAX_OPERATIONS: '3' });
      try {
        const four = await atomic(small, [addClient('a'), addClient('b'), addClient('c'), addClient('d')]);
        expect(four.status).toBe(413);
        expect(four.body.errors.map((e: any) => e.code)).toEqual(['payload_too_large']);
        const three = await atomic(small, [addClient('a'), addClient('b'), addClient('c')]);
        expect(three.status).toBe(200);
        expect(results(three)).toHaveLength(3);
        expect((await api(small).get('/api/v2/clients')).body.meta.page.total).toBe(3);
      } finally {
        await small.close();
      }
    });
  });
});
