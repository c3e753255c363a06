import { makeClient, makeOwned, unusedId } from '../support/factories';
import { api, Harness, startHarness } from '../support/harness';

import { registry } from '../../src/resources/registry';
import { ResourceDef, ToManyDef, ToOneDef } from '../../src/resources/types';
import { firstError, relWrite, versionOf } from '../support/write-helpers';

/**
 * Relationship writes (SPEC §1, §2, §6): PATCH on to-one and to-many, POST and DELETE on to-many,
 * generated from the resource registry; then the hierarchy rules (cycles), the ownership rules
 * (no orphans, no null owner), 404s for identifiers, 405s, and the owner's version.
 */

type OwnedPath = 'legal-entities' | 'reporting-entities' | 'projects';

const readable = registry.resources.filter((d) => d.scope.kind !== 'admin-only');
const toOnes = readable.flatMap((def) => def.relationships.filter((r): r is ToOneDef => r.kind === 'to-one').map((rel) => ({ def, rel, label: `${def.type}.${rel.name}` })));
const toManys = readable.flatMap((def) => def.relationships.filter((r): r is ToManyDef => r.kind === 'to-many').map((rel) => ({ def, rel, label: `${def.type}.${rel.name}` })));

describe('relationship writes', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const base = (def: ResourceDef, id: string, rel: string) => `/api/v2/${def.path}/${id}/relationships/${rel}`;

  /** A new resource of `def`; owned types get a fresh owner unless one is given; clients get `parent` when given. */
  async function make(def: ResourceDef, owner?: string): Promise<string> {
    if (def.type === 'client') return makeClient(h, {}, owner ?? null);
    if (def.scope.kind === 'owner') return makeOwned(h, def.path as OwnedPath, owner ?? (await makeClient(h)));
    throw new Error(`relationship-writes: no factory for ${def.type}`);
  }

  /** The admin's linkage: a sorted id list (to-many) or an id or null (to-one). */
  async function linkage(def: ResourceDef, id: string, rel: string): Promise<string[] | string | null> {
    const r = def.relationships.find((x) => x.name === rel)!;
    const res = await api(h).get(`${base(def, id, rel)}${r.kind === 'to-many' ? '?page[size]=100' : ''}`);
    expect(res.status).toBe(200);
    if (r.kind === 'to-many') return (res.body.data as { id: string }[]).map((d) => d.id).sort();
    return res.body.data === null ? null : (res.body.data.id as string);
  }

  const version = async (def: ResourceDef, id: string) => (await versionOf(h, def.path, id)).version;

  describe.each(toOnes)('to-one $label', ({ def, rel }) => {
    const target = registry.get(rel.target);

    if (rel.updatable) {
      it(`When PATCH ${def.path}/{id}/relationships/${rel.name} names another ${target.type}, then it answers 204, the linkage and the inverse follow, and the ${def.type}'s version goes up by one`, async () => {
        const first = await make(target);
        const second = await make(target);
        const source = await make(def, first);
        expect(await linkage(def, source, rel.name)).toBe(first);
        const before = await version(def, source);

        const res = await relWrite(h, 'PATCH', base(def, source, rel.name), { data: { type: target.type, id: second } });
        expect(res.status).toBe(204);
        expect(res.text).toBe('');
        expect(await linkage(def, source, rel.name)).toBe(second);
        expect(await version(def, source)).toBe(before + 1);
        if (rel.inverse) {
          expect(await linkage(target, first, rel.inverse)).not.toContain(source);
          expect(await linkage(target, second, rel.inverse)).toContain(source);
        }
      });

      it(`When PATCH ${def.path}/{id}/relationships/${rel.name} names a ${target.type} that does not exist, then it answers 404 related_not_found at /data and nothing changes`, async () => {
        const first = await make(target);
        const source = await make(def, first);
        const before = await version(def, source);
        const res = await relWrite(h, 'PATCH', base(def, source, rel.name), { data: { type: target.type, id: unusedId() } });
        expect(firstError(res)).toEqual({ status: 404, code: 'related_not_found', source: { pointer: '/data' } });
        expect(await linkage(def, source, rel.name)).toBe(first);
        expect(await version(def, source)).toBe(before);
      });

      it(`When PATCH ${def.path}/{id}/relationships/${rel.name} names a resource of another type, then it answers 409 conflict at /data/type`, async () => {
        const first = await make(target);
        const source = await make(def, first);
        const other = await makeOwned(h, 'projects', first);
        const res = await relWrite(h, 'PATCH', base(def, source, rel.name), { data: { type: 'project', id: other } });
        expect(firstError(res)).toEqual({ status: 409, code: 'conflict', source: { pointer: '/data/type' } });
        expect(await linkage(def, source, rel.name)).toBe(first);
      });

      if (rel.nullable) {
        it(`When PATCH ${def.path}/{id}/relationships/${rel.name} sends null, then it answers 204 and the relationship is empty`, async () => {
          const first = await make(target);
          const source = await make(def, first);
          const before = await version(def, source);
          const res = await relWrite(h, 'PATCH', base(def, source, rel.name), { data: null });
          expect(res.status).toBe(204);
          expect(await linkage(def, source, rel.name)).toBeNull();
          expect(await version(def, source)).toBe(before + 1);
          if (rel.inverse) expect(await linkage(target, first, rel.inverse)).toEqual([]);
        });
      } else {
        it(`When PATCH ${def.path}/{id}/relationships/${rel.name} sends null for the required owner, then it answers 422 validation_failed at /data and nothing changes`, async () => {
          const first = await make(target);
          const source = await make(def, first);
          const before = await version(def, source);
          const res = await relWrite(h, 'PATCH', base(def, source, rel.name), { data: null });
          expect(firstError(res)).toEqual({ status: 422, code: 'validation_failed', source: { pointer: '/data' } });
          expect(await linkage(def, source, rel.name)).toBe(first);
          expect(await version(def, source)).toBe(before);
        });
      }
    }

    it.each(['POST', 'DELETE'] as const)(`When %s is sent to the to-one ${def.path}/{id}/relationships/${rel.name}, then it answers 405 with Allow: GET, PATCH and nothing changes`, async (method) => {
      const first = await make(target);
      const second = await make(target);
      const source = await make(def, first);
      const before = await version(def, source);
      const res = await relWrite(h, method, base(def, source, rel.name), { data: { type: target.type, id: second } });
      expect(firstError(res)).toEqual({ status: 405, code: 'method_not_allowed', source: undefined });
      expect(
        String(res.headers.allow)
          .split(',')
          .map((m) => m.trim())
          .sort(),
      ).toEqual(['GET', 'PATCH']);
      expect(await linkage(def, source, rel.name)).toBe(first);
      expect(await version(def, source)).toBe(before);
    });

    it(`When POST is sent to the to-one ${def.path}/{id}/relationships/${rel.name} of an id that does not exist, then it answers 404 not_found (the URL's target comes before 405)`, async () => {
      const res = await relWrite(h, 'POST', base(def, unusedId(), rel.name), { data: { type: target.type, id: await make(target) } });
      expect(firstError(res)).toEqual({ status: 404, code: 'not_found', source: undefined });
    });
  });

  describe.each(toManys)('to-many $label', ({ def, rel }) => {
    const target = registry.get(rel.target);
    const inverse = target.relationships.find((r) => r.name === rel.inverse)!;

    /** An owner with one member, and a member of another owner. */
    async function setup(): Promise<{ owner: string; mine: string; other: string; theirs: string }> {
      const owner = await make(def);
      const other = await make(def);
      const mine = await make(target, owner);
      const theirs = await make(target, other);
      expect(await linkage(def, owner, rel.name)).toEqual([mine]);
      return { owner, mine, other, theirs };
    }

    /**
     * setup(), then `method` on the owner's relationship with the members `data` names: 204 and
     * no body, the owner holds its member and the other's, the other holds none, the moved
     * member's inverse names the owner, and the owner's version went up by one.
     */
    async function expectMovedOver(method: 'PATCH' | 'POST', data: (m: { mine: string; theirs: string }) => unknown): Promise<void> {
      const { owner, mine, other, theirs } = await setup();
      const before = await version(def, owner);
      const res = await relWrite(h, method, base(def, owner, rel.name), { data: data({ mine, theirs }) });
      expect(res.status).toBe(204);
      expect(res.text).toBe('');
      expect(await linkage(def, owner, rel.name)).toEqual([mine, theirs].sort());
      expect(await linkage(def, other, rel.name)).toEqual([]);
      expect(await linkage(target, theirs, inverse.name)).toBe(owner);
      expect(await version(def, owner)).toBe(before + 1);
    }

    it(`When PATCH ${def.path}/{id}/relationships/${rel.name} keeps the current member and adds one of another ${def.type}, then it answers 204 and the member moves`, async () => {
      await expectMovedOver('PATCH', ({ mine, theirs }) => [
        { type: target.type, id: mine },
        { type: target.type, id: theirs },
      ]);
    });

    if (rel.owned) {
      it(`When PATCH ${def.path}/{id}/relationships/${rel.name} leaves out an owned member, then it answers 403 forbidden at /data and nothing changes`, async () => {
        const { owner, mine, other, theirs } = await setup();
        const before = await version(def, owner);
        const res = await relWrite(h, 'PATCH', base(def, owner, rel.name), { data: [{ type: target.type, id: theirs }] });
        expect(firstError(res)).toEqual({ status: 403, code: 'forbidden', source: { pointer: '/data' } });
        expect(await linkage(def, owner, rel.name)).toEqual([mine]);
        expect(await linkage(def, other, rel.name)).toEqual([theirs]);
        expect(await version(def, owner)).toBe(before);
      });

      it(`When PATCH ${def.path}/{id}/relationships/${rel.name} sends an empty array while it has members, then it answers 403 forbidden at /data`, async () => {
        const { owner, mine } = await setup();
        const res = await relWrite(h, 'PATCH', base(def, owner, rel.name), { data: [] });
        expect(firstError(res)).toEqual({ status: 403, code: 'forbidden', source: { pointer: '/data' } });
        expect(await linkage(def, owner, rel.name)).toEqual([mine]);
      });

      it(`When DELETE ${def.path}/{id}/relationships/${rel.name} names an owned member, then it answers 403 forbidden at /data and nothing changes`, async () => {
        const { owner, mine } = await setup();
        const before = await version(def, owner);
        const res = await relWrite(h, 'DELETE', base(def, owner, rel.name), { data: [{ type: target.type, id: mine }] });
        expect(firstError(res)).toEqual({ status: 403, code: 'forbidden', source: { pointer: '/data' } });
        expect(await linkage(def, owner, rel.name)).toEqual([mine]);
        expect(await linkage(target, mine, inverse.name)).toBe(owner);
        expect(await version(def, owner)).toBe(before);
      });

      it(`When DELETE ${def.path}/{id}/relationships/${rel.name} names an owned member and an id that does not exist, then it answers 403 (removing an owned entity comes before 404s for body ids)`, async () => {
        const { owner, mine } = await setup();
        const res = await relWrite(h, 'DELETE', base(def, owner, rel.name), {
          data: [
            { type: target.type, id: mine },
            { type: target.type, id: unusedId() },
          ],
        });
        expect(firstError(res)).toEqual({ status: 403, code: 'forbidden', source: { pointer: '/data' } });
        expect(await linkage(def, owner, rel.name)).toEqual([mine]);
      });

      it(`When DELETE ${def.path}/{id}/relationships/${rel.name} names a ${target.type} that is not a member, then it answers 204 and that ${target.type} stays with its owner`, async () => {
        const { owner, mine, other, theirs } = await setup();
        const res = await relWrite(h, 'DELETE', base(def, owner, rel.name), { data: [{ type: target.type, id: theirs }] });
        expect(res.status).toBe(204);
        expect(await linkage(def, owner, rel.name)).toEqual([mine]);
        expect(await linkage(target, theirs, inverse.name)).toBe(other);
      });
    } else {
      it(`When PATCH ${def.path}/{id}/relationships/${rel.name} leaves out a current member, then it answers 204 and the member left out becomes a root`, async () => {
        const { owner, mine, other, theirs } = await setup();
        const before = await version(def, owner);
        const res = await relWrite(h, 'PATCH', base(def, owner, rel.name), { data: [{ type: target.type, id: theirs }] });
        expect(res.status).toBe(204);
        expect(await linkage(def, owner, rel.name)).toEqual([theirs]);
        expect(await linkage(def, other, rel.name)).toEqual([]);
        expect(await linkage(target, mine, inverse.name)).toBeNull();
        expect(await version(def, owner)).toBe(before + 1);
      });

      it(`When PATCH ${def.path}/{id}/relationships/${rel.name} sends an empty array, then it answers 204 and every former member becomes a root`, async () => {
        const { owner, mine } = await setup();
        const second = await make(target, owner);
        const res = await relWrite(h, 'PATCH', base(def, owner, rel.name), { data: [] });
        expect(res.status).toBe(204);
        expect(await linkage(def, owner, rel.name)).toEqual([]);
        expect(await linkage(target, mine, inverse.name)).toBeNull();
        expect(await linkage(target, second, inverse.name)).toBeNull();
      });

      it(`When DELETE ${def.path}/{id}/relationships/${rel.name} names a member, then it answers 204, the member becomes a root and the version goes up by one`, async () => {
        const { owner, mine } = await setup();
        const kept = await make(target, owner);
        const before = await version(def, owner);
        const res = await relWrite(h, 'DELETE', base(def, owner, rel.name), { data: [{ type: target.type, id: mine }] });
        expect(res.status).toBe(204);
        expect(await linkage(def, owner, rel.name)).toEqual([kept]);
        expect(await linkage(target, mine, inverse.name)).toBeNull();
        expect(await version(def, owner)).toBe(before + 1);
      });
    }

    it(`When POST ${def.path}/{id}/relationships/${rel.name} names a ${target.type} of another ${def.type}, then it answers 204, it moves over, the current members stay and the version goes up by one`, async () => {
      await expectMovedOver('POST', ({ theirs }) => [{ type: target.type, id: theirs }]);
    });

    it(`When POST ${def.path}/{id}/relationships/${rel.name} names a current member again, then it answers 204 and the members are unchanged`, async () => {
      const { owner, mine } = await setup();
      const res = await relWrite(h, 'POST', base(def, owner, rel.name), { data: [{ type: target.type, id: mine }] });
      expect(res.status).toBe(204);
      expect(await linkage(def, owner, rel.name)).toEqual([mine]);
    });

    it.each(['PATCH', 'POST', 'DELETE'] as const)(
      `When %s ${def.path}/{id}/relationships/${rel.name} names an id that does not exist second, then it answers 404 related_not_found at /data/1 and nothing changes`,
      async (method) => {
        const { owner, mine, other, theirs } = await setup();
        const before = await version(def, owner);
        const body = {
          data: [
            { type: target.type, id: method === 'DELETE' ? theirs : mine },
            { type: target.type, id: unusedId() },
          ],
        };
        const res = await relWrite(h, method, base(def, owner, rel.name), body);
        expect(firstError(res)).toEqual({ status: 404, code: 'related_not_found', source: { pointer: '/data/1' } });
        expect(await linkage(def, owner, rel.name)).toEqual([mine]);
        expect(await linkage(def, other, rel.name)).toEqual([theirs]);
        expect(await version(def, owner)).toBe(before);
      },
    );

    it(`When POST ${def.path}/{id}/relationships/${rel.name} names a resource of another type, then it answers 409 conflict at /data/0/type`, async () => {
      const { owner, mine } = await setup();
      const wrongType = target.type === 'project' ? 'legal-entity' : 'project';
      const wrongId = await makeOwned(h, wrongType === 'project' ? 'projects' : 'legal-entities', await makeClient(h));
      const res = await relWrite(h, 'POST', base(def, owner, rel.name), { data: [{ type: wrongType, id: wrongId }] });
      expect(firstError(res)).toEqual({ status: 409, code: 'conflict', source: { pointer: '/data/0/type' } });
      expect(await linkage(def, owner, rel.name)).toEqual([mine]);
    });
  });

  describe('owned entities', () => {
    it('When PATCH /legal-entities/L/relationships/client sends data null, then it answers 422 at /data and L keeps its owner', async () => {
      const owner = await makeClient(h);
      const le = await makeOwned(h, 'legal-entities', owner);
      const res = await relWrite(h, 'PATCH', `/api/v2/legal-entities/${le}/relationships/client`, { data: null });
      expect(firstError(res)).toEqual({ status: 422, code: 'validation_failed', source: { pointer: '/data' } });
      expect(await linkage(registry.get('legal-entity'), le, 'client')).toBe(owner);
    });

    it("When a legal entity is POSTed to another client's legalEntities, then it moves: the new owner lists it, the old one does not, its own linkage follows", async () => {
      const a = await makeClient(h);
      const b = await makeClient(h);
      const keep = await makeOwned(h, 'legal-entities', a);
      const moving = await makeOwned(h, 'legal-entities', a);
      const res = await relWrite(h, 'POST', `/api/v2/clients/${b}/relationships/legalEntities`, { data: [{ type: 'legal-entity', id: moving }] });
      expect(res.status).toBe(204);
      const client = registry.get('client');
      expect(await linkage(client, a, 'legalEntities')).toEqual([keep]);
      expect(await linkage(client, b, 'legalEntities')).toEqual([moving]);
      expect(await linkage(registry.get('legal-entity'), moving, 'client')).toBe(b);
      const related = await api(h).get(`/api/v2/legal-entities/${moving}/client`);
      expect(related.body.data.id).toBe(b);
    });

    it('When PATCH /clients/A/relationships/projects names only an id that does not exist while A owns a project, then it answers 403 (removing an owned entity comes before 404s for body ids)', async () => {
      const a = await makeClient(h);
      const p = await makeOwned(h, 'projects', a);
      const res = await relWrite(h, 'PATCH', `/api/v2/clients/${a}/relationships/projects`, { data: [{ type: 'project', id: unusedId() }] });
      expect(firstError(res)).toEqual({ status: 403, code: 'forbidden', source: { pointer: '/data' } });
      expect(await linkage(registry.get('client'), a, 'projects')).toEqual([p]);
    });

    it('When PATCH /api-tokens/T/relationships/client tries to move a token, then it answers 422 at /data (only name can change) and the token keeps its client', async () => {
      const a = await makeClient(h);
      const b = await makeClient(h);
      const created = await api(h).post('/api/v2/api-tokens', {
        data: { type: 'api-token', attributes: { name: 'rel test', role: 'client' }, relationships: { client: { data: { type: 'client', id: a } } } },
      });
      expect(created.status).toBe(201);
      const t = created.body.data.id as string;
      const res = await relWrite(h, 'PATCH', `/api/v2/api-tokens/${t}/relationships/client`, { data: { type: 'client', id: b } });
      expect(firstError(res)).toEqual({ status: 422, code: 'validation_failed', source: { pointer: '/data' } });
      expect(await linkage(registry.get('api-token'), t, 'client')).toBe(a);
    });
  });

  describe('the hierarchy', () => {
    const client = registry.get('client');

    /** root ── child ── grand */
    async function chain(): Promise<{ root: string; child: string; grand: string }> {
      const root = await makeClient(h);
      const child = await makeClient(h, {}, root);
      const grand = await makeClient(h, {}, child);
      return { root, child, grand };
    }

    async function expectChainIntact(c: { root: string; child: string; grand: string }): Promise<void> {
      expect(await linkage(client, c.root, 'parent')).toBeNull();
      expect(await linkage(client, c.child, 'parent')).toBe(c.root);
      expect(await linkage(client, c.grand, 'parent')).toBe(c.child);
    }

    it('When a client is made its own parent through /relationships/parent, then it answers 409 conflict at /data and nothing changes', async () => {
      const c = await chain();
      const before = await version(client, c.child);
      const res = await relWrite(h, 'PATCH', `/api/v2/clients/${c.child}/relationships/parent`, { data: { type: 'client', id: c.child } });
      expect(firstError(res)).toEqual({ status: 409, code: 'conflict', source: { pointer: '/data' } });
      await expectChainIntact(c);
      expect(await version(client, c.child)).toBe(before);
    });

    type Chain = { root: string; child: string; grand: string };
    it.each<[string, 'PATCH' | 'POST', (c: Chain) => string, (c: Chain) => unknown, ((c: Chain) => Promise<void>) | null]>([
      [
        'When a root is reparented under its own grandchild through /relationships/parent, then it answers 409 conflict at /data and nothing changes',
        'PATCH',
        (c) => `/api/v2/clients/${c.root}/relationships/parent`,
        (c) => ({ data: { type: 'client', id: c.grand } }),
        null,
      ],
      [
        'When a grandchild POSTs its own root into its children, then it answers 409 conflict at /data and nothing changes',
        'POST',
        (c) => `/api/v2/clients/${c.grand}/relationships/children`,
        (c) => ({ data: [{ type: 'client', id: c.root }] }),
        async (c) => expect(await linkage(client, c.grand, 'children')).toEqual([]),
      ],
      [
        'When a grandchild PATCHes its children to hold its parent, then it answers 409 conflict at /data and nothing changes',
        'PATCH',
        (c) => `/api/v2/clients/${c.grand}/relationships/children`,
        (c) => ({ data: [{ type: 'client', id: c.child }] }),
        null,
      ],
      [
        'When a client POSTs itself into its own children, then it answers 409 conflict at /data',
        'POST',
        (c) => `/api/v2/clients/${c.child}/relationships/children`,
        (c) => ({ data: [{ type: 'client', id: c.child }] }),
        null,
      ],
    ])('%s', async (_title, method, url, body, alsoCheck) => {
      const c = await chain();
      const res = await relWrite(h, method, url(c), body(c));
      expect(firstError(res)).toEqual({ status: 409, code: 'conflict', source: { pointer: '/data' } });
      await expectChainIntact(c);
      if (alsoCheck) await alsoCheck(c);
    });

    it('When a subtree is reparented under another tree through /relationships/parent, then the whole subtree moves and descendantOf follows', async () => {
      const c = await chain();
      const other = await makeClient(h);
      const res = await relWrite(h, 'PATCH', `/api/v2/clients/${c.child}/relationships/parent`, { data: { type: 'client', id: other } });
      expect(res.status).toBe(204);
      expect(await linkage(client, c.root, 'children')).toEqual([]);
      expect(await linkage(client, other, 'children')).toEqual([c.child]);
      const below = await api(h).get(`/api/v2/clients?filter[descendantOf]=${other}`);
      expect(below.body.data.map((d: { id: string }) => d.id).sort()).toEqual([c.child, c.grand].sort());
    });

    it('When a client is reparented by POSTing it to another client’s children, then its parent changes and the old parent loses it', async () => {
      const c = await chain();
      const other = await makeClient(h);
      const res = await relWrite(h, 'POST', `/api/v2/clients/${other}/relationships/children`, { data: [{ type: 'client', id: c.grand }] });
      expect(res.status).toBe(204);
      expect(await linkage(client, c.grand, 'parent')).toBe(other);
      expect(await linkage(client, c.child, 'children')).toEqual([]);
    });

    it('When a client is reparented under its nephew (a legal move, no cycle), then it answers 204', async () => {
      const c = await chain();
      const sibling = await makeClient(h, {}, c.root);
      const res = await relWrite(h, 'PATCH', `/api/v2/clients/${sibling}/relationships/parent`, { data: { type: 'client', id: c.grand } });
      expect(res.status).toBe(204);
      expect(await linkage(client, sibling, 'parent')).toBe(c.grand);
    });

    it('When a cycle and an id that does not exist are sent together, then the 404 for the body id wins (at /data/1)', async () => {
      const c = await chain();
      const res = await relWrite(h, 'POST', `/api/v2/clients/${c.grand}/relationships/children`, {
        data: [
          { type: 'client', id: c.root },
          { type: 'client', id: unusedId() },
        ],
      });
      expect(firstError(res)).toEqual({ status: 404, code: 'related_not_found', source: { pointer: '/data/1' } });
      await expectChainIntact(c);
    });
  });

  describe('routes', () => {
    it('When PATCH names a relationship the type does not have, then it answers 404 not_found', async () => {
      const a = await makeClient(h);
      const res = await relWrite(h, 'PATCH', `/api/v2/clients/${a}/relationships/owner`, { data: null });
      expect(firstError(res)).toEqual({ status: 404, code: 'not_found', source: undefined });
    });

    it('When PATCH targets a relationship of a client that does not exist, then it answers 404 not_found', async () => {
      const p = await makeClient(h);
      const res = await relWrite(h, 'PATCH', `/api/v2/clients/${unusedId()}/relationships/parent`, { data: { type: 'client', id: p } });
      expect(firstError(res)).toEqual({ status: 404, code: 'not_found', source: undefined });
    });

    it('When PATCH is sent to a related-resource URL (not /relationships/), then it answers 405 with Allow: GET', async () => {
      const a = await makeClient(h);
      const child = await makeClient(h);
      const res = await relWrite(h, 'PATCH', `/api/v2/clients/${a}/children`, { data: [{ type: 'client', id: child }] });
      expect(firstError(res)).toEqual({ status: 405, code: 'method_not_allowed', source: undefined });
      expect(res.headers.allow).toBe('GET');
      expect(await linkage(registry.get('client'), a, 'children')).toEqual([]);
    });

    it('When a relationship body has no data member, then it answers 400 invalid_document', async () => {
      const a = await makeClient(h);
      const res = await relWrite(h, 'PATCH', `/api/v2/clients/${a}/relationships/parent`, { parent: null });
      expect(firstError(res).status).toBe(400);
      expect(firstError(res).code).toBe('invalid_document');
    });
  });
});
