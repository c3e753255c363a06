process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? 'silent';
import * as fs from 'node:fs';
import * as path from 'node:path';
import request from 'supertest';
import { api, Harness, startHarness } from '../support/harness';
import { makeClient, makeOwned } from '../support/factories';

/**
 * Replays every example request of the two reference documents (../shared/reference) against
 * the service, with the documented method, path, headers (or their absence) and body, after
 * building data that matches the example. Ids are the service's own and are substituted.
 * Each response must have the documented status and every member the example shows, with the
 * same type of value; the service may add members (links, meta, email, slug, timestamps...).
 */

const REFERENCE = path.join(__dirname, '..', '..', '..', 'shared', 'reference');
const ALIAS = 'application/vnd.json+api';
const HEX24 = /^[0-9a-f]{24}$/;
const RFC3339_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

interface Example {
  method: string;
  path: string;
  headers: [string, string][];
  body: string | undefined;
  status: number;
  responseBody: Json | undefined;
}

/** The balanced JSON value starting at text[start] ('{' or '['). */
function jsonAt(text: string, start: number): { value: Json; end: number } {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text[i];
    if (inString) {
      if (c === '\\') i++;
      else if (c === '"') inString = false;
      continue;
    }
    if (c === '"') inString = true;
    else if (c === '{' || c === '[') depth++;
    else if (c === '}' || c === ']') {
      depth--;
      if (depth === 0) return { value: JSON.parse(text.slice(start, i + 1)) as Json, end: i + 1 };
    }
  }
  throw new Error(`unbalanced JSON at ${start}`);
}

/** aleta: raw HTTP exchanges between "# Request" and "# Response" markers. */
function parseAleta(text: string): Example[] {
  const out: Example[] = [];
  const blocks = text.split('# Request\n').slice(1);
  for (const block of blocks) {
    const [reqPart, resPart] = block.split('# Response\n');
    const reqLines = reqPart.split('\n');
    const [method, target] = reqLines[0].split(' ');
    const headers: [string, string][] = [];
    let i = 1;
    for (; i < reqLines.length && reqLines[i].trim() !== ''; i++) {
      const colon = reqLines[i].indexOf(':');
      headers.push([reqLines[i].slice(0, colon).trim(), reqLines[i].slice(colon + 1).trim()]);
    }
    const rest = reqLines.slice(i).join('\n').trim();
    const body = rest.startsWith('{') ? JSON.stringify(jsonAt(rest, 0).value) : undefined;
    const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(resPart)![1]);
    const headerEnd = resPart.indexOf('\n\n');
    const afterHeaders = headerEnd === -1 ? '' : resPart.slice(headerEnd).trimStart();
    const responseBody = afterHeaders.startsWith('{') ? jsonAt(afterHeaders, 0).value : undefined;
    out.push({ method, path: target, headers, body, status, responseBody });
  }
  return out;
}

/** fataplus: curl commands, each followed by a "Response" section whose first JSON object is the body. */
function parseFataplus(text: string): Example[] {
  const out: Example[] = [];
  const curl = /curl -X (\w+) "https?:\/\/[^/"]+([^"]*)"((?:\s*\\\s*\n\s*-H "[^"]*")*)(?:\s*\\\s*\n\s*-d '([\s\S]*?)')?/g;
  for (let m = curl.exec(text); m !== null; m = curl.exec(text)) {
    const headers = [...m[3].matchAll(/-H "([^:]+):\s*([^"]*)"/g)].map((h): [string, string] => [h[1], h[2]]);
    const host = /curl -X \w+ "https?:\/\/([^/"]+)/.exec(m[0])![1];
    headers.push(['Host', host]);
    const responseAt = text.indexOf('\nResponse\n', m.index);
    const brace = text.indexOf('{', responseAt);
    const method = m[1];
    out.push({
      method,
      path: m[2],
      headers,
      body: m[4] === undefined ? undefined : JSON.stringify(JSON.parse(m[4])),
      // The document names no status; SPEC §3: list 200, create 201.
      status: method === 'POST' ? 201 : 200,
      responseBody: jsonAt(text, brace).value,
    });
  }
  return out;
}

const aleta = parseAleta(fs.readFileSync(path.join(REFERENCE, 'aleta-clients-api.txt'), 'utf8'));
const fataplus = parseFataplus(fs.readFileSync(path.join(REFERENCE, 'fataplus-clients-api.txt'), 'utf8'));

/** The one example with this method (and, for GET, a path that names an id or not). */
function example(list: Example[], method: string, withId?: boolean): Example {
  const found = list.filter((e) => e.method === method && (withId === undefined || /\/[0-9a-f]{24}$/.test(e.path) === withId));
  if (found.length !== 1) throw new Error(`expected one ${method} example, found ${found.length}`);
  return found[0];
}

/**
 * Where `actual` lacks a member of `shape` or holds another type of value: a list of
 * mismatches (empty when it conforms). Arrays: a non-empty example needs a non-empty array
 * whose every element conforms to one of the example's elements.
 */
function shapeMismatches(actual: unknown, shape: Json, at = ''): string[] {
  if (shape === null) return actual === null ? [] : [`${at}: expected null, got ${JSON.stringify(actual)}`];
  if (Array.isArray(shape)) {
    if (!Array.isArray(actual)) return [`${at}: expected an array, got ${JSON.stringify(actual)}`];
    if (shape.length === 0) return [];
    if (actual.length === 0) return [`${at}: expected a non-empty array`];
    const problems: string[] = [];
    actual.forEach((el, i) => {
      const options = shape.map((s) => shapeMismatches(el, s, `${at}/${i}`));
      if (options.every((o) => o.length > 0)) problems.push(...options.sort((a, b) => a.length - b.length)[0]);
    });
    return problems;
  }
  if (typeof shape === 'object') {
    if (typeof actual !== 'object' || actual === null || Array.isArray(actual)) return [`${at}: expected an object, got ${JSON.stringify(actual)}`];
    const obj = actual as Record<string, unknown>;
    return Object.entries(shape).flatMap(([k, v]) => (k in obj ? shapeMismatches(obj[k], v, `${at}/${k}`) : [`${at}/${k}: missing`]));
  }
  return typeof actual === typeof shape ? [] : [`${at}: expected a ${typeof shape}, got ${JSON.stringify(actual)}`];
}

/** Sends an example as documented: same method, headers (bearer substituted), body or none. */
function replay(h: Harness, ex: Example, ids: Record<string, string> = {}, extraHeaders: [string, string][] = []) {
  const sub = (s: string) => Object.entries(ids).reduce((acc, [from, to]) => acc.split(from).join(to), s);
  const agent = request(h.app);
  const method = ex.method.toLowerCase() as 'get' | 'post' | 'patch' | 'delete';
  let t = agent[method](sub(ex.path));
  for (const [name, value] of [...ex.headers, ...extraHeaders]) {
    t = t.set(name, name.toLowerCase() === 'authorization' ? `Bearer ${h.admin}` : value);
  }
  if (ex.body === undefined) return t;
  // With a Content-Type set, a string is sent as is; with none, a Buffer is (superagent adds no type).
  return header(ex, 'Content-Type') === undefined ? t.send(Buffer.from(sub(ex.body))) : t.send(sub(ex.body));
}

function header(ex: Example, name: string): string | undefined {
  return ex.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}

/** A request header as it went on the wire. */
function sentHeader(res: request.Response, name: string): unknown {
  return (res as unknown as { req: { getHeader(n: string): unknown } }).req.getHeader(name);
}

function bodyOf(res: request.Response): Record<string, any> {
  expect(res.text).toBeTruthy();
  return JSON.parse(res.text) as Record<string, any>;
}

const sorted = (ids: string[]) => [...ids].sort();

describe('the reference documents as parsed', () => {
  it('When aleta-clients-api.txt is read, then it yields its five examples with their documented statuses', () => {
    expect(aleta.map((e) => `${e.method} ${e.path} ${e.status}`)).toEqual([
      'GET /api/v2/clients 200',
      'POST /api/v2/clients 201',
      'GET /api/v2/clients/66fd6003218be3af85e088f7 200',
      'DELETE /api/v2/clients/4dbeb1d24abafb4fa8fca7e8 204',
      'PATCH /api/v2/clients/12ce0ffdacda14f9fcd0afd8 204',
    ]);
    expect(header(example(aleta, 'PATCH'), 'Content-Type')).toBeUndefined();
    expect(example(aleta, 'PATCH').body).toBeDefined();
    expect(header(example(aleta, 'POST'), 'Content-Type')).toBe(ALIAS);
    for (const e of aleta) expect(header(e, 'Accept')).toBe(ALIAS);
  });

  it('When fataplus-clients-api.txt is read, then it yields its list and create examples', () => {
    expect(fataplus.map((e) => `${e.method} ${e.path}`)).toEqual(['GET /api/clients', 'POST /api/clients']);
    expect(header(fataplus[0], 'Content-Type')).toBe('application/json');
    expect(JSON.parse(fataplus[1].body!)).toEqual({ name: 'Madagascar Rice Farmers Cooperative', email: 'contact@mrfc.mg', projects: [] });
    expect((fataplus[0].responseBody as { data: unknown[] }).data).toHaveLength(2);
  });
});

describe('aleta-clients-api.txt replayed on /api/v2', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());

  /**
   * The example list: "Top-level client" with children "Child client 1" and "Client name 1"
   * (each owning a legal entity and a reporting entity), and "Client name 2" (owning one of
   * each) under another top-level client, which the example names only by id.
   */
  async function buildListData() {
    const top = await makeClient(h, { name: 'Top-level client' });
    const child1 = await makeClient(h, { name: 'Child client 1' }, top);
    const name1 = await makeClient(h, { name: 'Client name 1' }, top);
    const other = await makeClient(h, { name: 'Other top-level client' });
    const name2 = await makeClient(h, { name: 'Client name 2' }, other);
    const owned: Record<string, { le: string; re: string }> = {};
    for (const id of [child1, name1, name2]) {
      owned[id] = { le: await makeOwned(h, 'legal-entities', id), re: await makeOwned(h, 'reporting-entities', id) };
    }
    return { top, child1, name1, other, name2, owned };
  }

  it('GET /api/v2/clients as documented answers 200 in the alias media type with every documented member, ids substituted', async () => {
    const ex = example(aleta, 'GET', false);
    const d = await buildListData();
    const res = await replay(h, ex);
    expect(res.status).toBe(ex.status);
    expect(res.headers['content-type']).toBe(ALIAS);
    const body = bodyOf(res);
    expect(shapeMismatches(body, ex.responseBody!)).toEqual([]);
    expect(body.data.map((r: { id: string }) => r.id)).toEqual([d.top, d.child1, d.name1, d.other, d.name2]);
    const byName = new Map<string, any>(body.data.map((r: any) => [r.attributes.name, r]));
    // Each documented resource object, matched by name, has its documented shape and linkage.
    for (const documented of (ex.responseBody as { data: any[] }).data) {
      const actual = byName.get(documented.attributes.name);
      expect(actual).toBeDefined();
      expect(shapeMismatches(actual, documented)).toEqual([]);
    }
    const top = byName.get('Top-level client');
    expect(top).toMatchObject({ id: d.top, type: 'client', relationships: { parent: { data: null }, legalEntities: { data: [] }, reportingEntities: { data: [] } } });
    expect(sorted(top.relationships.children.data.map((l: { id: string }) => l.id))).toEqual(sorted([d.child1, d.name1]));
    for (const [name, id, parent] of [
      ['Child client 1', d.child1, d.top],
      ['Client name 1', d.name1, d.top],
      ['Client name 2', d.name2, d.other],
    ] as const) {
      expect(byName.get(name)).toMatchObject({
        id,
        type: 'client',
        attributes: { name },
        relationships: {
          children: { data: [] },
          parent: { data: { type: 'client', id: parent } },
          legalEntities: { data: [{ type: 'legal-entity', id: d.owned[id].le }] },
          reportingEntities: { data: [{ type: 'reporting-entity', id: d.owned[id].re }] },
        },
      });
    }
  });

  it('POST /api/v2/clients as documented answers 201 in the alias media type, with Location and the documented members', async () => {
    const ex = example(aleta, 'POST');
    const top = await makeClient(h, { name: 'Top-level client' });
    const parent = await makeClient(h, { name: 'Child client 1' }, top);
    const res = await replay(h, ex, { '666be3f97fc417debcea6a5e': parent });
    expect(res.status).toBe(ex.status);
    expect(res.headers['content-type']).toBe(ALIAS);
    const body = bodyOf(res);
    expect(shapeMismatches(body, ex.responseBody!)).toEqual([]);
    expect(body.data.id).toMatch(HEX24);
    expect(body.data).toMatchObject({
      type: 'client',
      attributes: { name: 'New client name' },
      relationships: {
        children: { data: [] },
        parent: { data: { type: 'client', id: parent } },
        legalEntities: { data: [] },
        reportingEntities: { data: [] },
      },
    });
    // Location is absolute, built from the request's Host (platform.aleta.io).
    expect(res.headers.location).toBe(`http://platform.aleta.io/api/v2/clients/${body.data.id}`);
    const back = await api(h).get(`/api/v2/clients/${parent}`);
    expect(back.status).toBe(200);
    expect(back.body.data.relationships.children.data).toEqual([{ type: 'client', id: body.data.id }]);
  });

  it('GET /api/v2/clients/:id as documented answers 200 in the alias media type with the documented members and linkage', async () => {
    const ex = example(aleta, 'GET', true);
    const top = await makeClient(h, { name: 'Top-level client' });
    const c1 = await makeClient(h, { name: 'Child client 1' }, top);
    const c2 = await makeClient(h, { name: 'Child client 2' }, top);
    const res = await replay(h, ex, { '66fd6003218be3af85e088f7': top });
    expect(res.status).toBe(ex.status);
    expect(res.headers['content-type']).toBe(ALIAS);
    const body = bodyOf(res);
    expect(shapeMismatches(body, ex.responseBody!)).toEqual([]);
    expect(body.data).toMatchObject({
      id: top,
      type: 'client',
      attributes: { name: 'Top-level client' },
      relationships: { legalEntities: { data: [] }, parent: { data: null }, reportingEntities: { data: [] } },
    });
    expect(sorted(body.data.relationships.children.data.map((l: { id: string }) => l.id))).toEqual(sorted([c1, c2]));
    for (const l of body.data.relationships.children.data) expect(l.type).toBe('client');
  });

  it('DELETE /api/v2/clients/:id as documented answers 204 with no body, and the client is gone', async () => {
    const ex = example(aleta, 'DELETE');
    const target = await makeClient(h, { name: 'Client to delete' });
    const res = await replay(h, ex, { '4dbeb1d24abafb4fa8fca7e8': target });
    expect(res.status).toBe(ex.status);
    expect(res.text ?? '').toBe('');
    const after = await api(h).get(`/api/v2/clients/${target}`);
    expect(after.status).toBe(404);
    expect(after.body.errors[0].code).toBe('not_found');
  });

  it('PATCH /api/v2/clients/:id as documented (no Content-Type, no Prefer) answers 200 with the updated client in the alias media type', async () => {
    const ex = example(aleta, 'PATCH');
    const target = await makeClient(h, { name: 'Client name before' });
    const before = await api(h).get(`/api/v2/clients/${target}`);
    const res = await replay(h, ex, { '12ce0ffdacda14f9fcd0afd8': target });
    expect(sentHeader(res, 'content-type')).toBeUndefined();
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe(ALIAS);
    const body = bodyOf(res);
    // The documented request body, ids substituted, is itself the least the answer shows.
    expect(shapeMismatches(body, JSON.parse(ex.body!) as Json)).toEqual([]);
    expect(body.data).toMatchObject({ id: target, type: 'client', attributes: { name: 'Updated client name' } });
    expect(body.data.attributes.updatedAt).toMatch(RFC3339_MS);
    expect(body.data.attributes.updatedAt >= before.body.data.attributes.updatedAt).toBe(true);
    const after = await api(h).get(`/api/v2/clients/${target}`);
    expect(after.body.data.attributes.name).toBe('Updated client name');
  });

  it('PATCH /api/v2/clients/:id as documented plus Prefer: return=minimal answers the documented 204 with no body, and the change is made', async () => {
    const ex = example(aleta, 'PATCH');
    const target = await makeClient(h, { name: 'Client name before' });
    const res = await replay(h, ex, { '12ce0ffdacda14f9fcd0afd8': target }, [['Prefer', 'return=minimal']]);
    expect(sentHeader(res, 'content-type')).toBeUndefined();
    expect(res.status).toBe(ex.status);
    expect(res.text ?? '').toBe('');
    const after = await api(h).get(`/api/v2/clients/${target}`);
    expect(after.status).toBe(200);
    expect(after.body.data.attributes.name).toBe('Updated client name');
  });
});

describe('fataplus-clients-api.txt replayed on /api/clients', () => {
  let h: Harness;
  beforeEach(async () => {
    h = await startHarness();
  });
  afterEach(() => h.close());

  function expectFlatClient(actual: Record<string, unknown>) {
    expect(actual.id).toMatch(/^client_[0-9a-f]{24}$/);
    for (const p of actual.projects as string[]) expect(p).toMatch(/^proj_[0-9a-f]{24}$/);
    expect(actual.created_at).toMatch(RFC3339_MS);
    expect(actual.updated_at).toMatch(RFC3339_MS);
  }

  it('GET /api/clients as documented (Content-Type: application/json, no body) answers 200 with the documented flat clients', async () => {
    const ex = fataplus[0];
    // The two documented clients: the cooperative with two projects, the exporter with one.
    const mrfc = await makeClient(h, { name: 'Madagascar Rice Farmers Cooperative', email: 'contact@mrfc.mg' });
    const vanilla = await makeClient(h, { name: 'Vanilla Exporters Ltd', email: 'admin@vanilla-export.mg' });
    const p1 = await makeOwned(h, 'projects', mrfc);
    const p2 = await makeOwned(h, 'projects', mrfc);
    const p3 = await makeOwned(h, 'projects', vanilla);
    const res = await replay(h, ex);
    expect(res.status).toBe(ex.status);
    expect(res.headers['content-type']).toMatch(/^application\/json(;|$)/);
    const body = bodyOf(res);
    expect(shapeMismatches(body, ex.responseBody!)).toEqual([]);
    expect(body.data).toHaveLength(2);
    body.data.forEach(expectFlatClient);
    expect(body.data[0]).toMatchObject({ id: `client_${mrfc}`, name: 'Madagascar Rice Farmers Cooperative', email: 'contact@mrfc.mg' });
    expect(sorted(body.data[0].projects)).toEqual(sorted([`proj_${p1}`, `proj_${p2}`]));
    expect(body.data[1]).toMatchObject({ id: `client_${vanilla}`, name: 'Vanilla Exporters Ltd', email: 'admin@vanilla-export.mg', projects: [`proj_${p3}`] });
  });

  it('POST /api/clients as documented answers 201 with the documented flat client, a generated prefixed id and timestamps', async () => {
    const ex = fataplus[1];
    const res = await replay(h, ex);
    expect(res.status).toBe(ex.status);
    expect(res.headers['content-type']).toMatch(/^application\/json(;|$)/);
    const body = bodyOf(res);
    expect(shapeMismatches(body, ex.responseBody!)).toEqual([]);
    expectFlatClient(body.data);
    expect(body.data).toMatchObject({ name: 'Madagascar Rice Farmers Cooperative', email: 'contact@mrfc.mg', projects: [] });
    expect(body.data.created_at).toBe(body.data.updated_at);
    expect(res.headers.location).toBe(`http://bknd.fata.plus/api/clients/${body.data.id}`);
    const listed = await replay(h, fataplus[0]);
    expect(bodyOf(listed).data.map((c: { id: string }) => c.id)).toEqual([body.data.id]);
  });
});
