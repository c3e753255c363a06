import type { Server } from 'node:http';
import { ConfigError, loadConfig } from '../../src/config/config';
import { api, flat, Harness, JSONAPI, startHarness } from '../support/harness';
import { makeClient } from '../support/factories';
import { expectError } from '../support/spec-helpers';
import { exchange } from '../support/http-client';
import { ATOMIC_MEDIA_TYPE } from '../support/media-types';

/**
 * Every limit on what one request may ask answers clearly: the status and code
 * of the contract, `source` where one fits, and a detail that names the limit. Small limits are
 * configured so the tests stay small; each is the variable the README lists.
 */
describe('limits on a request', () => {
  const LIMITS = {
    MAX_BODY_BYTES: '4096',
    MAX_OPERATIONS: '3',
    MAX_FILTERS: '2',
    MAX_FILTER_VALUES: '3',
    MAX_SORT_FIELDS: '2',
    MAX_INCLUDE_DEPTH: '2',
    MAX_PAGE_SIZE: '10',
    DEFAULT_PAGE_SIZE: '5',
  };
  const MAX_DEPTH = 32; // MAX_JSON_DEPTH's default
  let h: Harness;
  let server: Server;

  beforeAll(async () => {
    h = await startHarness(LIMITS);
    server = await h.listen();
  });
  afterAll(() => h.close());

  /** `depth` arrays, one inside the other, around 1. */
  const nested = (depth: number): unknown => (depth === 0 ? 1 : [nested(depth - 1)]);
  const zeros = (n: number) => '/0'.repeat(n);

  describe('JSON nesting depth (MAX_JSON_DEPTH)', () => {
    it('When a body nests one level deeper than MAX_JSON_DEPTH, then 400 invalid_document pointing at the first value too deep, with the limit in the detail', async () => {
      // The document, data and attributes are 3 levels; the name's arrays make up the rest.
      const res = await api(h).post('/api/v2/clients', { data: { type: 'client', attributes: { name: nested(MAX_DEPTH - 2) } } });
      const error = expectError(res, 400, 'invalid_document', { pointer: `/data/attributes/name${zeros(MAX_DEPTH - 3)}` });
      expect(error.detail).toContain(`at most ${MAX_DEPTH} levels`);
    });

    it('When a body nests exactly MAX_JSON_DEPTH levels, then it gets past the limit to the usual checks (422: a name is a string)', async () => {
      const res = await api(h).post('/api/v2/clients', { data: { type: 'client', attributes: { name: nested(MAX_DEPTH - 3) } } });
      expectError(res, 422, 'validation_failed', { pointer: '/data/attributes/name' });
    });

    it('When a body nests thousands of levels deep within the size limit, then 400 invalid_document, not a crash', async () => {
      const depth = 2000;
      const res = await api(h).post('/api/v2/clients', JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`));
      expectError(res, 400, 'invalid_document', { pointer: zeros(MAX_DEPTH) });
    });

    it('When a flat body nests too deep, then 400 invalid_document in the flat shape, pointing into the flat body', async () => {
      const res = await flat(h).post('/api/clients', { name: 'Deep', email: 'deep@example.com', projects: nested(MAX_DEPTH) });
      expectError(res, 400, 'invalid_document', { pointer: `/projects${zeros(MAX_DEPTH - 1)}` }, 'flat');
    });

    it('When an atomic request nests as deep as a relationship operation does (8 levels), then it is accepted', async () => {
      const parent = await makeClient(h);
      const res = await api(h)
        .post('/api/v2/operations', {
          'atomic:operations': [{ op: 'add', data: { type: 'client', attributes: { name: 'Deep Enough' }, relationships: { children: { data: [{ type: 'client', id: parent }] } } } }],
        })
        .set('Content-Type', ATOMIC_MEDIA_TYPE)
        .set('Accept', ATOMIC_MEDIA_TYPE);
      expect(res.status).toBe(200);
    });
  });

  describe('body size (MAX_BODY_BYTES)', () => {
    const big = 'x'.repeat(5000);

    it('When a JSON:API body is over MAX_BODY_BYTES, then 413 payload_too_large naming the limit', async () => {
      const res = await api(h).post('/api/v2/clients', { data: { type: 'client', attributes: { name: big } } });
      const error = expectError(res, 413, 'payload_too_large');
      expect(error.detail).toContain('4096 bytes');
    });

    it('When a flat body is over MAX_BODY_BYTES, then 413 payload_too_large in the flat shape', async () => {
      const res = await flat(h).post('/api/clients', { name: big, email: 'big@example.com' });
      expectError(res, 413, 'payload_too_large', null, 'flat');
    });

    it('When a chunked body (no Content-Length) grows past MAX_BODY_BYTES, then 413 payload_too_large all the same', async () => {
      const chunk = (s: string) => `${Buffer.byteLength(s).toString(16)}\r\n${s}\r\n`;
      const res = await exchange(
        server,
        [
          `POST /api/v2/clients HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${h.admin}\r\nContent-Type: ${JSONAPI}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`,
          chunk(`{"data":{"type":"client","attributes":{"name":"${big}`),
          chunk('"}}}'),
          '0\r\n\r\n',
        ],
        { method: 'POST', path: '/api/v2/clients' },
      );
      expectError(res, 413, 'payload_too_large');
    });
  });

  describe('atomic operations per request (MAX_OPERATIONS)', () => {
    it('When an atomic request has more operations than MAX_OPERATIONS, then 413 payload_too_large naming the limit and the count', async () => {
      const ops = Array.from({ length: 4 }, (_, i) => ({ op: 'add', data: { type: 'client', attributes: { name: `Op ${i}` } } }));
      const res = await api(h).post('/api/v2/operations', { 'atomic:operations': ops }).set('Content-Type', ATOMIC_MEDIA_TYPE).set('Accept', ATOMIC_MEDIA_TYPE);
      // The atomic extension's media type: expectError checks the plain JSON:API one.
      expect(res.status).toBe(413);
      expect(res.headers['content-type']).toBe(ATOMIC_MEDIA_TYPE);
      expect(res.body.errors).toEqual([expect.objectContaining({ status: '413', code: 'payload_too_large', detail: expect.stringMatching(/At most 3 operations.*has 4/) })]);
      expect(res.body.errors[0].source).toBeUndefined();
    });
  });

  describe('query limits', () => {
    it.each([
      ['include deeper than MAX_INCLUDE_DEPTH', '/api/v2/clients?include=children.children.children', 'include', /maximum of 2/],
      ['more filters than MAX_FILTERS', '/api/v2/clients?filter[name]=a&filter[email]=b&filter[slug]=c', 'filter[slug]', /At most 2 filters/],
      ['more filter values than MAX_FILTER_VALUES', '/api/v2/clients?filter[name][in]=a,b,c,d', 'filter[name][in]', /at most 3 values/],
      ['more sort keys than MAX_SORT_FIELDS', '/api/v2/clients?sort=name,email,slug', 'sort', /at most 2 keys/],
      ['a page larger than MAX_PAGE_SIZE', '/api/v2/clients?page[size]=11', 'page[size]', /at most 10/],
    ])('When a request asks for %s, then 400 invalid_query_parameter with source.parameter naming it and the limit in the detail', async (_label, url, parameter, detail) => {
      const res = await api(h).get(url);
      const error = expectError(res, 400, 'invalid_query_parameter', { parameter });
      expect(error.detail).toMatch(detail);
    });
  });
});

describe('the abuse limits are configured', () => {
  it('When the environment is empty, then no per-token limit, 60 failed authentications a minute per address, 30 s per request, 16 KiB of headers and 32 levels of JSON apply', () => {
    expect(loadConfig({}).protection).toEqual({ rateLimitPerMinute: 0, authFailuresPerMinute: 60, requestTimeoutMs: 30_000, maxHeaderBytes: 16 * 1024, maxJsonDepth: 32 });
  });

  it('When RATE_LIMIT_PER_MINUTE and REQUEST_TIMEOUT_MS are 0, then both are off', () => {
    expect(loadConfig({ RATE_LIMIT_PER_MINUTE: '0', REQUEST_TIMEOUT_MS: '0' }).protection).toMatchObject({ rateLimitPerMinute: 0, requestTimeoutMs: 0 });
  });

  it.each([
    ['MAX_JSON_DEPTH', '4', /MAX_JSON_DEPTH must be at least 8/],
    ['MAX_HEADER_BYTES', '100', /MAX_HEADER_BYTES must be at least 1024/],
    ['RATE_LIMIT_PER_MINUTE', 'lots', /RATE_LIMIT_PER_MINUTE must be a whole number/],
  ])('When %s is %s, then the service refuses to start and says why', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });
});
