import request from 'supertest';
import { makeClient, makeOwned, unusedId } from '../support/factories';
import { clientToken, Harness, JSONAPI, startHarness } from '../support/harness';
import { expectNoHiddenIdLeaked, expectSameAsMissing, Method, send, Sent } from '../support/tenancy-helpers';
import { registry } from '../../src/resources/registry';
import { RelationshipDef, ResourceDef } from '../../src/resources/types';
import { dumpDatabase, expectSameDump } from '../support/write-helpers';
import { ATOMIC_MEDIA_TYPE } from '../support/media-types';

/**
 * The tenancy matrix extended to every write path (SPEC §4): each relationship endpoint and each
 * kind of atomic operation, generated from the registry, × {admin, client token on what it can
 * see → 403, client token on what it cannot see → 404 exactly as for an id that never existed}.
 * Every answer a client token gets is checked for ids outside its scope that it did not send.
 *
 * Each endpoint (one describe block) builds its own world; the client token's requests in it
 * are refused and leave the database exactly as it was (checked with a full dump), and the
 * admin's write, which changes the world, runs last:
 *   T ── Tc ── Tcc          the client token belongs to T: it sees T's subtree and what it owns
 *     └─ Tc2
 *   X ── Xc ── Xcc          X's subtree is outside its scope
 *     └─ Xc2
 * Owned entities are made on demand.
 */

type Side = 'in' | 'out';
type OwnedPath = 'legal-entities' | 'reporting-entities' | 'projects';

const BASE_DOMAIN = 'example.test';

class World {
  T = '';
  Tc = '';
  Tcc = '';
  Tc2 = '';
  X = '';
  Xc = '';
  Xcc = '';
  Xc2 = '';
  token = '';
  readonly all = new Set<string>();
  readonly visible = new Set<string>();
  private readonly owned = new Map<string, string>();

  constructor(private readonly h: Harness) {}

  async build(slug?: string): Promise<this> {
    this.T = await this.client(await makeClient(this.h, slug ? { slug } : {}), 'in');
    this.Tc = await this.client(await makeClient(this.h, {}, this.T), 'in');
    this.Tcc = await this.client(await makeClient(this.h, {}, this.Tc), 'in');
    this.Tc2 = await this.client(await makeClient(this.h, {}, this.T), 'in');
    this.X = await this.client(await makeClient(this.h), 'out');
    this.Xc = await this.client(await makeClient(this.h, {}, this.X), 'out');
    this.Xcc = await this.client(await makeClient(this.h, {}, this.Xc), 'out');
    this.Xc2 = await this.client(await makeClient(this.h, {}, this.X), 'out');
    this.token = await clientToken(this.h, this.T);
    // The first use of a token records lastUsedAt: done here, so database dumps taken later compare equal.
    const warm = await request(this.h.app).get(`/api/v2/clients/${this.T}`).set('Authorization', `Bearer ${this.token}`);
    if (warm.status !== 200) throw new Error(`world: client token refused (${warm.status})`);
    return this;
  }

  private async client(id: string, side: Side): Promise<string> {
    this.all.add(id);
    if (side === 'in') this.visible.add(id);
    return id;
  }

  private sideOf(client: string): Side {
    return this.visible.has(client) ? 'in' : 'out';
  }

  /** The (one) entity of `def` owned by `client`, made on first use. */
  async ownedBy(def: ResourceDef, client: string): Promise<string> {
    const key = `${def.type}/${client}`;
    let id = this.owned.get(key);
    if (!id) {
      id = await makeOwned(this.h, def.path as OwnedPath, client);
      this.owned.set(key, id);
      this.all.add(id);
      if (this.sideOf(client) === 'in') this.visible.add(id);
    }
    return id;
  }

  /** The resource of `def` whose relationships are written: Tc (or Xc), or what it owns. */
  source(def: ResourceDef, side: Side): Promise<string> {
    const c = side === 'in' ? this.Tc : this.Xc;
    return def.type === 'client' ? Promise.resolve(c) : this.ownedBy(def, c);
  }

  /** A fresh leaf of `def` under Tc (or Xc), that nothing blocks from being deleted. */
  async leaf(def: ResourceDef, side: Side): Promise<string> {
    const parent = side === 'in' ? this.Tc : this.Xc;
    const id = def.type === 'client' ? await makeClient(this.h, {}, parent) : await makeOwned(this.h, def.path as OwnedPath, parent);
    this.all.add(id);
    if (side === 'in') this.visible.add(id);
    return id;
  }

  /**
   * A relationship body for the source of `side` = 'in' that an admin may send (204): ids from
   * T's side, or from X's side when `ids` is 'out'.
   */
  async body(def: ResourceDef, rel: RelationshipDef, method: 'PATCH' | 'POST' | 'DELETE', ids: Side): Promise<{ data: unknown }> {
    const top = ids === 'in' ? this.T : this.X;
    const second = ids === 'in' ? this.Tc2 : this.Xc2;
    const target = registry.get(rel.target);
    const ident = (id: string) => ({ type: target.type, id });
    if (rel.kind === 'to-one') return { data: ident(top) };
    if (rel.name === 'children') {
      if (method === 'POST') return { data: [ident(second)] };
      if (method === 'DELETE') return { data: [ident(ids === 'in' ? this.Tcc : this.Xcc)] };
      return { data: [ident(this.Tcc), ident(second)] };
    }
    const current = await this.ownedBy(target, this.Tc);
    const other = await this.ownedBy(target, top);
    if (method === 'POST' || method === 'DELETE') return { data: [ident(other)] };
    return { data: [ident(current), ident(other)] };
  }
}

interface RelEndpoint {
  readonly def: ResourceDef;
  readonly rel: RelationshipDef;
  readonly method: 'PATCH' | 'POST' | 'DELETE';
  readonly allowed: boolean;
  readonly label: string;
}

const readable = registry.resources.filter((d) => d.scope.kind !== 'admin-only');
const relEndpoints: RelEndpoint[] = readable.flatMap((def) =>
  def.relationships.flatMap((rel) =>
    (['PATCH', 'POST', 'DELETE'] as const).map((method) => ({
      def,
      rel,
      method,
      allowed: method === 'PATCH' || rel.kind === 'to-many',
      label: `${method} /api/v2/${def.path}/{id}/relationships/${rel.name}`,
    })),
  ),
);

function errorOf(s: Sent): { status: number; code: unknown; source: unknown } {
  const e = s.res.body?.errors?.[0] ?? {};
  return { status: s.res.status, code: e.code, source: e.source };
}

describe('write tenancy', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ BASE_DOMAIN });
  });
  afterAll(() => h.close());

  /** tenancy-helpers' send, plus a body on DELETE (relationship endpoints take one). */
  async function sendAny(token: string, method: Method, url: string, body?: unknown, host?: string): Promise<Sent> {
    if (method !== 'DELETE' || body === undefined) return send(h, token, method, url, body, host);
    let t = request(h.app).delete(url).set('Authorization', `Bearer ${token}`).set('Accept', JSONAPI).set('Content-Type', JSONAPI);
    if (host !== undefined) t = t.set('Host', host);
    const res = await t.send(JSON.stringify(body));
    return { method, url, body, res };
  }

  function atomicAs(token: string, ops: unknown[], host?: string): Promise<Sent> {
    let t = request(h.app).post('/api/v2/operations').set('Authorization', `Bearer ${token}`).set('Accept', ATOMIC_MEDIA_TYPE).set('Content-Type', ATOMIC_MEDIA_TYPE);
    if (host) t = t.set('Host', host);
    const body = { 'atomic:operations': ops };
    return t.send(JSON.stringify(body)).then((res) => ({ method: 'POST' as Method, url: '/api/v2/operations', body, res }));
  }

  const relUrl = (def: ResourceDef, id: string, rel: string) => `/api/v2/${def.path}/${id}/relationships/${rel}`;

  /** A client-token request, checked for leaks of ids it may not see. */
  async function asClient(w: World, method: Method, url: string, body?: unknown, host?: string): Promise<Sent> {
    const s = await sendAny(w.token, method, url, body, host);
    expectNoHiddenIdLeaked(s, w.all, w.visible);
    return s;
  }

  describe.each(relEndpoints)('$label', ({ def, rel, method, allowed }) => {
    /** One world per endpoint: the client token's requests are refused, so they leave it as it was. */
    let w: World;
    beforeAll(async () => {
      w = await new World(h).build();
    });

    if (allowed) {
      it(`When a client token sends ${method} to ${def.type}.${rel.name} of a resource it can see, then it answers 403 forbidden and nothing changes`, async () => {
        const source = await w.source(def, 'in');
        const body = await w.body(def, rel, method, 'in');
        const before = await dumpDatabase(h);
        const s = await asClient(w, method, relUrl(def, source, rel.name), body);
        expect(errorOf(s)).toEqual({ status: 403, code: 'forbidden', source: undefined });
        expectSameDump(await dumpDatabase(h), before);
      });

      it(`When a client token sends ${method} to ${def.type}.${rel.name} of a resource it can see, naming ids outside its scope, then it answers 403 exactly as for ids that never existed`, async () => {
        const source = await w.source(def, 'in');
        const body = await w.body(def, rel, method, 'out');
        const hiddenIds = [body.data as { id: string }[] | { id: string }]
          .flat()
          .map((i) => i.id)
          .filter((i) => !w.visible.has(i));
        expect(hiddenIds.length).toBeGreaterThan(0);
        const hidden = hiddenIds[0];
        const missing = unusedId();
        const a = await asClient(w, method, relUrl(def, source, rel.name), body);
        const b = await asClient(w, method, relUrl(def, source, rel.name), JSON.parse(JSON.stringify(body).split(hidden).join(missing)));
        expect(errorOf(a)).toEqual({ status: 403, code: 'forbidden', source: undefined });
        expectSameAsMissing(a, b, hidden, missing);
      });
    } else {
      it(`When a client token sends ${method} to the to-one ${def.type}.${rel.name} of a resource it can see, then it answers 405 with Allow (405 comes before 403)`, async () => {
        const source = await w.source(def, 'in');
        const s = await asClient(w, method, relUrl(def, source, rel.name), await w.body(def, rel, 'PATCH', 'in'));
        expect(errorOf(s)).toEqual({ status: 405, code: 'method_not_allowed', source: undefined });
        expect(
          String(s.res.headers.allow)
            .split(',')
            .map((m) => m.trim())
            .sort(),
        ).toEqual(['GET', 'PATCH']);
      });
    }

    it(`When a client token sends ${method} to ${def.type}.${rel.name} of a resource outside its scope, then it answers 404 exactly as for an id that never existed and nothing changes`, async () => {
      const hidden = await w.source(def, 'out');
      const missing = unusedId();
      const body = await w.body(def, rel, allowed ? method : 'PATCH', 'in');
      const before = await dumpDatabase(h);
      const a = await asClient(w, method, relUrl(def, hidden, rel.name), body);
      const b = await asClient(w, method, relUrl(def, missing, rel.name), body);
      expect(errorOf(a)).toEqual({ status: 404, code: 'not_found', source: undefined });
      expectSameAsMissing(a, b, hidden, missing);
      expectSameDump(await dumpDatabase(h), before);
    });

    // Last: the admin's write changes the shared world.
    if (allowed) {
      it(`When an admin sends ${method} to ${def.type}.${rel.name} of a resource in the client token's tree, then it answers 204`, async () => {
        const source = await w.source(def, 'in');
        const res = await sendAny(h.admin, method, relUrl(def, source, rel.name), await w.body(def, rel, method, 'in'));
        expect({ status: res.res.status, body: res.res.text }).toEqual({ status: 204, body: '' });
      });
    }
  });

  describe('api-token relationships (admin-only)', () => {
    it.each(['PATCH', 'POST', 'DELETE'] as const)(
      'When a client token sends %s to /api-tokens/{id}/relationships/client, then it answers 403 for its own token, another token and a token that never existed alike',
      async (method) => {
        const w = await new World(h).build();
        const mine = await sendAny(h.admin, 'GET', '/api/v2/api-tokens?page[size]=100');
        const tokens = (mine.res.body.data as { id: string; relationships: { client: { data: { id: string } | null } } }[]).filter((t) => t.relationships.client.data?.id === w.T);
        expect(tokens).toHaveLength(1);
        const other = await sendAny(h.admin, 'POST', '/api/v2/api-tokens', {
          data: { type: 'api-token', attributes: { name: 'other', role: 'client' }, relationships: { client: { data: { type: 'client', id: w.X } } } },
        });
        expect(other.res.status).toBe(201);
        w.all.add(other.res.body.data.id);
        const body = { data: { type: 'client', id: w.T } };
        const answers: Sent[] = [];
        for (const id of [tokens[0].id, other.res.body.data.id as string, unusedId()]) {
          const s = await asClient(w, method, `/api/v2/api-tokens/${id}/relationships/client`, body);
          expect(errorOf(s)).toEqual({ status: 403, code: 'forbidden', source: undefined });
          answers.push(s);
        }
        expectSameAsMissing(answers[1], answers[2], other.res.body.data.id, answers[2].url.split('/')[4]);
      },
    );
  });

  describe('atomic operations', () => {
    async function clientAtomic(w: World, ops: unknown[], host?: string): Promise<Sent> {
      const s = await atomicAs(w.token, ops, host);
      expectNoHiddenIdLeaked(s, w.all, w.visible);
      return s;
    }

    interface AtomicCase {
      readonly label: string;
      /** The operation on a resource of `side`; the admin's answer for side 'in'. */
      readonly op: (w: World, side: Side) => Promise<{ op: Record<string, unknown>; hidden?: string }>;
      readonly adminStatus: number;
      /** For side 'out', the client token is refused by role (403) rather than by scope (404): adds name no existing target. */
      readonly outStatus: 403 | 404;
    }

    function createOp(def: ResourceDef, owner: string): Record<string, unknown> {
      const relationships = def.type === 'client' ? { parent: { data: { type: 'client', id: owner } } } : { client: { data: { type: 'client', id: owner } } };
      return { op: 'add', data: { type: def.type, attributes: { name: `atomic ${def.type}` }, relationships } };
    }

    const cases: AtomicCase[] = readable.flatMap((def): AtomicCase[] => [
      {
        label: `add ${def.type}`,
        op: async (w, side) => {
          const owner = side === 'in' ? w.Tc : w.Xc;
          return { op: createOp(def, owner), hidden: side === 'out' ? owner : undefined };
        },
        adminStatus: 200,
        outStatus: 403,
      },
      {
        label: `update ${def.type}`,
        op: async (w, side) => {
          const id = await w.source(def, side);
          return { op: { op: 'update', data: { type: def.type, id, attributes: { name: 'atomic rename' } } }, hidden: side === 'out' ? id : undefined };
        },
        adminStatus: 200,
        outStatus: 404,
      },
      {
        label: `remove ${def.type}`,
        op: async (w, side) => {
          const id = await w.leaf(def, side);
          return { op: { op: 'remove', ref: { type: def.type, id } }, hidden: side === 'out' ? id : undefined };
        },
        adminStatus: 204,
        outStatus: 404,
      },
      ...def.relationships.flatMap((rel): AtomicCase[] =>
        (rel.kind === 'to-many' ? (['update', 'add', 'remove'] as const) : (['update'] as const)).map((kind) => ({
          label: `${kind} ${def.type}.${rel.name} by ref`,
          op: async (w, side) => {
            const id = await w.source(def, side);
            const { data } = await w.body(def, rel, kind === 'update' ? 'PATCH' : kind === 'add' ? 'POST' : 'DELETE', 'in');
            return { op: { op: kind, ref: { type: def.type, id, relationship: rel.name }, data }, hidden: side === 'out' ? id : undefined };
          },
          adminStatus: 204,
          outStatus: 404,
        })),
      ),
    ]);

    describe.each(cases)('$label', (c) => {
      let w: World;
      beforeAll(async () => {
        w = await new World(h).build();
      });

      it(`When a client token sends the operation (${c.label}) on what it can see, then it answers 403 forbidden at /atomic:operations/0 and nothing changes`, async () => {
        const { op } = await c.op(w, 'in');
        const before = await dumpDatabase(h);
        const s = await clientAtomic(w, [op]);
        expect(errorOf(s)).toEqual({ status: 403, code: 'forbidden', source: { pointer: '/atomic:operations/0' } });
        expectSameDump(await dumpDatabase(h), before);
      });

      it(`When a client token sends the operation (${c.label}) on what it cannot see, then it answers ${c.outStatus} exactly as for an id that never existed`, async () => {
        const { op, hidden } = await c.op(w, 'out');
        expect(hidden).toBeDefined();
        const missing = unusedId();
        const a = await clientAtomic(w, [op]);
        const b = await clientAtomic(w, [JSON.parse(JSON.stringify(op).split(hidden!).join(missing))]);
        expect(errorOf(a)).toEqual({ status: c.outStatus, code: c.outStatus === 403 ? 'forbidden' : 'not_found', source: { pointer: '/atomic:operations/0' } });
        expectSameAsMissing(a, b, hidden!, missing);
      });

      // Last: the admin's write changes the shared world.
      it(`When an admin sends the operation (${c.label}), then it answers ${c.adminStatus}`, async () => {
        const { op } = await c.op(w, 'in');
        const s = await atomicAs(h.admin, [op]);
        expect({ status: s.res.status, errors: s.res.body?.errors }).toEqual({ status: c.adminStatus, errors: undefined });
      });
    });

    it('When a client token sends an operation on what it can see after one on what it cannot, then the first decides: 404 at /atomic:operations/0, as for an id that never existed', async () => {
      const w = await new World(h).build();
      const missing = unusedId();
      const mine = { op: 'update', data: { type: 'client', id: w.Tc, attributes: { name: 'x' } } };
      const theirs = (id: string) => ({ op: 'update', data: { type: 'client', id, attributes: { name: 'x' } } });
      const a = await clientAtomic(w, [theirs(w.Xc), mine]);
      const b = await clientAtomic(w, [theirs(missing), mine]);
      expect(errorOf(a)).toEqual({ status: 404, code: 'not_found', source: { pointer: '/atomic:operations/0' } });
      expectSameAsMissing(a, b, w.Xc, missing);
    });

    it('When a client token adds an api-token through atomic operations, then it answers 403 and no token is made', async () => {
      const w = await new World(h).build();
      const before = (await sendAny(h.admin, 'GET', '/api/v2/api-tokens')).res.body.meta.page.total;
      const s = await clientAtomic(w, [{ op: 'add', data: { type: 'api-token', attributes: { name: 'sneaky', role: 'admin' } } }]);
      expect(errorOf(s).status).toBe(403);
      expect(errorOf(s).code).toBe('forbidden');
      expect(s.res.text).not.toMatch(/secret/i);
      expect((await sendAny(h.admin, 'GET', '/api/v2/api-tokens')).res.body.meta.page.total).toBe(before);
    });
  });

  describe('a narrowed host (an admin at SLUG.BASE_DOMAIN sees only that subtree)', () => {
    const hostOf = (slug: string) => `${slug}.${BASE_DOMAIN}`;
    let n = 0;
    const slug = () => `wt-${process.pid}-${++n}`;

    it('When a relationship write at the subdomain names a parent outside the subtree, then it answers 404 related_not_found at /data, exactly as for an id that never existed', async () => {
      const s = slug();
      const w = await new World(h).build(s);
      const missing = unusedId();
      const url = `/api/v2/clients/${w.Tcc}/relationships/parent`;
      const a = await sendAny(h.admin, 'PATCH', url, { data: { type: 'client', id: w.X } }, hostOf(s));
      const b = await sendAny(h.admin, 'PATCH', url, { data: { type: 'client', id: missing } }, hostOf(s));
      expect(errorOf(a)).toEqual({ status: 404, code: 'related_not_found', source: { pointer: '/data' } });
      expectSameAsMissing(a, b, w.X, missing);
      expect((await sendAny(h.admin, 'GET', url)).res.body.data.id).toBe(w.Tc);
    });

    it.each(['PATCH', 'POST', 'DELETE'] as const)(
      'When %s /relationships/legalEntities at the subdomain names an entity outside the subtree second, then it answers 404 related_not_found at /data/1, as for an id that never existed',
      async (method) => {
        const s = slug();
        const w = await new World(h).build(s);
        const le = registry.get('legal-entity');
        const mine = await w.ownedBy(le, w.Tc);
        const theirs = await w.ownedBy(le, w.Xc);
        const missing = unusedId();
        const url = `/api/v2/clients/${w.Tc}/relationships/legalEntities`;
        // DELETE of an owned member is refused (403) before body ids are looked up: name a non-member of the subtree first.
        const first = method === 'DELETE' ? await w.ownedBy(le, w.Tc2) : mine;
        const send2 = (id: string) =>
          sendAny(
            h.admin,
            method,
            url,
            {
              data: [
                { type: 'legal-entity', id: first },
                { type: 'legal-entity', id },
              ],
            },
            hostOf(s),
          );
        const a = await send2(theirs);
        const b = await send2(missing);
        expect(errorOf(a)).toEqual({ status: 404, code: 'related_not_found', source: { pointer: '/data/1' } });
        expectSameAsMissing(a, b, theirs, missing);
        expect((await sendAny(h.admin, 'GET', `/api/v2/legal-entities/${theirs}/relationships/client`)).res.body.data.id).toBe(w.Xc);
      },
    );

    it('When a relationship write at the subdomain targets a client outside the subtree, then it answers 404 not_found, as for an id that never existed', async () => {
      const s = slug();
      const w = await new World(h).build(s);
      const missing = unusedId();
      const a = await sendAny(h.admin, 'POST', `/api/v2/clients/${w.Xc}/relationships/children`, { data: [{ type: 'client', id: w.Tcc }] }, hostOf(s));
      const b = await sendAny(h.admin, 'POST', `/api/v2/clients/${missing}/relationships/children`, { data: [{ type: 'client', id: w.Tcc }] }, hostOf(s));
      expect(errorOf(a)).toEqual({ status: 404, code: 'not_found', source: undefined });
      expectSameAsMissing(a, b, w.Xc, missing);
    });

    it('When a relationship write at the subdomain stays inside the subtree, then it answers 204', async () => {
      const s = slug();
      const w = await new World(h).build(s);
      const a = await sendAny(h.admin, 'POST', `/api/v2/clients/${w.Tc2}/relationships/children`, { data: [{ type: 'client', id: w.Tcc }] }, hostOf(s));
      expect(a.res.status).toBe(204);
      expect((await sendAny(h.admin, 'GET', `/api/v2/clients/${w.Tcc}/relationships/parent`)).res.body.data.id).toBe(w.Tc2);
    });

    // SPEC §4 forbids creating a root under a narrowed host; the service also refuses PATCH parent null there.
    // Assumed: every other way of making a client a root at the subdomain is refused alike (403 at /data).
    it.each([
      ['PATCH /clients/Tcc/relationships/parent with null', (w: World) => ({ method: 'PATCH' as const, url: `/api/v2/clients/${w.Tcc}/relationships/parent`, body: { data: null } })],
      [
        'DELETE /clients/Tc/relationships/children naming Tcc',
        (w: World) => ({ method: 'DELETE' as const, url: `/api/v2/clients/${w.Tc}/relationships/children`, body: { data: [{ type: 'client', id: w.Tcc }] } }),
      ],
      ['PATCH /clients/Tc/relationships/children with []', (w: World) => ({ method: 'PATCH' as const, url: `/api/v2/clients/${w.Tc}/relationships/children`, body: { data: [] } })],
    ])('When %s is sent at the subdomain, making a client of the subtree a root (it would leave the subtree), then it answers 403 at /data and nothing changes', async (_label, req) => {
      const s = slug();
      const w = await new World(h).build(s);
      const r = req(w);
      const before = await dumpDatabase(h);
      const res = await sendAny(h.admin, r.method, r.url, r.body, hostOf(s));
      expect(errorOf(res)).toEqual({ status: 403, code: 'forbidden', source: { pointer: '/data' } });
      expectSameDump(await dumpDatabase(h), before);
    });

    it('When an atomic add at the subdomain names an owner outside the subtree, then it answers 404 related_not_found at /atomic:operations/1/data/relationships/client/data and nothing is created', async () => {
      const s = slug();
      const w = await new World(h).build(s);
      const missing = unusedId();
      const ops = (owner: string) => [
        { op: 'add', data: { type: 'project', attributes: { name: 'inside' }, relationships: { client: { data: { type: 'client', id: w.Tc } } } } },
        { op: 'add', data: { type: 'project', attributes: { name: 'outside' }, relationships: { client: { data: { type: 'client', id: owner } } } } },
      ];
      const before = (await sendAny(h.admin, 'GET', '/api/v2/projects')).res.body.meta.page.total;
      const a = await atomicAs(h.admin, ops(w.X), hostOf(s));
      const b = await atomicAs(h.admin, ops(missing), hostOf(s));
      expect(errorOf(a)).toEqual({ status: 404, code: 'related_not_found', source: { pointer: '/atomic:operations/1/data/relationships/client/data' } });
      expectSameAsMissing(a, b, w.X, missing);
      expect((await sendAny(h.admin, 'GET', '/api/v2/projects')).res.body.meta.page.total).toBe(before);
    });

    it('When an atomic relationship operation at the subdomain refers to a client outside the subtree, then it answers 404 not_found at /atomic:operations/0, as for an id that never existed', async () => {
      const s = slug();
      const w = await new World(h).build(s);
      const missing = unusedId();
      const op = (id: string) => [{ op: 'add', ref: { type: 'client', id, relationship: 'children' }, data: [{ type: 'client', id: w.Tcc }] }];
      const a = await atomicAs(h.admin, op(w.X), hostOf(s));
      const b = await atomicAs(h.admin, op(missing), hostOf(s));
      expect(errorOf(a)).toEqual({ status: 404, code: 'not_found', source: { pointer: '/atomic:operations/0' } });
      expectSameAsMissing(a, b, w.X, missing);
      expect((await sendAny(h.admin, 'GET', `/api/v2/clients/${w.Tcc}/relationships/parent`)).res.body.data.id).toBe(w.Tc);
    });
  });
});
