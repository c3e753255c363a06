import { bulkInsert } from '../../src/data/bulk-loader';
import { registry } from '../../src/resources/registry';
import { api, flat, Harness, startHarness } from '../support/harness';
import { expectError } from '../support/spec-helpers';

/**
 * No statement depends on how many values a request carries (ids are bound as one array
 * parameter), and every array a body may carry has a documented maximum
 * (MAX_RELATIONSHIP_IDS, 10,000 by default; beyond → 413 with a pointer at the array).
 */

/** More than SQLite's 32,766 bind variables; bare 24-hex ids keep the body under 1 MiB. */
const MANY = 33_000;

async function bulkProjects(h: Harness, owner: string, count: number): Promise<string[]> {
  const [ids] = await bulkInsert(h.db, [{ def: registry.get('project'), rows: Array.from({ length: count }, (_, i) => ({ attributes: { name: `P${i}` }, relationships: { client: owner } })) }]);
  return ids;
}

async function flatClientWithProjects(h: Harness, email: string, projects: string[]) {
  return flat(h).post('/api/clients', { name: 'Many projects', email, projects });
}

describe('arrays in bodies, with the default maximum', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it(`When a flat POST /api/clients lists ${MANY} project ids, then it is 413 payload_too_large pointing at /projects, and nothing is created`, async () => {
    const ids = Array.from({ length: MANY }, (_, i) => i.toString(16).padStart(24, '0'));
    const res = await flatClientWithProjects(h, 'many@projects.test', ids);
    const error = expectError(res, 413, 'payload_too_large', { pointer: '/projects' }, 'flat');
    expect(error.detail).toContain('10000');
    const list = await flat(h).get('/api/clients?email=many@projects.test');
    expect(list.body.meta.total).toBe(0);
  });
});

describe('arrays in bodies past the bind-variable limit, with MAX_RELATIONSHIP_IDS raised', () => {
  let h: Harness;
  let owner: string;
  let projects: string[];
  beforeAll(async () => {
    h = await startHarness({ MAX_RELATIONSHIP_IDS: '50000', MAX_BODY_BYTES: String(4 * 1024 * 1024) });
    owner = (await api(h).post('/api/v2/clients', { data: { type: 'client', attributes: { name: 'Owner' } } })).body.data.id;
    projects = await bulkProjects(h, owner, MANY);
  }, 120_000);
  afterAll(() => h.close());

  it(`When a flat POST moves ${MANY} existing projects to a new client, then it is 201 and the client owns all of them`, async () => {
    const res = await flatClientWithProjects(h, 'mover@projects.test', projects);
    expect(res.status).toBe(201);
    expect(res.body.data.projects).toHaveLength(MANY);
    const old = await api(h).get(`/api/v2/clients/${owner}`);
    expect(old.body.data.relationships.projects.meta).toEqual({ count: 0 });
  }, 60_000);

  it(`When a flat POST names ${MANY} ids that do not exist, then it is 404 related_not_found, not a 500`, async () => {
    const ids = Array.from({ length: MANY }, (_, i) => (i + 1).toString(16).padStart(24, 'f'));
    const res = await flatClientWithProjects(h, 'ghost@projects.test', ids);
    expect(res.status).toBe(404);
    expect(res.body.errors[0]).toMatchObject({ code: 'related_not_found', source: { pointer: '/projects/0' } });
  }, 60_000);

  it(`When a JSON:API filter, a relationship replacement and a to-many POST carry thousands of ids, then each answers without reaching a bind limit`, async () => {
    const mover = (await flat(h).get('/api/clients?email=mover@projects.test')).body.data[0].id.replace('client_', '');
    // Replacing the set with all but the last project would orphan it: 403, checked over the whole set.
    const keep = projects.slice(0, -1).map((id) => ({ type: 'project', id }));
    const replace = await api(h).patch(`/api/v2/clients/${mover}/relationships/projects`, { data: keep });
    expectError(replace, 403, 'forbidden', { pointer: '/data' });
    // Moving them all back to the first owner through its to-many relationship endpoint.
    const back = await api(h).post(`/api/v2/clients/${owner}/relationships/projects`, { data: projects.map((id) => ({ type: 'project', id })) });
    expect(back.status).toBe(204);
    const owned = await api(h).get(`/api/v2/clients/${owner}?fields[client]=projects`);
    expect(owned.body.data.relationships.projects.meta).toEqual({ count: MANY });
  }, 60_000);
});
