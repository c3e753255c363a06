import { api, Harness, startHarness } from '../support/harness';
import { makeClient } from '../support/factories';
import type { Server } from 'node:http';
import { expectError } from '../support/spec-helpers';
import { httpRequest, HttpResponse } from '../support/http-client';
import { JSONAPI } from '../support/media-types';

/** SPEC §2 "Media types" and §3 (flat bodies are application/json), with the 401 precedence. */
describe('content negotiation', () => {
  let h: Harness;
  let server: Server;
  let clientId: string;

  beforeAll(async () => {
    h = await startHarness();
    server = await h.listen();
    clientId = await makeClient(h, { name: 'Negotiated' });
  });
  afterAll(async () => {
    await h.close();
  });

  const ALIAS = 'application/vnd.json+api';

  function get(path: string, headers: Record<string, string> = {}, token: string | null = h.admin): Promise<HttpResponse> {
    return httpRequest(server, 'GET', path, { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers });
  }

  function send(method: string, path: string, headers: Record<string, string>, body: string | Buffer, token: string | null = h.admin): Promise<HttpResponse> {
    return httpRequest(server, method, path, { ...(token ? { Authorization: `Bearer ${token}` } : {}), ...headers }, body);
  }

  const newClient = (name: string) => JSON.stringify({ data: { type: 'client', attributes: { name } } });

  describe('Accept', () => {
    it('When Accept names the alias application/vnd.json+api, then the response Content-Type is that alias', async () => {
      const res = await get(`/api/v2/clients/${clientId}`, { Accept: ALIAS });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe(ALIAS);
      expect((res.json as { data: { id: string } }).data.id).toBe(clientId);
    });

    it('When Accept names the alias, then an error document is answered with the alias as well', async () => {
      const res = await get('/api/v2/clients/ffffffffffffffffffffffff', { Accept: ALIAS });
      expectError(res, 404, 'not_found');
      expect(res.headers['content-type']).toBe(ALIAS);
    });

    it('When Accept lists both the standard type and the alias, then the standard type is answered', async () => {
      const res = await get(`/api/v2/clients/${clientId}`, { Accept: `${ALIAS}, ${JSONAPI}` });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe(JSONAPI);
    });

    it.each([
      ['*/*', '*/*'],
      ['application/json', 'application/json'],
      ['application/vnd.api+json', JSONAPI],
      ['application/*', 'application/*'],
      ['a browser-like list', 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'],
    ])('When Accept is %s, then the response is application/vnd.api+json with no parameter', async (_label, accept) => {
      const res = await get(`/api/v2/clients/${clientId}`, { Accept: accept });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe(JSONAPI);
    });

    it('When there is no Accept header, then the response is application/vnd.api+json with no parameter', async () => {
      const res = await get(`/api/v2/clients/${clientId}`);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe(JSONAPI);
    });

    it('When a collection, a 201 and an error are answered, then none of them carries a charset', async () => {
      const list = await get('/api/v2/clients', { Accept: '*/*' });
      expect(list.headers['content-type']).toBe(JSONAPI);
      const created = await send('POST', '/api/v2/clients', { 'Content-Type': JSONAPI }, newClient('No charset'));
      expect(created.status).toBe(201);
      expect(created.headers['content-type']).toBe(JSONAPI);
      const err = await send('POST', '/api/v2/clients', { 'Content-Type': JSONAPI }, '{');
      expect(err.status).toBe(400);
      expect(err.headers['content-type']).toBe(JSONAPI);
    });

    it.each([
      ['charset=utf-8', `${JSONAPI}; charset=utf-8`],
      ['foo=bar', `${JSONAPI};foo=bar`],
      ['the alias with charset', `${ALIAS}; charset=utf-8`],
      ['both spellings with other parameters', `${JSONAPI}; charset=utf-8, ${ALIAS}; version=1`],
    ])('When Accept lists JSON:API only with %s, then 406 not_acceptable', async (_label, accept) => {
      const res = await get(`/api/v2/clients/${clientId}`, { Accept: accept });
      expectError(res, 406, 'not_acceptable', { header: 'Accept' });
      expect(res.headers['content-type']).toBe(JSONAPI);
    });

    it('When Accept lists JSON:API only with a charset next to */*, then 406 (JSON:API 1.1: every instance is modified)', async () => {
      const res = await get(`/api/v2/clients/${clientId}`, { Accept: `${JSONAPI}; charset=utf-8, */*` });
      expectError(res, 406, 'not_acceptable', { header: 'Accept' });
    });

    it('When Accept lists one JSON:API instance with a charset and one without, then 200', async () => {
      const res = await get(`/api/v2/clients/${clientId}`, { Accept: `${JSONAPI}; charset=utf-8, ${JSONAPI}` });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe(JSONAPI);
    });

    it('When Accept names only a type this API does not produce (text/html), then 406', async () => {
      const res = await get(`/api/v2/clients/${clientId}`, { Accept: 'text/html' });
      expectError(res, 406, 'not_acceptable', { header: 'Accept' });
    });

    it('When Accept carries a profile parameter, then it is accepted (200)', async () => {
      const res = await get(`/api/v2/clients/${clientId}`, { Accept: `${JSONAPI}; profile="https://example.com/profiles/x"` });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe(JSONAPI);
    });

    it('When Accept carries a q weight, then it is accepted (200)', async () => {
      const res = await get(`/api/v2/clients/${clientId}`, { Accept: `${JSONAPI};q=0.9` });
      expect(res.status).toBe(200);
    });

    it('When every JSON:API instance in Accept asks for an unsupported extension, then 406', async () => {
      const res = await get(`/api/v2/clients/${clientId}`, { Accept: `${JSONAPI}; ext="https://example.com/ext/unknown"` });
      expectError(res, 406, 'not_acceptable', { header: 'Accept' });
    });

    it('When Accept has one instance with an unsupported extension and one plain instance, then 200', async () => {
      const res = await get(`/api/v2/clients/${clientId}`, { Accept: `${JSONAPI}; ext="https://example.com/ext/unknown", ${JSONAPI}` });
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe(JSONAPI);
    });

    it('When Accept is not acceptable on a DELETE, then 406 and nothing is deleted', async () => {
      const id = await makeClient(h, { name: 'Survives 406' });
      const res = await httpRequest(server, 'DELETE', `/api/v2/clients/${id}`, { Authorization: `Bearer ${h.admin}`, Accept: 'text/html' });
      expectError(res, 406, 'not_acceptable', { header: 'Accept' });
      expect((await api(h).get(`/api/v2/clients/${id}`)).status).toBe(200);
    });
  });

  describe('Content-Type of request bodies', () => {
    it('When a body is sent as application/vnd.api+json, then it is created (201)', async () => {
      const res = await send('POST', '/api/v2/clients', { 'Content-Type': JSONAPI }, newClient('Standard'));
      expect(res.status).toBe(201);
    });

    it('When a body is sent as the alias application/vnd.json+api, then it is created (201)', async () => {
      const res = await send('POST', '/api/v2/clients', { 'Content-Type': ALIAS, Accept: ALIAS }, newClient('Alias'));
      expect(res.status).toBe(201);
      expect(res.headers['content-type']).toBe(ALIAS);
    });

    it('When a POST body has no Content-Type at all, then it is read as JSON:API (201)', async () => {
      const res = await send('POST', '/api/v2/clients', {}, newClient('No content type'));
      expect(res.status).toBe(201);
      expect((res.json as { data: { attributes: { name: string } } }).data.attributes.name).toBe('No content type');
    });

    it('When a PATCH body has no Content-Type at all (as in the aleta example), then it is applied (200)', async () => {
      const id = await makeClient(h, { name: 'Before' });
      const res = await send('PATCH', `/api/v2/clients/${id}`, {}, JSON.stringify({ data: { type: 'client', id, attributes: { name: 'After' } } }));
      expect(res.status).toBe(200);
      expect((await api(h).get(`/api/v2/clients/${id}`)).body.data.attributes.name).toBe('After');
    });

    it('When a body carries a profile parameter, then it is accepted (201)', async () => {
      const res = await send('POST', '/api/v2/clients', { 'Content-Type': `${JSONAPI}; profile="https://example.com/profiles/x"` }, newClient('Profiled'));
      expect(res.status).toBe(201);
    });

    it.each([
      ['application/json', 'application/json'],
      ['text/plain', 'text/plain'],
      ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded'],
      ['multipart/form-data', 'multipart/form-data; boundary=x'],
    ])('When a body is sent as %s, then 415 unsupported_media_type and nothing is created', async (_label, type) => {
      const name = `Refused ${type}`;
      const res = await send('POST', '/api/v2/clients', { 'Content-Type': type }, newClient(name));
      expectError(res, 415, 'unsupported_media_type', { header: 'Content-Type' });
      const found = await api(h).get(`/api/v2/clients?filter[name]=${encodeURIComponent(name)}`);
      expect(found.body.data).toEqual([]);
    });

    it.each([
      ['charset=utf-8', `${JSONAPI}; charset=utf-8`],
      ['foo=bar', `${JSONAPI};foo=bar`],
      ['the alias with a charset', `${ALIAS}; charset=utf-8`],
    ])('When a JSON:API body has the parameter %s, then 415', async (_label, type) => {
      const res = await send('POST', '/api/v2/clients', { 'Content-Type': type }, newClient('Param'));
      expectError(res, 415, 'unsupported_media_type', { header: 'Content-Type' });
    });

    it('When a JSON:API body asks for an unsupported extension, then 415', async () => {
      const res = await send('POST', '/api/v2/clients', { 'Content-Type': `${JSONAPI}; ext="https://example.com/ext/unknown"` }, newClient('Ext'));
      expectError(res, 415, 'unsupported_media_type', { header: 'Content-Type' });
    });

    it('When a PATCH body has a wrong media type, then 415 and the resource is unchanged', async () => {
      const id = await makeClient(h, { name: 'Unchanged' });
      const res = await send('PATCH', `/api/v2/clients/${id}`, { 'Content-Type': 'application/json' }, JSON.stringify({ data: { type: 'client', id, attributes: { name: 'Changed' } } }));
      expectError(res, 415, 'unsupported_media_type', { header: 'Content-Type' });
      expect((await api(h).get(`/api/v2/clients/${id}`)).body.data.attributes.name).toBe('Unchanged');
    });

    it('When 406 and 415 both apply, then either is answered, never a 2xx', async () => {
      const res = await send('POST', '/api/v2/clients', { 'Content-Type': 'text/plain', Accept: 'text/html' }, newClient('Both'));
      expect([406, 415]).toContain(res.status);
      expectError(res, res.status, res.status === 406 ? 'not_acceptable' : 'unsupported_media_type', { header: res.status === 406 ? 'Accept' : 'Content-Type' });
    });
  });

  describe('flat surface media types', () => {
    const flatBody = (email: string) => JSON.stringify({ name: 'Flat', email });

    it('When a flat body is application/json with a charset, then it is created (201, application/json)', async () => {
      const res = await send('POST', '/api/clients', { 'Content-Type': 'application/json; charset=utf-8' }, flatBody('flat-charset@example.com'));
      expect(res.status).toBe(201);
      expect(String(res.headers['content-type'])).toMatch(/^application\/json\b/);
    });

    it.each([
      ['application/vnd.api+json', { 'Content-Type': JSONAPI }],
      ['text/plain', { 'Content-Type': 'text/plain' }],
      ['no Content-Type', {}],
    ])('When a flat body is sent as %s, then 415 in the flat error shape', async (_label, headers) => {
      const res = await send('POST', '/api/clients', headers as Record<string, string>, flatBody('flat-415@example.com'));
      expectError(res, 415, 'unsupported_media_type', { header: 'Content-Type' }, 'flat');
    });

    it('When a flat PATCH body is not application/json, then 415 and the client is unchanged', async () => {
      const id = await makeClient(h, { name: 'Flat unchanged', email: 'flat-unchanged@example.com' });
      const res = await send('PATCH', `/api/clients/client_${id}`, { 'Content-Type': 'text/plain' }, JSON.stringify({ name: 'Changed' }));
      expectError(res, 415, 'unsupported_media_type', { header: 'Content-Type' }, 'flat');
      expect((await api(h).get(`/api/v2/clients/${id}`)).body.data.attributes.name).toBe('Flat unchanged');
    });
  });

  describe('401 comes first', () => {
    it('When there is no token and Accept is unacceptable, then 401 (not 406)', async () => {
      const res = await get(`/api/v2/clients/${clientId}`, { Accept: 'text/html' }, null);
      expectError(res, 401, 'unauthorized');
      expect(String(res.headers['www-authenticate'])).toMatch(/^Bearer\b/);
    });

    it('When there is no token and the body media type is wrong, then 401 (not 415)', async () => {
      const res = await send('POST', '/api/v2/clients', { 'Content-Type': 'text/plain' }, newClient('x'), null);
      expectError(res, 401, 'unauthorized');
      expect(String(res.headers['www-authenticate'])).toMatch(/^Bearer\b/);
    });

    it('When the token is unknown and the body media type has a charset, then 401 (not 415)', async () => {
      const res = await send('POST', '/api/v2/clients', { 'Content-Type': `${JSONAPI}; charset=utf-8` }, newClient('x'), 'not-a-real-token');
      expectError(res, 401, 'unauthorized');
    });

    it('When there is no token on the flat surface and the body is text/plain, then 401 (not 415)', async () => {
      const res = await send('POST', '/api/clients', { 'Content-Type': 'text/plain' }, JSON.stringify({ name: 'x', email: 'x@example.com' }), null);
      expectError(res, 401, 'unauthorized', null, 'flat');
      expect(String(res.headers['www-authenticate'])).toMatch(/^Bearer\b/);
    });
  });
});
