import { api, Harness, startHarness } from '../support/harness';
import { makeClient, makeOwned } from '../support/factories';

describe('smoke', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('creates a client tree and reads it back with includes', async () => {
    const root = await makeClient(h, { name: 'Root', email: 'Root@Example.com' });
    const child = await makeClient(h, { name: 'Child' }, root);
    await makeOwned(h, 'legal-entities', child, { country: 'FR' });
    const res = await api(h).get(`/api/v2/clients/${root}?include=children.legalEntities`);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.api+json');
    expect(res.body.data.relationships.children.data).toEqual([{ type: 'client', id: child }]);
    expect(res.body.data.relationships.children.meta).toEqual({ count: 1 });
    expect(res.body.included.map((r: { type: string }) => r.type).sort()).toEqual(['client', 'legal-entity']);
    const listRes = await api(h).get('/api/v2/clients?sort=-name&filter[email]=root@example.com');
    expect(listRes.status).toBe(200);
    expect(listRes.body.data.map((r: { id: string }) => r.id)).toEqual([root]);
  });
});
