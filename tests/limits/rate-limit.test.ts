import request from 'supertest';
import { insertToken } from '../../src/data/token-store';
import { api, clientToken, flat, Harness, JSONAPI, startHarness } from '../support/harness';
import { makeClient } from '../support/factories';
import { expectError } from '../support/spec-helpers';

/**
 * Issue 8, item 3: per-token rate limiting (express-rate-limit, in memory, per instance) with a
 * small RATE_LIMIT_PER_MINUTE. Over the budget: 429 `rate_limited` with Retry-After and the IETF
 * RateLimit headers, in the shape of the surface called. Each token has its own budget, callers
 * without a token share one per address, and /healthz and /readyz are never limited. (Every
 * other test file runs with the limit off: tests/support/harness.ts.)
 */
describe('rate limiting', () => {
  const LIMIT = 5;
  let h: Harness;
  /** A second admin token, with a budget of its own. */
  let other: string;
  let reader: string;

  beforeAll(async () => {
    h = await startHarness({ RATE_LIMIT_PER_MINUTE: String(LIMIT) });
    // Made outside the API, so they spend no budget.
    other = (await insertToken(h.db, 'second admin', 'admin', null)).secret;
    reader = (await insertToken(h.db, 'third admin', 'admin', null)).secret;
  });
  afterAll(() => h.close());

  it('When a token makes more requests in a minute than RATE_LIMIT_PER_MINUTE, then the next one gets 429 rate_limited with Retry-After and RateLimit headers', async () => {
    for (let i = 0; i < LIMIT; i++) {
      const ok = await api(h).get('/api/v2/clients');
      expect(ok.status).toBe(200);
      expect(ok.headers.ratelimit).toMatch(new RegExp(`; r=${LIMIT - 1 - i}; t=\\d+$`));
      expect(ok.headers['ratelimit-policy']).toMatch(new RegExp(`; q=${LIMIT}; w=60; `));
    }
    const res = await api(h).get('/api/v2/clients');
    const error = expectError(res, 429, 'rate_limited');
    expect(error.detail).toContain(`${LIMIT} requests a minute`);
    const retryAfter = Number(res.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(res.headers.ratelimit).toMatch(/; r=0; t=\d+$/);
  });

  it('When a limited token keeps trying, then writes and the flat surface are refused too, the flat one in its {errors} shape', async () => {
    const write = await api(h).post('/api/v2/clients', { data: { type: 'client', attributes: { name: 'Refused' } } });
    expectError(write, 429, 'rate_limited');
    const flatRes = await flat(h).get('/api/clients');
    expectError(flatRes, 429, 'rate_limited', null, 'flat');
    expect(flatRes.headers['retry-after']).toMatch(/^\d+$/);
  });

  it('When the JSON:API alias was asked for, then the 429 comes in that media type', async () => {
    const res = await request(h.app).get('/api/v2/clients').set('Authorization', `Bearer ${h.admin}`).set('Accept', 'application/vnd.json+api');
    expectError(res, 429, 'rate_limited');
    expect(res.headers['content-type']).toBe('application/vnd.json+api');
  });

  it('When one token is limited, then another token is not affected', async () => {
    const res = await api(h, other).get('/api/v2/clients');
    expect(res.status).toBe(200);
    expect(res.headers.ratelimit).toMatch(new RegExp(`; r=${LIMIT - 1}; t=\\d+$`));
  });

  it('When a client-role token spends its budget, then it is limited on its own', async () => {
    const clientId = await makeClient({ ...h, admin: reader }); // spends one of the reader's requests, not the limited admin's
    const token = await clientToken(h, clientId);
    for (let i = 0; i < LIMIT; i++) expect((await api(h, token).get(`/api/v2/clients/${clientId}`)).status).toBe(200);
    expectError(await api(h, token).get(`/api/v2/clients/${clientId}`), 429, 'rate_limited');
  });

  it('When /healthz and /readyz are polled far past the limit, then they always answer 200', async () => {
    for (let i = 0; i < LIMIT * 3; i++) {
      expect((await request(h.app).get('/healthz')).status).toBe(200);
      expect((await request(h.app).get('/readyz')).status).toBe(200);
    }
  });

  it('When requests come without a token, then they share one budget per address: 401 until it is spent, then 429 (no token lookups past it)', async () => {
    // Earlier tests sent no token-less /api requests, so this address has its whole budget.
    for (let i = 0; i < LIMIT; i++) expectError(await request(h.app).get('/api/v2/clients').set('Accept', JSONAPI), 401, 'unauthorized');
    expectError(await request(h.app).get('/api/v2/clients').set('Accept', JSONAPI), 429, 'rate_limited');
    // The OpenAPI document needs no token, and counts against the same address budget.
    expectError(await request(h.app).get('/api/v2/openapi.json'), 429, 'rate_limited');
    // A token has a budget of its own, whatever the address.
    expect((await api(h, reader).get('/api/v2/clients')).status).toBe(200);
  });

  it('When the same unknown token is sent again and again, then it is limited like any token (counted under its hash, before the lookup)', async () => {
    const guess = 'chs_not-a-real-token-0123456789abcdefghijklmnop';
    for (let i = 0; i < LIMIT; i++) expectError(await request(h.app).get('/api/v2/clients').set('Authorization', `Bearer ${guess}`), 401, 'unauthorized');
    expectError(await request(h.app).get('/api/v2/clients').set('Authorization', `Bearer ${guess}`), 429, 'rate_limited');
  });
});

describe('rate limiting, switched off', () => {
  it('When RATE_LIMIT_PER_MINUTE is 0, then no RateLimit headers are sent and nothing is limited', async () => {
    const h = await startHarness({ RATE_LIMIT_PER_MINUTE: '0' });
    try {
      for (let i = 0; i < 20; i++) {
        const res = await api(h).get('/api/v2/clients');
        expect(res.status).toBe(200);
        expect(res.headers.ratelimit).toBeUndefined();
      }
    } finally {
      await h.close();
    }
  });
});
