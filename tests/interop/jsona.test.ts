import Jsona from 'jsona';
import type { TJsonApiBody, TJsonaModel } from 'jsona/lib/JsonaTypes';
import { makeClient } from '../support/factories';
import { JSONAPI } from '../support/media-types';
import {
  ClientFields,
  contradictingDocument,
  JsonApiError,
  LiveServer,
  lowerCaseHeaders,
  makeGraphFixture,
  makeListFixture,
  makePagedFixture,
  rejectionOf,
  ResponseRecorder,
  withLiveServer,
} from '../support/interop-helpers';

/**
 * jsona 1.14 is a (de)serializer only, so it is paired here with Node's fetch, as its users do:
 * a small fetch wrapper sends the token and the media type, validates every response against the
 * OpenAPI document, and turns an error document into a thrown ApiError; jsona builds the request
 * bodies (`serialize`) and rebuilds the graph from responses (`deserialize`). jsona keeps types
 * exactly as given, so nothing needs configuring for singular kebab-case types.
 */

interface Document extends TJsonApiBody {
  links?: { self: string; first?: string; last?: string; prev?: string | null; next?: string | null };
  meta?: { page?: { number?: number; size: number; total?: number; totalPages?: number } };
  errors?: JsonApiError[];
}

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly errors: JsonApiError[],
  ) {
    super(`HTTP ${status}: ${errors.map((e) => `${e.code}: ${e.detail ?? e.title}`).join('; ')}`);
  }
}

interface Reply {
  status: number;
  headers: Headers;
  document: Document | undefined;
}

interface LegalEntity extends TJsonaModel {
  id: string;
  type: 'legal-entity';
  name: string;
  country: string | null;
  client: Client;
}

interface Client extends TJsonaModel, ClientFields {
  type: 'client';
  relationshipNames: string[];
  parent: Client | null;
  children: Client[];
  legalEntities: LegalEntity[];
}

const HEX24 = /^[0-9a-f]{24}$/;

describe('jsona with fetch against the live service', () => {
  let live: LiveServer;
  const jsona = new Jsona();
  let recorder = new ResponseRecorder();

  /** The fetch wrapper: every response is validated; an error status throws ApiError. */
  async function send(method: string, url: string, body?: TJsonApiBody): Promise<Reply> {
    const headers: Record<string, string> = { Authorization: `Bearer ${live.h.admin}`, Accept: JSONAPI };
    if (body !== undefined) headers['Content-Type'] = JSONAPI;
    const res = await fetch(url, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    recorder.record({ method, path: new URL(url).pathname, status: res.status, headers: lowerCaseHeaders(res.headers.entries()), body: text });
    const document = text === '' ? undefined : (JSON.parse(text) as Document);
    if (res.status >= 400) throw new ApiError(res.status, document?.errors ?? []);
    return { status: res.status, headers: res.headers, document };
  }

  const url = (path: string, query: Record<string, string> = {}) => {
    const qs = new URLSearchParams(query).toString();
    return `${live.baseUrl}/${path}${qs ? `?${qs}` : ''}`;
  };

  async function getOne<T>(path: string, query: Record<string, string> = {}): Promise<T> {
    const { document } = await send('GET', url(path, query));
    return jsona.deserialize(document!) as T;
  }

  async function getMany<T>(path: string, query: Record<string, string> = {}): Promise<{ items: T[]; document: Document }> {
    const { document } = await send('GET', url(path, query));
    return { items: jsona.deserialize(document!) as T[], document: document! };
  }

  withLiveServer(
    () => recorder,
    (server) => {
      live = server;
    },
  );

  it('When clients are listed with a filter and a sort, then jsona deserializes them with their real ids and values', async () => {
    const { root, alpha, beta } = await makeListFixture(live.h);

    const { items, document } = await getMany<Client>('clients', { 'filter[parent]': root, sort: 'name' });

    expect(items.map((c) => c.id)).toEqual([alpha, beta]);
    expect(items.map((c) => [c.type, c.name, c.email, c.slug])).toEqual([
      ['client', 'Alpha', 'alpha@list.test', null],
      ['client', 'Beta', 'beta@list.test', 'beta-list'],
    ]);
    expect(items[0].parent).toEqual({ type: 'client', id: root }); // linkage only: not included
    expect(items[0].children).toEqual([]);
    expect(items[0].meta).toEqual({ version: 1 });
    expect(items[0].links.self).toBe(`${live.baseUrl}/clients/${alpha}`);
    expect(items[0].relationshipNames).toEqual(['parent', 'children', 'legalEntities', 'reportingEntities', 'projects']);
    expect(document.meta?.page).toEqual({ number: 1, size: 20, total: 2, totalPages: 1 });
  });

  it('When one client is read with include=children.legalEntities, then jsona rebuilds the graph: children carry their legal entities and point back at their parent object', async () => {
    const { root, fr, de, frSas, frSarl, deGmbh } = await makeGraphFixture(live.h);

    const client = await getOne<Client>(`clients/${root}`, { include: 'children.legalEntities' });

    expect(client).toMatchObject({ id: root, name: 'Graph Root', parent: null });
    const [frObj, deObj] = client.children;
    expect(client.children.map((c) => [c.id, c.name])).toEqual([
      [fr, 'Graph FR'],
      [de, 'Graph DE'],
    ]);
    expect(frObj.legalEntities.map((e) => [e.id, e.type, e.name, e.country])).toEqual([
      [frSas, 'legal-entity', 'Graph SAS', 'FR'],
      [frSarl, 'legal-entity', 'Graph SARL', 'FR'],
    ]);
    expect(deObj.legalEntities.map((e) => [e.id, e.name, e.country])).toEqual([[deGmbh, 'Graph GmbH', 'DE']]);
    // The owner of an included entity is the included child object itself; the children's parent
    // is resolved from `data` (jsona looks there too), as a copy of the primary resource.
    expect(deObj.legalEntities[0].client).toBe(deObj);
    expect(frObj.parent).toMatchObject({ id: root, type: 'client', name: 'Graph Root' });
    expect(deObj.parent?.id).toBe(root);
  });

  it('When a child is read with include=parent, then jsona links the parent object with its attributes', async () => {
    const root = await makeClient(live.h, { name: 'Parent Root', email: 'parent@root.test' });
    const child = await makeClient(live.h, { name: 'Parent Child' }, root);

    const client = await getOne<Client>(`clients/${child}`, { include: 'parent' });

    expect(client.id).toBe(child);
    expect(client.parent).toMatchObject({ id: root, type: 'client', name: 'Parent Root', email: 'parent@root.test' });
    // The parent's children linkage names the primary resource, resolved from `data` too.
    expect(client.parent?.children.map((c) => [c.id, c.name])).toEqual([[child, 'Parent Child']]);
  });

  it('When a client is created with a parent from a jsona-serialized model, then it is stored with that parent', async () => {
    const parent = await makeClient(live.h, { name: 'Create Parent' });
    const body = jsona.serialize({
      stuff: { type: 'client', name: '  Created Child  ', email: 'Created@Child.test', parent: { type: 'client', id: parent }, relationshipNames: ['parent'] },
    });
    expect(body).toEqual({
      data: {
        type: 'client',
        attributes: { name: '  Created Child  ', email: 'Created@Child.test' },
        relationships: { parent: { data: { type: 'client', id: parent } } },
      },
    });

    const reply = await send('POST', url('clients'), body);
    const created = jsona.deserialize(reply.document!) as Client;

    expect(reply.status).toBe(201);
    expect(created.id).toMatch(HEX24);
    expect(created.id).not.toBe(parent);
    expect(reply.headers.get('location')).toBe(`${live.baseUrl}/clients/${created.id}`);
    expect(created).toMatchObject({ name: 'Created Child', email: 'Created@Child.test', parent: { type: 'client', id: parent }, meta: { version: 1 } });
    const { items } = await getMany<Client>(`clients/${parent}/children`);
    expect(items.map((c) => c.id)).toEqual([created.id]);
  });

  it('When a client is updated from a minimal jsona model (a new name, no email, no parent), then the change is stored and its version goes up', async () => {
    const parent = await makeClient(live.h, { name: 'Update Parent' });
    const id = await makeClient(live.h, { name: 'Before', email: 'before@update.test' }, parent);

    const body = jsona.serialize({ stuff: { type: 'client', id, name: 'After', email: null, parent: null, relationshipNames: ['parent'] } });
    const reply = await send('PATCH', url(`clients/${id}`), body);
    const updated = jsona.deserialize(reply.document!) as Client;

    expect(reply.status).toBe(200);
    expect(updated).toMatchObject({ id, name: 'After', email: null, parent: null, meta: { version: 2 } });
    const again = await getOne<Client>(`clients/${id}`);
    expect(again).toMatchObject({ id, name: 'After', email: null, parent: null });
    const { items } = await getMany<Client>(`clients/${parent}/children`);
    expect(items).toEqual([]);
  });

  it('When a whole deserialized model is sent back (as jsona re-serializes it), then the service refuses its read-only and unknown members with 422 pointers', async () => {
    const id = await makeClient(live.h, { name: 'Round Trip' });
    const model = await getOne<Client>(`clients/${id}`);
    model.name = 'Round Trip 2';

    const body = jsona.serialize({ stuff: model });
    // jsona sends every non-relationship property back as an attribute, meta and links included.
    expect(Object.keys((body.data as { attributes: object }).attributes).sort()).toEqual(['createdAt', 'email', 'links', 'meta', 'name', 'slug', 'updatedAt']);
    const err = await rejectionOf<ApiError>(send('PATCH', url(`clients/${id}`), body));

    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(422);
    expect(err.errors.every((e) => e.status === '422' && e.code === 'validation_failed')).toBe(true);
    expect(err.errors.map((e) => e.source?.pointer)).toEqual(['/data/attributes/createdAt', '/data/attributes/updatedAt', '/data/attributes/meta', '/data/attributes/links']);
    expect((await getOne<Client>(`clients/${id}`)).name).toBe('Round Trip'); // nothing changed
  });

  it('When a client is deleted, then it answers 204 with no body and reading it again throws a 404 error object', async () => {
    const id = await makeClient(live.h, { name: 'Doomed' });

    const reply = await send('DELETE', url(`clients/${id}`));
    expect(reply.status).toBe(204);
    expect(reply.document).toBeUndefined();

    const err = await rejectionOf<ApiError>(getOne(`clients/${id}`));
    expect(err).toBeInstanceOf(ApiError);
    expect(err.status).toBe(404);
    expect(err.errors).toEqual([expect.objectContaining({ status: '404', code: 'not_found' })]);
  });

  it('When 23 clients are paged 5 at a time by following links.next, then every id is deserialized exactly once over 5 pages', async () => {
    const { parent, expected } = await makePagedFixture(live.h, 'Pager', 'Paged');

    const seen: string[] = [];
    const sizes: number[] = [];
    let next: string | null | undefined = url('clients', { 'filter[parent]': parent, 'page[size]': '5' });
    let last: Document | undefined;
    while (next) {
      expect(sizes.length).toBeLessThan(10);
      const { document } = await send('GET', next);
      const items = jsona.deserialize(document!) as Client[];
      sizes.push(items.length);
      seen.push(...items.map((c) => c.id));
      if (sizes.length === 1) expect(document?.meta?.page).toEqual({ number: 1, size: 5, total: 23, totalPages: 5 });
      last = document;
      next = document?.links?.next;
    }

    expect(sizes).toEqual([5, 5, 5, 5, 3]);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expected);
    expect(last?.meta?.page).toMatchObject({ number: 5, total: 23 });
  });

  it('When the same 23 clients are paged backwards with keyset cursors (page[before]), then links.prev leads to the start and each id is seen once', async () => {
    const { parent, expected } = await makePagedFixture(live.h, 'Cursor Pager', 'Cursor');

    const pages: string[][] = [];
    let prev: string | null | undefined = url('clients', { 'filter[parent]': parent, 'page[size]': '5', 'page[before]': '' });
    while (prev) {
      expect(pages.length).toBeLessThan(10);
      const { document } = await send('GET', prev);
      pages.unshift((jsona.deserialize(document!) as Client[]).map((c) => c.id));
      expect(document?.meta?.page).toEqual({ size: 5 });
      prev = document?.links?.prev;
    }

    expect(pages.map((p) => p.length)).toEqual([3, 5, 5, 5, 5]); // the last page is full
    const seen = pages.flat();
    expect(new Set(seen).size).toBe(23);
    expect(seen).toEqual(expected);
  });

  it('When a client is created with an empty name, then the wrapper throws 422 validation_failed pointing at /data/attributes/name', async () => {
    const err = await rejectionOf<ApiError>(send('POST', url('clients'), jsona.serialize({ stuff: { type: 'client', name: '' } })));

    expect(err.status).toBe(422);
    expect(err.errors).toEqual([expect.objectContaining({ status: '422', code: 'validation_failed', source: { pointer: '/data/attributes/name' } })]);
  });

  it('When a client that does not exist is read, then the wrapper throws 404 not_found with no source', async () => {
    const err = await rejectionOf<ApiError>(getOne('clients/0123456789abcdef01234567'));

    expect(err.status).toBe(404);
    expect(err.errors).toEqual([expect.objectContaining({ status: '404', code: 'not_found' })]);
    expect(err.errors[0].source).toBeUndefined();
  });

  it('When a second client takes an email in use (in another case), then the wrapper throws 409 conflict pointing at /data/attributes/email', async () => {
    await makeClient(live.h, { name: 'Email Owner', email: 'taken@conflict.test' });

    const body = jsona.serialize({ stuff: { type: 'client', name: 'Email Thief', email: 'TAKEN@conflict.test' } });
    const err = await rejectionOf<ApiError>(send('POST', url('clients'), body));

    expect(err.status).toBe(409);
    expect(err.errors).toEqual([expect.objectContaining({ status: '409', code: 'conflict', source: { pointer: '/data/attributes/email' } })]);
  });

  it('When a parent is set to a client that does not exist, then the wrapper throws 404 related_not_found pointing at the relationship data', async () => {
    const id = await makeClient(live.h, { name: 'Orphan To Be' });

    const body = jsona.serialize({ stuff: { type: 'client', id, parent: { type: 'client', id: '0123456789abcdef01234567' }, relationshipNames: ['parent'] } });
    const err = await rejectionOf<ApiError>(send('PATCH', url(`clients/${id}`), body));

    expect(err.status).toBe(404);
    expect(err.errors).toEqual([expect.objectContaining({ status: '404', code: 'related_not_found', source: { pointer: '/data/relationships/parent/data' } })]);
  });

  it('When the fetch wrapper validates against a document the service contradicts, then the mismatch is recorded (the check is live)', async () => {
    await makeClient(live.h, { name: 'Longer than three' });
    const real = recorder;
    recorder = new ResponseRecorder(contradictingDocument());
    try {
      await getMany('clients', { 'filter[name]': 'Longer than three' });
      expect(recorder.validated).toBe(1);
      expect(recorder.take().join('\n')).toMatch(/GET \/api\/v2\/clients → 200: body\/data\/0\/attributes\/name must NOT have more than 3 characters/);
    } finally {
      real.validated += recorder.validated;
      recorder = real;
    }
  });

  it('When the file is done, then every response fetch received was checked against the OpenAPI document', () => {
    expect(recorder.validated).toBeGreaterThan(20);
  });
});
