import { api, clientToken, Harness, startHarness } from '../support/harness';
import { makeClient, makeOwned, unusedId } from '../support/factories';
import { ATOMIC_EXT } from '../support/media-types';
import { expectError } from '../support/spec-helpers';
import { atomic, dumpDatabase, expectSameDump, firstError, relWrite } from '../support/write-helpers';

/**
 * JSON:API 1.1 "Document Structure", rule by rule, for request documents (SPEC §2 "Writes"): a
 * document that breaks one of its MUSTs is 400 invalid_document with `source.pointer` at the
 * member at fault, on every write surface (resource documents, relationship endpoints, atomic
 * operations), before anything the database decides (the precedence table: 413, 400, 404, 403,
 * 422, 409, 412). Relationship data longer than MAX_RELATIONSHIP_IDS (3 here) is 413 at the
 * array. What the specification says to ignore (members it does not define, @-members) is
 * ignored.
 */

const MAX_IDS = 3;
type Body = Record<string, unknown>;

/** A JSON Pointer segment (RFC 6901). */
const segment = (name: string) => name.replace(/~/g, '~0').replace(/\//g, '~1');

/** Rows [label, input, pointer] as [label, pointer, input], so that titles read "When …%s…, then … at %s". */
const byPointer = <T>(rows: [string, T, string][]): [string, string, T][] => rows.map(([label, input, pointer]) => [label, pointer, input]);

describe('document structure', () => {
  let h: Harness;
  let parent: string;
  /** MAX_IDS + 1 existing clients, for arrays over the limit. */
  let many: string[];

  beforeAll(async () => {
    h = await startHarness({ MAX_RELATIONSHIP_IDS: String(MAX_IDS) });
    parent = await makeClient(h, { name: 'Structure parent' });
    many = [];
    for (let i = 0; i <= MAX_IDS; i++) many.push(await makeClient(h, { name: `Structure member ${i}` }));
  });
  afterAll(() => h.close());

  const ref = (id: string) => ({ type: 'client', id });
  const newClient = (extra: Body = {}): Body => ({ type: 'client', attributes: { name: 'Structured' }, ...extra });
  const postDocument = (doc: unknown) => api(h).post('/api/v2/clients', doc);
  const post = (data: Body, top: Body = {}) => postDocument({ data, ...top });
  const invalid = (res: Parameters<typeof expectError>[0], pointer: string) => expectError(res, 400, 'invalid_document', { pointer });

  /** An atomic answer with exactly one error, of this status and code, at this pointer. */
  function expectAtomicError(res: { status: number; body: any }, status: number, code: string, pointer: string): void {
    expect(firstError(res)).toEqual({ status, code, source: { pointer } });
    expect(res.body.errors).toHaveLength(1);
  }

  describe('the top level', () => {
    it.each(
      byPointer<unknown>([
        ['is an array', [newClient()], ''],
        ['has data and errors together', { data: newClient(), errors: [] }, '/errors'],
        ['has included but no data', { included: [] }, '/included'],
        ['has included that is not an array', { data: newClient(), included: {} }, '/included'],
        ['has meta that is a string', { data: newClient(), meta: 'about' }, '/meta'],
        ['has meta that is null', { data: newClient(), meta: null }, '/meta'],
        ['has meta that is an array', { data: newClient(), meta: [] }, '/meta'],
        ['has jsonapi that is a string', { data: newClient(), jsonapi: '1.1' }, '/jsonapi'],
        ['has a jsonapi.version that is a number', { data: newClient(), jsonapi: { version: 1.1 } }, '/jsonapi/version'],
        ['has a jsonapi.ext that is not an array', { data: newClient(), jsonapi: { ext: ATOMIC_EXT } }, '/jsonapi/ext'],
        ['has a jsonapi.profile holding something other than a URI', { data: newClient(), jsonapi: { profile: ['not a uri'] } }, '/jsonapi/profile'],
        ['has a jsonapi.meta that is a number', { data: newClient(), jsonapi: { meta: 1 } }, '/jsonapi/meta'],
        ['has links that is an array', { data: newClient(), links: [] }, '/links'],
        ['has a link that is a number', { data: newClient(), links: { self: 1 } }, '/links/self'],
        ['has a link that is not a URI-reference (a space)', { data: newClient(), links: { self: 'http://x.test/a b' } }, '/links/self'],
        ['has a link with raw brackets in its query', { data: newClient(), links: { self: 'http://x.test/clients?page[size]=1' } }, '/links/self'],
        ['has a link object without href', { data: newClient(), links: { self: { title: 'me' } } }, '/links/self/href'],
        ['has a link object whose title is not a string', { data: newClient(), links: { self: { href: 'http://x.test/', title: 1 } } }, '/links/self/title'],
        ['has a link object whose rel is not a link relation type', { data: newClient(), links: { self: { href: 'http://x.test/', rel: 'Not A Rel' } } }, '/links/self/rel'],
        ['has a link object whose hreflang is not a language tag', { data: newClient(), links: { self: { href: 'http://x.test/', hreflang: ['en', 'not a tag'] } } }, '/links/self/hreflang'],
        ['has a link object whose describedby is not a link', { data: newClient(), links: { self: { href: 'http://x.test/', describedby: 5 } } }, '/links/self/describedby'],
        ['has a link object whose meta is not an object', { data: newClient(), links: { describedby: { href: 'http://x.test/schema', meta: 'x' } } }, '/links/describedby/meta'],
        ['has atomic:operations, though the request did not apply the atomic extension', { data: newClient(), 'atomic:operations': [] }, '/atomic:operations'],
        ['has a member of an extension nobody applied (version:id)', { data: newClient(), 'version:id': '42' }, '/version:id'],
      ]),
    )('When the request document %s, then 400 invalid_document at "%s"', async (_label, pointer, doc) => {
      invalid(await postDocument(doc), pointer);
    });

    it('When the top level has well-formed meta, jsonapi, links and included, an @-member and members JSON:API does not define (one with a name no member may have), then they are ignored and the create succeeds', async () => {
      const res = await postDocument({
        data: newClient(),
        meta: { anything: [1, { goes: true }] },
        jsonapi: { version: '1.1', ext: [], profile: ['https://example.test/profiles/p'], meta: {} },
        links: {
          self: 'http://x.test/api/v2/clients?page%5Bsize%5D=1',
          related: null,
          describedby: { href: 'https://x.test/openapi.json', rel: 'describedby', title: 'API', type: 'application/json', hreflang: ['en', 'fr-CA'], meta: {} },
        },
        included: [],
        '@context': 'https://schema.org',
        extra: 1,
        fo$o: 2,
      });
      expect(res.status).toBe(201);
      expect(res.body.errors).toBeUndefined();
    });
  });

  describe('resource objects and their identification', () => {
    it.each(
      byPointer<Body>([
        ['has no type', { attributes: { name: 'x' } }, '/data/type'],
        ['has a type that is a number', { type: 1, attributes: { name: 'x' } }, '/data/type'],
        ['has an empty type', { type: '', attributes: { name: 'x' } }, '/data/type'],
        ['has a type that breaks the member-name rules', { type: 'client!', attributes: { name: 'x' } }, '/data/type'],
        ['has an id that is a number', newClient({ id: 5 }), '/data/id'],
        ['has an id that is null', newClient({ id: null }), '/data/id'],
        ['has a lid that is a number', newClient({ lid: 7 }), '/data/lid'],
        ['has attributes that is an array', { type: 'client', attributes: ['x'] }, '/data/attributes'],
        ['has relationships that is a string', newClient({ relationships: 'parent' }), '/data/relationships'],
        ['has meta that is a string', newClient({ meta: 'm' }), '/data/meta'],
        ['has links that is a string', newClient({ links: 'http://x.test/' }), '/data/links'],
        ['has a link that is a number', newClient({ links: { self: 3 } }), '/data/links/self'],
        ['has a member of an extension nobody applied (version:id)', newClient({ 'version:id': '1' }), '/data/version:id'],
        ['has a member whose name has a reserved character', newClient({ col$our: 'red' }), '/data/col$our'],
      ]),
    )('When the resource object of a create %s, then 400 invalid_document at "%s"', async (_label, pointer, data) => {
      invalid(await post(data), pointer);
    });

    it.each(
      byPointer<(id: string) => Body>([
        ['has no id', () => newClient(), '/data'],
        ['has an id that is a number', () => newClient({ id: 12 }), '/data/id'],
        ['has a type that is not a string', (id) => ({ id, type: ['client'], attributes: { name: 'x' } }), '/data/type'],
      ]),
    )('When the resource object of an update %s, then 400 invalid_document at "%s"', async (_label, pointer, data) => {
      const id = await makeClient(h);
      invalid(await api(h).patch(`/api/v2/clients/${id}`, { data: data(id) }), pointer);
    });

    it('When a create carries a lid, meta, links and an @-member, then they are accepted or ignored: 201', async () => {
      const res = await post(newClient({ lid: 'new-one', meta: { note: 'x' }, links: { self: null }, '@type': 'Organization' }));
      expect(res.status).toBe(201);
      expect(res.body.errors).toBeUndefined();
    });

    it('When a resource object has a member JSON:API does not define (colour), then it stays 422 validation_failed at it', async () => {
      expectError(await post(newClient({ colour: 'red' })), 422, 'validation_failed', { pointer: '/data/colour' });
    });
  });

  describe('fields: one namespace for attributes, relationships, type and id', () => {
    it.each(
      byPointer<Body>([
        ['an attribute is named id', { attributes: { name: 'x', id: 'abc' } }, '/data/attributes/id'],
        ['an attribute is named type', { attributes: { name: 'x', type: 'client' } }, '/data/attributes/type'],
        ['a relationship is named id', { attributes: { name: 'x' }, relationships: { id: { data: null } } }, '/data/relationships/id'],
        ['a relationship is named type', { attributes: { name: 'x' }, relationships: { type: { data: null } } }, '/data/relationships/type'],
        ['a name is both an attribute and a relationship', { attributes: { name: 'x', parent: 'p' }, relationships: { parent: { data: null } } }, '/data/relationships/parent'],
      ]),
    )('When %s, then 400 invalid_document at "%s"', async (_label, pointer, members) => {
      invalid(await post({ type: 'client', ...members }), pointer);
    });

    it('When attributes and relationships hold @-members, then they are not fields and are ignored: 201', async () => {
      const res = await post(newClient({ attributes: { name: 'At members', '@id': 'urn:x' }, relationships: { '@graph': [], parent: { data: ref(parent) } } }));
      expect(res.status).toBe(201);
      expect(res.body.data.attributes['@id']).toBeUndefined();
      expect(res.body.data.relationships.parent.data).toEqual(ref(parent));
    });
  });

  describe('member names', () => {
    it.each([
      ['is empty', ''],
      ['is __proto__ (starts with "_")', '__proto__'],
      ['starts with a hyphen', '-name'],
      ['ends with a hyphen', 'name-'],
      ['starts with a space', ' name'],
      ['ends with an underscore', 'name_'],
      ['has a period', 'na.me'],
      ['has a plus sign', 'na+me'],
      ['has a comma', 'na,me'],
      ['has brackets', 'na[me]'],
      ['has a solidus', 'na/me'],
      ['has a tilde', 'na~me'],
      ['has an at sign inside', 'na@me'],
      ['has a control character', 'na\u0001me'],
      ['has DELETE (U+007F)', 'na\u007fme'],
      ['is an @ with nothing after it', '@'],
    ])('When an attribute name %s, then 400 invalid_document at it', async (_label, name) => {
      invalid(await post(newClient({ attributes: { name: 'x', [name]: 'v' } })), `/data/attributes/${segment(name)}`);
    });

    it.each([
      ['a space inside', 'e mail'],
      ['a hyphen inside', 'e-mail'],
      ['an underscore inside', 'e_mail'],
      ['non-ASCII letters', 'émail'],
      ['a digit first', '9lives'],
    ])('When an attribute name is valid but unknown (%s), then it stays 422 validation_failed at it', async (_label, name) => {
      expectError(await post(newClient({ attributes: { name: 'x', [name]: 'v' } })), 422, 'validation_failed', { pointer: `/data/attributes/${name}` });
    });

    it('When a relationship name breaks the member-name rules, then 400 invalid_document at it', async () => {
      invalid(await post(newClient({ relationships: { 'par.ent': { data: ref(parent) } } })), '/data/relationships/par.ent');
    });

    it('When an attribute is an extension member of an extension nobody applied, then 400 invalid_document at it', async () => {
      invalid(await post(newClient({ attributes: { name: 'x', 'ext:name': 'y' } })), '/data/attributes/ext:name');
    });
  });

  describe('relationships and resource linkage', () => {
    it.each<[string, string, string, Body]>([
      ['a relationship is a string', 'clients', '/data/relationships/parent', { parent: 'x' }],
      ['a relationship object has no data', 'clients', '/data/relationships/parent', { parent: { links: { related: 'http://x.test/p' } } }],
      ["a relationship object's meta is not an object", 'clients', '/data/relationships/parent/meta', { parent: { data: null, meta: 1 } }],
      ["a relationship object's links is not an object", 'clients', '/data/relationships/parent/links', { parent: { data: null, links: 'x' } }],
      ['a relationship object has an extension member', 'clients', '/data/relationships/parent/ext:x', { parent: { data: null, 'ext:x': 1 } }],
      ['a to-one relationship (parent) is given an array', 'clients', '/data/relationships/parent/data', { parent: { data: [] } }],
      ['a to-many relationship (children) is given one identifier', 'clients', '/data/relationships/children/data', { children: { data: { type: 'client', id: 'x' } } }],
      ['a to-many relationship (children) is given null', 'clients', '/data/relationships/children/data', { children: { data: null } }],
      ['a to-many relationship is given a string', 'clients', '/data/relationships/projects/data', { projects: { data: 'p' } }],
      ["an owned entity's to-one client is given an array", 'legal-entities', '/data/relationships/client/data', { client: { data: [] } }],
    ])('When %s (POST /%s), then 400 invalid_document at "%s"', async (_label, path, pointer, relationships) => {
      const type = path === 'clients' ? 'client' : 'legal-entity';
      invalid(await api(h).post(`/api/v2/${path}`, { data: { type, attributes: { name: 'x' }, relationships } }), pointer);
    });

    it('When an update gives a to-one relationship an array or a to-many one an identifier, then 400 invalid_document at that data', async () => {
      const id = await makeClient(h);
      const patch = (relationships: Body) => api(h).patch(`/api/v2/clients/${id}`, { data: { type: 'client', id, relationships } });
      invalid(await patch({ parent: { data: [ref(parent)] } }), '/data/relationships/parent/data');
      invalid(await patch({ children: { data: ref(many[0]) } }), '/data/relationships/children/data');
    });

    it('When an unknown relationship is given data of any shape, then it stays 422 validation_failed at the relationship', async () => {
      expectError(await post(newClient({ relationships: { owner: { data: [ref(parent)] } } })), 422, 'validation_failed', { pointer: '/data/relationships/owner' });
    });

    it('When relationship objects carry meta, links and members JSON:API does not define, then they are ignored: 201', async () => {
      const res = await post(newClient({ relationships: { parent: { data: ref(parent), meta: { why: 'x' }, links: { related: 'http://x.test/p' }, other: 1 } } }));
      expect(res.status).toBe(201);
      expect(res.body.data.relationships.parent.data).toEqual(ref(parent));
    });
  });

  describe('resource identifier objects', () => {
    const cases: [string, unknown, string][] = [
      ['a string', 'client', ''],
      ['an object without type', { id: 'abc' }, '/type'],
      ['an object whose type is a number', { type: 3, id: 'abc' }, '/type'],
      ['an object whose type breaks the member-name rules', { type: 'client?', id: 'abc' }, '/type'],
      ['an object without id', { type: 'client' }, '/id'],
      ['an object whose id is a number', { type: 'client', id: 1 }, '/id'],
      ['an object with only a lid, outside an atomic request', { type: 'client', lid: 'a' }, '/id'],
      ['an object whose lid is a number', { type: 'client', id: 'abc', lid: 2 }, '/lid'],
      ['an object whose meta is a string', { type: 'client', id: 'abc', meta: 'm' }, '/meta'],
      ['an object with an extension member', { type: 'client', id: 'abc', 'ext:x': 1 }, '/ext:x'],
    ];

    it.each(cases)('When a to-one identifier is %s, then 400 invalid_document at it', async (_label, identifier, suffix) => {
      invalid(await post(newClient({ relationships: { parent: { data: identifier } } })), `/data/relationships/parent/data${suffix}`);
    });

    it.each(cases)('When the second identifier of a to-many list is %s, then 400 invalid_document at it', async (_label, identifier, suffix) => {
      invalid(await post(newClient({ relationships: { children: { data: [ref(many[0]), identifier] } } })), `/data/relationships/children/data/1${suffix}`);
    });

    it('When an identifier carries a meta object and a member JSON:API does not define, then they are ignored: 201', async () => {
      const res = await post(newClient({ relationships: { parent: { data: { ...ref(parent), meta: { since: 2020 }, note: 'x', '@id': 'y' } } } }));
      expect(res.status).toBe(201);
      expect(res.body.data.relationships.parent.data).toEqual(ref(parent));
    });
  });

  describe('relationship endpoints', () => {
    it.each<['PATCH' | 'POST' | 'DELETE', string, string, string, () => unknown]>([
      ['PATCH', 'parent', 'data is an array (a to-one)', '/data', () => ({ data: [ref(parent)] })],
      ['PATCH', 'parent', 'data is an empty array (a to-one)', '/data', () => ({ data: [] })],
      ['PATCH', 'children', 'data is one identifier (a to-many)', '/data', () => ({ data: ref(many[0]) })],
      ['PATCH', 'children', 'data is null (a to-many)', '/data', () => ({ data: null })],
      ['POST', 'children', 'data is one identifier', '/data', () => ({ data: ref(many[0]) })],
      ['POST', 'children', 'data is null', '/data', () => ({ data: null })],
      ['DELETE', 'children', 'data is one identifier', '/data', () => ({ data: ref(many[0]) })],
      ['DELETE', 'projects', 'data is null', '/data', () => ({ data: null })],
      ['PATCH', 'parent', 'top level has data and errors', '/errors', () => ({ data: ref(parent), errors: [] })],
      ['PATCH', 'parent', 'top level has included but no data', '/included', () => ({ included: [] })],
      ['PATCH', 'parent', 'meta is a string', '/meta', () => ({ data: ref(parent), meta: 'm' })],
      ['PATCH', 'parent', 'links.self is a number', '/links/self', () => ({ data: ref(parent), links: { self: 1 } })],
      ['POST', 'children', 'top level has atomic:operations', '/atomic:operations', () => ({ data: [], 'atomic:operations': [] })],
      ['PATCH', 'parent', 'identifier has no type', '/data/type', () => ({ data: { id: parent } })],
      ['PATCH', 'parent', "identifier's meta is an array", '/data/meta', () => ({ data: { ...ref(parent), meta: [] } })],
      ['POST', 'children', "first identifier's id is a number", '/data/0/id', () => ({ data: [{ type: 'client', id: 5 }] })],
      ['DELETE', 'children', 'second identifier has no id', '/data/1/id', () => ({ data: [ref(many[0]), { type: 'client' }] })],
    ])('When %s /clients/{id}/relationships/%s sends a body whose %s, then 400 invalid_document at "%s"', async (method, rel, _label, pointer, body) => {
      const id = await makeClient(h);
      invalid(await relWrite(h, method, `/api/v2/clients/${id}/relationships/${rel}`, body()), pointer);
    });

    it('When PATCH /legal-entities/{id}/relationships/client sends an array, then 400 invalid_document at /data', async () => {
      const entity = await makeOwned(h, 'legal-entities', parent);
      invalid(await relWrite(h, 'PATCH', `/api/v2/legal-entities/${entity}/relationships/client`, { data: [ref(parent)] }), '/data');
    });
  });

  describe('413: more identifiers in one relationship than MAX_RELATIONSHIP_IDS', () => {
    const tooMany = () => many.map(ref);

    it('When a create names MAX_RELATIONSHIP_IDS + 1 children, then 413 payload_too_large at that array and nothing changes', async () => {
      const before = await dumpDatabase(h);
      expectError(await post(newClient({ relationships: { children: { data: tooMany() } } })), 413, 'payload_too_large', { pointer: '/data/relationships/children/data' });
      expectSameDump(await dumpDatabase(h), before);
    });

    it('When an update names MAX_RELATIONSHIP_IDS + 1 children, then 413 payload_too_large at that array', async () => {
      const id = await makeClient(h);
      const res = await api(h).patch(`/api/v2/clients/${id}`, { data: { type: 'client', id, relationships: { children: { data: tooMany() } } } });
      expectError(res, 413, 'payload_too_large', { pointer: '/data/relationships/children/data' });
    });

    it.each<['PATCH' | 'POST' | 'DELETE']>([['PATCH'], ['POST'], ['DELETE']])(
      'When %s /clients/{id}/relationships/children names MAX_RELATIONSHIP_IDS + 1 clients, then 413 payload_too_large at /data',
      async (method) => {
        const id = await makeClient(h);
        expectError(await relWrite(h, method, `/api/v2/clients/${id}/relationships/children`, { data: tooMany() }), 413, 'payload_too_large', { pointer: '/data' });
      },
    );

    it('When exactly MAX_RELATIONSHIP_IDS children are named, then the write is accepted', async () => {
      const id = await makeClient(h);
      const res = await relWrite(h, 'POST', `/api/v2/clients/${id}/relationships/children`, { data: many.slice(0, MAX_IDS).map(ref) });
      expect(res.status).toBe(204);
    });

    it('When the over-long array also breaks the structure (a to-one given it, a bad identifier, meta a string), then 413 wins over 400', async () => {
      const data = [...tooMany().slice(1), { type: 'client' }];
      expectError(await post(newClient({ relationships: { parent: { data } } }), { meta: 'x' }), 413, 'payload_too_large', { pointer: '/data/relationships/parent/data' });
    });

    it('When an atomic operation names MAX_RELATIONSHIP_IDS + 1 identifiers, in a resource or a relationship operation, then 413 at that array', async () => {
      const add = { op: 'add', data: newClient({ relationships: { children: { data: tooMany() } } }) };
      expectAtomicError(await atomic(h, [add]), 413, 'payload_too_large', '/atomic:operations/0/data/relationships/children/data');
      const addMembers = { op: 'add', ref: { type: 'client', id: parent, relationship: 'children' }, data: tooMany() };
      expectAtomicError(await atomic(h, [{ op: 'remove', ref: { type: 'client' } }, addMembers]), 413, 'payload_too_large', '/atomic:operations/1/data');
    });
  });

  describe('precedence: a structure error comes before everything the database decides', () => {
    const wrongShape = { children: { data: null } };

    it('When the URL names a client that does not exist (404), then a wrong-shaped body is still 400', async () => {
      const missing = unusedId(7);
      invalid(await api(h).patch(`/api/v2/clients/${missing}`, { data: { type: 'client', id: missing, relationships: wrongShape } }), '/data/relationships/children/data');
      invalid(await relWrite(h, 'PATCH', `/api/v2/clients/${missing}/relationships/children`, { data: ref(parent) }), '/data');
    });

    it('When a client token (403 for writes) sends a wrong-shaped body, then it is 400', async () => {
      const token = await clientToken(h, parent);
      const res = await api(h, token).patch(`/api/v2/clients/${parent}`, { data: { type: 'client', id: parent, relationships: wrongShape } });
      invalid(res, '/data/relationships/children/data');
      invalid(await relWrite(h, 'POST', `/api/v2/clients/${parent}/relationships/children`, { data: ref(parent) }, token), '/data');
    });

    it('When the body also names a related id that does not exist (404), an invalid value (422) and the wrong type (409), then it is 400 and nothing changes', async () => {
      const before = await dumpDatabase(h);
      const res = await post({ type: 'project', attributes: { name: '' }, relationships: { parent: { data: ref(unusedId(8)) }, ...wrongShape } });
      invalid(res, '/data/relationships/children/data');
      expectSameDump(await dumpDatabase(h), before);
    });

    it('When If-Match is stale (412) and the body is wrong-shaped, then it is 400', async () => {
      const id = await makeClient(h);
      const res = await api(h)
        .patch(`/api/v2/clients/${id}`, { data: { type: 'client', id, relationships: wrongShape } })
        .set('If-Match', '"stale"');
      invalid(res, '/data/relationships/children/data');
    });

    it('When an earlier atomic operation names an unknown type (404) and a later one is wrong-shaped, then 400 at the later one and nothing is created', async () => {
      const before = await dumpDatabase(h);
      const res = await atomic(h, [
        { op: 'add', data: newClient() },
        { op: 'add', data: { type: 'unicorn', attributes: {} } },
        { op: 'add', data: newClient({ relationships: { parent: { data: [ref(parent)] } } }) },
      ]);
      expectAtomicError(res, 400, 'invalid_document', '/atomic:operations/2/data/relationships/parent/data');
      expectSameDump(await dumpDatabase(h), before);
    });
  });

  describe('atomic operations documents', () => {
    const ok = () => ({ op: 'add', data: newClient() });
    const children = () => ({ type: 'client', id: parent, relationship: 'children' });

    it.each(
      byPointer<() => Body>([
        ['has data beside atomic:operations', () => ({ 'atomic:operations': [ok()], data: newClient() }), '/data'],
        ['has included', () => ({ 'atomic:operations': [ok()], included: [] }), '/included'],
        ['has errors', () => ({ 'atomic:operations': [ok()], errors: [] }), '/errors'],
        ['has atomic:results beside atomic:operations', () => ({ 'atomic:operations': [ok()], 'atomic:results': [] }), '/atomic:results'],
        ['has meta that is not an object', () => ({ 'atomic:operations': [ok()], meta: 1 }), '/meta'],
        ['has a member of an extension the request did not apply', () => ({ 'atomic:operations': [ok()], 'version:id': '1' }), '/version:id'],
        ['has an operation with an extension member nobody applied', () => ({ 'atomic:operations': [{ ...ok(), 'version:id': '1' }] }), '/atomic:operations/0/version:id'],
        ['has an operation whose meta is not an object', () => ({ 'atomic:operations': [{ ...ok(), meta: 'x' }] }), '/atomic:operations/0/meta'],
        ['has a ref without type', () => ({ 'atomic:operations': [{ op: 'remove', ref: { id: parent } }] }), '/atomic:operations/0/ref/type'],
        ['has a ref whose id is a number', () => ({ 'atomic:operations': [{ op: 'remove', ref: { type: 'client', id: 1 } }] }), '/atomic:operations/0/ref/id'],
        ['has a ref with neither id nor lid', () => ({ 'atomic:operations': [{ op: 'remove', ref: { type: 'client' } }] }), '/atomic:operations/0/ref'],
        [
          'has a ref whose relationship is not a string',
          () => ({ 'atomic:operations': [{ op: 'update', ref: { ...children(), relationship: 1 }, data: [] }] }),
          '/atomic:operations/0/ref/relationship',
        ],
        ['has a relationship operation without data', () => ({ 'atomic:operations': [{ op: 'add', ref: children() }] }), '/atomic:operations/0'],
        ['updates a to-one relationship with an array', () => ({ 'atomic:operations': [{ op: 'update', ref: { ...children(), relationship: 'parent' }, data: [] }] }), '/atomic:operations/0/data'],
        ['adds one identifier (not an array) to a to-many relationship', () => ({ 'atomic:operations': [{ op: 'add', ref: children(), data: ref(many[0]) }] }), '/atomic:operations/0/data'],
        ['replaces a to-many relationship with null', () => ({ 'atomic:operations': [{ op: 'update', ref: children(), data: null }] }), '/atomic:operations/0/data'],
        [
          'adds a resource whose to-one relationship is an array',
          () => ({ 'atomic:operations': [{ op: 'add', data: newClient({ relationships: { parent: { data: [] } } }) }] }),
          '/atomic:operations/0/data/relationships/parent/data',
        ],
        [
          'updates a resource whose to-many relationship is an identifier',
          () => ({ 'atomic:operations': [{ op: 'update', data: { type: 'client', id: parent, relationships: { children: { data: ref(many[0]) } } } }] }),
          '/atomic:operations/0/data/relationships/children/data',
        ],
        [
          'adds a resource with an attribute named id',
          () => ({ 'atomic:operations': [{ op: 'add', data: newClient({ attributes: { name: 'x', id: 'y' } }) }] }),
          '/atomic:operations/0/data/attributes/id',
        ],
        [
          'adds a resource whose identifier has a lid that is a number',
          () => ({ 'atomic:operations': [{ op: 'add', data: newClient({ relationships: { parent: { data: { type: 'client', lid: 1 } } } }) }] }),
          '/atomic:operations/0/data/relationships/parent/data/lid',
        ],
      ]),
    )('When an atomic request document %s, then 400 invalid_document at "%s"', async (_label, pointer, doc) => {
      expectAtomicError(await atomic(h, doc()), 400, 'invalid_document', pointer);
    });

    it('When an atomic document has atomic: members the extension does not define and @-members, then they are ignored: 200', async () => {
      const res = await atomic(h, { 'atomic:operations': [{ ...ok(), 'atomic:note': 'x', '@id': 'y' }], 'atomic:note': 'x', '@context': 'z' });
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
    });
  });
});
