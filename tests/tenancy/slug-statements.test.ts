import type { Caller } from '../../src/data/store';
import { makeClient } from '../support/factories';
import { api, clientToken, countStatements, Harness, startHarness } from '../support/harness';

/**
 * Whether a slug exists outside the caller's scope must not show in the work a
 * subdomain request does. Narrowing is one statement whatever the slug: unknown, outside the
 * token's subtree, above its client, at it or below it.
 *
 *   rootA "globex" ── childA1 "acme" ── grandA "acme-grand"
 *   rootB "initech"
 */

describe('the cost of narrowing to a slug', () => {
  let h: Harness;
  let childA1: string;
  let secret: string;
  let caller: Caller;

  beforeAll(async () => {
    h = await startHarness({ BASE_DOMAIN: 'example.test', EXPOSE_STATEMENT_COUNT: '1' });
    const rootA = await makeClient(h, { name: 'Root A', slug: 'globex' });
    childA1 = await makeClient(h, { name: 'Child A1', slug: 'acme' }, rootA);
    await makeClient(h, { name: 'Grand A', slug: 'acme-grand' }, childA1);
    await makeClient(h, { name: 'Root B', slug: 'initech' });
    secret = await clientToken(h, childA1);
    caller = (await h.store.authenticate(secret))!;
  });
  afterAll(() => h.close());

  it('When a client token is narrowed to an unknown slug, a slug outside its subtree, one above its client, its own or one below, then each costs the same single statement', async () => {
    const cost: Record<string, { statements: number; narrowed: boolean }> = {};
    for (const slug of ['nosuch', 'initech', 'globex', 'acme', 'acme-grand']) {
      let narrowed = false;
      const statements = await countStatements(h, async () => {
        narrowed = (await h.store.narrow(caller, slug)) !== undefined;
      });
      cost[slug] = { statements, narrowed };
    }
    expect(cost).toEqual({
      nosuch: { statements: 1, narrowed: false },
      initech: { statements: 1, narrowed: false },
      globex: { statements: 1, narrowed: false },
      acme: { statements: 1, narrowed: true },
      'acme-grand': { statements: 1, narrowed: true },
    });
  });

  it('When an admin is narrowed to an unknown or a known slug, then each costs one statement', async () => {
    const admin = (await h.store.authenticate(h.admin))!;
    for (const [slug, narrowed] of [
      ['nosuch', false],
      ['initech', true],
    ] as const) {
      let got = false;
      const statements = await countStatements(h, async () => {
        got = (await h.store.narrow(admin, slug)) !== undefined;
      });
      expect({ slug, statements, narrowed: got }).toEqual({ slug, statements: 1, narrowed });
    }
  });

  it('When a client token calls an unknown slug and slugs it may not see, then the 404s report the same X-Statement-Count', async () => {
    // Used once first: its lastUsedAt is then not written again within the minute.
    expect((await api(h, secret).get('/api/v2/clients')).status).toBe(200);
    const counts: Record<string, unknown> = {};
    for (const host of ['nosuch.example.test', 'initech.example.test', 'globex.example.test']) {
      const res = await api(h, secret).get('/api/v2/clients').set('Host', host);
      expect({ host, status: res.status, code: res.body.errors?.[0]?.code }).toEqual({ host, status: 404, code: 'not_found' });
      counts[host] = res.headers['x-statement-count'];
    }
    expect(new Set(Object.values(counts)).size).toBe(1);
    expect(Object.values(counts)[0]).toBe('2');
  });
});
