import fc from 'fast-check';
import { Caller } from '../../src/data/store';
import { DocumentWriter } from '../../src/http/jsonapi/document.writer';
import { operationContext } from '../../src/operations/context';
import { list, show } from '../../src/operations/read';
import { parseQuery } from '../../src/query/query.parser';
import { registry } from '../../src/resources/registry';
import { ResourceDef } from '../../src/resources/types';
import { makeClient, makeForest, makeOwned } from '../support/factories';
import { clientToken, Harness, startHarness } from '../support/harness';
import { DocumentSerializer } from '../support/reference-serializer';

/**
 * The compiled document writer against ts-japi (tests/support/reference-serializer.ts, the
 * serializer it replaced on the hot path): for the same loaded graph, every fieldset and
 * include the registry allows, both write the same document. Linkage is cut at 2 identifiers
 * so that bounded to-manys (links.next, meta.count) are exercised; a client token makes
 * restricted parents.
 */

const BASE = 'http://example.test/api/v2';
const MAX_LINKAGE = 2;
const next = (ownerSelf: string, rel: { name: string }, lastId: string) => `${ownerSelf}/relationships/${rel.name}?after=${lastId}`;

let h: Harness;
let admin: Caller;
let client: Caller;

beforeAll(async () => {
  h = await startHarness();
  const forest = await makeForest(h);
  // Wider relationships than MAX_LINKAGE, so linkage is cut.
  for (let i = 0; i < 3; i++) await makeClient(h, { name: `Extra ${i}` }, forest.childA1);
  for (let i = 0; i < 3; i++) await makeOwned(h, 'legal-entities', forest.childA1);
  admin = (await h.store.authenticate(h.admin))!;
  client = (await h.store.authenticate(await clientToken(h, forest.childA1)))!;
});

afterAll(() => h.close());

/** Parsed and re-serialized: drops undefined members, so the comparison is of JSON. */
const json = (doc: unknown) => JSON.parse(JSON.stringify(doc)) as unknown;

const types = ['client', 'legal-entity', 'reporting-entity', 'project'];
const fieldsOf = (def: ResourceDef) => [...def.attributes.map((a) => a.name), ...def.relationships.map((r) => r.name)];
const includePaths = ['parent', 'children', 'legalEntities', 'reportingEntities', 'projects', 'children.legalEntities', 'parent.parent', 'legalEntities.client', 'children.children.parent'];

/** A query string: an optional fieldset per type and an optional include list. */
const queries = fc
  .record({
    fields: fc.uniqueArray(
      fc.constantFrom(...types).chain((type) => fc.subarray(fieldsOf(registry.get(type))).map((names) => [type, names] as const)),
      { maxLength: 3, selector: ([type]) => type },
    ),
    include: fc.subarray(includePaths, { maxLength: 3 }),
    sort: fc.constantFrom('', 'name', '-createdAt'),
  })
  .map(({ fields, include, sort }) => {
    const parts = fields.map(([type, names]) => `fields[${type}]=${names.join(',')}`);
    if (include.length > 0) parts.push(`include=${include.join(',')}`);
    if (sort) parts.push(`sort=${sort}`);
    return parts.join('&');
  });

const limits = () => ({ ...h.config.limits, cursorSecret: h.store.cursorSecret });

async function both(caller: Caller, raw: string, id?: string): Promise<[unknown, unknown]> {
  const def = registry.get('client');
  const ctx = operationContext(h.store.session(caller), MAX_LINKAGE);
  const fields = (raw: string) => parseQuery(registry, def, raw, id ? 'single' : 'collection', limits());
  if (id) {
    const spec = fields(raw.replace(/&?sort=[^&]*/, ''));
    const result = await show(ctx, spec, id);
    const options = { self: 'http://example.test/self', includeRequested: spec.include.length > 0, resourceMeta: { note: 'x' } };
    const written = new DocumentWriter(registry, BASE, spec.fields, next).document(result.record, result.graph, options);
    const reference = await new DocumentSerializer(registry, BASE, spec.fields, next).document(result.record, 'client', result.graph, options);
    return [JSON.parse(written), json(reference)];
  }
  const spec = fields(raw);
  const result = await list(ctx, spec);
  const options = {
    self: 'http://example.test/self',
    meta: { page: { total: result.total } },
    links: { first: 'http://example.test/f', last: 'http://example.test/l', prev: null, next: 'http://example.test/n' },
    includeRequested: spec.include.length > 0,
  };
  const written = new DocumentWriter(registry, BASE, spec.fields, next).document(result.records, result.graph, options);
  const reference = await new DocumentSerializer(registry, BASE, spec.fields, next).document(result.records, 'client', result.graph, options);
  return [JSON.parse(written), json(reference)];
}

describe('the document writer writes what ts-japi wrote', () => {
  it('for collections, any fieldsets and includes, as an admin and as a client token', async () => {
    await fc.assert(
      fc.asyncProperty(queries, fc.boolean(), async (raw, asAdmin) => {
        const [written, reference] = await both(asAdmin ? admin : client, raw);
        expect(written).toEqual(reference);
      }),
      { numRuns: 60 },
    );
  });

  it('for a single resource with resource meta, including its restricted parent for a client token', async () => {
    const rows = await h.store.session(client).read((r) => r.select({ def: registry.get('client'), columns: ['id', 'parent_id'] }));
    const top = rows.rows.find((r) => r.parent_id !== null && !rows.rows.some((o) => o.id === r.parent_id))!;
    await fc.assert(
      fc.asyncProperty(queries, async (raw) => {
        const [written, reference] = await both(client, raw, top.id);
        expect(written).toEqual(reference);
        expect((written as { data: { relationships?: { parent?: { meta?: unknown } } } }).data.relationships?.parent?.meta ?? { restricted: true }).toEqual({ restricted: true });
      }),
      { numRuns: 30 },
    );
  });

  it('null primary data', async () => {
    const options = { self: 'http://example.test/self', includeRequested: false };
    const spec = parseQuery(registry, registry.get('client'), '', 'single', limits());
    const written = new DocumentWriter(registry, BASE, spec.fields, next).document(null, undefined, options);
    const reference = await new DocumentSerializer(registry, BASE, spec.fields, next).document(null, 'client', undefined, options);
    expect(JSON.parse(written)).toEqual(json(reference));
  });
});
