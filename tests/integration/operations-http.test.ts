process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? 'silent';
import request from 'supertest';
import { api, flat, Harness, JSONAPI, startHarness } from '../support/harness';
import { makeClient, makeOwned } from '../support/factories';
import { expectError, expectNoInternalsLeaked } from '../support/spec-helpers';

/**
 * HTTP concerns of running the service (SPEC §7, §2 links, §4 lastUsedAt), in-process:
 * CORS, absolute links behind and without a proxy, the lastUsedAt throttle, and hostile input
 * that must never produce a 500.
 */

const ORIGIN = 'https://app.example';
const RFC3339_MS_Z = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

/** The comma-separated values of a header, lower-cased. */
function headerList(value: unknown): string[] {
  return String(value ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s !== '');
}

describe('CORS (CORS_ORIGINS)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ CORS_ORIGINS: `${ORIGIN}, https://other.example` });
  });
  afterAll(async () => {
    await h.close();
  });

  it.each([
    ['/api/v2/clients', 'POST'],
    ['/api/v2/clients/0123456789abcdef01234567', 'PATCH'],
    ['/api/v2/clients/0123456789abcdef01234567/relationships/children', 'DELETE'],
    ['/api/clients', 'POST'],
  ])('When a listed origin sends a preflight OPTIONS %s for %s without a token, then 2xx allows that origin, the method and the Authorization header', async (url, method) => {
    const res = await request(h.app).options(url).set('Origin', ORIGIN).set('Access-Control-Request-Method', method).set('Access-Control-Request-Headers', 'authorization, content-type, if-match');
    expect(res.status).toBeGreaterThanOrEqual(200);
    expect(res.status).toBeLessThan(300);
    expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(headerList(res.headers['access-control-allow-headers'])).toEqual(expect.arrayContaining(['authorization', 'content-type', 'if-match']));
    expect(headerList(res.headers['access-control-allow-methods'])).toEqual(expect.arrayContaining([method.toLowerCase()]));
    expect(res.headers['www-authenticate']).toBeUndefined();
  });

  it('When a listed origin reads and creates with a token, then the responses allow that origin and expose Location, ETag and X-Request-Id', async () => {
    const created = await api(h)
      .post('/api/v2/clients', { data: { type: 'client', attributes: { name: 'Browser-made' } } })
      .set('Origin', ORIGIN);
    expect(created.status).toBe(201);
    expect(created.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(headerList(created.headers['access-control-expose-headers'])).toEqual(expect.arrayContaining(['location', 'etag', 'x-request-id']));
    expect(created.headers.location).toBeDefined();

    const id = created.body.data.id as string;
    const read = await api(h).get(`/api/v2/clients/${id}`).set('Origin', 'https://other.example');
    expect(read.status).toBe(200);
    expect(read.headers['access-control-allow-origin']).toBe('https://other.example');
    expect(headerList(read.headers['access-control-expose-headers'])).toEqual(expect.arrayContaining(['location', 'etag', 'x-request-id']));

    const flatRead = await flat(h).get('/api/clients').set('Origin', ORIGIN);
    expect(flatRead.status).toBe(200);
    expect(flatRead.headers['access-control-allow-origin']).toBe(ORIGIN);
  });

  it('When a listed origin sends no token, then the 401 still carries the CORS headers so the browser can read it', async () => {
    const res = await request(h.app).get('/api/v2/clients').set('Origin', ORIGIN).set('Accept', JSONAPI);
    expectError(res, 401, 'unauthorized');
    expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
  });

  it('When an origin that is not listed asks, then no response carries Access-Control-Allow-Origin', async () => {
    for (const origin of ['https://evil.example', 'https://app.example.evil.example', 'http://app.example', 'null']) {
      const preflight = await request(h.app).options('/api/v2/clients').set('Origin', origin).set('Access-Control-Request-Method', 'POST').set('Access-Control-Request-Headers', 'authorization');
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      expect(preflight.status).not.toBe(500);
      const read = await api(h).get('/api/v2/clients').set('Origin', origin);
      expect(read.status).toBe(200);
      expect(read.headers['access-control-allow-origin']).toBeUndefined();
    }
  });

  it('When CORS_ORIGINS is not set, then even a well-formed preflight gets no Access-Control-Allow-Origin', async () => {
    const plain = await startHarness();
    try {
      const res = await request(plain.app).options('/api/v2/clients').set('Origin', ORIGIN).set('Access-Control-Request-Method', 'GET');
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
      const read = await api(plain).get('/api/v2/clients').set('Origin', ORIGIN);
      expect(read.headers['access-control-allow-origin']).toBeUndefined();
    } finally {
      await plain.close();
    }
  });
});

describe('absolute links from the Host header, and TRUST_PROXY', () => {
  let h: Harness;
  let proxied: Harness;
  beforeAll(async () => {
    h = await startHarness();
    proxied = await startHarness({ TRUST_PROXY: '1' });
  });
  afterAll(async () => {
    await h?.close();
    await proxied?.close();
  });

  /** Every link in a document (recursively), to check they all start with one origin. */
  function links(doc: unknown, out: string[] = []): string[] {
    if (Array.isArray(doc)) doc.forEach((d) => links(d, out));
    else if (doc && typeof doc === 'object') {
      for (const [k, v] of Object.entries(doc)) {
        if (k === 'links' && v && typeof v === 'object') {
          for (const l of Object.values(v)) {
            if (typeof l === 'string') out.push(l);
            else if (l && typeof l === 'object' && typeof (l as { href?: unknown }).href === 'string') out.push((l as { href: string }).href);
          }
        } else links(v, out);
      }
    }
    return out;
  }

  it('When a client is created and listed with a Host header, then Location and every link are absolute URLs on that host', async () => {
    const parent = await makeClient(h);
    const res = await api(h)
      .post('/api/v2/clients', { data: { type: 'client', attributes: { name: 'Linked' }, relationships: { parent: { data: { type: 'client', id: parent } } } } })
      .set('Host', 'api.example.test:8443');
    expect(res.status).toBe(201);
    const id = res.body.data.id as string;
    expect(res.headers.location).toBe(`http://api.example.test:8443/api/v2/clients/${id}`);
    const all = links(res.body);
    expect(all.length).toBeGreaterThan(5);
    for (const l of all) expect(l.startsWith('http://api.example.test:8443/api/v2/')).toBe(true);

    const list = await api(h).get('/api/v2/clients?include=parent&page[size]=1').set('Host', 'other.example.test');
    expect(list.status).toBe(200);
    const listLinks = links(list.body);
    expect(listLinks).toEqual(expect.arrayContaining([expect.stringMatching(/^http:\/\/other\.example\.test\/api\/v2\/clients\?/)]));
    for (const l of listLinks) expect(l.startsWith('http://other.example.test/api/v2/')).toBe(true);

    const flatCreated = await flat(h).post('/api/clients', { name: 'Flat linked', email: 'flat-linked@example.test', projects: [] }).set('Host', 'api.example.test:8443');
    expect(flatCreated.status).toBe(201);
    expect(flatCreated.headers.location).toBe(`http://api.example.test:8443/api/clients/${flatCreated.body.data.id}`);
  });

  it('When TRUST_PROXY is not set, then X-Forwarded-Proto and X-Forwarded-Host change neither Location nor links', async () => {
    const res = await api(h)
      .post('/api/v2/clients', { data: { type: 'client', attributes: { name: 'Not proxied' } } })
      .set('Host', 'api.example.test')
      .set('X-Forwarded-Proto', 'https')
      .set('X-Forwarded-Host', 'evil.example');
    expect(res.status).toBe(201);
    const id = res.body.data.id as string;
    expect(res.headers.location).toBe(`http://api.example.test/api/v2/clients/${id}`);
    for (const l of links(res.body)) expect(l.startsWith('http://api.example.test/api/v2/')).toBe(true);

    const flatCreated = await flat(h)
      .post('/api/clients', { name: 'Flat not proxied', email: 'flat-not-proxied@example.test', projects: [] })
      .set('Host', 'api.example.test')
      .set('X-Forwarded-Proto', 'https')
      .set('X-Forwarded-Host', 'evil.example');
    expect(flatCreated.status).toBe(201);
    expect(flatCreated.headers.location).toBe(`http://api.example.test/api/clients/${flatCreated.body.data.id}`);
  });

  it('When TRUST_PROXY=1 (one proxy in front), then Location and every link follow X-Forwarded-Proto and X-Forwarded-Host', async () => {
    const parent = await makeClient(proxied);
    const res = await api(proxied)
      .post('/api/v2/clients', { data: { type: 'client', attributes: { name: 'Proxied' }, relationships: { parent: { data: { type: 'client', id: parent } } } } })
      .set('Host', 'internal:3000')
      .set('X-Forwarded-Proto', 'https')
      .set('X-Forwarded-Host', 'public.example');
    expect(res.status).toBe(201);
    const id = res.body.data.id as string;
    expect(res.headers.location).toBe(`https://public.example/api/v2/clients/${id}`);
    const all = links(res.body);
    expect(all.length).toBeGreaterThan(5);
    for (const l of all) expect(l.startsWith('https://public.example/api/v2/')).toBe(true);

    const read = await api(proxied).get(`/api/v2/clients/${id}/relationships/parent`).set('Host', 'internal:3000').set('X-Forwarded-Proto', 'https').set('X-Forwarded-Host', 'public.example');
    expect(read.status).toBe(200);
    expect(read.body.links.self).toBe(`https://public.example/api/v2/clients/${id}/relationships/parent`);
    expect(read.body.links.related).toBe(`https://public.example/api/v2/clients/${id}/parent`);

    const flatCreated = await flat(proxied)
      .post('/api/clients', { name: 'Flat proxied', email: 'flat-proxied@example.test', projects: [] })
      .set('Host', 'internal:3000')
      .set('X-Forwarded-Proto', 'https')
      .set('X-Forwarded-Host', 'public.example');
    expect(flatCreated.status).toBe(201);
    expect(flatCreated.headers.location).toBe(`https://public.example/api/clients/${flatCreated.body.data.id}`);
  });
});

describe('api-token lastUsedAt', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  async function newToken(name: string): Promise<{ id: string; secret: string }> {
    const client = await makeClient(h);
    const res = await api(h).post('/api/v2/api-tokens', {
      data: { type: 'api-token', attributes: { name, role: 'client' }, relationships: { client: { data: { type: 'client', id: client } } } },
    });
    expect(res.status).toBe(201);
    return { id: res.body.data.id, secret: res.body.data.meta.secret };
  }

  async function lastUsedAt(id: string): Promise<unknown> {
    const res = await api(h).get(`/api/v2/api-tokens/${id}`);
    expect(res.status).toBe(200);
    return res.body.data.attributes.lastUsedAt;
  }

  it('When a token is used, then lastUsedAt is set to the time of use, and a second use within a minute does not rewrite it', async () => {
    const token = await newToken('used twice');
    expect(await lastUsedAt(token.id)).toBeNull();

    const before = Date.now();
    expect((await api(h, token.secret).get('/api/v2/clients')).status).toBe(200);
    const after = Date.now();
    const first = await lastUsedAt(token.id);
    expect(first).toMatch(RFC3339_MS_Z);
    const at = Date.parse(first as string);
    expect(at).toBeGreaterThanOrEqual(before - 5);
    expect(at).toBeLessThanOrEqual(after + 5);

    await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await api(h, token.secret).get('/api/v2/clients')).status).toBe(200);
    expect((await flat(h, token.secret).get('/api/clients')).status).toBe(200);
    expect(await lastUsedAt(token.id)).toBe(first);
  });

  it('When a token was last used more than a minute ago, then its next use moves lastUsedAt forward', async () => {
    const token = await newToken('used long ago');
    expect((await api(h, token.secret).get('/api/v2/clients')).status).toBe(200);
    const old = '2020-01-01T00:00:00.000Z';
    // Age the row: the throttle is about wall-clock time, which a test cannot wait out.
    await h.db.write((ex) => ex.query(`UPDATE api_tokens SET last_used_at = '${old}' WHERE id = '${token.id}'`));
    expect(await lastUsedAt(token.id)).toBe(old);
    const before = Date.now();
    expect((await api(h, token.secret).get('/api/v2/clients')).status).toBe(200);
    const now = await lastUsedAt(token.id);
    expect(now).toMatch(RFC3339_MS_Z);
    expect(Date.parse(now as string)).toBeGreaterThanOrEqual(before - 5);
  });

  it("When a request fails authentication with a different token, then no token's lastUsedAt changes", async () => {
    const token = await newToken('never used');
    expect((await api(h, `${token.secret}x`).get('/api/v2/clients')).status).toBe(401);
    expect(await lastUsedAt(token.id)).toBeNull();
  });
});

describe('hostile input never causes a 500', () => {
  let h: Harness;
  let clientId: string;
  let patchTarget: string;
  let projectId: string;
  beforeAll(async () => {
    h = await startHarness();
    clientId = await makeClient(h, { name: 'Hostile bystander', email: 'hostile-bystander@example.test' });
    patchTarget = await makeClient(h, { name: 'Hostile target' });
    projectId = await makeOwned(h, 'projects', clientId);
  });
  afterAll(async () => {
    await h.close();
  });

  const deepArray = (n: number) => '['.repeat(n) + ']'.repeat(n);
  const deepObject = (n: number) => '{"a":'.repeat(n) + '1' + '}'.repeat(n);

  /** Raw JSON:API bodies (strings, so that they can be anything) and the statuses allowed for them. */
  // Rows always have four members: it.each would take a missing fourth for a `done` callback.
  const jsonApiBodies: [string, string, number[], string | null][] = (
    [
      ['an array nested 100 000 deep as data', `{"data":${deepArray(100_000)}}`, [400]],
      ['an object nested 100 000 deep as data', `{"data":${deepObject(100_000)}}`, [400, 422]],
      // MAX_JSON_DEPTH (32) stops it at the first array past the limit: 400 pointing there.
      ['an array nested 100 000 deep as the name', `{"data":{"type":"client","attributes":{"name":${deepArray(100_000)}}}}`, [400], `/data/attributes/name${'/0'.repeat(29)}`],
      ['an object nested 50 000 deep in meta', `{"data":{"type":"client","attributes":{"name":"Deep meta"},"meta":${deepObject(50_000)}}}`, [201, 400, 422]],
      ['an object nested 50 000 deep in relationships', `{"data":{"type":"client","attributes":{"name":"x"},"relationships":{"parent":{"data":${deepObject(50_000)}}}}}`, [400, 422]],
      ['an object nested 50 000 deep as the top-level document', deepObject(50_000), [400]],
      ['a number too large for a double as the name', '{"data":{"type":"client","attributes":{"name":1e400}}}', [422], '/data/attributes/name'],
      ['a 400-digit integer as the name', `{"data":{"type":"client","attributes":{"name":${'9'.repeat(400)}}}}`, [422], '/data/attributes/name'],
      ['a huge number as the id', '{"data":{"type":"client","id":1e400,"attributes":{"name":"x"}}}', [400, 422]],
      ['a huge number as the type', '{"data":{"type":-1e400,"attributes":{"name":"x"}}}', [400, 409, 422]],
      ['a huge number as the email', '{"data":{"type":"client","attributes":{"name":"x","email":123456789012345678901234567890}}}', [422], '/data/attributes/email'],
      ['a null byte in the name', '{"data":{"type":"client","attributes":{"name":"Nul\\u0000byte"}}}', [201, 422]],
      ['a name of only a null byte', '{"data":{"type":"client","attributes":{"name":"\\u0000"}}}', [201, 422]],
      ['a null byte in the email', '{"data":{"type":"client","attributes":{"name":"x","email":"a\\u0000b@example.test"}}}', [422], '/data/attributes/email'],
      ['a null byte in the slug', '{"data":{"type":"client","attributes":{"name":"x","slug":"ab\\u0000c"}}}', [422], '/data/attributes/slug'],
      ['a lone surrogate in the name', '{"data":{"type":"client","attributes":{"name":"half \\ud800 surrogate"}}}', [201, 422]],
      ['right-to-left overrides and zero-width characters in the name', '{"data":{"type":"client","attributes":{"name":"\\u202e\\u200b\\ufeffevil\\u202c"}}}', [201, 422]],
      ['a name that is only zero-width and unicode spaces', '{"data":{"type":"client","attributes":{"name":"\\u2003\\u3000\\u00a0"}}}', [422], '/data/attributes/name'],
      ['200 astral characters as the name', `{"data":{"type":"client","attributes":{"name":"${'😀'.repeat(200)}"}}}`, [201, 422]],
      ['201 astral characters as the name', `{"data":{"type":"client","attributes":{"name":"${'😀'.repeat(201)}"}}}`, [422], '/data/attributes/name'],
      // "__proto__" starts with "_", which no member name may: a structure error (JSON:API 1.1 "Member Names").
      ['a __proto__ attribute', '{"data":{"type":"client","attributes":{"__proto__":{"name":"polluted"},"name":"x"}}}', [400], '/data/attributes/__proto__'],
      ['a constructor attribute', '{"data":{"type":"client","attributes":{"constructor":{"prototype":{"polluted":true}},"name":"x"}}}', [422], '/data/attributes/constructor'],
      ['a __proto__ relationship', '{"data":{"type":"client","attributes":{"name":"x"},"relationships":{"__proto__":{"data":null}}}}', [400, 422]],
      ['a toString relationship', '{"data":{"type":"client","attributes":{"name":"x"},"relationships":{"toString":{"data":null}}}}', [400, 422]],
      [
        'relationship data of 10 000 identifiers on a to-one',
        `{"data":{"type":"client","attributes":{"name":"x"},"relationships":{"parent":{"data":[${Array(10_000).fill('{"type":"client","id":"0123456789abcdef01234567"}').join(',')}]}}}}`,
        [400, 422],
      ],
      [
        'relationship data of 10 000 identifiers on a to-many',
        `{"data":{"type":"client","attributes":{"name":"x"},"relationships":{"projects":{"data":[${Array(10_000).fill('{"type":"project","id":"0123456789abcdef01234567"}').join(',')}]}}}}`,
        [201, 400, 403, 404, 422],
      ],
      [
        'a parent id with a null byte',
        '{"data":{"type":"client","attributes":{"name":"x"},"relationships":{"parent":{"data":{"type":"client","id":"0123456789abcdef0123456\\u0000"}}}}}',
        [400, 404, 422],
      ],
      ['a parent of the wrong shape', '{"data":{"type":"client","attributes":{"name":"x"},"relationships":{"parent":{"data":{"type":["client"],"id":{"$gt":""}}}}}}', [400, 422]],
      ['an attribute value that is an operator object', '{"data":{"type":"client","attributes":{"name":{"$ne":null},"email":{"$gt":""}}}}', [422]],
      ['a JSON string as the whole body', '"data"', [400]],
      ['a JSON null as the whole body', 'null', [400]],
      ['a JSON number as the whole body', '1e400', [400]],
      ['a byte-order mark before the JSON', '\ufeff{"data":{"type":"client","attributes":{"name":"BOM"}}}', [201, 400]],
    ] as [string, string, number[], string?][]
  ).map(([what, body, statuses, pointer]) => [what, body, statuses, pointer ?? null]);

  it.each(jsonApiBodies)('When POST /api/v2/clients gets %s, then it answers without a 500', async (_what, body, statuses, pointer) => {
    const res = await request(h.app).post('/api/v2/clients').set('Authorization', `Bearer ${h.admin}`).set('Accept', JSONAPI).set('Content-Type', JSONAPI).send(body);
    expect(statuses).toContain(res.status);
    expectNoInternalsLeaked(res.text);
    if (res.status >= 400) {
      expect(res.body.errors.length).toBeGreaterThan(0);
      expect(res.body.errors[0].status).toBe(String(res.status));
      if (pointer) expect(res.body.errors.map((e: { source?: { pointer?: string } }) => e.source?.pointer)).toContain(pointer);
    } else {
      // Nothing is lost silently: what was accepted reads back the same.
      const read = await api(h).get(`/api/v2/clients/${res.body.data.id}`);
      expect(read.status).toBe(200);
      expect(read.body.data.attributes.name).toBe(res.body.data.attributes.name);
    }
  });

  it.each(jsonApiBodies.filter(([, , statuses]) => statuses.some((s) => s >= 400)))('When PATCH /api/v2/clients/:id gets %s, then it answers without a 500', async (_what, body, statuses) => {
    const patched = body.replace('{"data":{"type":"client",', `{"data":{"type":"client","id":"${patchTarget}",`);
    const res = await request(h.app).patch(`/api/v2/clients/${patchTarget}`).set('Authorization', `Bearer ${h.admin}`).set('Accept', JSONAPI).set('Content-Type', JSONAPI).send(patched);
    expect(res.status).not.toBe(500);
    expect([200, ...statuses.filter((s) => s !== 201)]).toContain(res.status);
    expectNoInternalsLeaked(res.text);
  });

  it('When a body carries bytes that are not UTF-8 in the name, then it answers 400, 422 or 201 without a 500', async () => {
    const body = Buffer.concat([Buffer.from('{"data":{"type":"client","attributes":{"name":"bad '), Buffer.from([0xff, 0xfe, 0xc3, 0x28, 0xed, 0xa0, 0x80]), Buffer.from('"}}}')]);
    const res = await request(h.app).post('/api/v2/clients').set('Authorization', `Bearer ${h.admin}`).set('Accept', JSONAPI).set('Content-Type', JSONAPI).send(body);
    expect([201, 400, 422]).toContain(res.status);
    expectNoInternalsLeaked(res.text);
    const flatRes = await request(h.app)
      .post('/api/clients')
      .set('Authorization', `Bearer ${h.admin}`)
      .set('Content-Type', 'application/json')
      .send(Buffer.concat([Buffer.from('{"name":"bad '), Buffer.from([0xff, 0xfe]), Buffer.from('","email":"bad-bytes@example.test","projects":[]}')]));
    expect([201, 400, 422]).toContain(flatRes.status);
    expectNoInternalsLeaked(flatRes.text);
  });

  const flatBodies: [string, string, number[], string | null][] = (
    [
      ['an array nested 100 000 deep', deepArray(100_000), [400, 422]],
      ['an object nested 100 000 deep as the name', `{"name":${deepObject(100_000)},"email":"deep@example.test"}`, [400], `/name${'/a'.repeat(31)}`],
      ['a huge number as the name', '{"name":1e400,"email":"huge@example.test"}', [422], '/name'],
      ['a null byte in the name', '{"name":"Nul\\u0000flat","email":"nul-flat@example.test","projects":[]}', [201, 422]],
      ['a null byte in the email', '{"name":"x","email":"nul\\u0000@example.test"}', [422], '/email'],
      ['unicode in the name and the local part', '{"name":"Coopérative ÅÄÖ 😀","email":"ñandú@example.test","projects":[]}', [201, 422]],
      ['projects that are not ids', '{"name":"x","email":"bad-projects@example.test","projects":[null,1,{},["proj_"],"proj_zzzzzzzzzzzzzzzzzzzzzzzz"]}', [400, 404, 422]],
      ['projects as a huge number', '{"name":"x","email":"num-projects@example.test","projects":1e400}', [422], '/projects'],
      ['10 000 project ids', `{"name":"x","email":"many-projects@example.test","projects":[${Array(10_000).fill('"proj_0123456789abcdef01234567"').join(',')}]}`, [404, 413, 422]],
      ['a __proto__ member', '{"__proto__":{"admin":true},"name":"x","email":"proto@example.test"}', [422], '/__proto__'],
    ] as [string, string, number[], string?][]
  ).map(([what, body, statuses, pointer]) => [what, body, statuses, pointer ?? null]);

  it.each(flatBodies)('When POST /api/clients gets %s, then it answers without a 500', async (_what, body, statuses, pointer) => {
    const res = await request(h.app).post('/api/clients').set('Authorization', `Bearer ${h.admin}`).set('Content-Type', 'application/json').send(body);
    expect(statuses).toContain(res.status);
    expectNoInternalsLeaked(res.text);
    if (res.status >= 400) {
      expect(res.body.errors[0].status).toBe(String(res.status));
      if (pointer) expect(res.body.errors.map((e: { source?: { pointer?: string } }) => e.source?.pointer)).toContain(pointer);
    } else {
      const read = await flat(h).get(`/api/clients/${res.body.data.id}`);
      expect(read.status).toBe(200);
      expect(read.body.data.name).toBe(res.body.data.name);
    }
  });

  it.each(flatBodies)('When PATCH /api/clients/:id gets %s, then it answers without a 500', async (_what, body) => {
    const res = await request(h.app).patch(`/api/clients/client_${patchTarget}`).set('Authorization', `Bearer ${h.admin}`).set('Content-Type', 'application/json').send(body);
    expect(res.status).not.toBe(500);
    expect(res.status).toBeLessThan(500);
    expectNoInternalsLeaked(res.text);
  });

  /** [title, url, statuses allowed]: long urls are shortened in the test name. */
  const urls: [string, string, number[]][] = (
    [
      ['/api/v2/clients?page[size]=99999999999999999999999', [400]],
      ['/api/v2/clients?page[number]=1e400', [400]],
      ['/api/v2/clients?page[number]=99999999999999999999999', [200, 400]],
      ['/api/v2/clients?page[number]=9007199254740993', [200, 400]],
      ['/api/v2/clients?page[after]=%00%00%00', [400]],
      ['/api/v2/clients?page[after]=' + 'A'.repeat(5000), [400]],
      ['/api/v2/clients?filter[name]=%00', [400]],
      ['/api/v2/clients?filter[name][contains]=%25%5F%00%F0%9F%98%80', [400]],
      ['/api/v2/clients?filter[name][__proto__]=x', [400]],
      ['/api/v2/clients?filter[__proto__]=x', [400]],
      ['/api/v2/clients?filter[constructor][eq]=x', [400]],
      ['/api/v2/clients?filter[createdAt][gt]=99999-99-99', [400]],
      ['/api/v2/clients?filter[createdAt][gt]=1e400', [400]],
      ['/api/v2/clients?filter[parent]=%00', [400]],
      ['/api/v2/clients?filter[parent.parent.parent.parent.parent.parent.parent.parent.name]=x', [200, 400]],
      ['/api/v2/clients?sort=__proto__', [400]],
      ['/api/v2/clients?sort=' + Array(2000).fill('name').join(','), [200, 400]],
      ['/api/v2/clients?sort=' + Array(70).fill('parent').join('.') + '.name', [200, 400]],
      ['/api/v2/clients?filter[' + Array(70).fill('parent').join('.') + '.name]=x', [200, 400]],
      ['/api/v2/clients?filter[' + Array(70).fill('parent').join('.') + '.name][contains]=x', [200, 400]],
      ['/api/v2/projects?sort=client.' + Array(70).fill('parent').join('.') + '.createdAt', [200, 400]],
      ['/api/v2/clients?filter[name]=' + Array(4000).fill('a').join(','), [200, 400]],
      ['/api/v2/clients?include=' + Array(500).fill('children').join('.'), [400]],
      ['/api/v2/clients?include=' + Array(1000).fill('children').join(','), [200, 400]],
      ['/api/v2/clients?fields[__proto__]=name', [400]],
      ['/api/v2/clients?fields[client]=__proto__', [400]],
      ['/api/v2/clients?filter[name]=%E0%A4%A', [200, 400]],
      ['/api/v2/clients?%E0%A4%A=1', [200, 400]],
      ['/api/v2/clients?filter[name]=a&filter[name]=b&filter[name]=c', [200, 400]],
      ['/api/v2/clients?filter[name][]=a', [400]],
      ['/api/v2/clients?page=1', [400]],
      ['/api/v2/clients/%00', [404]],
      ['/api/v2/clients/%E0%A4%A', [400, 404]],
      ['/api/v2/clients/' + 'f'.repeat(24) + '/%2e%2e', [404]],
      ['/api/v2/clients/' + 'f'.repeat(24) + '/__proto__', [404]],
      ['/api/v2/clients/' + 'f'.repeat(24) + '/relationships/constructor', [404]],
      ['/api/v2/__proto__', [404]],
      ['/api/clients?limit=1e400', [400]],
      ['/api/clients?limit=99999999999999999999', [400]],
      ['/api/clients?offset=99999999999999999999', [200, 400]],
      ['/api/clients?offset=-0', [200, 400]],
      ['/api/clients?search=%00%25_', [400]],
      ['/api/clients?email=%00', [400]],
      ['/api/clients?__proto__=1', [400]],
      ['/api/clients/proj_' + 'f'.repeat(24), [404]],
      ['/api/clients/client_%00', [404]],
    ] as [string, number[]][]
  ).map(([url, statuses]) => [url.length > 120 ? `${url.slice(0, 90)}… (${url.length} characters)` : url, url, statuses]);

  it.each(urls)('When GET %s is asked, then it answers without a 500', async (_title, url, statuses) => {
    const res = await request(h.app)
      .get(url)
      .set('Authorization', `Bearer ${h.admin}`)
      .set('Accept', url.startsWith('/api/v2') ? JSONAPI : 'application/json');
    expect(statuses).toContain(res.status);
    expectNoInternalsLeaked(res.text);
    if (res.status >= 400) expect(res.body.errors[0].status).toBe(String(res.status));
  });

  it.each<[string, Record<string, string>]>([
    ['an Accept header with 1 000 media types', { Accept: Array(1000).fill('application/vnd.api+json; profile="x"').join(', ') }],
    ['a Content-Type with a broken parameter', { 'Content-Type': 'application/vnd.api+json; ext="' }],
    ['a Content-Type with a null byte parameter', { 'Content-Type': 'application/vnd.api+json; ext=%00' }],
    ['an If-Match with garbage', { 'If-Match': '"\\"' + 'x'.repeat(5000) }],
    ['a Prefer header with garbage', { Prefer: 'return=' + '='.repeat(1000) }],
    ['an X-Request-Id of 10 000 characters', { 'X-Request-Id': 'r'.repeat(10_000) }],
  ])('When a PATCH carries %s, then it answers without a 500', async (_what, headers) => {
    // The production server (h.listen()): headers over its limit get its JSON:API 431.
    const res = await request(await h.listen())
      .patch(`/api/v2/projects/${projectId}`)
      .set('Authorization', `Bearer ${h.admin}`)
      .set('Accept', JSONAPI)
      .set('Content-Type', JSONAPI)
      .set(headers)
      .send(JSON.stringify({ data: { type: 'project', id: projectId, attributes: { name: 'Still a project' } } }));
    expect(res.status).toBeLessThan(500);
    expectNoInternalsLeaked(res.text);
    if (headers['X-Request-Id']) expect(String(res.headers['x-request-id']).length).toBeLessThanOrEqual(200);
  });

  it('When hostile requests have been sent, then the service still answers normally and a bystander is untouched', async () => {
    const res = await api(h).get(`/api/v2/clients/${clientId}`);
    expect(res.status).toBe(200);
    expect(res.body.data.attributes).toMatchObject({ name: 'Hostile bystander', email: 'hostile-bystander@example.test' });
    expect(res.body.data.relationships.projects.data).toEqual([{ type: 'project', id: projectId }]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});

describe('statement counts on the wire', () => {
  it('When EXPOSE_STATEMENT_COUNT=1, then each response says how many SQL statements it took, and a bigger include takes more', async () => {
    const h2 = await startHarness({ EXPOSE_STATEMENT_COUNT: '1' });
    try {
      const root = await makeClient(h2, { name: 'Counted root' });
      await makeClient(h2, { name: 'Counted child' }, root);
      const plain = await api(h2).get('/api/v2/clients?filter[parent]=null');
      const withInclude = await api(h2).get('/api/v2/clients?filter[parent]=null&include=children.children,legalEntities');
      const a = Number(plain.headers['x-statement-count']);
      const b = Number(withInclude.headers['x-statement-count']);
      // The page and its COUNT at least; the include adds its levels' linkage statements.
      expect(a).toBeGreaterThanOrEqual(2);
      expect(b).toBeGreaterThan(a);
    } finally {
      await h2.close();
    }
  });

  it('When EXPOSE_STATEMENT_COUNT is not set, then no response carries X-Statement-Count', async () => {
    const h2 = await startHarness();
    try {
      const res = await api(h2).get('/api/v2/clients');
      expect(res.headers['x-statement-count']).toBeUndefined();
    } finally {
      await h2.close();
    }
  });
});
