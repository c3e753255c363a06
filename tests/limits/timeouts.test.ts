import BetterSqlite3 from 'better-sqlite3';
import type { Server } from 'node:http';
import request from 'supertest';
import { api, Harness, JSONAPI, ON_POSTGRES, startHarness } from '../support/harness';
import { expectError } from '../support/spec-helpers';
import { exchange } from '../support/http-client';

/**
 * A request not done within REQUEST_TIMEOUT_MS is answered, without crashing
 * anything: 408 `request_timeout` when the client had not even sent the whole request (its side
 * is slow; the connection is closed), 503 `processing_timeout` with Retry-After when the
 * request had arrived and the service was the slow side (here: a write waiting for another
 * writer's lock on the database file). Nothing here is test-only code in the service: the slow
 * body is a real slow client, the slow write a real lock held by another connection.
 */
describe('request timeouts', () => {
  const TIMEOUT_MS = 500;
  let h: Harness;
  let server: Server;

  beforeAll(async () => {
    h = await startHarness({ REQUEST_TIMEOUT_MS: String(TIMEOUT_MS) });
    server = await h.listen();
  });
  afterAll(() => h.close());

  /** A POST whose head and first bytes arrive, and whose body then stalls. */
  const stalledPost = (path: string, contentType: string) => [
    `POST ${path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${h.admin}\r\nContent-Type: ${contentType}\r\nContent-Length: 200\r\n\r\n`,
    '{"data":',
  ];

  it('When a JSON:API request body stalls, then 408 request_timeout arrives after REQUEST_TIMEOUT_MS and the connection is closed', async () => {
    const res = await exchange(server, stalledPost('/api/v2/clients', JSONAPI), { method: 'POST', path: '/api/v2/clients' });
    const error = expectError(res, 408, 'request_timeout');
    expect(error.detail).toContain(String(TIMEOUT_MS));
    expect(res.headers.connection).toBe('close');
    expect(res.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(res.ms).toBeLessThan(TIMEOUT_MS + 1_000);
  });

  it('When a flat request body stalls, then 408 request_timeout arrives in the flat {errors} shape', async () => {
    const res = await exchange(server, stalledPost('/api/clients', 'application/json'), { method: 'POST', path: '/api/clients' });
    expectError(res, 408, 'request_timeout', null, 'flat');
    expect(res.headers.connection).toBe('close');
  });

  it('When requests have timed out, then the server goes on answering', async () => {
    const res = await request(server).get('/api/v2/clients').set('Authorization', `Bearer ${h.admin}`);
    expect(res.status).toBe(200);
  });

  // The lock is SQLite's file lock; on PostgreSQL writers lock rows instead (tests/postgres/row-locks.test.ts).
  (ON_POSTGRES ? it.skip : it)(
    "When a write waits on another writer's lock past REQUEST_TIMEOUT_MS, then 503 processing_timeout with Retry-After, and once the lock is gone the write completes and the service answers as before",
    async () => {
      const other = new BetterSqlite3(h.file);
      let locked = true;
      try {
        other.exec('BEGIN IMMEDIATE');
        const started = Date.now();
        const res = await api(h).post('/api/v2/clients', { data: { type: 'client', attributes: { name: 'Late Writer' } } });
        const error = expectError(res, 503, 'processing_timeout');
        expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 1_000);
        expect(res.headers['retry-after']).toMatch(/^\d+$/);
        expect(error.detail).toMatch(/may still complete/);
        other.exec('ROLLBACK');
        locked = false;
        // As the detail warns: the write was waiting, not cancelled. Its late answer goes nowhere.
        const after = await api(h).get('/api/v2/clients?filter[name]=Late%20Writer');
        expect(after.status).toBe(200);
        expect(after.body.data.map((c: { attributes: { name: string } }) => c.attributes.name)).toEqual(['Late Writer']);
      } finally {
        if (locked) other.exec('ROLLBACK');
        other.close();
      }
    },
  );
});
