import request from 'supertest';
import { FailureBudget } from '../../src/auth/failure-budget';
import { insertToken } from '../../src/data/token-store';
import { api, flat, Harness, JSONAPI, startHarness } from '../support/harness';
import { expectError } from '../support/spec-helpers';

/**
 * Limits that protect without getting in the way (SPEC §7): a valid token is never throttled
 * unless an operator sets RATE_LIMIT_PER_MINUTE; what is limited is guessing: failed
 * authentications (unknown or revoked tokens) per client address, AUTH_FAILURES_PER_MINUTE
 * (60 by default), after which requests with a token from that address get 429 before any
 * lookup until the minute ends.
 */

const madeUp = (i: number) => `chs_made-up-token-${i}-${'x'.repeat(32)}`;
const withToken = (h: Harness, token: string) => request(h.app).get('/api/v2/clients').set('Authorization', `Bearer ${token}`).set('Accept', JSONAPI);

describe('with the defaults', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('When one token sends 1,000 requests as fast as they are answered, then none is refused and no RateLimit headers are sent', async () => {
    const statuses = new Map<number, number>();
    for (let batch = 0; batch < 50; batch++) {
      const answers = await Promise.all(Array.from({ length: 20 }, () => api(h).get('/api/v2/clients?page[size]=1')));
      for (const res of answers) {
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        expect(res.headers.ratelimit).toBeUndefined();
      }
    }
    expect(Object.fromEntries(statuses)).toEqual({ 200: 1000 });
  });

  it('When 1,000 requests with distinct made-up tokens come from one address, then the first 60 are 401 and every later one 429 with Retry-After', async () => {
    const statuses: number[] = [];
    let first429: request.Response | undefined;
    for (let i = 0; i < 1000; i++) {
      const res = await withToken(h, madeUp(i));
      statuses.push(res.status);
      if (res.status === 429) first429 ??= res;
    }
    expect(statuses.slice(0, 60).every((s) => s === 401)).toBe(true);
    expect(statuses.slice(60).every((s) => s === 429)).toBe(true);
    const error = expectError(first429!, 429, 'rate_limited');
    expect(error.detail).toContain('failed authentications');
    const retryAfter = Number(first429!.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
  });

  it('When an address has spent its failure budget, then even a valid token from it waits (the guess is never tested), on the flat surface too, while requests without a token still get 401', async () => {
    expectError(await api(h).get('/api/v2/clients'), 429, 'rate_limited');
    expectError(await flat(h).get('/api/clients'), 429, 'rate_limited', null, 'flat');
    expectError(await request(h.app).get('/api/v2/clients').set('Accept', JSONAPI), 401, 'unauthorized');
    expect((await request(h.app).get('/healthz')).status).toBe(200);
    expect((await request(h.app).get('/api/v2/openapi.json')).status).toBe(200);
  });
});

describe('what counts as a failed authentication', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ AUTH_FAILURES_PER_MINUTE: '5' });
  });
  afterAll(() => h.close());

  it('When valid tokens are used many times, then they spend nothing of the failure budget', async () => {
    for (let i = 0; i < 50; i++) expect((await api(h).get('/api/v2/clients')).status).toBe(200);
    for (let i = 0; i < 4; i++) expectError(await withToken(h, madeUp(i)), 401, 'unauthorized');
    for (let i = 0; i < 20; i++) expect((await api(h).get('/api/v2/clients')).status).toBe(200);
  });

  it('When a revoked token is used, then it is a failure like a made-up one, and the next request with a token is 429', async () => {
    const revoked = await insertToken(h.db, 'soon revoked', 'admin', null);
    expect((await api(h).delete(`/api/v2/api-tokens/${revoked.id}`)).status).toBe(204);
    expectError(await withToken(h, revoked.secret), 401, 'unauthorized');
    expectError(await withToken(h, revoked.secret), 429, 'rate_limited');
  });

  it('When requests carry no token at all, then they are answered 401 and never counted', async () => {
    const fresh = await startHarness({ AUTH_FAILURES_PER_MINUTE: '2' });
    try {
      for (let i = 0; i < 20; i++) expectError(await request(fresh.app).get('/api/v2/clients').set('Accept', JSONAPI), 401, 'unauthorized');
      expect((await api(fresh).get('/api/v2/clients')).status).toBe(200);
    } finally {
      await fresh.close();
    }
  });
});

describe('client addresses and TRUST_PROXY', () => {
  it('When TRUST_PROXY is not set, then X-Forwarded-For does not give a guesser a fresh address', async () => {
    const h = await startHarness({ AUTH_FAILURES_PER_MINUTE: '3' });
    try {
      for (let i = 0; i < 3; i++) expectError(await withToken(h, madeUp(i)).set('X-Forwarded-For', `198.51.100.${i}`), 401, 'unauthorized');
      expectError(await withToken(h, madeUp(9)).set('X-Forwarded-For', '203.0.113.9'), 429, 'rate_limited');
    } finally {
      await h.close();
    }
  });

  it('When TRUST_PROXY=1, then the address the proxy saw counts, other addresses keep their budgets, and a forged X-Forwarded-For prefix changes nothing', async () => {
    const h = await startHarness({ AUTH_FAILURES_PER_MINUTE: '3', TRUST_PROXY: '1' });
    try {
      for (let i = 0; i < 3; i++) expectError(await withToken(h, madeUp(i)).set('X-Forwarded-For', '198.51.100.7'), 401, 'unauthorized');
      expectError(await withToken(h, madeUp(5)).set('X-Forwarded-For', '198.51.100.7'), 429, 'rate_limited');
      // The caller's own entries come first; the proxy appends the address it saw.
      expectError(await withToken(h, madeUp(6)).set('X-Forwarded-For', '203.0.113.1, 198.51.100.7'), 429, 'rate_limited');
      expectError(await withToken(h, madeUp(7)).set('X-Forwarded-For', '198.51.100.8'), 401, 'unauthorized');
      expect((await api(h).get('/api/v2/clients').set('X-Forwarded-For', '198.51.100.9')).status).toBe(200);
    } finally {
      await h.close();
    }
  });
});

describe('the optional per-token rate limit', () => {
  const LIMIT = 5;
  let h: Harness;
  let other: string;
  beforeAll(async () => {
    h = await startHarness({ RATE_LIMIT_PER_MINUTE: String(LIMIT) });
    other = (await insertToken(h.db, 'second admin', 'admin', null)).secret;
  });
  afterAll(() => h.close());

  it('When an operator sets RATE_LIMIT_PER_MINUTE and a token goes over it, then the next request gets 429 rate_limited with Retry-After and RateLimit headers', async () => {
    for (let i = 0; i < LIMIT; i++) {
      const ok = await api(h).get('/api/v2/clients');
      expect(ok.status).toBe(200);
      expect(ok.headers.ratelimit).toMatch(new RegExp(`; r=${LIMIT - 1 - i}; t=\\d+$`));
      expect(ok.headers['ratelimit-policy']).toMatch(new RegExp(`; q=${LIMIT}; w=60; `));
    }
    const res = await api(h).get('/api/v2/clients');
    const error = expectError(res, 429, 'rate_limited');
    expect(error.detail).toContain(`${LIMIT} requests a minute`);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expectError(await flat(h).get('/api/clients'), 429, 'rate_limited', null, 'flat');
    const alias = await request(h.app).get('/api/v2/clients').set('Authorization', `Bearer ${h.admin}`).set('Accept', 'application/vnd.json+api');
    expectError(alias, 429, 'rate_limited');
    expect(alias.headers['content-type']).toBe('application/vnd.json+api');
  });

  it('When one token is limited, then another token has its own budget', async () => {
    const res = await api(h, other).get('/api/v2/clients');
    expect(res.status).toBe(200);
    expect(res.headers.ratelimit).toMatch(new RegExp(`; r=${LIMIT - 1}; t=\\d+$`));
  });

  it('When made-up tokens are sent, then they get 401 and no per-token budget of their own', async () => {
    for (let i = 0; i < LIMIT * 2; i++) {
      const res = await withToken(h, madeUp(i));
      expectError(res, 401, 'unauthorized');
      expect(res.headers.ratelimit).toBeUndefined();
    }
  });
});

describe('FailureBudget', () => {
  it('When the window ends, then every address has its whole budget again', () => {
    let now = 1_000_000;
    const budget = new FailureBudget(2, 60_000, 100, () => now);
    budget.record('a');
    budget.record('a');
    expect(budget.exhausted('a')).toBe(true);
    expect(budget.retryAfterSeconds()).toBe(60);
    now += 59_500;
    expect(budget.retryAfterSeconds()).toBe(1);
    expect(budget.exhausted('a')).toBe(true);
    now += 500;
    expect(budget.exhausted('a')).toBe(false);
  });

  it('When a flood of distinct addresses fails, then memory stays bounded and the addresses past the bound share one budget', () => {
    const budget = new FailureBudget(3, 60_000, 1000, () => 0);
    for (let i = 0; i < 200_000; i++) budget.record(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`);
    expect(budget.size).toBeLessThanOrEqual(1000);
    // Tracked addresses keep their own counts; newcomers fall into the spent overflow budget.
    expect(budget.exhausted('10.0.0.5')).toBe(false);
    expect(budget.exhausted('192.0.2.1')).toBe(true);
  });
});
