import type { Server } from 'node:http';
import request from 'supertest';
import { Harness, JSONAPI, startHarness } from '../support/harness';
import { expectError } from '../support/spec-helpers';
import { exchange } from '../support/http-client';

/**
 * Parser-level errors and the header size limit: what Node's HTTP parser
 * refuses before express runs gets the same JSON:API error document as every other error, from
 * the server the service really runs (src/http/server-factory.ts), with Connection: close.
 */
describe('errors of the HTTP layer', () => {
  let h: Harness;
  let server: Server;
  const MAX_HEADER_BYTES = 4096;

  beforeAll(async () => {
    h = await startHarness({ MAX_HEADER_BYTES: String(MAX_HEADER_BYTES) });
    server = await h.listen();
  });
  afterAll(() => h.close());

  /** The parts of a JSON:API error answer that every HTTP-layer error shares. */
  function expectClosingErrorDocument(res: { status: number; headers: Record<string, string | string[] | undefined>; text: string }, status: number, code: string) {
    const error = expectError(res, status, code);
    expect(res.headers['content-type']).toBe(JSONAPI);
    expect(res.headers.connection).toBe('close');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(String(error.detail).length).toBeGreaterThan(0);
    return error;
  }

  it('When the headers are larger than MAX_HEADER_BYTES, then 431 header_too_large as a JSON:API error document (supertest sees it too)', async () => {
    const res = await request(server).get('/api/v2/clients').set('Authorization', `Bearer ${h.admin}`).set('X-Padding', 'x'.repeat(MAX_HEADER_BYTES));
    const error = expectClosingErrorDocument(res, 431, 'header_too_large');
    expect(error.detail).toContain(String(MAX_HEADER_BYTES));
  });

  it('When the headers are larger than MAX_HEADER_BYTES on the flat surface, then the same 431 JSON:API error document (no route is known yet)', async () => {
    const res = await request(server)
      .get('/api/clients')
      .set('Authorization', `Bearer ${h.admin}`)
      .set('Cookie', 'c='.padEnd(MAX_HEADER_BYTES + 10, 'y'));
    expectClosingErrorDocument(res, 431, 'header_too_large');
  });

  it('When the headers are just under MAX_HEADER_BYTES, then the request is answered as usual', async () => {
    const res = await request(server)
      .get('/api/v2/clients')
      .set('Authorization', `Bearer ${h.admin}`)
      .set('X-Padding', 'x'.repeat(MAX_HEADER_BYTES - 400));
    expect(res.status).toBe(200);
  });

  it('When oversized headers are sent to /healthz, then the answer is the same 431 document (the HTTP layer answers on every path)', async () => {
    const res = await exchange(server, [`GET /healthz HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'z'.repeat(MAX_HEADER_BYTES)}\r\n\r\n`], { method: 'GET', path: '/healthz' });
    expectClosingErrorDocument(res, 431, 'header_too_large');
  });

  it.each([
    ['a request line that is not HTTP', 'HELLO THERE\r\n\r\n'],
    ['a header line without a colon', 'GET /api/v2/clients HTTP/1.1\r\nHost: localhost\r\nthis is not a header\r\n\r\n'],
    ['a space inside a header name', 'GET /api/v2/clients HTTP/1.1\r\nHost: localhost\r\nX Bad: 1\r\n\r\n'],
    ['a Content-Length that is not a number', 'POST /api/v2/clients HTTP/1.1\r\nHost: localhost\r\nContent-Length: ten\r\n\r\n'],
    ['both Content-Length and chunked Transfer-Encoding', 'POST /api/v2/clients HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
  ])('When the request has %s, then 400 malformed_request as a JSON:API error document and the connection is closed', async (_label, raw) => {
    const res = await exchange(server, [raw], { method: 'GET', path: '/api/v2/clients' });
    expectClosingErrorDocument(res, 400, 'malformed_request');
  });

  it("When an authenticated request body has a broken chunk size, then the parser's 400 malformed_request reaches the client while the app is reading the body", async () => {
    const head = `POST /api/v2/clients HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${h.admin}\r\nContent-Type: ${JSONAPI}\r\nTransfer-Encoding: chunked\r\n\r\n`;
    const res = await exchange(server, [head, 50, '4\r\n{"da\r\nzz\r\n'], { method: 'POST', path: '/api/v2/clients' });
    expectClosingErrorDocument(res, 400, 'malformed_request');
  });

  it('When headers start but never finish, then 408 request_timeout as a JSON:API error document once the headers timeout passes', async () => {
    const slow = await startHarness({ REQUEST_TIMEOUT_MS: '300' });
    try {
      const res = await exchange(await slow.listen(), ['GET /api/v2/clients HTTP/1.1\r\nHost: localhost\r\n', 'X-Slow: 1\r\n'], { method: 'GET', path: '/api/v2/clients' });
      expectClosingErrorDocument(res, 408, 'request_timeout');
      // Node checks its timeouts once per interval (here 300 ms): the answer comes soon after.
      expect(res.ms).toBeGreaterThanOrEqual(250);
      expect(res.ms).toBeLessThan(5_000);
    } finally {
      await slow.close();
    }
  });

  it('When a broken request has been answered, then the server goes on answering other connections', async () => {
    await exchange(server, ['BROKEN\r\n\r\n'], { method: 'GET', path: '/api/v2/clients' });
    const res = await request(server).get('/api/v2/clients').set('Authorization', `Bearer ${h.admin}`);
    expect(res.status).toBe(200);
  });
});
