import type { Response } from 'supertest';
import { registry } from '../../src/resources/registry';
import { RelationshipDef, ResourceDef } from '../../src/resources/types';
import { Forest, makeClient, makeForest, makeOwned, unusedId } from '../support/factories';
import { api, clientToken, Harness, startHarness } from '../support/harness';
import { cursorOf, cursorPayload, enc, getIds, readableText, relative, walk, walkedIds } from '../support/query-helpers';
import { allForestIds, forestIdsOf } from '../support/tenancy-helpers';

/**
 * The tenancy matrix extended to every query parameter (SPEC §4: a client token sees
 * its client's subtree; "everything else answers 404, as if it did not exist, on every path:
 * ... filters, counts, totals, cursors"). Generated from the registry: for every readable type,
 * on its collection and on the related and linkage endpoints that list it, every filter that
 * names an id (to-one relationships, their paths, ids, descendantOf, ancestorOf) × every page
 * mode (page numbers with totals, keyset from either end) × includes (counts) and path sorts.
 *
 * For each out-of-scope id, the answer must be the answer for an id that never existed: same
 * status, content type and body once the id itself is replaced, and once the signatures of
 * cursors (which sign the query, id included) are set aside; the cursors' readable parts must
 * be equal too. No body, and no cursor once decoded, may name an out-of-scope id or name.
 *
 * The forest (tests/support/factories.ts):
 *   rootA ── childA1 ── grandA        the token belongs to childA1: it sees childA1, grandA and
 *        └─ childA2                    what they own; rootA, childA2 and the B tree are hidden.
 *   rootB ── childB1
 */

let h: Harness;
let f: Forest;
let token: string;
let all: Set<string>;
let visible: Set<string>;
const HIDDEN_NAMES = ['Root A', 'Child A2', 'Root B', 'Child B1'];
const readable = registry.resources.filter((d) => d.scope.kind !== 'admin-only');
const outOfScope = new Map<string, string[]>();
const inScope = new Map<string, string[]>();

beforeAll(async () => {
  h = await startHarness();
  f = await makeForest(h);
  token = await clientToken(h, f.childA1);
  all = allForestIds(f);
  const inClients = [f.childA1, f.grandA];
  const outClients = [f.rootA, f.childA2, f.rootB, f.childB1];
  for (const def of readable) {
    inScope.set(def.type, forestIdsOf(f, def, inClients));
    outOfScope.set(def.type, forestIdsOf(f, def, outClients));
  }
  visible = new Set(readable.flatMap((d) => inScope.get(d.type)!));
  // Warm the token (its first use records lastUsedAt).
  await api(h, token).get('/api/v2/clients');
});
afterAll(() => h.close());

/** Replaces each cursor in the links by its readable part (signatures sign the query, the id sent included). */
function withoutSignatures(body: unknown): unknown {
  if (!body || typeof body !== 'object') return body;
  const copy = JSON.parse(JSON.stringify(body)) as { links?: Record<string, unknown> };
  for (const [k, v] of Object.entries(copy.links ?? {})) {
    if (typeof v !== 'string') continue;
    const c = cursorOf(v);
    if (c)
      copy.links![k] = `${
        relative(v)
          .replace(/page%5B|page\[/g, 'page[')
          .split('?')[0]
      }?cursor=${JSON.stringify(cursorPayload(c))}&query=${relative(v).replace(encodeURIComponent(c), '<CURSOR>').replace(c, '<CURSOR>')}`;
    else copy.links![k] = relative(v);
  }
  return copy;
}

function normalise(res: Response, id: string, url: string) {
  const text = (JSON.stringify(withoutSignatures(res.body)) ?? '').replace(/\/\/127\.0\.0\.1:\d+\//g, '//<HOST>/');
  return { request: url, status: res.status, contentType: res.headers['content-type'], body: text.split(id).join('<ID>') };
}

/** No out-of-scope id other than those the URL names, and no hidden name, in the body or a decoded cursor. */
function expectNoHiddenIdOrNameLeaked(url: string, res: Response): void {
  const text = readableText(res).toLowerCase();
  const named = url.toLowerCase();
  const leakedIds = [...all].filter((id) => !visible.has(id) && !named.includes(id) && text.includes(id));
  const leakedNames = HIDDEN_NAMES.filter((n) => text.includes(n.toLowerCase()) && !decodeURIComponent(named).includes(n.toLowerCase()));
  expect({ url, leakedIds, leakedNames }).toEqual({ url, leakedIds: [], leakedNames: [] });
}

/** Sends `template` with the hidden id and with an id that never existed; both answers must be the same. */
async function expectHiddenLikeMissing(template: string, hidden: string): Promise<Response> {
  const missing = unusedId();
  const a = template.split('{ID}').join(hidden);
  const b = template.split('{ID}').join(missing);
  const hiddenRes = await api(h, token).get(a);
  const missingRes = await api(h, token).get(b);
  expectNoHiddenIdOrNameLeaked(a, hiddenRes);
  expectNoHiddenIdOrNameLeaked(b, missingRes);
  expect(normalise(hiddenRes, hidden, template)).toEqual(normalise(missingRes, missing, template));
  return hiddenRes;
}

/** Filters (as query fragments with an {ID} slot) that name an id of `target`, for a list of `def`. */
interface IdFilter {
  /** A query fragment with an {ID} slot, and a {VISIBLE} slot for a visible id of the same type. */
  readonly fragment: string;
  readonly target: string;
}

function idFilters(def: ResourceDef): IdFilter[] {
  const out: IdFilter[] = [
    { fragment: 'filter[id]={ID}', target: def.type },
    { fragment: 'filter[id][in]={ID},{VISIBLE}', target: def.type },
    { fragment: 'filter[id][nin]={ID}', target: def.type },
  ];
  for (const rel of def.relationships) {
    if (rel.kind !== 'to-one') continue;
    out.push({ fragment: `filter[${rel.name}]={ID}`, target: rel.target });
    out.push({ fragment: `filter[${rel.name}][in]={ID},{VISIBLE}`, target: rel.target });
    if (rel.nullable) out.push({ fragment: `filter[${rel.name}]={ID},null`, target: rel.target });
    out.push({ fragment: `filter[${rel.name}.id]={ID}`, target: rel.target });
    out.push({ fragment: `filter[${rel.name}.id][nin]={ID}`, target: rel.target });
    const targetDef = registry.get(rel.target);
    for (const inner of targetDef.relationships) {
      if (inner.kind === 'to-one') out.push({ fragment: `filter[${rel.name}.${inner.name}.id]={ID}`, target: inner.target });
    }
  }
  if (def.hierarchy) {
    out.push({ fragment: 'filter[descendantOf]={ID}', target: def.type });
    out.push({ fragment: 'filter[ancestorOf]={ID}', target: def.type });
  }
  return out;
}

/** Out-of-scope ids to probe with: one in the token's own tree (its root's) and one in another tree. */
const probes = (type: string) => {
  const ids = outOfScope.get(type)!;
  return [ids[0], ids[ids.length - 1]];
};

/** The fragment with a visible id of its target in the {VISIBLE} slot. */
const resolve = (flt: IdFilter) => flt.fragment.split('{VISIBLE}').join(inScope.get(flt.target)![0]);

/** A sort through every to-one path (hidden rows sort as null), and an include of every relationship (counts). */
function extras(def: ResourceDef): string {
  const toOne = def.relationships.filter((r) => r.kind === 'to-one');
  const sort = [...toOne.map((r) => `-${r.name}.name`), ...toOne.map((r) => `${r.name}.id`)].join(',');
  const include = def.relationships.map((r) => r.name).join(',');
  return `${sort ? `sort=${sort}&` : ''}include=${include}&page[size]=1`;
}

const PAGE_MODES = ['page[number]=1', 'page[after]=', 'page[before]='];

/** Collections that list `def`: its own, and every related and linkage endpoint of a visible client that lists it. */
function collections(def: ResourceDef): { url: string; linkage: boolean }[] {
  const out = [{ url: `/api/v2/${def.path}`, linkage: false }];
  for (const rel of registry.get('client').relationships as readonly RelationshipDef[]) {
    if (rel.kind !== 'to-many' || rel.target !== def.type) continue;
    out.push({ url: `/api/v2/clients/{OWNER}/${rel.name}`, linkage: false });
    out.push({ url: `/api/v2/clients/{OWNER}/relationships/${rel.name}`, linkage: true });
  }
  return out;
}

describe('every id-naming filter × page mode × endpoint, generated from the registry', () => {
  const cases = readable.flatMap((def) => collections(def).flatMap((c) => idFilters(def).map((flt) => ({ label: `${c.url.replace('{OWNER}', '{childA1}')}?${flt.fragment}`, def, c, flt }))));

  it.each(cases)('When a client token sends GET $label with an out-of-scope id, in every page mode, then it answers exactly as for an id that never existed', async ({ def, c, flt }) => {
    for (const hidden of probes(flt.target)) {
      for (const mode of PAGE_MODES) {
        const base = c.url.replace('{OWNER}', f.childA1);
        const extra = c.linkage ? 'page[size]=1' : extras(def);
        const template = `${base}?${resolve(flt)}&${extra}&${mode}`;
        const res = await expectHiddenLikeMissing(template, hidden);
        expect({ template, status: res.status }).toEqual({ template, status: 200 });
        if (mode === 'page[number]=1') expect(typeof res.body.meta.page.total).toBe('number');
        else expect(res.body.meta.page).toEqual({ size: 1 });
      }
    }
  });

  it('When the hidden id is replaced by a visible one, then the same filters do find rows (the probes can tell something apart)', async () => {
    const found: string[] = [];
    for (const def of readable) {
      for (const flt of idFilters(def)) {
        if (flt.fragment.includes('[nin]') || flt.fragment.includes('[ne]')) continue;
        for (const id of inScope.get(flt.target)!) {
          const res = await api(h, token).get(`/api/v2/${def.path}?${resolve(flt).split('{ID}').join(id)}`);
          expect(res.status).toBe(200);
          if (res.body.data.length > 0) found.push(`${def.type} ${flt.fragment}`);
        }
      }
    }
    expect(found.length).toBeGreaterThan(20);
  });
});

describe('hierarchy filters and the scope', () => {
  it('When a client token asks for the descendants of its hidden root, then it gets nothing (not its own subtree), exactly as for a missing id', async () => {
    const res = await expectHiddenLikeMissing('/api/v2/clients?filter[descendantOf]={ID}', f.rootA);
    expect(res.body.data).toEqual([]);
    expect(res.body.meta.page.total).toBe(0);
    // The admin does get the subtree: the filter names a real client.
    expect((await getIds(h, `/api/v2/clients?filter[descendantOf]=${f.rootA}`)).sort()).toEqual([f.childA1, f.childA2, f.grandA].sort());
  });

  it('When a client token asks for the ancestors of its own client, then it gets nothing; of its grandchild, only its own client', async () => {
    expect(await getIds(h, `/api/v2/clients?filter[ancestorOf]=${f.childA1}`, token)).toEqual([]);
    expect(await getIds(h, `/api/v2/clients?filter[ancestorOf]=${f.grandA}`, token)).toEqual([f.childA1]);
    expect(await getIds(h, `/api/v2/clients?filter[ancestorOf]=${f.grandA}`)).toEqual([f.rootA, f.childA1]);
    for (const hidden of [f.childA2, f.childB1, f.rootB]) {
      const res = await expectHiddenLikeMissing('/api/v2/clients?filter[ancestorOf]={ID}&include=parent,children', hidden);
      expect(res.body.data).toEqual([]);
    }
  });

  it('When a client token filters by parent, then a hidden parent matches nothing and its own client is a root, as for a missing id', async () => {
    expect((await expectHiddenLikeMissing('/api/v2/clients?filter[parent]={ID}', f.rootA)).body.data).toEqual([]);
    const withNull = await expectHiddenLikeMissing('/api/v2/clients?filter[parent]={ID},null&page[after]=', f.rootA);
    expect(withNull.body.data.map((d: { id: string }) => d.id)).toEqual([f.childA1]);
  });
});

describe('cursors', () => {
  it('When a client token pages by parent paths, then no cursor carries a hidden parent name or id (they read as null)', async () => {
    for (const sort of ['parent.name', '-parent.name', 'parent.id', '-parent.id', 'parent.email,-parent.createdAt', 'parent.parent.name']) {
      for (const start of ['page[after]=', 'page[before]=']) {
        const pages = await walk(h, `/api/v2/clients?sort=${sort}&page[size]=1&${start}`, start.startsWith('page[after]') ? 'next' : 'prev', token);
        expect(walkedIds(pages, start.startsWith('page[after]') ? 'next' : 'prev').sort()).toEqual([f.childA1, f.grandA].sort());
        for (const p of pages) {
          expectNoHiddenIdOrNameLeaked(p.url, p.res);
          for (const link of [p.res.body.links.next, p.res.body.links.prev]) {
            const c = cursorOf(link);
            if (!c) continue;
            const [values, id] = cursorPayload(c) as [unknown[], string];
            // Every key of these sorts goes through the parent, which childA1 may not see.
            if (id === f.childA1) expect({ sort, values }).toEqual({ sort, values: values.map(() => null) });
          }
        }
      }
    }
  });

  it("When a client token sends an admin's cursor, or its own cursor with a filter naming a hidden id, then it answers 400 exactly as with a missing id", async () => {
    const adminPage = await api(h).get('/api/v2/clients?sort=name&page[size]=1&page[after]=');
    const adminCursor = cursorOf(adminPage.body.links.next)!;
    const res = await api(h, token).get(`/api/v2/clients?sort=name&page[size]=1&page[after]=${enc(adminCursor)}`);
    expect({ status: res.status, code: res.body.errors?.[0]?.code, source: res.body.errors?.[0]?.source }).toEqual({
      status: 400,
      code: 'invalid_query_parameter',
      source: { parameter: 'page[after]' },
    });
    const own = await api(h, token).get('/api/v2/clients?sort=name&page[size]=1&page[after]=');
    const ownCursor = cursorOf(own.body.links.next)!;
    for (const hidden of outOfScope.get('client')!) {
      const r = await expectHiddenLikeMissing(`/api/v2/clients?sort=name&filter[parent][in]={ID},null&page[size]=1&page[after]=${enc(ownCursor)}`, hidden);
      expect(r.status).toBe(400);
    }
  });
});

describe('counts and totals', () => {
  it('When a client token includes relationships, then meta.count of every to-many counts only what it may see', async () => {
    const res = await api(h, token).get(`/api/v2/clients?include=children,legalEntities,reportingEntities,projects,parent&filter[id]=${f.childA1}`);
    expect(res.status).toBe(200);
    const rels = res.body.data[0].relationships;
    expect(rels.children).toMatchObject({ data: [{ type: 'client', id: f.grandA }], meta: { count: 1 } });
    expect(rels.parent).toEqual(expect.objectContaining({ meta: { restricted: true } }));
    expect('data' in rels.parent).toBe(false);
    const admin = await api(h).get(`/api/v2/clients/${f.rootA}?include=children`);
    expect(admin.body.data.relationships.children.meta).toEqual({ count: 2 });
    expectNoHiddenIdOrNameLeaked('', res);
  });

  it('When a client token filters by the name of a hidden client, then totals are 0, exactly as for a name that never existed', async () => {
    for (const name of HIDDEN_NAMES) {
      for (const flt of ['filter[name]', 'filter[name][contains]', 'filter[parent.name]', 'filter[parent.name][startsWith]', 'filter[parent.parent.name]']) {
        const missing = `Never ${Math.random().toString(36).slice(2, 8)}`;
        const a = await api(h, token).get(`/api/v2/clients?${flt}=${enc(name)}`);
        const b = await api(h, token).get(`/api/v2/clients?${flt}=${enc(missing)}`);
        expect({ flt, status: a.status, data: a.body.data, total: a.body.meta.page.total }).toEqual({ flt, status: 200, data: [], total: 0 });
        const strip = (r: Response, v: string) => JSON.stringify(withoutSignatures(r.body)).split(enc(v)).join('<V>').split(encodeURIComponent(v)).join('<V>');
        expect(strip(a, name)).toEqual(strip(b, missing));
      }
    }
    // Owned entities by their hidden owner's name.
    for (const path of ['legal-entities', 'reporting-entities', 'projects']) {
      const res = await api(h, token).get(`/api/v2/${path}?filter[client.name]=${enc('Root B')}`);
      expect({ path, data: res.body.data, total: res.body.meta.page.total }).toEqual({ path, data: [], total: 0 });
    }
  });
});

describe('non-interference', () => {
  /** Every answer a client token gets for a battery of queries, hosts set aside. */
  async function snapshot(): Promise<Record<string, unknown>> {
    const urls: string[] = [];
    for (const def of readable) {
      for (const mode of ['page[number]=1', 'page[before]=']) {
        urls.push(`/api/v2/${def.path}?${extras(def)}&${mode}`);
        for (const flt of idFilters(def))
          for (const id of [...inScope.get(flt.target)!, ...outOfScope.get(flt.target)!]) urls.push(`/api/v2/${def.path}?${resolve(flt).split('{ID}').join(id)}&${extras(def)}&${mode}`);
      }
    }
    for (const sort of ['parent.name', '-parent.name', 'parent.createdAt', '-parent.email', 'parent.parent.name']) urls.push(`/api/v2/clients?sort=${sort}&filter[name][contains]=a`);
    const out: Record<string, unknown> = {};
    for (const u of urls) {
      const res = await api(h, token).get(u);
      out[u] = { status: res.status, body: JSON.parse(JSON.stringify(res.body, (_k, v) => (typeof v === 'string' ? v.replace(/\/\/127\.0\.0\.1:\d+\//g, '//<HOST>/') : v))) };
    }
    return out;
  }

  it('When hidden clients are renamed, given children and owned entities, and new hidden trees appear, then every answer the client token gets stays byte for byte the same', async () => {
    const before = await snapshot();
    for (const [id, name] of [
      [f.rootA, 'AAAA first'],
      [f.childA2, '~~~~ last'],
      [f.rootB, 'Child A1'],
    ]) {
      const res = await api(h).patch(`/api/v2/clients/${id}`, { data: { type: 'client', id, attributes: { name, email: `${id}@hidden.io` } } });
      expect(res.status).toBe(200);
    }
    const extra = await makeClient(h, { name: 'Hidden sibling' }, f.rootA);
    await makeClient(h, { name: 'Hidden nephew' }, f.childA2);
    await makeClient(h, { name: 'Hidden root' });
    await makeOwned(h, 'legal-entities', extra);
    await makeOwned(h, 'projects', f.rootA);
    const after = await snapshot();
    const changed = Object.keys(before).filter((u) => JSON.stringify(before[u]) !== JSON.stringify(after[u]));
    expect(changed).toEqual([]);
    expect(Object.keys(before).length).toBeGreaterThan(100);
  });
});
