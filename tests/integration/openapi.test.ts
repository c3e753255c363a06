import SwaggerParser from '@apidevtools/swagger-parser';
import request from 'supertest';
import { api, clientToken, flat, Harness, JSONAPI, startHarness } from '../support/harness';
import { makeClient, makeOwned } from '../support/factories';
import { ResponseValidator } from '../support/openapi-validator';
import { OpenApiMismatchError, responseValidation } from '../support/validate-responses';
import { registry } from '../../src/resources/registry';
import { ATOMIC_MEDIA_TYPE } from '../support/media-types';

/**
 * The OpenAPI document: generated from the registry, valid OpenAPI 3.1, served without
 * a token, and in agreement with the routes: every documented operation exists, every
 * undocumented method is 405, and every filter operator it lists is accepted. Every response in
 * the suite is validated against it (tests/support/validate-responses.ts); the last tests here
 * prove that check can fail.
 */

type Obj = Record<string, any>;

let h: Harness;
let doc: Obj;
let clientId: string;
/** A real id of each type, so that {id} names an existing resource (404 comes before 405). */
const ids: Record<string, string> = {};

/** Fresh fixtures for each test: some tests delete what they are given. */
async function fixtures(): Promise<void> {
  clientId = await makeClient(h, { name: 'Docs Root' });
  ids.clients = clientId;
  ids.projects = await makeOwned(h, 'projects', clientId);
  ids['legal-entities'] = await makeOwned(h, 'legal-entities', clientId);
  ids['reporting-entities'] = await makeOwned(h, 'reporting-entities', clientId);
  const token = await api(h).post('/api/v2/api-tokens', { data: { type: 'api-token', attributes: { name: 'docs', role: 'admin' } } });
  ids['api-tokens'] = token.body.data.id;
}

beforeAll(async () => {
  h = await startHarness();
  doc = (await request(h.app).get('/api/v2/openapi.json')).body;
});
beforeEach(fixtures);
afterAll(() => h.close());
afterEach(() => responseValidation.use(undefined));

describe('GET /api/v2/openapi.json', () => {
  it('When fetched without a token, then it answers 200 application/json with an OpenAPI 3.1 document that a validator accepts', async () => {
    const res = await request(h.app).get('/api/v2/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body.openapi).toBe('3.1.0');
    // swagger-parser validates against the OpenAPI 3.1 schema and resolves every $ref.
    await expect(SwaggerParser.validate(structuredClone(res.body))).resolves.toBeDefined();
  });

  it('When read, then it has the collection, item, related and relationship paths of every registry type, the atomic endpoint and the flat surface', () => {
    const paths = Object.keys(doc.paths);
    for (const def of registry.resources) {
      expect(paths).toContain(`/api/v2/${def.path}`);
      expect(paths).toContain(`/api/v2/${def.path}/{id}`);
      for (const rel of def.relationships) {
        expect(paths).toContain(`/api/v2/${def.path}/{id}/${rel.name}`);
        expect(paths).toContain(`/api/v2/${def.path}/{id}/relationships/${rel.name}`);
      }
      expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining([expect.stringMatching(/Resource$/)]));
    }
    expect(paths).toEqual(expect.arrayContaining(['/api/v2/operations', '/api/clients', '/api/clients/{id}']));
    expect(doc.components.securitySchemes.bearer).toEqual(expect.objectContaining({ type: 'http', scheme: 'bearer' }));
    expect(doc.paths['/api/v2/operations'].post.requestBody.content).toHaveProperty([ATOMIC_MEDIA_TYPE]);
  });

  it('When a client attribute is text, then every operator is listed for it; when it is a timestamp, then contains, startsWith and endsWith are not', () => {
    const names = new Set((doc.paths['/api/v2/clients'].get.parameters as Obj[]).map((p) => doc.components.parameters[p.$ref.split('/').pop()].name));
    expect(names).toContain('filter[name][contains]');
    expect(names).toContain('filter[email][null]');
    expect(names).toContain('filter[createdAt][gte]');
    expect(names).not.toContain('filter[createdAt][contains]');
    expect(names).toContain('filter[descendantOf]');
    expect(names).toContain('fields[legal-entity]');
    expect(names).toContain('page[after]');
  });
});

describe('The document and the routes agree', () => {
  const concrete = (template: string) => template.replace('{id}', ids[template.split('/')[3]] ?? clientId);
  const sample: Record<string, string> = { eq: 'x', ne: 'x', in: 'a,b', nin: 'a,b', contains: 'x', startsWith: 'x', endsWith: 'x', gt: 'x', gte: 'x', lt: 'x', lte: 'x', null: 'true' };

  it('When every documented operation is called as an admin, then none answers 405 or "no endpoint"', async () => {
    const seen: string[] = [];
    let operations = 0;
    for (const [template, item] of Object.entries(doc.paths as Obj)) {
      for (const method of ['get', 'post', 'patch', 'delete']) {
        if (item[method]) operations++;
        if (!item[method]) continue;
        const res = await request(h.app)
          [method as 'get'](concrete(template))
          .set('Authorization', `Bearer ${h.admin}`)
          .set('Accept', template.startsWith('/api/v2/operations') ? ATOMIC_MEDIA_TYPE : '*/*')
          .set('Content-Type', template.startsWith('/api/clients') ? 'application/json' : template.startsWith('/api/v2/operations') ? ATOMIC_MEDIA_TYPE : JSONAPI)
          .send(method === 'get' || method === 'delete' ? undefined : '{}');
        seen.push(`${method} ${template}`);
        expect({ op: `${method} ${template}`, status: res.status }).not.toEqual({ op: `${method} ${template}`, status: 405 });
        expect(String(res.body?.errors?.[0]?.detail ?? '')).not.toMatch(/No endpoint|has no relationship/);
      }
    }
    expect(seen.length).toBe(operations);
    expect(operations).toBeGreaterThan(60);
  });

  it('When a method the document does not list is used on a documented /api/v2 path, then it answers 405 with Allow naming exactly the documented methods', async () => {
    for (const [template, item] of Object.entries(doc.paths as Obj)) {
      if (!template.startsWith('/api/v2/') || template.endsWith('openapi.json')) continue;
      const documented = ['get', 'post', 'patch', 'delete'].filter((m) => item[m]);
      for (const method of ['get', 'post', 'patch', 'delete'].filter((m) => !documented.includes(m))) {
        const res = await request(h.app)
          [method as 'get'](concrete(template))
          .set('Authorization', `Bearer ${h.admin}`)
          .set('Content-Type', JSONAPI)
          .send(method === 'get' || method === 'delete' ? undefined : '{}');
        expect({ at: `${method} ${template}`, status: res.status }).toEqual({ at: `${method} ${template}`, status: 405 });
        expect(
          res.headers.allow
            .split(', ')
            .map((m: string) => m.toLowerCase())
            .sort(),
        ).toEqual([...documented].sort());
      }
    }
  });

  it('When each documented filter parameter of each collection is sent with a well-formed value, then the list answers 200', async () => {
    for (const def of registry.resources) {
      for (const p of doc.paths[`/api/v2/${def.path}`].get.parameters as Obj[]) {
        const param = doc.components.parameters[p.$ref.split('/').pop()];
        if (!param.name.startsWith('filter[')) continue;
        const op = /\]\[([a-zA-Z]+)\]$/.exec(param.name)?.[1];
        const field = /^filter\[([^\]]+)\]/.exec(param.name)![1];
        const attr = def.attributes.find((a) => a.name === field);
        const relational = field === 'id' || def.relationships.some((r) => r.name === field) || field === 'descendantOf' || field === 'ancestorOf';
        let value = op ? sample[op] : 'x';
        if (attr?.kind === 'timestamp' && op !== 'null') value = '2026-01-01T00:00:00.000Z';
        if (relational && op !== 'null') value = clientId;
        const res = await api(h).get(`/api/v2/${def.path}?${encodeURIComponent(param.name)}=${encodeURIComponent(value)}`);
        expect({ parameter: param.name, status: res.status }).toEqual({ parameter: param.name, status: 200 });
      }
    }
  });
});

describe('Responses are validated against the document', () => {
  it('When the suite makes requests, then each response is checked (the counter moves)', async () => {
    const before = responseValidation.checked;
    await api(h).get(`/api/v2/clients/${clientId}`);
    await flat(h).get('/api/clients');
    expect(responseValidation.checked).toBe(before + 2);
  });

  it('When a schema is broken in memory (client name declared an integer), then a request that returns a client fails with the mismatch at /data/attributes/name', async () => {
    const broken = structuredClone(doc);
    broken.components.schemas.ClientAttributes.properties.name = { type: 'integer' };
    responseValidation.use(broken);
    const err = await api(h)
      .get(`/api/v2/clients/${clientId}`)
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(OpenApiMismatchError);
    expect(String((err as Error).message)).toContain('/data/attributes/name');
  });

  it('When a status is removed from an operation in memory, then a response with that status is refused as undocumented', async () => {
    const broken = structuredClone(doc);
    delete broken.paths['/api/v2/clients/{id}'].get.responses['404'];
    responseValidation.use(broken);
    await expect(api(h).get('/api/v2/clients/aaaaaaaaaaaaaaaaaaaaaaaa')).rejects.toThrow(/status 404 is not documented/);
  });

  it('When the flat client schema loses a member in memory, then a flat list response fails the check', async () => {
    const broken = structuredClone(doc);
    delete broken.components.schemas.FlatClient.properties.projects;
    responseValidation.use(broken);
    await expect(flat(h).get('/api/clients')).rejects.toThrow(/must NOT have additional properties/);
  });

  it('When a client token reads a restricted parent, then the document describes that answer too (data null, meta.restricted)', async () => {
    const child = await makeClient(h, { name: 'Docs Child' }, clientId);
    const token = await clientToken(h, child);
    const res = await api(h, token).get(`/api/v2/clients/${child}/parent`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual(expect.objectContaining({ data: null, meta: { restricted: true } }));
    const validator = new ResponseValidator(doc);
    expect(validator.validate({ method: 'GET', path: `/api/v2/clients/${child}/parent`, status: 200, headers: res.headers, body: res.text })).toEqual([]);
  });
});

describe('GET /docs', () => {
  it('When the docs page is fetched without a token, then it is Swagger UI served from this server (no CDN) pointing at the generated document', async () => {
    const page = await request(h.app).get('/docs');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    const scripts = [...page.text.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]);
    expect(scripts.length).toBeGreaterThan(0);
    for (const src of scripts) {
      expect(src.startsWith('/docs/')).toBe(true);
      const asset = await request(h.app).get(src);
      expect(asset.status).toBe(200);
      expect(asset.headers['content-type']).toMatch(/javascript/);
    }
    const init = await request(h.app).get('/docs/init.js');
    expect(init.text).toContain('/api/v2/openapi.json');
    expect((await request(h.app).get('/docs/assets/swagger-ui.css')).status).toBe(200);
  });
});
