process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? 'silent';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { api, clientToken, flat, Harness, startHarness } from '../support/harness';
import { makeClient, makeOwned } from '../support/factories';

/**
 * The flat compatibility surface /api/clients (SPEC §3). One service per file; every test
 * builds its own clients, named with a fresh tag so lists can be narrowed to them.
 */

const RFC3339_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const FLAT_KEYS = ['created_at', 'email', 'id', 'name', 'projects', 'updated_at'];

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

/** A fresh tag of letters only (so case changes and partial matches are meaningful). */
function tag(): string {
  return [...randomBytes(8)].map((b) => String.fromCharCode(97 + (b % 26))).join('');
}

function json(res: request.Response): Record<string, any> {
  return JSON.parse(res.text) as Record<string, any>;
}

/** A flat create that must succeed; returns the bare 24-hex id. */
async function mk(name: string, email: string, projects: string[] = []): Promise<string> {
  const res = await flat(h).post('/api/clients', { name, email, projects });
  if (res.status !== 201) throw new Error(`flat create failed: ${res.status} ${res.text}`);
  return (json(res).data.id as string).slice('client_'.length);
}

/** The flat error shape: `{"errors": [...]}` only, as application/json, one error with this code and source. */
function expectError(res: request.Response, status: number, code: string, source?: Record<string, string>): void {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json(;|$)/);
  const body = json(res);
  expect(Object.keys(body)).toEqual(['errors']);
  expect(body.errors).toHaveLength(1);
  const [e] = body.errors;
  expect(e.status).toBe(String(status));
  expect(e.code).toBe(code);
  expect(typeof e.title).toBe('string');
  expect(typeof e.detail).toBe('string');
  if (source !== undefined) expect(e.source).toEqual(source);
}

function expectFlatClient(c: Record<string, unknown>, id: string): void {
  expect(Object.keys(c).sort()).toEqual(FLAT_KEYS);
  expect(c.id).toBe(`client_${id}`);
  expect(c.created_at).toMatch(RFC3339_MS);
  expect(c.updated_at).toMatch(RFC3339_MS);
  for (const p of c.projects as string[]) expect(p).toMatch(/^proj_[0-9a-f]{24}$/);
}

const ids = (res: request.Response) => json(res).data.map((c: { id: string }) => c.id);
const q = encodeURIComponent;

describe('GET /api/clients: filters, search, pagination', () => {
  it('When filtering by email, then only the exact address matches, whatever its case', async () => {
    const t = tag();
    const a = await mk(`A ${t}`, `Contact.${t}@Example.com`);
    await mk(`B ${t}`, `xcontact.${t}@example.com`);
    await mk(`C ${t}`, `contact.${t}@example.co`);
    for (const email of [`contact.${t}@example.com`, `CONTACT.${t.toUpperCase()}@EXAMPLE.COM`, `Contact.${t}@Example.com`]) {
      const res = await flat(h).get(`/api/clients?email=${q(email)}`);
      expect(res.status).toBe(200);
      expect(ids(res)).toEqual([`client_${a}`]);
      expect(json(res).meta).toEqual({ total: 1, limit: 100, offset: 0 });
    }
    const partial = await flat(h).get(`/api/clients?email=${q(`contact.${t}@example`)}`);
    expect(partial.status).toBe(200);
    expect(ids(partial)).toEqual([]);
    expect(json(partial).meta).toEqual({ total: 0, limit: 100, offset: 0 });
  });

  it('When searching, then names containing the text match, case-insensitively', async () => {
    const t = tag();
    const rice = await mk(`Madagascar Rice ${t} Cooperative`, `rice.${t}@example.com`);
    await mk(`Vanilla ${t} Exporters`, `vanilla.${t}@example.com`);
    const res = await flat(h).get(`/api/clients?search=${q(`ice ${t.toUpperCase()} coop`)}`);
    expect(res.status).toBe(200);
    expect(ids(res)).toEqual([`client_${rice}`]);
    const both = await flat(h).get(`/api/clients?search=${q(t)}`);
    expect(json(both).meta.total).toBe(2);
  });

  it('When searching with non-ASCII letters, then case folding applies to them too', async () => {
    const t = tag();
    const ecole = await mk(`${t} ÉCOLE Ñandú`, `ecole.${t}@example.com`);
    const res = await flat(h).get(`/api/clients?search=${q(`${t} école ñandú`)}`);
    expect(res.status).toBe(200);
    expect(ids(res)).toEqual([`client_${ecole}`]);
  });

  it('When the search text holds % or _, then they match themselves, not any characters', async () => {
    const t = tag();
    const pct = await mk(`${t} 100% pure`, `pct.${t}@example.com`);
    await mk(`${t} 1000 pure`, `nopct.${t}@example.com`);
    const under = await mk(`${t} a_b`, `under.${t}@example.com`);
    await mk(`${t} axb`, `nounder.${t}@example.com`);
    const p = await flat(h).get(`/api/clients?search=${q(`${t} 100%`)}`);
    expect(p.status).toBe(200);
    expect(ids(p)).toEqual([`client_${pct}`]);
    const u = await flat(h).get(`/api/clients?search=${q(`${t} a_b`)}`);
    expect(ids(u)).toEqual([`client_${under}`]);
    const onlyPercent = await flat(h).get(`/api/clients?search=${q('%')}&email=${q(`nopct.${t}@example.com`)}`);
    expect(ids(onlyPercent)).toEqual([]);
  });

  it('When more than 100 clients match, then limit defaults to 100, goes up to 1000, and offset pages on in id order', async () => {
    const t = tag();
    const made: string[] = [];
    for (let i = 0; i < 101; i++) made.push(`client_${await mk(`${t} ${String(200 - i)}`, `n${i}.${t}@example.com`)}`);
    const first = await flat(h).get(`/api/clients?search=${t}`);
    expect(first.status).toBe(200);
    expect(ids(first)).toEqual(made.slice(0, 100));
    expect(json(first).meta).toEqual({ total: 101, limit: 100, offset: 0 });
    const all = await flat(h).get(`/api/clients?search=${t}&limit=1000`);
    expect(all.status).toBe(200);
    expect(ids(all)).toEqual(made);
    expect(json(all).meta).toEqual({ total: 101, limit: 1000, offset: 0 });
    const tail = await flat(h).get(`/api/clients?search=${t}&limit=2&offset=99`);
    expect(ids(tail)).toEqual(made.slice(99, 101));
    expect(json(tail).meta).toEqual({ total: 101, limit: 2, offset: 99 });
    const past = await flat(h).get(`/api/clients?search=${t}&offset=500`);
    expect(past.status).toBe(200);
    expect(ids(past)).toEqual([]);
    expect(json(past).meta).toEqual({ total: 101, limit: 100, offset: 500 });
  });

  it('When clients are listed, then they come in id order (creation order), not name order', async () => {
    const t = tag();
    const z = await mk(`${t} Zulu`, `z.${t}@example.com`);
    const m = await mk(`${t} Mike`, `m.${t}@example.com`);
    const a = await mk(`${t} Alpha`, `a.${t}@example.com`);
    const res = await flat(h).get(`/api/clients?search=${t}`);
    expect(ids(res)).toEqual([z, m, a].map((id) => `client_${id}`));
    expect([z, m, a]).toEqual([z, m, a].sort());
    for (const c of json(res).data) expect(Object.keys(c).sort()).toEqual(FLAT_KEYS);
  });

  it.each([
    ['limit=0', 'limit'],
    ['limit=1001', 'limit'],
    ['limit=-1', 'limit'],
    ['limit=ten', 'limit'],
    ['limit=', 'limit'],
    ['offset=-1', 'offset'],
    ['offset=1.5', 'offset'],
    ['sort=name', 'sort'],
    ['page%5Bsize%5D=2', 'page[size]'],
    ['search=x&Email=a%40b.c', 'Email'],
  ])('GET /api/clients?%s answers 400 invalid_query_parameter naming the parameter', async (query, parameter) => {
    const res = await flat(h).get(`/api/clients?${query}`);
    expectError(res, 400, 'invalid_query_parameter', { parameter });
  });

  it('When a single client is asked for with a query parameter, then 400 names that parameter', async () => {
    const t = tag();
    const id = await mk(`${t}`, `${t}@example.com`);
    expectError(await flat(h).get(`/api/clients/client_${id}?include=projects`), 400, 'invalid_query_parameter', { parameter: 'include' });
  });

  it('When no token is sent, then 401 with WWW-Authenticate: Bearer in the flat error shape', async () => {
    const res = await request(h.app).get('/api/clients');
    expectError(res, 401, 'unauthorized');
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });
});

describe('POST /api/clients', () => {
  it('When a client is created, then 201 carries Location and the flat client, which GET at Location returns', async () => {
    const t = tag();
    const res = await flat(h).post('/api/clients', { name: `  ${t} Cooperative  `, email: `${t}@mrfc.mg`, projects: [] });
    expect(res.status).toBe(201);
    expect(res.headers['content-type']).toMatch(/^application\/json(;|$)/);
    const c = json(res).data;
    const id = (c.id as string).slice('client_'.length);
    expectFlatClient(c, id);
    expect(c).toMatchObject({ name: `${t} Cooperative`, email: `${t}@mrfc.mg`, projects: [] });
    expect(res.headers.location).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:\\d+/api/clients/client_${id}$`));
    const back = await flat(h).get(new URL(res.headers.location).pathname);
    expect(back.status).toBe(200);
    expect(json(back)).toEqual({ data: c });
    // The same client on the JSON:API surface.
    const v2 = await api(h).get(`/api/v2/clients/${id}`);
    expect(v2.status).toBe(200);
    expect(v2.body.data.attributes).toMatchObject({ name: `${t} Cooperative`, email: `${t}@mrfc.mg` });
  });

  it('When email is missing, then 422 points at /email and nothing is created', async () => {
    const t = tag();
    expectError(await flat(h).post('/api/clients', { name: t, projects: [] }), 422, 'validation_failed', { pointer: '/email' });
    expect(json(await flat(h).get(`/api/clients?search=${t}`)).meta.total).toBe(0);
  });

  it('When email is null, then 422 points at /email', async () => {
    const t = tag();
    expectError(await flat(h).post('/api/clients', { name: t, email: null }), 422, 'validation_failed', { pointer: '/email' });
    expect(json(await flat(h).get(`/api/clients?search=${t}`)).meta.total).toBe(0);
  });

  it('When email is not an address, then 422 points at /email', async () => {
    const t = tag();
    expectError(await flat(h).post('/api/clients', { name: t, email: 'not-an-address' }), 422, 'validation_failed', { pointer: '/email' });
  });

  it('When name is missing or blank, then 422 points at /name', async () => {
    const t = tag();
    expectError(await flat(h).post('/api/clients', { email: `${t}@example.com` }), 422, 'validation_failed', { pointer: '/name' });
    expectError(await flat(h).post('/api/clients', { name: '   ', email: `${t}@example.com` }), 422, 'validation_failed', { pointer: '/name' });
  });

  it('When the body has an unknown member, then 422 points at that member', async () => {
    const t = tag();
    expectError(await flat(h).post('/api/clients', { name: t, email: `${t}@example.com`, nickname: 'x' }), 422, 'validation_failed', { pointer: '/nickname' });
    expect(json(await flat(h).get(`/api/clients?search=${t}`)).meta.total).toBe(0);
  });

  it('When the email is already used, in any case, then 409 points at /email', async () => {
    const t = tag();
    await mk(`${t} first`, `Owner.${t}@Example.com`);
    expectError(await flat(h).post('/api/clients', { name: `${t} second`, email: `owner.${t}@example.com` }), 409, 'conflict', { pointer: '/email' });
    expect(json(await flat(h).get(`/api/clients?search=${t}`)).meta.total).toBe(1);
  });

  it.each([
    ['text/plain', 'text/plain'],
    ['application/vnd.api+json', 'application/vnd.api+json'],
    ['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded'],
  ])('When the body is sent as %s, then 415 unsupported_media_type', async (_label, type) => {
    const t = tag();
    const res = await request(h.app)
      .post('/api/clients')
      .set('Authorization', `Bearer ${h.admin}`)
      .set('Content-Type', type)
      .send(JSON.stringify({ name: t, email: `${t}@example.com` }));
    expectError(res, 415, 'unsupported_media_type');
    expect(json(await flat(h).get(`/api/clients?search=${t}`)).meta.total).toBe(0);
  });

  it('When the body has no Content-Type, then 415 unsupported_media_type', async () => {
    const t = tag();
    const res = await request(h.app)
      .post('/api/clients')
      .set('Authorization', `Bearer ${h.admin}`)
      .send(Buffer.from(JSON.stringify({ name: t, email: `${t}@example.com` })));
    // The request really went without a Content-Type.
    expect((res as unknown as { req: { getHeader(name: string): unknown } }).req.getHeader('content-type')).toBeUndefined();
    expectError(res, 415, 'unsupported_media_type');
  });

  it('When the body is not valid JSON, then 400 invalid_document', async () => {
    const res = await request(h.app).post('/api/clients').set('Authorization', `Bearer ${h.admin}`).set('Content-Type', 'application/json').send('{"name": ');
    expectError(res, 400, 'invalid_document');
  });

  it('When the body is over 1 MiB, then 413 payload_too_large', async () => {
    const t = tag();
    const res = await flat(h).post('/api/clients', { name: t, email: `${t}@example.com`, padding: 'x'.repeat(1024 * 1024) });
    expectError(res, 413, 'payload_too_large');
  });

  it('When projects name a project that does not exist, then 404 related_not_found points at it and nothing is created', async () => {
    const t = tag();
    const owner = await makeClient(h, { name: `${t} owner` });
    const real = await makeOwned(h, 'projects', owner);
    const ghost = `proj_${'0'.repeat(8)}${randomBytes(8).toString('hex')}`;
    expectError(await flat(h).post('/api/clients', { name: `${t} new`, email: `${t}@example.com`, projects: [ghost] }), 404, 'related_not_found', { pointer: '/projects/0' });
    expectError(await flat(h).post('/api/clients', { name: `${t} new`, email: `${t}@example.com`, projects: [`proj_${real}`, ghost] }), 404, 'related_not_found', { pointer: '/projects/1' });
    expect(json(await flat(h).get(`/api/clients?search=${q(`${t} new`)}`)).meta.total).toBe(0);
    const ownerNow = await flat(h).get(`/api/clients/client_${owner}`);
    expect(json(ownerNow).data.projects).toEqual([`proj_${real}`]);
  });

  it('When projects are given as bare or prefixed ids, then both are accepted and the projects move to the new client', async () => {
    const t = tag();
    const donor = await makeClient(h, { name: `${t} donor` });
    const p1 = await makeOwned(h, 'projects', donor);
    const p2 = await makeOwned(h, 'projects', donor);
    const res = await flat(h).post('/api/clients', { name: `${t} new`, email: `${t}@example.com`, projects: [p1, `proj_${p2}`] });
    expect(res.status).toBe(201);
    expect([...json(res).data.projects].sort()).toEqual([`proj_${p1}`, `proj_${p2}`].sort());
    const donorNow = await flat(h).get(`/api/clients/client_${donor}`);
    expect(json(donorNow).data.projects).toEqual([]);
    const project = await api(h).get(`/api/v2/projects/${p1}`);
    expect(project.body.data.relationships.client.data.id).toBe((json(res).data.id as string).slice('client_'.length));
  });
});

describe('GET, PATCH and DELETE /api/clients/:id', () => {
  it('When a client is read by its prefixed or its bare id, then both give the same flat client', async () => {
    const t = tag();
    const id = await mk(`${t}`, `${t}@example.com`);
    const project = await makeOwned(h, 'projects', id);
    const prefixed = await flat(h).get(`/api/clients/client_${id}`);
    expect(prefixed.status).toBe(200);
    expect(prefixed.headers['content-type']).toMatch(/^application\/json(;|$)/);
    expectFlatClient(json(prefixed).data, id);
    expect(json(prefixed).data.projects).toEqual([`proj_${project}`]);
    const bare = await flat(h).get(`/api/clients/${id}`);
    expect(bare.status).toBe(200);
    expect(json(bare)).toEqual(json(prefixed));
  });

  it('When the id is unknown or malformed, then 404 not_found', async () => {
    expectError(await flat(h).get(`/api/clients/client_${'0'.repeat(24)}`), 404, 'not_found');
    expectError(await flat(h).get('/api/clients/client_xyz789'), 404, 'not_found');
    expectError(await flat(h).patch(`/api/clients/${'0'.repeat(24)}`, { name: 'x' }), 404, 'not_found');
    expectError(await flat(h).delete(`/api/clients/${'0'.repeat(24)}`), 404, 'not_found');
  });

  it('When a client is patched with a name only, then 200 returns the flat client with the rest unchanged', async () => {
    const t = tag();
    const id = await mk(`${t} before`, `${t}@example.com`);
    const project = await makeOwned(h, 'projects', id);
    const before = json(await flat(h).get(`/api/clients/${id}`)).data;
    await new Promise((r) => setTimeout(r, 5));
    const res = await flat(h).patch(`/api/clients/client_${id}`, { name: `${t} after` });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json(;|$)/);
    const after = json(res).data;
    expectFlatClient(after, id);
    expect(after).toMatchObject({ name: `${t} after`, email: `${t}@example.com`, projects: [`proj_${project}`], created_at: before.created_at });
    expect(after.updated_at > before.updated_at).toBe(true);
    expect(json(await flat(h).get(`/api/clients/${id}`)).data).toEqual(after);
  });

  it('When a patch sets email to null, names an unknown member, or takes a used email, then it is refused and nothing changes', async () => {
    const t = tag();
    await mk(`${t} other`, `taken.${t}@example.com`);
    const id = await mk(`${t} target`, `mine.${t}@example.com`);
    expectError(await flat(h).patch(`/api/clients/${id}`, { email: null }), 422, 'validation_failed', { pointer: '/email' });
    expectError(await flat(h).patch(`/api/clients/${id}`, { name: `${t} x`, parent: null }), 422, 'validation_failed', { pointer: '/parent' });
    expectError(await flat(h).patch(`/api/clients/${id}`, { email: `TAKEN.${t}@example.com` }), 409, 'conflict', { pointer: '/email' });
    const now = json(await flat(h).get(`/api/clients/${id}`)).data;
    expect(now).toMatchObject({ name: `${t} target`, email: `mine.${t}@example.com` });
  });

  it('When a patch replaces projects, then new ones move in, unknown ones give 404 and leaving one out gives 403 at /projects', async () => {
    const t = tag();
    const id = await mk(`${t} target`, `${t}@example.com`);
    const own = await makeOwned(h, 'projects', id);
    const donor = await makeClient(h, { name: `${t} donor` });
    const moving = await makeOwned(h, 'projects', donor);
    const moved = await flat(h).patch(`/api/clients/${id}`, { projects: [`proj_${own}`, moving] });
    expect(moved.status).toBe(200);
    expect([...json(moved).data.projects].sort()).toEqual([`proj_${own}`, `proj_${moving}`].sort());
    expect(json(await flat(h).get(`/api/clients/${donor}`)).data.projects).toEqual([]);
    const ghost = `proj_${'0'.repeat(24)}`;
    expectError(await flat(h).patch(`/api/clients/${id}`, { projects: [ghost, `proj_${own}`, `proj_${moving}`] }), 404, 'related_not_found', { pointer: '/projects/0' });
    expectError(await flat(h).patch(`/api/clients/${id}`, { projects: [`proj_${own}`] }), 403, 'forbidden', { pointer: '/projects' });
    expect([...json(await flat(h).get(`/api/clients/${id}`)).data.projects].sort()).toEqual([`proj_${own}`, `proj_${moving}`].sort());
  });

  it('When a client is deleted, then 204 with no body and it is gone', async () => {
    const t = tag();
    const id = await mk(`${t}`, `${t}@example.com`);
    const res = await flat(h).delete(`/api/clients/client_${id}`);
    expect(res.status).toBe(204);
    expect(res.text ?? '').toBe('');
    expectError(await flat(h).get(`/api/clients/${id}`), 404, 'not_found');
    expectError(await flat(h).delete(`/api/clients/${id}`), 404, 'not_found');
  });

  it('When a client that owns a project is deleted, then 409 conflict and it stays', async () => {
    const t = tag();
    const id = await mk(`${t}`, `${t}@example.com`);
    await makeOwned(h, 'projects', id);
    const res = await flat(h).delete(`/api/clients/${id}`);
    expect(res.status).toBe(409);
    expect(json(res).errors.map((e: { code: string; meta: unknown }) => [e.code, e.meta])).toEqual([['conflict', { relationship: 'projects', count: 1 }]]);
    expect((await flat(h).get(`/api/clients/${id}`)).status).toBe(200);
  });
});

describe('a client token on /api/clients', () => {
  async function tenantData() {
    const t = tag();
    const root = await mk(`${t} root`, `root.${t}@example.com`);
    const child = await makeClient(h, { name: `${t} child`, email: `child.${t}@example.com` }, root);
    const outside = await mk(`${t} outside`, `outside.${t}@example.com`);
    return { t, root, child, outside, token: await clientToken(h, root) };
  }

  it('When a client token lists or reads clients, then it sees its own subtree only, totals included', async () => {
    const d = await tenantData();
    const list = await flat(h, d.token).get(`/api/clients?search=${d.t}`);
    expect(list.status).toBe(200);
    expect(ids(list)).toEqual([`client_${d.root}`, `client_${d.child}`]);
    expect(json(list).meta).toEqual({ total: 2, limit: 100, offset: 0 });
    const byEmail = await flat(h, d.token).get(`/api/clients?email=${q(`outside.${d.t}@example.com`)}`);
    expect(ids(byEmail)).toEqual([]);
    expect(json(byEmail).meta.total).toBe(0);
    expect((await flat(h, d.token).get(`/api/clients/client_${d.child}`)).status).toBe(200);
    expectError(await flat(h, d.token).get(`/api/clients/client_${d.outside}`), 404, 'not_found');
  });

  it('When a client token writes, then 403 inside its scope, 404 outside it, and nothing changes', async () => {
    const d = await tenantData();
    expectError(await flat(h, d.token).post('/api/clients', { name: `${d.t} new`, email: `new.${d.t}@example.com` }), 403, 'forbidden');
    expectError(await flat(h, d.token).patch(`/api/clients/client_${d.root}`, { name: 'renamed' }), 403, 'forbidden');
    expectError(await flat(h, d.token).patch(`/api/clients/client_${d.child}`, { name: 'renamed' }), 403, 'forbidden');
    expectError(await flat(h, d.token).delete(`/api/clients/client_${d.child}`), 403, 'forbidden');
    expectError(await flat(h, d.token).patch(`/api/clients/client_${d.outside}`, { name: 'renamed' }), 404, 'not_found');
    expectError(await flat(h, d.token).delete(`/api/clients/client_${d.outside}`), 404, 'not_found');
    const all = await flat(h).get(`/api/clients?search=${d.t}`);
    expect(json(all).data.map((c: { name: string }) => c.name)).toEqual([`${d.t} root`, `${d.t} child`, `${d.t} outside`]);
  });
});
