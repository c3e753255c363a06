import { api, clientToken, flat, Harness, startHarness } from '../support/harness';
import { makeClient, makeOwned, unusedId } from '../support/factories';
import { expectError, expectErrors, sortErrors } from '../support/spec-helpers';

/** SPEC §1 values, §2 "Writes" (409, 422, related_not_found), §3 flat writes, §4 api-tokens. */
describe('writes', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  let n = 0;
  const unique = (prefix: string) => `${prefix}${++n}${Date.now().toString(36)}`;

  const postClient = (attributes: Record<string, unknown>, extra: Record<string, unknown> = {}) => api(h).post('/api/v2/clients', { data: { type: 'client', attributes, ...extra } });
  const patchClient = (id: string, attributes: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    api(h).patch(`/api/v2/clients/${id}`, { data: { type: 'client', id, attributes, ...extra } });
  const owner = (clientId: string) => ({ relationships: { client: { data: { type: 'client', id: clientId } } } });

  async function countClients(): Promise<number> {
    return (await api(h).get('/api/v2/clients?page[size]=1')).body.meta.page.total as number;
  }

  describe('409 conflict', () => {
    it('When POST /clients carries another type, then 409 at /data/type and nothing is created', async () => {
      const before = await countClients();
      expectError(await postClient({ name: 'Wrong type' }, { type: 'project' }), 409, 'conflict', { pointer: '/data/type' });
      const res = await api(h).post('/api/v2/clients', { data: { type: 'widget', attributes: { name: 'Unknown type' } } });
      expectError(res, 409, 'conflict', { pointer: '/data/type' });
      expect(await countClients()).toBe(before);
    });

    it('When POST /projects carries type client, then 409 at /data/type', async () => {
      const c = await makeClient(h);
      const res = await api(h).post('/api/v2/projects', { data: { type: 'client', attributes: { name: 'p' }, ...owner(c) } });
      expectError(res, 409, 'conflict', { pointer: '/data/type' });
    });

    it('When PATCH carries another type, then 409 at /data/type and nothing changes', async () => {
      const id = await makeClient(h, { name: 'Typed' });
      const res = await api(h).patch(`/api/v2/clients/${id}`, { data: { type: 'legal-entity', id, attributes: { name: 'Changed' } } });
      expectError(res, 409, 'conflict', { pointer: '/data/type' });
      expect((await api(h).get(`/api/v2/clients/${id}`)).body.data.attributes.name).toBe('Typed');
    });

    it('When the body id differs from the URL id on PATCH, then 409 at /data/id and neither client changes', async () => {
      const a = await makeClient(h, { name: 'A stays' });
      const b = await makeClient(h, { name: 'B stays' });
      const res = await api(h).patch(`/api/v2/clients/${a}`, { data: { type: 'client', id: b, attributes: { name: 'Changed' } } });
      expectError(res, 409, 'conflict', { pointer: '/data/id' });
      expect((await api(h).get(`/api/v2/clients/${a}`)).body.data.attributes.name).toBe('A stays');
      expect((await api(h).get(`/api/v2/clients/${b}`)).body.data.attributes.name).toBe('B stays');
    });

    it('When the body id is the URL id in upper case on PATCH, then 409 at /data/id', async () => {
      const a = await makeClient(h);
      const res = await api(h).patch(`/api/v2/clients/${a}`, { data: { type: 'client', id: a.toUpperCase(), attributes: { name: 'x' } } });
      expectError(res, 409, 'conflict', { pointer: '/data/id' });
    });

    it('When a create brings a fresh well-formed id, then the resource gets exactly that id', async () => {
      const id = '5f0000000000000000000abc';
      const res = await postClient({ name: 'Own id' }, { id });
      expect(res.status).toBe(201);
      expect(res.body.data.id).toBe(id);
      expect(res.headers.location).toMatch(new RegExp(`/api/v2/clients/${id}$`));
    });

    it('When a create brings an id already in use, then 409 at /data/id and the existing resource is untouched', async () => {
      const id = await makeClient(h, { name: 'Holder' });
      const res = await postClient({ name: 'Usurper' }, { id });
      expectError(res, 409, 'conflict', { pointer: '/data/id' });
      expect((await api(h).get(`/api/v2/clients/${id}`)).body.data.attributes.name).toBe('Holder');
    });

    it('When a project is created with the id of an existing project, then 409 at /data/id', async () => {
      const c = await makeClient(h);
      const p = await makeOwned(h, 'projects', c);
      const res = await api(h).post('/api/v2/projects', { data: { type: 'project', id: p, attributes: { name: 'dup' }, ...owner(c) } });
      expectError(res, 409, 'conflict', { pointer: '/data/id' });
    });

    it('When a second client takes an email that differs only in case, then 409 at /data/attributes/email', async () => {
      const email = `${unique('ann')}@Example.com`;
      await makeClient(h, { email });
      const res = await postClient({ name: 'Second', email: email.toLowerCase().replace('example.com', 'EXAMPLE.COM') });
      expectError(res, 409, 'conflict', { pointer: '/data/attributes/email' });
    });

    it('When a PATCH moves an email onto another client (different case), then 409 at /data/attributes/email', async () => {
      const email = `${unique('bob')}@example.com`;
      await makeClient(h, { email });
      const other = await makeClient(h, { email: `${unique('other')}@example.com` });
      const res = await patchClient(other, { email: email.toUpperCase() });
      expectError(res, 409, 'conflict', { pointer: '/data/attributes/email' });
    });

    it('When a client re-sends its own email in another case, then it is not a conflict (200)', async () => {
      const email = `${unique('self')}@example.com`;
      const id = await makeClient(h, { email });
      const res = await patchClient(id, { email: email.toUpperCase() });
      expect(res.status).toBe(200);
    });

    it('When two clients have no email and no slug, then neither null is a conflict', async () => {
      expect((await postClient({ name: 'Null 1', email: null, slug: null })).status).toBe(201);
      expect((await postClient({ name: 'Null 2', email: null, slug: null })).status).toBe(201);
    });

    it('When a second client takes a slug in use, then 409 at /data/attributes/slug (POST and PATCH)', async () => {
      const slug = unique('acme-');
      await makeClient(h, { slug });
      expectError(await postClient({ name: 'Slug 2', slug }), 409, 'conflict', { pointer: '/data/attributes/slug' });
      const other = await makeClient(h);
      expectError(await patchClient(other, { slug }), 409, 'conflict', { pointer: '/data/attributes/slug' });
    });

    it('When both the email and the slug are in use, then one 409 per member, each with its pointer', async () => {
      const email = `${unique('both')}@example.com`;
      const slug = unique('both-');
      await makeClient(h, { email, slug });
      const res = sortErrors(await postClient({ name: 'Both', email, slug }), (e) => e.source?.pointer ?? '');
      const errors = expectErrors(res, 409, [
        { code: 'conflict', source: { pointer: '/data/attributes/email' } },
        { code: 'conflict', source: { pointer: '/data/attributes/slug' } },
      ]);
      expect(errors).toHaveLength(2);
    });

    it('When a relationship names a resource of the wrong type, then 409 at its type', async () => {
      const c = await makeClient(h);
      const p = await makeOwned(h, 'projects', c);
      const res = await postClient({ name: 'Bad parent type' }, { relationships: { parent: { data: { type: 'project', id: p } } } });
      expectError(res, 409, 'conflict', { pointer: '/data/relationships/parent/data/type' });
    });
  });

  describe('422 validation_failed', () => {
    it('When the name is 200 characters after trimming, then it is accepted and stored trimmed', async () => {
      const name = 'n'.repeat(200);
      const res = await postClient({ name: `   ${name}\t ` });
      expect(res.status).toBe(201);
      expect(res.body.data.attributes.name).toBe(name);
    });

    it('When the name is 200 characters outside the Basic Multilingual Plane, then it is accepted', async () => {
      const res = await postClient({ name: '😀'.repeat(200) });
      expect(res.status).toBe(201);
    });

    it.each([
      ['empty', ''],
      ['blank', '   \t '],
      ['201 characters', 'n'.repeat(201)],
      ['201 characters after trimming', ` ${'n'.repeat(201)} `],
      ['a number', 42],
      ['null', null],
      ['an object', { first: 'x' }],
    ])('When the name is %s, then 422 at /data/attributes/name', async (_label, name) => {
      const before = await countClients();
      expectError(await postClient({ name }), 422, 'validation_failed', { pointer: '/data/attributes/name' });
      expect(await countClients()).toBe(before);
    });

    it('When a PATCH blanks the name, then 422 at /data/attributes/name and the name is kept', async () => {
      const id = await makeClient(h, { name: 'Kept name' });
      expectError(await patchClient(id, { name: '  ' }), 422, 'validation_failed', { pointer: '/data/attributes/name' });
      expect((await api(h).get(`/api/v2/clients/${id}`)).body.data.attributes.name).toBe('Kept name');
    });

    it('When the name is missing on create, then 422 at /data/attributes/name', async () => {
      expectError(await postClient({ email: `${unique('noname')}@example.com` }), 422, 'validation_failed', { pointer: '/data/attributes/name' });
      expectError(await api(h).post('/api/v2/clients', { data: { type: 'client' } }), 422, 'validation_failed', { pointer: '/data/attributes/name' });
    });

    it.each([
      ['no at sign', 'not-an-email'],
      ['no domain', 'ann@'],
      ['spaces', 'ann smith@example.com'],
      ['over 254 characters', `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`],
      ['a number', 12],
    ])('When the email has %s, then 422 at /data/attributes/email', async (_label, email) => {
      expectError(await postClient({ name: 'Mail', email }), 422, 'validation_failed', { pointer: '/data/attributes/email' });
    });

    it.each([
      ['upper case', 'Acme'],
      ['an underscore', 'acme_co'],
      ['a leading hyphen', '-acme'],
      ['a trailing hyphen', 'acme-'],
      ['a dot', 'acme.co'],
      ['64 characters', 'a'.repeat(64)],
      ['the empty string', ''],
    ])('When the slug has %s, then 422 at /data/attributes/slug', async (_label, slug) => {
      expectError(await postClient({ name: 'Slug', slug }), 422, 'validation_failed', { pointer: '/data/attributes/slug' });
    });

    it('When the slug is 63 characters or one character, then it is accepted', async () => {
      expect((await postClient({ name: 'Long slug', slug: `${unique('s')}${'a'.repeat(63)}`.slice(0, 63) })).status).toBe(201);
      expect((await postClient({ name: 'Short slug', slug: '7' })).status).toBe(201);
    });

    it.each([['fr'], ['XX'], ['FRA'], ['Fr'], ['']])('When a legal entity has country %p, then 422 at /data/attributes/country', async (country) => {
      const c = await makeClient(h);
      const res = await api(h).post('/api/v2/legal-entities', { data: { type: 'legal-entity', attributes: { name: 'LE', country }, ...owner(c) } });
      expectError(res, 422, 'validation_failed', { pointer: '/data/attributes/country' });
    });

    it('When a legal entity has country FR or null, then it is accepted', async () => {
      const c = await makeClient(h);
      for (const country of ['FR', null]) {
        const res = await api(h).post('/api/v2/legal-entities', { data: { type: 'legal-entity', attributes: { name: 'LE', country }, ...owner(c) } });
        expect(res.status).toBe(201);
        expect(res.body.data.attributes.country).toBe(country);
      }
    });

    it.each([['eur'], ['XYZ'], ['EURO'], ['Eur']])('When a reporting entity has currency %p, then 422 at /data/attributes/currency', async (currency) => {
      const c = await makeClient(h);
      const res = await api(h).post('/api/v2/reporting-entities', { data: { type: 'reporting-entity', attributes: { name: 'RE', currency }, ...owner(c) } });
      expectError(res, 422, 'validation_failed', { pointer: '/data/attributes/currency' });
    });

    it('When a reporting entity has currency EUR, then it is accepted', async () => {
      const c = await makeClient(h);
      const res = await api(h).post('/api/v2/reporting-entities', { data: { type: 'reporting-entity', attributes: { name: 'RE', currency: 'EUR' }, ...owner(c) } });
      expect(res.status).toBe(201);
    });

    it('When the registration number is 65 characters, then 422; at 64 it is accepted', async () => {
      const c = await makeClient(h);
      const post = (registrationNumber: string) => api(h).post('/api/v2/legal-entities', { data: { type: 'legal-entity', attributes: { name: 'LE', registrationNumber }, ...owner(c) } });
      expectError(await post('R'.repeat(65)), 422, 'validation_failed', { pointer: '/data/attributes/registrationNumber' });
      expect((await post('R'.repeat(64))).status).toBe(201);
    });

    // `id` and `__proto__` (not a member name: it starts with "_") are structure errors, 400: see document-structure.test.ts.
    it.each([['colour'], ['Name'], ['constructor']])('When the attributes contain the unknown member %p, then 422 at it', async (member) => {
      const body = `{"data": {"type": "client", "attributes": {"name": "Unknown member", "${member}": "x"}}}`;
      const res = await api(h).post('/api/v2/clients', JSON.parse(body));
      expectError(res, 422, 'validation_failed', { pointer: `/data/attributes/${member}` });
    });

    it('When the unknown member is given on PATCH, then 422 at it and nothing changes', async () => {
      const id = await makeClient(h, { name: 'Known' });
      expectError(await patchClient(id, { name: 'Changed', colour: 'red' }), 422, 'validation_failed', { pointer: '/data/attributes/colour' });
      expect((await api(h).get(`/api/v2/clients/${id}`)).body.data.attributes.name).toBe('Known');
    });

    it.each([['createdAt'], ['updatedAt']])('When the read-only %s is sent on create or update, then 422 at it', async (member) => {
      const value = '2020-01-01T00:00:00.000Z';
      expectError(await postClient({ name: 'RO', [member]: value }), 422, 'validation_failed', { pointer: `/data/attributes/${member}` });
      const id = await makeClient(h);
      expectError(await patchClient(id, { [member]: value }), 422, 'validation_failed', { pointer: `/data/attributes/${member}` });
    });

    it('When an unknown member is given in data, then 422 at it', async () => {
      const res = await api(h).post('/api/v2/clients', { data: { type: 'client', attributes: { name: 'x' }, colour: 'red' } });
      expectError(res, 422, 'validation_failed', { pointer: '/data/colour' });
    });

    it('When an unknown relationship is given, then 422 at it', async () => {
      const parent = await makeClient(h);
      const res = await postClient({ name: 'x' }, { relationships: { owner: { data: { type: 'client', id: parent } } } });
      expectError(res, 422, 'validation_failed', { pointer: '/data/relationships/owner' });
    });

    it('When a to-one relationship is given an array, then 400 invalid_document at its data (a structure error, not 422)', async () => {
      const parent = await makeClient(h);
      const res = await postClient({ name: 'x' }, { relationships: { parent: { data: [{ type: 'client', id: parent }] } } });
      expectError(res, 400, 'invalid_document', { pointer: '/data/relationships/parent/data' });
    });

    it('When a to-many relationship is given a single identifier, then 400 invalid_document at its data (a structure error, not 422)', async () => {
      const child = await makeClient(h);
      const res = await postClient({ name: 'x' }, { relationships: { children: { data: { type: 'client', id: child } } } });
      expectError(res, 400, 'invalid_document', { pointer: '/data/relationships/children/data' });
    });

    it.each([
      ['too short', 'abc'],
      ['upper-case hex', 'ABCDEFABCDEFABCDEFABCDEF'],
      ['25 characters', 'abcdefabcdefabcdefabcdef0'],
      ['prefixed', 'client_abcdefabcdefabcdef'],
    ])('When a client-generated id is %s, then 422 at /data/id', async (_label, id) => {
      const before = await countClients();
      expectError(await postClient({ name: 'Bad id' }, { id }), 422, 'validation_failed', { pointer: '/data/id' });
      expect(await countClients()).toBe(before);
    });

    it.each([
      ['legal-entities', 'legal-entity'],
      ['reporting-entities', 'reporting-entity'],
      ['projects', 'project'],
    ])('When a %s resource is created without a client, then 422 at /data/relationships/client', async (path, type) => {
      const res = await api(h).post(`/api/v2/${path}`, { data: { type, attributes: { name: 'Orphan' } } });
      expectError(res, 422, 'validation_failed', { pointer: '/data/relationships/client' });
    });

    it('When an owned entity is created with client null, then 422 at /data/relationships/client/data', async () => {
      const res = await api(h).post('/api/v2/projects', { data: { type: 'project', attributes: { name: 'Orphan' }, relationships: { client: { data: null } } } });
      expectError(res, 422, 'validation_failed', { pointer: '/data/relationships/client/data' });
    });

    it.each([
      ['legal-entities', 'legal-entity'],
      ['reporting-entities', 'reporting-entity'],
      ['projects', 'project'],
    ])("When a %s resource's client is set to null by PATCH, then 422 at /data/relationships/client/data and it keeps its owner", async (path, type) => {
      const c = await makeClient(h);
      const id = await makeOwned(h, path as 'projects', c);
      const res = await api(h).patch(`/api/v2/${path}/${id}`, { data: { type, id, relationships: { client: { data: null } } } });
      expectError(res, 422, 'validation_failed', { pointer: '/data/relationships/client/data' });
      expect((await api(h).get(`/api/v2/${path}/${id}/relationships/client`)).body.data).toEqual({ type: 'client', id: c });
    });

    it('When several members are invalid, then one 422 per member, each at its pointer', async () => {
      const res = sortErrors(await postClient({ name: '', email: 'nope', slug: 'Nope' }), (e) => e.source?.pointer ?? '');
      const errors = expectErrors(res, 422, [
        { code: 'validation_failed', source: { pointer: '/data/attributes/email' } },
        { code: 'validation_failed', source: { pointer: '/data/attributes/name' } },
        { code: 'validation_failed', source: { pointer: '/data/attributes/slug' } },
      ]);
      expect(new Set(errors.map((e) => e.detail)).size).toBe(3);
    });
  });

  describe('404 related_not_found', () => {
    it('When the parent names an unknown id, then 404 related_not_found at the relationship data and nothing is created', async () => {
      const before = await countClients();
      const res = await postClient({ name: 'Lost' }, { relationships: { parent: { data: { type: 'client', id: unusedId(1) } } } });
      expectError(res, 404, 'related_not_found', { pointer: '/data/relationships/parent/data' });
      expect(await countClients()).toBe(before);
    });

    it('When the parent names a malformed id, then 404 related_not_found at the relationship data', async () => {
      const res = await postClient({ name: 'Lost' }, { relationships: { parent: { data: { type: 'client', id: 'abc' } } } });
      expectError(res, 404, 'related_not_found', { pointer: '/data/relationships/parent/data' });
    });

    it('When an owned entity names an unknown client, then 404 related_not_found at /data/relationships/client/data', async () => {
      const res = await api(h).post('/api/v2/projects', { data: { type: 'project', attributes: { name: 'p' }, ...owner(unusedId(2)) } });
      expectError(res, 404, 'related_not_found', { pointer: '/data/relationships/client/data' });
    });

    it('When a to-many list names one unknown id among known ones, then 404 at that element and nothing moves', async () => {
      const a = await makeClient(h);
      const known = await makeClient(h);
      const res = await patchClient(
        a,
        {},
        {
          relationships: {
            children: {
              data: [
                { type: 'client', id: known },
                { type: 'client', id: unusedId(3) },
              ],
            },
          },
        },
      );
      expectError(res, 404, 'related_not_found', { pointer: '/data/relationships/children/data/1' });
      expect((await api(h).get(`/api/v2/clients/${known}/relationships/parent`)).body.data).toBeNull();
    });

    it('When a client token could not see the named parent, then its write is 403 before any lookup', async () => {
      const own = await makeClient(h);
      const token = await clientToken(h, own);
      const res = await api(h, token).post('/api/v2/clients', { data: { type: 'client', attributes: { name: 'x' }, relationships: { parent: { data: { type: 'client', id: own } } } } });
      expectError(res, 403, 'forbidden');
    });
  });

  describe('api-tokens', () => {
    const postToken = (attributes: Record<string, unknown>, relationships?: Record<string, unknown>, token = h.admin) =>
      api(h, token).post('/api/v2/api-tokens', { data: { type: 'api-token', attributes, ...(relationships ? { relationships } : {}) } });
    const clientRel = (id: string) => ({ client: { data: { type: 'client', id } } });

    it('When a token is created, then meta.secret is returned once, works as a bearer token, and no later response shows it', async () => {
      const c = await makeClient(h, { name: 'Token owner' });
      const res = await postToken({ name: 'ci', role: 'client' }, clientRel(c));
      expect(res.status).toBe(201);
      const secret = res.body.data.meta.secret as string;
      expect(typeof secret).toBe('string');
      expect(secret.length).toBeGreaterThanOrEqual(43);
      expect(res.body.data.attributes).toEqual(expect.objectContaining({ name: 'ci', role: 'client' }));
      expect(JSON.stringify(res.body.data.attributes)).not.toContain(secret);
      expect(res.body.data.relationships.client.data).toEqual({ type: 'client', id: c });

      expect((await api(h, secret).get(`/api/v2/clients/${c}`)).status).toBe(200);

      const id = res.body.data.id as string;
      for (const later of [
        await api(h).get(`/api/v2/api-tokens/${id}`),
        await api(h).get('/api/v2/api-tokens'),
        await api(h).get(`/api/v2/api-tokens?filter[role]=client&include=client`),
        await api(h).patch(`/api/v2/api-tokens/${id}`, { data: { type: 'api-token', id, attributes: { name: 'renamed' } } }),
        await api(h).get(`/api/v2/clients/${c}`),
      ]) {
        expect(later.status).toBe(200);
        expect(later.text).not.toContain(secret);
        expect(later.text).not.toMatch(/"secret"/);
      }
    });

    it('When two tokens are created, then their secrets differ', async () => {
      const a = await postToken({ name: 'a', role: 'admin' });
      const b = await postToken({ name: 'b', role: 'admin' });
      expect(a.body.data.meta.secret).not.toBe(b.body.data.meta.secret);
    });

    it('When an admin token is created with a client, then 422 at /data/relationships/client and no token exists', async () => {
      const c = await makeClient(h);
      const before = (await api(h).get('/api/v2/api-tokens')).body.meta.page.total;
      expectError(await postToken({ name: 'bad', role: 'admin' }, clientRel(c)), 422, 'validation_failed', { pointer: '/data/relationships/client' });
      expect((await api(h).get('/api/v2/api-tokens')).body.meta.page.total).toBe(before);
    });

    it('When a client token is created without a client, then 422 at /data/relationships/client', async () => {
      expectError(await postToken({ name: 'bad', role: 'client' }), 422, 'validation_failed', { pointer: '/data/relationships/client' });
    });

    it('When a client token is created with client null, then 422 at /data/relationships/client', async () => {
      expectError(await postToken({ name: 'bad', role: 'client' }, { client: { data: null } }), 422, 'validation_failed', { pointer: '/data/relationships/client' });
    });

    it('When the role is not admin or client, then 422 at /data/attributes/role', async () => {
      expectError(await postToken({ name: 'bad', role: 'superuser' }), 422, 'validation_failed', { pointer: '/data/attributes/role' });
    });

    it('When the role is missing, then 422 at /data/attributes/role', async () => {
      expectError(await postToken({ name: 'bad' }), 422, 'validation_failed', { pointer: '/data/attributes/role' });
    });

    it('When a secret, hash or lastUsedAt is sent on create, then 422 at that member', async () => {
      expectError(await postToken({ name: 'x', role: 'admin', secret: 'mine' }), 422, 'validation_failed', { pointer: '/data/attributes/secret' });
      expectError(await postToken({ name: 'x', role: 'admin', lastUsedAt: '2020-01-01T00:00:00.000Z' }), 422, 'validation_failed', { pointer: '/data/attributes/lastUsedAt' });
    });

    it('When PATCH changes the role, then 422 at /data/attributes/role and the role is unchanged', async () => {
      const c = await makeClient(h);
      const created = await postToken({ name: 'role fixed', role: 'client' }, clientRel(c));
      const id = created.body.data.id as string;
      const res = await api(h).patch(`/api/v2/api-tokens/${id}`, { data: { type: 'api-token', id, attributes: { role: 'admin' } } });
      expectError(res, 422, 'validation_failed', { pointer: '/data/attributes/role' });
      expect((await api(h).get(`/api/v2/api-tokens/${id}`)).body.data.attributes.role).toBe('client');
      // and the token still has client powers only
      expectError(await api(h, created.body.data.meta.secret).get('/api/v2/api-tokens'), 403, 'forbidden');
    });

    it('When PATCH changes the client of a token, then 422 at /data/relationships/client', async () => {
      const c = await makeClient(h);
      const other = await makeClient(h);
      const created = await postToken({ name: 'client fixed', role: 'client' }, clientRel(c));
      const id = created.body.data.id as string;
      const res = await api(h).patch(`/api/v2/api-tokens/${id}`, { data: { type: 'api-token', id, relationships: clientRel(other) } });
      expectError(res, 422, 'validation_failed', { pointer: '/data/relationships/client' });
      expect((await api(h).get(`/api/v2/api-tokens/${id}/relationships/client`)).body.data).toEqual({ type: 'client', id: c });
    });

    it('When PATCH changes only the name, then 200 with the new name and the secret still works', async () => {
      const created = await postToken({ name: 'old name', role: 'admin' });
      const id = created.body.data.id as string;
      const res = await api(h).patch(`/api/v2/api-tokens/${id}`, { data: { type: 'api-token', id, attributes: { name: 'new name' } } });
      expect(res.status).toBe(200);
      expect(res.body.data.attributes.name).toBe('new name');
      expect((await api(h, created.body.data.meta.secret).get('/api/v2/clients')).status).toBe(200);
    });

    it('When a client token uses /api/v2/api-tokens in any way, then 403 forbidden (not 404)', async () => {
      const c = await makeClient(h);
      const token = await clientToken(h, c);
      const admin = await postToken({ name: 'target', role: 'admin' });
      const id = admin.body.data.id as string;
      expectError(await api(h, token).get('/api/v2/api-tokens'), 403, 'forbidden');
      expectError(await api(h, token).get(`/api/v2/api-tokens/${id}`), 403, 'forbidden');
      expectError(await api(h, token).get(`/api/v2/api-tokens/${unusedId(4)}`), 403, 'forbidden');
      expectError(await postToken({ name: 'escalate', role: 'admin' }, undefined, token), 403, 'forbidden');
      expectError(await api(h, token).patch(`/api/v2/api-tokens/${id}`, { data: { type: 'api-token', id, attributes: { name: 'x' } } }), 403, 'forbidden');
      expectError(await api(h, token).delete(`/api/v2/api-tokens/${id}`), 403, 'forbidden');
      expect((await api(h, admin.body.data.meta.secret).get('/api/v2/clients')).status).toBe(200);
    });
  });

  describe('flat surface writes', () => {
    it('When a flat create has no email, then 422 at /email', async () => {
      expectError(await flat(h).post('/api/clients', { name: 'No email' }), 422, 'validation_failed', { pointer: '/email' }, 'flat');
    });

    it('When a flat create or update sets email to null, then 422 at /email', async () => {
      expectError(await flat(h).post('/api/clients', { name: 'Null email', email: null }), 422, 'validation_failed', { pointer: '/email' }, 'flat');
      const id = await makeClient(h, { email: `${unique('flatnull')}@example.com` });
      expectError(await flat(h).patch(`/api/clients/client_${id}`, { email: null }), 422, 'validation_failed', { pointer: '/email' }, 'flat');
    });

    it('When a flat create has an unknown member, then 422 at it', async () => {
      expectError(await flat(h).post('/api/clients', { name: 'x', email: `${unique('u')}@example.com`, phone: '1' }), 422, 'validation_failed', { pointer: '/phone' }, 'flat');
    });

    it('When a flat create sends the read-only created_at or id, then 422 at it', async () => {
      expectError(
        await flat(h).post('/api/clients', { name: 'x', email: `${unique('ro')}@example.com`, created_at: '2020-01-01T00:00:00.000Z' }),
        422,
        'validation_failed',
        { pointer: '/created_at' },
        'flat',
      );
      expectError(await flat(h).post('/api/clients', { name: 'x', email: `${unique('ro')}@example.com`, id: 'client_5f0000000000000000000001' }), 422, 'validation_failed', { pointer: '/id' }, 'flat');
    });

    it('When a flat create has a blank name or a bad email, then 422 at /name or /email', async () => {
      expectError(await flat(h).post('/api/clients', { name: '  ', email: `${unique('blank')}@example.com` }), 422, 'validation_failed', { pointer: '/name' }, 'flat');
      expectError(await flat(h).post('/api/clients', { name: 'x', email: 'bad' }), 422, 'validation_failed', { pointer: '/email' }, 'flat');
    });

    it('When a flat create has no name, then 422 at /name', async () => {
      expectError(await flat(h).post('/api/clients', { email: `${unique('nn')}@example.com` }), 422, 'validation_failed', { pointer: '/name' }, 'flat');
    });

    it('When projects is not an array of strings, then 422 at /projects', async () => {
      expectError(await flat(h).post('/api/clients', { name: 'x', email: `${unique('p')}@example.com`, projects: 'proj_1' }), 422, 'validation_failed', { pointer: '/projects' }, 'flat');
    });

    it('When a flat create duplicates an email in another case, then 409 at /email', async () => {
      const email = `${unique('flatdup')}@example.com`;
      await makeClient(h, { email });
      expectError(await flat(h).post('/api/clients', { name: 'Dup', email: email.toUpperCase() }), 409, 'conflict', { pointer: '/email' }, 'flat');
    });

    it('When flat projects name an unknown project, then 404 related_not_found at /projects/N', async () => {
      const c = await makeClient(h);
      const p = await makeOwned(h, 'projects', c);
      const res = await flat(h).post('/api/clients', { name: 'x', email: `${unique('rp')}@example.com`, projects: [`proj_${p}`, `proj_${unusedId(5)}`] });
      expectError(res, 404, 'related_not_found', { pointer: '/projects/1' }, 'flat');
      expect((await api(h).get(`/api/v2/projects/${p}/relationships/client`)).body.data).toEqual({ type: 'client', id: c });
    });
  });
});
