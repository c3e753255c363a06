import JsonApi from 'devour-client';
import { makeClient, makeOwned } from '../support/factories';
import {
  ClientFields,
  contradictingDocument,
  LiveServer,
  makeGraphFixture,
  makeListFixture,
  makePagedFixture,
  Ref,
  rejectionOf,
  ResponseRecorder,
  validateAxiosResponses,
  withLiveServer,
} from '../support/interop-helpers';

/**
 * devour-client 3.2 used as its users use it, against the service on a loopback port.
 * Configuration: `pluralize: false`, so a model's name is its JSON:API type (`client`,
 * `legal-entity`) in bodies and when deserializing; each model's `collectionPath` is the URL
 * segment (`clients`, `legal-entities`). devour's default error builder keeps only `title` and
 * `detail`, so the constructor's `errorBuilder` option keeps `status`, `code`, `source` and
 * `meta` too (the README's `jsonApi.errorBuilder = …` assignment has no effect in 3.2: the
 * builder is read from the constructor options only). A failed call rejects with an object keyed
 * by the last segment of each error's `source.pointer`, or by its index when there is none.
 */

interface ServerError {
  status?: string;
  code?: string;
  title?: string;
  detail?: string;
  source?: { pointer?: string; parameter?: string };
  meta?: Record<string, unknown>;
}

type DevourErrors = Record<string, ServerError>;

interface LegalEntity extends Ref {
  name: string;
  country: string | null;
  client: Client | Ref | null;
}

interface Client extends ClientFields {
  parent: Client | Ref | null;
  children: Array<Client | Ref>;
  legalEntities: Array<LegalEntity | Ref>;
}

const HEX24 = /^[0-9a-f]{24}$/;

function asClient(value: Client | Ref | null | undefined): Client {
  expect(value).toEqual(expect.objectContaining({ type: 'client', name: expect.any(String) }));
  return value as Client;
}

function defineModels(jsonApi: JsonApi): void {
  const owned = { jsonApi: 'hasOne', type: 'client' } as const;
  jsonApi.define(
    'client',
    {
      name: '',
      email: '',
      slug: '',
      createdAt: '',
      updatedAt: '',
      parent: { jsonApi: 'hasOne', type: 'client' },
      children: { jsonApi: 'hasMany', type: 'client' },
      legalEntities: { jsonApi: 'hasMany', type: 'legal-entity' },
      reportingEntities: { jsonApi: 'hasMany', type: 'reporting-entity' },
      projects: { jsonApi: 'hasMany', type: 'project' },
    },
    { collectionPath: 'clients', readOnly: ['createdAt', 'updatedAt'] },
  );
  jsonApi.define(
    'legal-entity',
    { name: '', registrationNumber: '', country: '', createdAt: '', updatedAt: '', client: owned },
    { collectionPath: 'legal-entities', readOnly: ['createdAt', 'updatedAt'] },
  );
  jsonApi.define('reporting-entity', { name: '', currency: '', createdAt: '', updatedAt: '', client: owned }, { collectionPath: 'reporting-entities', readOnly: ['createdAt', 'updatedAt'] });
  jsonApi.define('project', { name: '', createdAt: '', updatedAt: '', client: owned }, { collectionPath: 'projects', readOnly: ['createdAt', 'updatedAt'] });
}

describe('devour-client against the live service', () => {
  let live: LiveServer;
  let jsonApi: JsonApi;
  const recorder = new ResponseRecorder();

  withLiveServer(
    () => recorder,
    (server) => {
      live = server;
      jsonApi = new JsonApi({
        apiUrl: live.baseUrl,
        bearer: live.h.admin,
        pluralize: false,
        logger: false,
        errorBuilder: ({ status, code, title, detail, source, meta }) => ({ status, code, title, detail, source, meta }),
      });
      defineModels(jsonApi);
      // devour sends through the global axios object (jsonApi.axios).
      return validateAxiosResponses(jsonApi.axios, recorder);
    },
  );

  it('When clients are listed with a filter and a sort, then devour returns them deserialized with their real ids and values', async () => {
    const { root, alpha, beta } = await makeListFixture(live.h);

    const { data, meta, links } = await jsonApi.findAll<Client[]>('client', { filter: { parent: root }, sort: 'name' });

    expect(data.map((c) => c.id)).toEqual([alpha, beta]);
    expect(data.map((c) => [c.type, c.name, c.email, c.slug])).toEqual([
      ['client', 'Alpha', 'alpha@list.test', null],
      ['client', 'Beta', 'beta@list.test', 'beta-list'],
    ]);
    expect(data[0].parent).toEqual({ type: 'client', id: root }); // linkage, not included
    expect(data[0].children).toEqual([]);
    expect(data[0].meta).toEqual({ version: 1 });
    expect(data[0].links.self).toBe(`${live.baseUrl}/clients/${alpha}`);
    expect(meta?.page).toEqual({ number: 1, size: 20, total: 2, totalPages: 1 });
    expect(links?.next).toBeNull();
  });

  it('When one client is read with include=children.legalEntities, then devour rebuilds the graph: each child carries its legal entities', async () => {
    const { root, fr, de, frSas, frSarl, deGmbh } = await makeGraphFixture(live.h);

    const { data } = await jsonApi.find<Client>('client', root, { include: 'children.legalEntities' });

    expect(data.id).toBe(root);
    expect(data.name).toBe('Graph Root');
    expect(data.parent).toBeNull();
    const [frObj, deObj] = data.children.map(asClient);
    expect([frObj.id, frObj.name, deObj.id, deObj.name]).toEqual([fr, 'Graph FR', de, 'Graph DE']);
    const entities = (c: Client) => c.legalEntities.map((e) => e as LegalEntity).map((e) => [e.id, e.type, e.name, e.country]);
    expect(entities(frObj)).toEqual([
      [frSas, 'legal-entity', 'Graph SAS', 'FR'],
      [frSarl, 'legal-entity', 'Graph SARL', 'FR'],
    ]);
    expect(entities(deObj)).toEqual([[deGmbh, 'legal-entity', 'Graph GmbH', 'DE']]);
    // The owner of an included legal entity is the included child object itself: a real graph.
    expect((deObj.legalEntities[0] as LegalEntity).client).toBe(deObj);
    // The primary resource is not in `included`, so devour leaves the child's parent as linkage.
    expect(frObj.parent).toEqual({ type: 'client', id: root });
  });

  it('When a child is read with include=parent, then devour links the parent object with its attributes', async () => {
    const root = await makeClient(live.h, { name: 'Parent Root', email: 'parent@root.test' });
    const child = await makeClient(live.h, { name: 'Parent Child' }, root);

    const { data } = await jsonApi.find<Client>('client', child, { include: 'parent' });

    expect(data.id).toBe(child);
    const parent = asClient(data.parent);
    expect(parent).toMatchObject({ id: root, name: 'Parent Root', email: 'parent@root.test' });
    expect(parent.children).toEqual([{ type: 'client', id: child }]);
  });

  it("When a related collection and a relationship are reached with devour's URL builder, then they list the client's legal entities", async () => {
    const owner = await makeClient(live.h, { name: 'Related Owner' });
    const le = await makeOwned(live.h, 'legal-entities', owner, { name: 'Related SA', country: 'BE' });

    // all(name) uses a model's collectionPath, else the name as it is: the relationship name
    // legalEntities is the URL segment, /clients/ID/legalEntities.
    const { data } = await jsonApi.one('client', owner).all('legalEntities').get<LegalEntity[]>();
    expect(data.map((e) => [e.id, e.type, e.name, e.country])).toEqual([[le, 'legal-entity', 'Related SA', 'BE']]);
    expect(data[0].client).toEqual({ type: 'client', id: owner });

    // relationships(name) checks the name against the model definition: /clients/ID/relationships/legalEntities.
    const linkage = await jsonApi.one('client', owner).relationships('legalEntities').get<Ref[]>();
    expect(linkage.data).toEqual([{ type: 'legal-entity', id: le }]);
    expect(linkage.meta).toMatchObject({ page: { total: 1 } });
  });

  it('When a client is created with a parent, then it is stored with that parent and devour returns the new resource', async () => {
    const parent = await makeClient(live.h, { name: 'Create Parent' });

    const { data } = await jsonApi.create<Client>('client', { name: '  Created Child  ', email: 'Created@Child.test', parent: { id: parent } });

    expect(recorder.last?.status).toBe(201);
    expect(recorder.last?.headers.location).toBe(`${live.baseUrl}/clients/${data.id}`);
    expect(data.id).toMatch(HEX24);
    expect(data.id).not.toBe(parent);
    expect(data.name).toBe('Created Child');
    expect(data.email).toBe('Created@Child.test');
    expect(data.parent).toEqual({ type: 'client', id: parent });
    expect(data.meta).toEqual({ version: 1 });
    const { data: again } = await jsonApi.find<Client>('client', parent, { include: 'children' });
    expect(again.children.map((c) => c.id)).toEqual([data.id]);
  });

  it('When a client is updated (a new name, no email, no parent), then the change is stored and its version goes up', async () => {
    const parent = await makeClient(live.h, { name: 'Update Parent' });
    const id = await makeClient(live.h, { name: 'Before', email: 'before@update.test' }, parent);

    const { data } = await jsonApi.update<Client>('client', { id, name: 'After', email: null, parent: null });

    expect(recorder.last?.status).toBe(200);
    expect(data).toMatchObject({ id, name: 'After', email: null, parent: null, meta: { version: 2 } });
    const { data: again } = await jsonApi.find<Client>('client', id);
    expect(again).toMatchObject({ id, name: 'After', email: null, parent: null });
    const { data: siblings } = await jsonApi.findAll<Client[]>('client', { filter: { parent } });
    expect(siblings).toEqual([]);
  });

  it('When a client is deleted with destroy, then it answers 204 and finding it again rejects with a 404 error object', async () => {
    const id = await makeClient(live.h, { name: 'Doomed' });

    const res = await jsonApi.destroy('client', id);
    expect(recorder.last?.status).toBe(204);
    expect(res.data).toBeNull();

    const errors = await rejectionOf<DevourErrors>(jsonApi.find('client', id));
    expect(recorder.last?.status).toBe(404);
    expect(Object.keys(errors)).toEqual(['0']);
    expect(errors[0]).toMatchObject({ status: '404', code: 'not_found' });
  });

  it('When 23 clients are paged 5 at a time by following links.next, then devour sees every id exactly once over 5 pages', async () => {
    const { parent, expected } = await makePagedFixture(live.h, 'Pager', 'Paged');

    const seen: string[] = [];
    const sizes: number[] = [];
    let page = await jsonApi.findAll<Client[]>('client', { filter: { parent }, page: { size: 5 } });
    expect(page.meta?.page).toEqual({ number: 1, size: 5, total: 23, totalPages: 5 });
    for (;;) {
      sizes.push(page.data.length);
      seen.push(...page.data.map((c) => c.id));
      const next = page.links?.next as string | null | undefined;
      if (!next) break;
      expect(sizes.length).toBeLessThan(10);
      page = await jsonApi.request<Client[]>(next); // through devour's middleware stack
    }

    expect(sizes).toEqual([5, 5, 5, 5, 3]);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expected);
    expect(page.meta?.page).toMatchObject({ number: 5, total: 23 });
  });

  it('When the same 23 clients are paged with keyset cursors (page[after]), then devour follows links.next to the end and sees each id once', async () => {
    const { parent, expected } = await makePagedFixture(live.h, 'Cursor Pager', 'Cursor');

    const seen: string[] = [];
    let pages = 0;
    let page = await jsonApi.findAll<Client[]>('client', { filter: { parent }, sort: '-name', page: { size: 5, after: '' } });
    for (;;) {
      pages++;
      seen.push(...page.data.map((c) => c.id));
      expect(page.meta?.page).toEqual({ size: 5 });
      const next = page.links?.next as string | null | undefined;
      if (!next) break;
      expect(pages).toBeLessThan(10);
      page = await jsonApi.request<Client[]>(next);
    }

    expect(pages).toBe(5);
    expect(new Set(seen).size).toBe(23);
    expect(seen).toEqual([...expected].reverse());
  });

  it('When a client is created with an empty name, then devour rejects with the 422 error keyed by the pointer, validation_failed at /data/attributes/name', async () => {
    const errors = await rejectionOf<DevourErrors>(jsonApi.create('client', { name: '' }));

    expect(recorder.last?.status).toBe(422);
    expect(Object.keys(errors)).toEqual(['name']);
    expect(errors.name).toMatchObject({ status: '422', code: 'validation_failed', source: { pointer: '/data/attributes/name' } });
    expect(typeof errors.name.title).toBe('string');
  });

  it('When a client that does not exist is found, then devour rejects with 404 not_found and no source', async () => {
    const errors = await rejectionOf<DevourErrors>(jsonApi.find('client', '0123456789abcdef01234567'));

    expect(recorder.last?.status).toBe(404);
    expect(errors[0]).toMatchObject({ status: '404', code: 'not_found' });
    expect(errors[0].source).toBeUndefined();
  });

  it('When a second client takes an email in use (in another case), then devour rejects with 409 conflict keyed email, pointing at /data/attributes/email', async () => {
    await makeClient(live.h, { name: 'Email Owner', email: 'taken@conflict.test' });

    const errors = await rejectionOf<DevourErrors>(jsonApi.create('client', { name: 'Email Thief', email: 'TAKEN@conflict.test' }));

    expect(recorder.last?.status).toBe(409);
    expect(Object.keys(errors)).toEqual(['email']);
    expect(errors.email).toMatchObject({ status: '409', code: 'conflict', source: { pointer: '/data/attributes/email' } });
  });

  it('When a client that still owns a project is destroyed, then devour rejects with 409 naming the blocking relationship', async () => {
    const owner = await makeClient(live.h, { name: 'Busy Owner' });
    await makeOwned(live.h, 'projects', owner);

    const errors = await rejectionOf<DevourErrors>(jsonApi.destroy('client', owner));

    expect(recorder.last?.status).toBe(409);
    expect(errors[0]).toMatchObject({ status: '409', code: 'conflict', meta: { relationship: 'projects', count: 1 } });
  });

  it('When a legal entity is created for a client and its country is not an ISO code, then devour surfaces the 422 at /data/attributes/country', async () => {
    const owner = await makeClient(live.h, { name: 'Entity Owner' });

    const { data } = await jsonApi.create<LegalEntity>('legal-entity', { name: 'Owner GmbH', country: 'DE', client: { id: owner } });
    expect(recorder.last?.status).toBe(201);
    expect(data).toMatchObject({ type: 'legal-entity', name: 'Owner GmbH', country: 'DE', client: { type: 'client', id: owner } });

    const errors = await rejectionOf<DevourErrors>(jsonApi.create('legal-entity', { name: 'Nowhere Ltd', country: 'XX', client: { id: owner } }));
    expect(recorder.last?.status).toBe(422);
    expect(errors.country).toMatchObject({ status: '422', code: 'validation_failed', source: { pointer: '/data/attributes/country' } });
  });

  it('When the axios hook is given a document the service contradicts, then it records the mismatch (the check is live)', async () => {
    await makeClient(live.h, { name: 'Longer than three' });
    const strict = new ResponseRecorder(contradictingDocument());
    const unhookProbe = validateAxiosResponses(jsonApi.axios, strict);
    try {
      await jsonApi.findAll('client', { filter: { name: 'Longer than three' } });
    } finally {
      unhookProbe();
    }
    expect(strict.validated).toBe(1);
    expect(strict.take().join('\n')).toMatch(/GET \/api\/v2\/clients → 200: body\/data\/0\/attributes\/name must NOT have more than 3 characters/);
  });

  it('When the file is done, then every response devour received was checked against the OpenAPI document', () => {
    expect(recorder.validated).toBeGreaterThan(20);
  });
});
