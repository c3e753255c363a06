import fc from 'fast-check';
import request from 'supertest';
import { FILTER_OPERATORS } from '../../src/query/ast';
import { registry } from '../../src/resources/registry';
import { makeClient, makeOwned } from '../support/factories';
import { expectCleanAnswer, fingerprint, FUZZ } from '../support/fuzz-helpers';
import { Harness, JSONAPI, startHarness } from '../support/harness';
import { ATOMIC_EXT } from '../support/media-types';

/**
 * Fuzzing the read side and the headers: random query strings (parameter families,
 * names and values, well and badly encoded) on every read endpoint of both surfaces, and random
 * Accept, Content-Type (with parameters) and Host headers on reads and writes. Property: never a
 * 5xx, errors are error documents with contract codes (400s name their parameter), and nothing
 * a rejected request does changes the database.
 */

let h: Harness;
let clientId: string;
const ids: Record<string, string> = {};

beforeAll(async () => {
  h = await startHarness({ BASE_DOMAIN: 'clients.test' });
  clientId = await makeClient(h, { name: 'Query Root', email: 'q@example.com', slug: 'acme' });
  const child = await makeClient(h, { name: 'Query Child' }, clientId);
  ids.clients = child;
  ids['legal-entities'] = await makeOwned(h, 'legal-entities', child, { country: 'FR' });
  ids['reporting-entities'] = await makeOwned(h, 'reporting-entities', child, { currency: 'EUR' });
  ids.projects = await makeOwned(h, 'projects', child);
});
afterAll(() => h.close());

/** Every read endpoint (ID stands for an existing id of the type, filled in when the test runs). */
function readPaths(): string[] {
  const out: string[] = ['/api/clients', '/api/clients/client_ID'];
  for (const def of registry.resources) {
    if (def.scope.kind === 'admin-only') continue;
    out.push(`/api/v2/${def.path}`, `/api/v2/${def.path}/ID`);
    for (const rel of def.relationships) out.push(`/api/v2/${def.path}/ID/${rel.name}`, `/api/v2/${def.path}/ID/relationships/${rel.name}`);
  }
  return out;
}

/** The path with ID replaced by an existing id of its type (the flat surface: a client). */
function concrete(path: string): string {
  const type = path.startsWith('/api/clients') ? 'clients' : path.split('/')[3];
  return path.replace('ID', ids[type]);
}

const fieldNames = [...new Set(registry.resources.flatMap((d) => [...d.attributes.map((a) => a.name), ...d.relationships.map((r) => r.name)]))];
const word = fc.oneof(fc.constantFrom(...fieldNames, 'id', 'type', 'descendantOf', 'ancestorOf', 'parent.name', 'client.parent.email', ''), fc.string({ maxLength: 12 }));
const value = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.constantFrom('', ',', ',,', '-', '0', '-1', '1e3', '99999999999999999999', '1.5', 'null', 'true', 'x'.repeat(600), '%', '_', '\u0000', 'aaaaaaaaaaaaaaaaaaaaaaaa'),
  fc.constant('CLIENT_ID'),
  fc.array(word, { maxLength: 4 }).map((w) => w.join(',')),
  fc.array(word, { maxLength: 3 }).map((w) => w.map((x) => `-${x}`).join(',')),
);
const name = fc.oneof(
  fc.constantFrom('include', 'sort', 'page[number]', 'page[size]', 'page[after]', 'page[before]', 'page[offset]', 'email', 'search', 'limit', 'offset'),
  fc.tuple(fc.constantFrom('client', 'legal-entity', 'nope', ''), fc.constant('')).map(([t]) => `fields[${t}]`),
  fc.tuple(word, fc.option(fc.constantFrom(...FILTER_OPERATORS, 'like', 'EQ', ''), { nil: undefined })).map(([f, op]) => (op === undefined ? `filter[${f}]` : `filter[${f}][${op}]`)),
  fc.string({ maxLength: 10 }),
  fc.stringMatching(/^[a-z]{1,8}$/),
);
/** A query string: pairs encoded as browsers do, or raw (stray %, brackets, unicode). */
const queryArb = fc
  .array(fc.tuple(name, value, fc.boolean()), { maxLength: 5 })
  .map((pairs) => pairs.map(([n, v, raw]) => (raw ? `${n}=${v}`.replace(/[#\s]/g, '') : `${encodeURIComponent(n)}=${encodeURIComponent(v)}`)).join('&'));

describe('Fuzzing query strings', () => {
  it.each(readPaths().map((p) => [p]))('When GET %s gets random query strings, then it never answers 5xx and a 400 names its parameter', async (path) => {
    await fc.assert(
      fc.asyncProperty(queryArb, async (query) => {
        let res: request.Response;
        try {
          res = await request(h.app)
            .get(`${concrete(path)}?${query.split('CLIENT_ID').join(clientId)}`)
            .set('Authorization', `Bearer ${h.admin}`)
            .set('Accept', JSONAPI);
        } catch (e) {
          // The client refused to send it (an invalid request path): nothing reached the server.
          if (/Request path contains unescaped characters|Invalid URL/i.test(String((e as Error).message))) return;
          throw e;
        }
        const flat = path.startsWith('/api/clients');
        expectCleanAnswer(res, `GET ${path}?${query}`, flat);
        if (res.status === 400 && res.body.errors[0].code === 'invalid_query_parameter' && typeof res.body.errors[0].source?.parameter !== 'string') {
          throw new Error(`400 without source.parameter: GET ${path}?${query} → ${res.text}`);
        }
      }),
      FUZZ,
    );
  });
});

/** Header values Node's client will send: visible ASCII, spaces and tabs. */
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 });
const mediaType = fc.oneof(
  fc.constantFrom(JSONAPI, 'application/vnd.json+api', 'application/json', '*/*', 'application/*', 'text/html', ''),
  fc
    .tuple(
      fc.constantFrom(JSONAPI, 'application/vnd.json+api', 'application/json', '*/*', 'text/plain', 'APPLICATION/VND.API+JSON'),
      fc.array(fc.tuple(fc.constantFrom('ext', 'profile', 'q', 'charset', 'x', 'EXT', ''), fc.oneof(headerText, fc.constantFrom(`"${ATOMIC_EXT}"`, '0', '1', '0.5', '"'))), { maxLength: 3 }),
    )
    .map(([t, ps]) => [t, ...ps.map(([k, v]) => `${k}=${v}`)].join('; ')),
  fc.array(fc.constantFrom(JSONAPI, `${JSONAPI}; ext="x"`, 'text/html;q=0.9', '*/*;q=0', headerText), { minLength: 1, maxLength: 4 }).map((a) => a.join(', ')),
  headerText,
);
const hostArb = fc.oneof(
  fc.constantFrom('acme.clients.test', 'ACME.Clients.Test:8080', 'nope.clients.test', 'api.clients.test', 'clients.test', 'a.b.acme.clients.test', '127.0.0.1', '[::1]:80', ''),
  headerText,
);

describe('Fuzzing headers', () => {
  const cases: [string, 'get' | 'post' | 'patch', () => string, () => string | undefined][] = [
    ['GET /api/v2/clients', 'get', () => '/api/v2/clients?include=children', () => undefined],
    ['GET /api/v2/clients/{id}', 'get', () => `/api/v2/clients/${ids.clients}`, () => undefined],
    [
      'POST /api/v2/clients',
      'post',
      () => '/api/v2/clients',
      () => JSON.stringify({ data: { type: 'client', attributes: { name: 'Header fuzz' }, relationships: { parent: { data: { type: 'client', id: clientId } } } } }),
    ],
    ['PATCH /api/v2/projects/{id}', 'patch', () => `/api/v2/projects/${ids.projects}`, () => JSON.stringify({ data: { type: 'project', id: ids.projects, attributes: { name: 'Renamed' } } })],
    [
      'POST /api/v2/operations',
      'post',
      () => '/api/v2/operations',
      () => JSON.stringify({ 'atomic:operations': [{ op: 'update', ref: { type: 'project', id: ids.projects }, data: { type: 'project', id: ids.projects, attributes: { name: 'Atomic' } } }] }),
    ],
    ['GET /api/clients', 'get', () => '/api/clients', () => undefined],
    ['POST /api/clients', 'post', () => '/api/clients', () => JSON.stringify({ name: 'Flat header fuzz', email: `h${Date.now()}@example.com` })],
  ];
  it.each(cases)('When %s gets random Accept, Content-Type and Host headers, then it never answers 5xx and a rejected request changes nothing', async (label, method, url, body) => {
    await fc.assert(
      fc.asyncProperty(fc.option(mediaType, { nil: undefined }), fc.option(mediaType, { nil: undefined }), fc.option(hostArb, { nil: undefined }), async (accept, contentType, host) => {
        const before = await fingerprint(h);
        let t = request(h.app)[method](url()).set('Authorization', `Bearer ${h.admin}`);
        if (accept !== undefined) t = t.set('Accept', accept);
        if (contentType !== undefined) t = t.set('Content-Type', contentType);
        if (host !== undefined) t = t.set('Host', host);
        const text = body();
        const res = await (text === undefined ? t : t.send(text));
        expectCleanAnswer(res, `${label} Accept=${String(accept)} Content-Type=${String(contentType)} Host=${String(host)}`, label.includes('/api/clients'));
        if (res.status >= 400 && (await fingerprint(h)) !== before) throw new Error(`${label} answered ${res.status} but changed the database`);
      }),
      FUZZ,
    );
  });
});
