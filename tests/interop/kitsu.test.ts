import Kitsu from 'kitsu';
import type { AxiosError } from 'axios';
import { makeClient, makeOwned } from '../support/factories';
import {
  ClientFields,
  contradictingDocument,
  JsonApiError,
  LiveServer,
  Ref,
  makeGraphFixture,
  makeListFixture,
  makePagedFixture,
  rejectionOf,
  ResponseRecorder,
  validateAxiosResponses,
  withLiveServer,
} from '../support/interop-helpers';

/**
 * kitsu 11 (axios + kitsu-core) used as its users use it, against the service on a loopback
 * port. kitsu's defaults are made for kitsu.app (plural camelCase types, kebab-cased URL
 * segments), so it is told not to touch names: `pluralize: false` (the type `client` stays
 * `client`), `camelCaseTypes: false` (`legal-entity` stays `legal-entity` in bodies) and
 * `resourceCase: 'none'` (the relationship segment `legalEntities` is not kebab-cased to
 * `legal-entities`). kitsu's `post`/`patch` take the type from the URL segment (the collection
 * `clients` would become the type `clients`), so writes go through its documented `request()`,
 * which takes the URL and the type apart.
 */

/** A rejected kitsu call: the axios error with kitsu's `errors` (the document's error objects). */
type KitsuError = AxiosError & { errors?: JsonApiError[] };

/** kitsu's shape of a relationship: linkage (resolved from `included` when there) plus links/meta. */
interface Rel<T> {
  data?: T;
  links?: { self: string; related: string };
  meta?: { count?: number };
}

interface LegalEntity extends Ref {
  name: string;
  country: string | null;
  client: Rel<Ref>;
}

interface Client extends ClientFields {
  parent: Rel<Client | null>;
  children: Rel<Client[]>;
  legalEntities: Rel<LegalEntity[]>;
}

interface Doc<T> {
  data: T;
  links: { self: string; first?: string; last?: string; prev?: string | null; next?: string | null };
  meta?: { page?: { number?: number; size: number; total?: number; totalPages?: number } };
  status: number;
  headers?: Record<string, string>;
}

const HEX24 = /^[0-9a-f]{24}$/;

describe('kitsu against the live service', () => {
  let live: LiveServer;
  let api: Kitsu;
  const recorder = new ResponseRecorder();

  withLiveServer(
    () => recorder,
    (server) => {
      live = server;
      api = new Kitsu({
        baseURL: live.baseUrl,
        headers: { Authorization: `Bearer ${live.h.admin}` },
        pluralize: false,
        camelCaseTypes: false,
        resourceCase: 'none',
      });
      return validateAxiosResponses(api.axios, recorder);
    },
  );

  it('When clients are listed with a filter and a sort, then kitsu returns them as flat objects with their real ids and values', async () => {
    const { root, alpha, beta } = await makeListFixture(live.h);

    const res = (await api.get('clients', { params: { filter: { parent: root }, sort: 'name' } })) as Doc<Client[]>;

    expect(res.status).toBe(200);
    expect(res.data.map((c) => c.id)).toEqual([alpha, beta]);
    expect(res.data.map((c) => [c.name, c.email, c.slug])).toEqual([
      ['Alpha', 'alpha@list.test', null],
      ['Beta', 'beta@list.test', 'beta-list'],
    ]);
    // Attributes are hoisted onto the object; the to-one parent carries its linkage.
    expect(res.data[0].parent.data).toEqual({ type: 'client', id: root });
    expect(res.data[0].children.meta).toEqual({ count: 0 });
    expect(res.data[0].links.self).toBe(`${live.baseUrl}/clients/${alpha}`);
    expect(res.meta?.page).toEqual({ number: 1, size: 20, total: 2, totalPages: 1 });
  });

  it('When one client is read with include=children.legalEntities, then kitsu rebuilds the graph: each child carries its legal entities', async () => {
    const { root, fr, de, frSas, frSarl, deGmbh } = await makeGraphFixture(live.h);

    const res = (await api.get(`clients/${root}`, { params: { include: 'children.legalEntities' } })) as Doc<Client>;

    expect(res.data.id).toBe(root);
    expect(res.data.name).toBe('Graph Root');
    expect(res.data.parent.data).toBeUndefined(); // a root: `data: null`, kitsu keeps only the links
    expect(res.data.parent.links?.related).toBe(`${live.baseUrl}/clients/${root}/parent`);
    const children = res.data.children.data ?? [];
    expect(children.map((c) => [c.id, c.name])).toEqual([
      [fr, 'Graph FR'],
      [de, 'Graph DE'],
    ]);
    const [frObj, deObj] = children;
    expect(frObj.legalEntities.data?.map((e) => [e.id, e.name, e.country])).toEqual([
      [frSas, 'Graph SAS', 'FR'],
      [frSarl, 'Graph SARL', 'FR'],
    ]);
    expect(frObj.legalEntities.meta).toEqual({ count: 2 });
    expect(deObj.legalEntities.data?.map((e) => [e.id, e.name, e.country])).toEqual([[deGmbh, 'Graph GmbH', 'DE']]);
    // The back-reference to the included child resolves to that child (kitsu hands out its own
    // cached copy of it, not the same object).
    expect(deObj.legalEntities.data?.[0].client.data).toMatchObject({ type: 'client', id: de });
    // The primary resource is not in `included`, so kitsu leaves the child's parent as linkage.
    expect(frObj.parent.data).toEqual({ type: 'client', id: root });
  });

  it('When a child is read with include=parent, then kitsu links the parent object with its attributes', async () => {
    const root = await makeClient(live.h, { name: 'Parent Root', email: 'parent@root.test' });
    const child = await makeClient(live.h, { name: 'Parent Child' }, root);

    const res = (await api.get(`clients/${child}`, { params: { include: 'parent' } })) as Doc<Client>;

    expect(res.data.id).toBe(child);
    expect(res.data.parent.data).toMatchObject({ id: root, type: 'client', name: 'Parent Root', email: 'parent@root.test' });
    expect(res.data.parent.data?.children.data).toEqual([{ id: child, type: 'client' }]);
  });

  it('When a related collection is fetched by its camelCase relationship name, then kitsu reaches it unchanged', async () => {
    const owner = await makeClient(live.h, { name: 'Related Owner' });
    const le = await makeOwned(live.h, 'legal-entities', owner, { name: 'Related SA', country: 'BE' });

    const res = (await api.get(`clients/${owner}/legalEntities`)) as Doc<LegalEntity[]>;

    expect(res.data.map((e) => [e.id, e.type, e.name, e.country])).toEqual([[le, 'legal-entity', 'Related SA', 'BE']]);
  });

  it('When a client is created with a parent, then it is stored with that parent and kitsu returns the new resource', async () => {
    const parent = await makeClient(live.h, { name: 'Create Parent' });

    const res = (await api.request({
      method: 'POST',
      url: 'clients',
      type: 'client',
      body: { name: '  Created Child  ', email: 'Created@Child.test', parent: { data: { type: 'client', id: parent } } },
    })) as Doc<Client>;

    expect(res.status).toBe(201);
    expect(res.data.id).toMatch(HEX24);
    expect(res.data.id).not.toBe(parent);
    expect(res.data.name).toBe('Created Child'); // stored trimmed
    expect(res.data.parent.data).toEqual({ type: 'client', id: parent });
    expect(res.data.meta).toEqual({ version: 1 });
    expect(res.headers?.location).toBe(`${live.baseUrl}/clients/${res.data.id}`);
    // Read back from the other side of the relationship.
    const children = (await api.get(`clients/${parent}/children`)) as Doc<Client[]>;
    expect(children.data.map((c) => c.id)).toEqual([res.data.id]);
  });

  it('When a client is updated (a new name, no email, no parent), then the change is stored and its version goes up', async () => {
    const parent = await makeClient(live.h, { name: 'Update Parent' });
    const id = await makeClient(live.h, { name: 'Before', email: 'before@update.test' }, parent);

    const res = (await api.request({
      method: 'PATCH',
      url: `clients/${id}`,
      type: 'client',
      body: { id, name: 'After', email: null, parent: { data: null } },
    })) as Doc<Client>;

    expect(res.status).toBe(200);
    expect(res.data).toMatchObject({ id, name: 'After', email: null, meta: { version: 2 } });
    expect(res.data.updatedAt >= res.data.createdAt).toBe(true);
    const again = (await api.get(`clients/${id}`, { params: { include: 'parent' } })) as Doc<Client>;
    expect(again.data).toMatchObject({ id, name: 'After', email: null });
    expect(again.data.parent.data).toBeUndefined(); // now a root
    const formerSiblings = (await api.get(`clients/${parent}/children`)) as Doc<Client[]>;
    expect(formerSiblings.data).toEqual([]);
  });

  it('When a client is deleted with kitsu.delete, then it answers 204 and reading it again rejects with a 404 error object', async () => {
    const id = await makeClient(live.h, { name: 'Doomed' });

    const res = (await api.delete('clients', id)) as { status: number };
    expect(res.status).toBe(204);

    const err = await rejectionOf<KitsuError>(api.get(`clients/${id}`));
    expect(err.response?.status).toBe(404);
    expect(err.errors).toHaveLength(1);
    expect(err.errors?.[0]).toMatchObject({ status: '404', code: 'not_found' });
  });

  it('When 23 clients are paged 5 at a time by following links.next, then kitsu sees every id exactly once over 5 pages', async () => {
    const { parent, expected } = await makePagedFixture(live.h, 'Pager', 'Paged');

    const seen: string[] = [];
    const sizes: number[] = [];
    let page = (await api.get('clients', { params: { filter: { parent }, page: { size: 5 } } })) as Doc<Client[]>;
    expect(page.meta?.page).toEqual({ number: 1, size: 5, total: 23, totalPages: 5 });
    for (;;) {
      sizes.push(page.data.length);
      seen.push(...page.data.map((c) => c.id));
      const next = page.links.next;
      if (!next) break;
      expect(sizes.length).toBeLessThan(10); // no endless loop on a broken link
      // links.next is absolute and already carries the filter and the page size.
      page = (await api.request({ url: next, type: 'client' })) as Doc<Client[]>;
    }

    expect(sizes).toEqual([5, 5, 5, 5, 3]);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expected); // default order: id ascending, i.e. creation order
    expect(page.meta?.page).toMatchObject({ number: 5, total: 23 });
    expect(page.links.last).toBe(page.links.self);
  });

  it('When the same 23 clients are paged with keyset cursors (page[after]), then kitsu follows links.next to the end and sees each id once', async () => {
    const { parent, expected } = await makePagedFixture(live.h, 'Cursor Pager', 'Cursor');

    const seen: string[] = [];
    let pages = 0;
    let page = (await api.get('clients', { params: { filter: { parent }, sort: '-name', page: { size: 5, after: '' } } })) as Doc<Client[]>;
    for (;;) {
      pages++;
      seen.push(...page.data.map((c) => c.id));
      expect(page.meta?.page).toEqual({ size: 5 });
      if (!page.links.next) break;
      expect(pages).toBeLessThan(10);
      page = (await api.request({ url: page.links.next, type: 'client' })) as Doc<Client[]>;
    }

    expect(pages).toBe(5);
    expect(new Set(seen).size).toBe(23);
    expect(seen).toEqual([...expected].reverse()); // sort=-name, names follow creation order
  });

  it('When a client is created with an empty name, then kitsu rejects with 422 validation_failed pointing at /data/attributes/name', async () => {
    const err = await rejectionOf<KitsuError>(api.request({ method: 'POST', url: 'clients', type: 'client', body: { name: '   ' } }));

    expect(err.response?.status).toBe(422);
    expect(err.errors).toEqual([expect.objectContaining({ status: '422', code: 'validation_failed', source: { pointer: '/data/attributes/name' } })]);
    expect(typeof err.errors?.[0].title).toBe('string');
  });

  it('When a client that does not exist is read, then kitsu rejects with 404 not_found and no source', async () => {
    const err = await rejectionOf<KitsuError>(api.get('clients/0123456789abcdef01234567'));

    expect(err.response?.status).toBe(404);
    expect(err.errors).toEqual([expect.objectContaining({ status: '404', code: 'not_found' })]);
    expect(err.errors?.[0].source).toBeUndefined();
  });

  it('When a second client takes an email in use (in another case), then kitsu rejects with 409 conflict pointing at /data/attributes/email', async () => {
    await makeClient(live.h, { name: 'Email Owner', email: 'taken@conflict.test' });

    const err = await rejectionOf<KitsuError>(api.request({ method: 'POST', url: 'clients', type: 'client', body: { name: 'Email Thief', email: 'TAKEN@conflict.test' } }));

    expect(err.response?.status).toBe(409);
    expect(err.errors).toEqual([expect.objectContaining({ status: '409', code: 'conflict', source: { pointer: '/data/attributes/email' } })]);
  });

  it('When a client that still has children is deleted, then kitsu rejects with 409 naming the blocking relationship', async () => {
    const parent = await makeClient(live.h, { name: 'Busy Parent' });
    await makeClient(live.h, { name: 'Busy Child' }, parent);

    const err = await rejectionOf<KitsuError>(api.delete('clients', parent));

    expect(err.response?.status).toBe(409);
    expect(err.errors).toEqual([expect.objectContaining({ status: '409', code: 'conflict', meta: { relationship: 'children', count: 1 } })]);
  });

  it('When an unknown include is asked for, then kitsu rejects with 400 whose source names the include parameter', async () => {
    const err = await rejectionOf<KitsuError>(api.get('clients', { params: { include: 'cousins' } }));

    expect(err.response?.status).toBe(400);
    expect(err.errors).toEqual([expect.objectContaining({ status: '400', code: 'invalid_query_parameter', source: { parameter: 'include' } })]);
  });

  it('When the axios hook is given a document the service contradicts, then it records the mismatch (the check is live)', async () => {
    await makeClient(live.h, { name: 'Longer than three' });
    const strict = new ResponseRecorder(contradictingDocument());
    const probe = new Kitsu({ baseURL: live.baseUrl, headers: { Authorization: `Bearer ${live.h.admin}` }, pluralize: false });
    const unhookProbe = validateAxiosResponses(probe.axios, strict);
    try {
      await probe.get('clients', { params: { filter: { name: 'Longer than three' } } });
    } finally {
      unhookProbe();
    }
    expect(strict.validated).toBe(1);
    expect(strict.take().join('\n')).toMatch(/GET \/api\/v2\/clients → 200: body\/data\/0\/attributes\/name must NOT have more than 3 characters/);
  });

  it('When the file is done, then every response kitsu received was checked against the OpenAPI document', () => {
    expect(recorder.validated).toBeGreaterThan(20);
  });
});
