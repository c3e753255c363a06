import request from 'supertest';
import { makeClient } from '../support/factories';
import { Harness, JSONAPI, startHarness } from '../support/harness';
import { dumpDatabase, expectSameDump, firstError } from '../support/write-helpers';
import { ATOMIC_MEDIA_TYPE } from '../support/media-types';

/**
 * Endpoints that are declared once in the endpoint table (src/http/jsonapi/endpoints.ts) and
 * answer by it: the atomic endpoint's own query context (it takes no JSON:API query parameter),
 * and 405 with Allow on the public OpenAPI document's path.
 */

describe('the endpoint table', () => {
  let h: Harness;
  let clientId: string;
  beforeAll(async () => {
    h = await startHarness();
    clientId = await makeClient(h, { name: 'Table client' });
  });
  afterAll(() => h.close());

  const rename = (name: string) => ({ 'atomic:operations': [{ op: 'update', data: { type: 'client', id: clientId, attributes: { name } } }] });
  const operations = (query: string, body: unknown = rename('Renamed by operations')) =>
    request(h.app).post(`/api/v2/operations${query}`).set('Authorization', `Bearer ${h.admin}`).set('Accept', ATOMIC_MEDIA_TYPE).set('Content-Type', ATOMIC_MEDIA_TYPE).send(JSON.stringify(body));

  describe('POST /api/v2/operations takes no JSON:API query parameter', () => {
    it.each([
      ['include=parent', 'include'],
      ['include=no-such-relationship', 'include'],
      ['fields%5Bclient%5D=name', 'fields[client]'],
      ['sort=name', 'sort'],
      ['page%5Bsize%5D=1', 'page[size]'],
      ['filter%5Bname%5D=x', 'filter[name]'],
      ['unknown=1', 'unknown'],
    ])('When it is sent with ?%s, then it answers 400 invalid_query_parameter naming %s and nothing changes', async (query, parameter) => {
      const before = await dumpDatabase(h);
      const res = await operations(`?${query}`, rename('Must not happen'));
      expect(firstError(res)).toEqual({ status: 400, code: 'invalid_query_parameter', source: { parameter } });
      expectSameDump(await dumpDatabase(h), before);
    });

    it('When it is sent with an implementation-specific parameter (not all lowercase), then the parameter is ignored and the operations run', async () => {
      const res = await operations('?clientTag=1', rename('Renamed with clientTag'));
      expect(res.status).toBe(200);
      expect(res.body['atomic:results'][0].data.attributes.name).toBe('Renamed with clientTag');
    });

    it('When a method other than POST is sent with a bad query, then 405 with Allow: POST comes first', async () => {
      const res = await request(h.app).get('/api/v2/operations?include=parent').set('Authorization', `Bearer ${h.admin}`).set('Accept', ATOMIC_MEDIA_TYPE);
      expect(firstError(res)).toEqual({ status: 405, code: 'method_not_allowed', source: undefined });
      expect(res.headers.allow).toBe('POST');
    });
  });

  describe('/api/v2/openapi.json', () => {
    it('When POST is sent with a token, then it answers 405 with Allow: GET', async () => {
      const res = await request(h.app).post('/api/v2/openapi.json').set('Authorization', `Bearer ${h.admin}`).set('Content-Type', JSONAPI).send('{}');
      expect(firstError(res)).toEqual({ status: 405, code: 'method_not_allowed', source: undefined });
      expect(res.headers.allow).toBe('GET');
    });

    it('When POST is sent without a token, then it answers 401 (only GET is public)', async () => {
      const res = await request(h.app).post('/api/v2/openapi.json').set('Content-Type', JSONAPI).send('{}');
      expect(firstError(res)).toEqual({ status: 401, code: 'unauthorized', source: undefined });
    });

    it('When GET is sent without a token, then it answers 200 with the document', async () => {
      const res = await request(h.app).get('/api/v2/openapi.json');
      expect(res.status).toBe(200);
      expect(res.body.paths['/api/v2/operations'].post.operationId).toBe('atomicOperations');
    });
  });
});
