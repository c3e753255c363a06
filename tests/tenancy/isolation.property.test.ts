import fc from 'fast-check';
import { FILTER_OPERATORS } from '../../src/query/ast';
import { registry } from '../../src/resources/registry';
import { RelationshipDef, ResourceDef } from '../../src/resources/types';
import { FUZZ } from '../support/fuzz-helpers';
import { Harness, startHarness } from '../support/harness';
import { buildRandomForest, ForestModel, forestArb, hexIdsIn, Method, send, Sent } from '../support/tenancy-helpers';
import { api } from '../support/harness';
import { ATOMIC_MEDIA_TYPE } from '../support/media-types';
import { unusedId } from '../support/factories';

/**
 * Tenant isolation, property-based over every endpoint and parameter family: random
 * forests, a random client token, random requests — lists with include, fields, sort (to-one
 * paths too), page numbers and keyset cursors (followed), filters of every kind naming ids in
 * and out of scope; single, related and relationship endpoints; writes, relationship writes,
 * atomic operations; the flat surface. Properties:
 * - no answer (body, every header, decoded cursors in links) names an id outside the token's
 *   scope, other than ids the request itself named;
 * - an answer to a request naming an out-of-scope id is the answer for an id that never existed
 *   (same status, content type and body, the id aside);
 * - no 5xx; unfiltered totals count exactly what the token may see.
 */

const readable = registry.resources.filter((d) => d.scope.kind !== 'admin-only');

/** A request: what to call, and which ids it names (so hidden ones can be swapped for missing ones). */
interface Call {
  method: Method;
  url: string;
  body?: unknown;
  headers?: Record<string, string>;
}

const pick = <T>(list: readonly T[], n: number): T => list[n % list.length];

/** The ids of a type in the model: everything, whether the token may see it or not. */
function idsOf(m: ForestModel, def: ResourceDef): string[] {
  return [...(m.owner.get(def.type)?.keys() ?? [])];
}

const callArb = fc.record({
  kind: fc.constantFrom('list', 'list', 'list', 'get', 'related', 'related', 'linkage', 'write', 'relationship-write', 'atomic', 'flat'),
  type: fc.nat(),
  rel: fc.nat(),
  rel2: fc.option(fc.nat(), { nil: undefined }),
  /** What the request names: 0 visible (most often), 1 hidden, 2 never existed. */
  which: fc.constantFrom(0, 0, 0, 1, 1, 2),
  pick: fc.nat(),
  families: fc.record({
    include: fc.boolean(),
    fields: fc.boolean(),
    sort: fc.option(fc.nat(), { nil: undefined }),
    descending: fc.boolean(),
    page: fc.constantFrom('none', 'number', 'keyset-after', 'keyset-after', 'keyset-before'),
    size: fc.integer({ min: 1, max: 2 }),
    filter: fc.option(fc.constantFrom('to-one', 'id', 'descendantOf', 'ancestorOf', 'path', 'attribute'), { nil: undefined }),
    op: fc.nat(),
  }),
  method: fc.constantFrom<Method>('POST', 'PATCH', 'DELETE'),
});
type CallSpec = typeof callArb extends fc.Arbitrary<infer T> ? T : never;

/** An id of `def` the spec asks for: one the token sees, one it does not, or one that never existed. */
function chooseId(m: ForestModel, def: ResourceDef, spec: CallSpec): string {
  const all = idsOf(m, def);
  const seen = all.filter((x) => m.visible.has(x));
  const hidden = all.filter((x) => !m.visible.has(x));
  if (spec.which === 0 && seen.length > 0) return pick(seen, spec.pick);
  if (spec.which === 1 && hidden.length > 0) return pick(hidden, spec.pick);
  return unusedId();
}

/** The query string of a collection read of `def`, from the families the spec turned on. */
function query(m: ForestModel, def: ResourceDef, spec: CallSpec): string {
  const f = spec.families;
  const parts: string[] = [];
  if (f.include) {
    const rel = pick(def.relationships, spec.rel);
    const next = spec.rel2 === undefined ? undefined : pick(registry.get(rel.target).relationships, spec.rel2);
    parts.push(`include=${rel.name}${next ? `.${next.name}` : ''}`);
  }
  if (f.fields) parts.push(`fields[${def.type}]=name,${pick(def.relationships, spec.rel).name}`);
  if (f.sort !== undefined) {
    const toOne = def.relationships.filter((r) => r.kind === 'to-one');
    const keys = [...def.attributes.filter((a) => a.sortable).map((a) => a.name), ...toOne.map((r) => `${r.name}.name`), ...toOne.map((r) => `${r.name}.createdAt`)];
    parts.push(`sort=${f.descending ? '-' : ''}${pick(keys, f.sort)}`);
  }
  if (f.filter !== undefined) {
    const toOne = def.relationships.find((r) => r.kind === 'to-one');
    if (f.filter === 'to-one' && toOne) parts.push(`filter[${toOne.name}]=${chooseId(m, registry.get(toOne.target), spec)}`);
    else if (f.filter === 'id') parts.push(`filter[id]=${chooseId(m, def, spec)}`);
    else if ((f.filter === 'descendantOf' || f.filter === 'ancestorOf') && def.hierarchy) parts.push(`filter[${f.filter}]=${chooseId(m, def, spec)}`);
    else if (f.filter === 'path' && toOne) parts.push(`filter[${toOne.name}.name][${pick(['eq', 'contains', 'null', 'startsWith'], f.op)}]=${pick(['P1', 'p', 'true', 'P'], f.op)}`);
    else
      parts.push(
        `filter[name][${pick(
          FILTER_OPERATORS.filter((o) => o !== 'null'),
          f.op,
        )}]=P${f.op % 5}`,
      );
  }
  if (f.page === 'number') parts.push(`page[number]=${1 + (f.op % 3)}`, `page[size]=${f.size}`);
  if (f.page === 'keyset-after') parts.push('page[after]=', `page[size]=${f.size}`);
  if (f.page === 'keyset-before') parts.push('page[before]=', `page[size]=${f.size}`);
  return parts.length > 0 ? `?${parts.join('&')}` : '';
}

function identifierOf(def: ResourceDef, id: string): { type: string; id: string } {
  return { type: def.type, id };
}

/** The calls one spec stands for (one, except keyset reads, whose next page is followed by the test). */
function callFor(m: ForestModel, spec: CallSpec): Call {
  const def = pick(readable, spec.type);
  const base = `/api/v2/${def.path}`;
  const rel: RelationshipDef = pick(def.relationships, spec.rel);
  const target = registry.get(rel.target);
  switch (spec.kind) {
    case 'list':
      return { method: 'GET', url: `${base}${query(m, def, spec)}` };
    case 'get':
      return {
        method: 'GET',
        url: `${base}/${chooseId(m, def, spec)}${spec.families.include ? query(m, def, { ...spec, families: { ...spec.families, sort: undefined, filter: undefined, page: 'none' } }) : ''}`,
      };
    case 'related':
      return { method: 'GET', url: `${base}/${chooseId(m, def, spec)}/${rel.name}${rel.kind === 'to-many' ? query(m, target, spec) : ''}` };
    case 'linkage': {
      const q = rel.kind === 'to-many' ? query(m, target, { ...spec, families: { ...spec.families, include: false, fields: false } }) : '';
      return { method: 'GET', url: `${base}/${chooseId(m, def, spec)}/relationships/${rel.name}${q}` };
    }
    case 'write': {
      if (spec.method === 'POST') {
        const toOne = def.relationships.find((r) => r.kind === 'to-one')!;
        const owner = chooseId(m, registry.get(toOne.target), spec);
        return {
          method: 'POST',
          url: base,
          body: { data: { type: def.type, attributes: { name: 'Intruder' }, relationships: { [toOne.name]: { data: identifierOf(registry.get(toOne.target), owner) } } } },
        };
      }
      const id = chooseId(m, def, spec);
      return spec.method === 'PATCH' ? { method: 'PATCH', url: `${base}/${id}`, body: { data: { type: def.type, id, attributes: { name: 'Renamed' } } } } : { method: 'DELETE', url: `${base}/${id}` };
    }
    case 'relationship-write': {
      const member = chooseId(m, target, { ...spec, which: ((spec.which + 1) % 3) as CallSpec['which'] });
      const data = rel.kind === 'to-one' ? identifierOf(target, member) : [identifierOf(target, member)];
      const method = rel.kind === 'to-one' ? 'PATCH' : spec.method;
      return { method, url: `${base}/${chooseId(m, def, spec)}/relationships/${rel.name}`, body: { data } };
    }
    case 'atomic': {
      const id = chooseId(m, def, spec);
      return {
        method: 'POST',
        url: '/api/v2/operations',
        headers: { 'Content-Type': ATOMIC_MEDIA_TYPE, Accept: ATOMIC_MEDIA_TYPE },
        body: { 'atomic:operations': [{ op: 'update', ref: identifierOf(def, id), data: { type: def.type, id, attributes: { name: 'Atomic' } } }] },
      };
    }
    case 'flat': {
      const client = registry.get('client');
      const id = chooseId(m, client, spec);
      if (spec.method === 'POST') return { method: 'GET', url: `/api/clients?search=P&limit=${spec.families.size}&offset=${spec.families.op % 3}` };
      if (spec.method === 'PATCH') return { method: 'PATCH', url: `/api/clients/client_${id}`, body: { name: 'Flat rename' } };
      return { method: 'GET', url: `/api/clients/client_${id}` };
    }
  }
}

/** Every id a response shows: body, every header, and the positions inside keyset cursors of its links. */
function idsShown(s: Sent): Set<string> {
  const shown = hexIdsIn(s.res.text ?? '');
  for (const v of Object.values(s.res.headers)) for (const id of hexIdsIn(String(v))) shown.add(id);
  for (const cursor of (s.res.text ?? '').matchAll(/page(?:%5B|\[)(?:after|before)(?:%5D|\])=([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]+/g)) {
    for (const id of hexIdsIn(Buffer.from(cursor[1], 'base64url').toString('utf8'))) shown.add(id);
  }
  return shown;
}

async function perform(h: Harness, token: string, call: Call): Promise<Sent> {
  if (!call.headers) return send(h, token, call.method, call.url, call.body);
  const t = api(h, token).post(call.url, call.body);
  for (const [k, v] of Object.entries(call.headers)) t.set(k, v);
  return { method: call.method, url: call.url, body: call.body, res: await t };
}

describe('Tenant isolation over every endpoint and parameter family, property-based', () => {
  const stats = { requests: 0, hiddenCompared: 0, cursorsFollowed: 0, statuses: new Map<number, number>() };
  afterAll(() => {
    const statuses = [...stats.statuses]
      .sort((a, b) => a[0] - b[0])
      .map(([k, v]) => `${k}:${v}`)
      .join(' ');
    console.log(`[isolation] ${stats.requests} requests (${statuses}), ${stats.hiddenCompared} hidden-vs-missing comparisons, ${stats.cursorsFollowed} cursors followed`);
  });

  it('When a client token sends random requests to a random forest, then no answer names an id outside its scope it did not send, and a hidden id answers like a missing one', async () => {
    await fc.assert(
      fc.asyncProperty(forestArb, fc.array(callArb, { minLength: 6, maxLength: 14 }), async (forest, specs) => {
        const h = await startHarness();
        try {
          const m = await buildRandomForest(h, forest);
          const everything = new Set([...m.owner.values()].flatMap((byId) => [...byId.keys()]));
          const named = (c: Call) => new Set([...hexIdsIn(c.url), ...hexIdsIn(JSON.stringify(c.body ?? ''))]);
          const check = (c: Call, s: Sent) => {
            stats.requests++;
            stats.statuses.set(s.res.status, (stats.statuses.get(s.res.status) ?? 0) + 1);
            const label = `${c.method} ${c.url} ${JSON.stringify(c.body ?? '')}`;
            if (s.res.status >= 500) throw new Error(`5xx: ${label} → ${s.res.text}`);
            const sent = named(c);
            const stray = [...idsShown(s)].filter((x) => everything.has(x) && !m.visible.has(x) && !sent.has(x));
            if (stray.length > 0) throw new Error(`${label} → ${s.res.status} names out-of-scope ids ${stray.join(', ')}: ${s.res.text}`);
          };
          for (const spec of specs) {
            const call = callFor(m, spec);
            const s = await perform(h, m.token.secret, call);
            check(call, s);
            // Follow a keyset cursor once: the page it leads to must be as clean.
            const links = s.res.body?.links ?? {};
            const next = [links.next, links.prev].find((l: unknown) => typeof l === 'string' && /page\[(after|before)\]=[^&]/.test(l));
            if (typeof next === 'string') {
              const follow: Call = { method: 'GET', url: next.replace(/^https?:\/\/[^/]+/, '') };
              stats.cursorsFollowed++;
              check(follow, await perform(h, m.token.secret, follow));
            }
            // An unfiltered first page counts exactly what the token may see.
            if (spec.kind === 'list' && call.url.indexOf('filter') === -1 && s.res.body?.meta?.page?.total !== undefined) {
              const def = pick(readable, spec.type);
              const want = idsOf(m, def).filter((x) => m.visible.has(x)).length;
              if (s.res.body.meta.page.total !== want) throw new Error(`${call.url}: total ${s.res.body.meta.page.total}, the token sees ${want}`);
            }
            // Hidden ids answer exactly like ids that never existed.
            const hidden = [...named(call)].filter((x) => everything.has(x) && !m.visible.has(x));
            if (hidden.length > 0) {
              let replay: Call = call;
              const swaps: [string, string][] = hidden.map((x) => [x, unusedId()]);
              for (const [from, to] of swaps) replay = JSON.parse(JSON.stringify(replay).split(from).join(to)) as Call;
              const r = await perform(h, m.token.secret, replay);
              stats.hiddenCompared++;
              check(replay, r);
              const normalise = (sent: Sent, pairs: [string, string][], side: 0 | 1) => {
                let text = sent.res.text ?? '';
                for (const p of pairs) text = text.split(p[side]).join(`<${pairs.indexOf(p)}>`);
                return { status: sent.res.status, type: sent.res.headers['content-type'], body: text.replace(/\/\/127\.0\.0\.1:\d+\//g, '//<HOST>/') };
              };
              const a = normalise(s, swaps, 0);
              const b = normalise(r, swaps, 1);
              if (JSON.stringify(a) !== JSON.stringify(b)) throw new Error(`hidden and missing ids answer differently for ${call.method} ${call.url}:\n${JSON.stringify(a)}\n${JSON.stringify(b)}`);
            }
          }
        } finally {
          await h.close();
        }
      }),
      { ...FUZZ, numRuns: Number(process.env.ISOLATION_RUNS ?? 25), interruptAfterTimeLimit: Number(process.env.FUZZ_SECONDS ?? 3) * 10_000 },
    );
  });
});
