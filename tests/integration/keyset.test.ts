import { api, clientToken, Harness, startHarness } from '../support/harness';
import { makeClient } from '../support/factories';
import { bulkClients, ClientRow, ClientSeed, cursorOf, cursorPayload, enc, expectQueryError, getIds, orderRows, Page, relative, sortKey, subtreeOf, walk, walkedIds } from '../support/query-helpers';

/**
 * Keyset pagination (SPEC §2): `page[after]=` starts at the first page, `page[before]=` gives
 * the last, then links.next / links.prev carry signed cursors. Walks in both directions must
 * give exactly the full ordered list for any sort (descending, nullable keys, to-one paths),
 * and stay right while rows are inserted and deleted between fetches. Cursors are bound to the
 * sort, the filters and the caller; anything forged → 400 at the cursor's parameter.
 */

const T1 = '2024-07-01T00:00:00.000Z';
const T2 = '2024-07-01T00:00:00.001Z';
const T3 = '2024-07-02T00:00:00.000Z';

let h: Harness;
const all = new Map<string, ClientRow>();
let rootA: string;
let tokenA: string;
let visibleA: Set<string>;

const NAMES = ['Acme', 'acme', 'Zebra', 'Émile', '😀', '\uFF21', 'Acme', 'Mid'];

function oracle(sort: string | undefined, scope: Set<string> | null, rows: Iterable<ClientRow> = all.values()): string[] {
  const candidates = [...rows].filter((r) => !scope || scope.has(r.id));
  return orderRows(candidates, sort ? sort.split(',').map((s) => sortKey((id) => all.get(id), s, scope)) : []).map((r) => r.id);
}

async function seed(seeds: (ClientSeed & { at: string })[]): Promise<string[]> {
  const ids: string[] = [];
  for (const s of seeds) {
    const [id] = await bulkClients(h, [s], s.at);
    all.set(id, { id, name: s.name, email: s.email ?? null, slug: s.slug ?? null, createdAt: s.at, parent: s.parent ?? null });
    ids.push(id);
  }
  return ids;
}

beforeAll(async () => {
  h = await startHarness();
  // Two trees: A (the client token's, under a hidden top) and B. 45 clients in all.
  const [top] = await seed([{ name: 'Top', at: T1 }]);
  const roots = await seed([
    { name: 'Acme', parent: top, at: T2, email: 'root-a@x.io' },
    { name: 'Acme', at: T1 },
    { name: 'Zebra', at: T3, slug: 'zebra' },
  ]);
  rootA = roots[0];
  let n = 0;
  const mids: string[] = [];
  for (const r of roots) {
    mids.push(...(await seed([0, 1, 2].map((i) => ({ name: NAMES[(n + i) % NAMES.length], parent: r, at: [T1, T2, T3][i], email: i === 1 ? `mid${n++}@x.io` : null })))));
    n += 3;
  }
  for (let i = 0; i < 32; i++) {
    const parent = mids[i % mids.length];
    await seed([{ name: NAMES[i % NAMES.length], parent, at: [T1, T2, T3][i % 3], email: i % 3 === 0 ? `leaf${i}@X.io` : null, slug: i % 4 === 0 ? `leaf-${i}` : null }]);
  }
  expect(all.size).toBe(45);
  tokenA = await clientToken(h, rootA);
  visibleA = subtreeOf(all.values(), rootA);
});
afterAll(() => h.close());

const SORTS: (string | undefined)[] = [
  undefined,
  '-id',
  'name',
  '-name',
  'email',
  '-email',
  'slug,-name',
  'parent.name',
  '-parent.name',
  '-parent.name,email',
  'parent.parent.name,-createdAt',
  '-createdAt,-email,name',
  'parent.email,-slug',
];
const q = (sort: string | undefined, extra = '') => `${sort ? `sort=${sort}&` : ''}page[size]=7${extra}`;

describe('walking every page', () => {
  it.each(SORTS.map((s) => [s ?? '(none)', s]))('When an admin walks sort=%s forwards and backwards by 7, then both walks give exactly the full ordered list', async (_label, sort) => {
    const expected = oracle(sort, null);
    const forward = await walk(h, `/api/v2/clients?${q(sort)}&page[after]=`, 'next');
    const backward = await walk(h, `/api/v2/clients?${q(sort)}&page[before]=`, 'prev');
    expect(walkedIds(forward, 'next')).toEqual(expected);
    expect(walkedIds(backward, 'prev')).toEqual(expected);
    expect(forward.map((p) => p.ids.length)).toEqual([7, 7, 7, 7, 7, 7, 3]);
    expect(backward.map((p) => p.ids.length)).toEqual([7, 7, 7, 7, 7, 7, 3]);
    for (const p of [...forward, ...backward]) {
      expect(p.res.body.meta).toEqual({ page: { size: 7 } });
      // Links are RFC 3986 URIs: the brackets are percent-encoded.
      expect(relative(p.res.body.links.first)).toMatch(/[?&]page%5Bafter%5D=(&|$)/);
      expect(relative(p.res.body.links.last)).toMatch(/[?&]page%5Bbefore%5D=(&|$)/);
    }
    // The ends have no link onwards.
    expect(forward[0].res.body.links.prev ?? null).toBeNull();
    expect(forward[forward.length - 1].res.body.links.next ?? null).toBeNull();
    expect(backward[0].res.body.links.next ?? null).toBeNull();
    expect(backward[backward.length - 1].res.body.links.prev ?? null).toBeNull();
  });

  it.each(SORTS.map((s) => [s ?? '(none)', s]))(
    'When a client token walks sort=%s both ways by 7, then it gets exactly its subtree in order, its hidden parent sorting as null',
    async (_label, sort) => {
      const expected = oracle(sort, visibleA);
      expect(expected.length).toBeGreaterThan(7);
      const forward = await walk(h, `/api/v2/clients?${q(sort)}&page[after]=`, 'next', tokenA);
      const backward = await walk(h, `/api/v2/clients?${q(sort)}&page[before]=`, 'prev', tokenA);
      expect(walkedIds(forward, 'next')).toEqual(expected);
      expect(walkedIds(backward, 'prev')).toEqual(expected);
    },
  );

  it('When pages are read one row at a time with sort=-parent.name,email, then 45 pages give the list and the last has no next link', async () => {
    const sort = '-parent.name,email';
    const forward = await walk(h, `/api/v2/clients?sort=${sort}&page[size]=1&page[after]=`, 'next');
    expect(forward).toHaveLength(45);
    expect(walkedIds(forward, 'next')).toEqual(oracle(sort, null));
  });

  it('When the size divides the total, then the last full page has no next link (no empty page at the end), and the same holds backwards', async () => {
    const forward = await walk(h, '/api/v2/clients?sort=name&page[size]=9&page[after]=', 'next');
    expect(forward.map((p) => p.ids.length)).toEqual([9, 9, 9, 9, 9]);
    const backward = await walk(h, '/api/v2/clients?sort=name&page[size]=15&page[before]=', 'prev');
    expect(backward.map((p) => p.ids.length)).toEqual([15, 15, 15]);
    expect(walkedIds(backward, 'prev')).toEqual(oracle('name', null));
  });

  it('When the reader turns back after three pages, then prev gives the very pages it read, and the first of them has no prev link', async () => {
    const sort = '-email,name';
    const forward: Page[] = [];
    let url = `/api/v2/clients?sort=${sort}&page[size]=7&page[after]=`;
    for (let i = 0; i < 3; i++) {
      const res = await api(h).get(url);
      forward.push({ url, res, ids: res.body.data.map((d: { id: string }) => d.id) });
      url = relative(res.body.links.next);
    }
    const second = await api(h).get(relative(forward[2].res.body.links.prev));
    expect(second.body.data.map((d: { id: string }) => d.id)).toEqual(forward[1].ids);
    const first = await api(h).get(relative(second.body.links.prev));
    expect(first.body.data.map((d: { id: string }) => d.id)).toEqual(forward[0].ids);
    expect(first.body.links.prev ?? null).toBeNull();
    const again = await api(h).get(relative(first.body.links.next));
    expect(again.body.data.map((d: { id: string }) => d.id)).toEqual(forward[1].ids);
  });

  it('When the sort keys are left out of the sparse fieldset, then the cursors still carry them and both walks give the list', async () => {
    const sort = '-parent.name,-email,name';
    const forward = await walk(h, `/api/v2/clients?sort=${sort}&fields[client]=slug&page[size]=6&page[after]=`, 'next');
    const backward = await walk(h, `/api/v2/clients?sort=${sort}&fields[client]=slug&page[size]=6&page[before]=`, 'prev');
    expect(walkedIds(forward, 'next')).toEqual(oracle(sort, null));
    expect(walkedIds(backward, 'prev')).toEqual(oracle(sort, null));
    expect(Object.keys(forward[0].res.body.data[0].attributes ?? {})).toEqual(['slug']);
  });

  it('When keyset pages are combined with filters, then the walk gives the filtered list in order', async () => {
    const sort = 'parent.name,-name';
    const rows = [...all.values()].filter((r) => r.name.toLowerCase().includes('acme') && r.email === null);
    const pages = await walk(h, `/api/v2/clients?sort=${sort}&filter[name][contains]=ACME&filter[email][null]=true&page[size]=2&page[before]=`, 'prev');
    expect(walkedIds(pages, 'prev')).toEqual(oracle(sort, null, rows));
  });

  it('When a keyset query matches nothing or fits in one page, then there is one page and no next or prev link', async () => {
    for (const dir of ['after', 'before']) {
      const empty = await api(h).get(`/api/v2/clients?filter[name]=nobody&page[${dir}]=`);
      expect({ status: empty.status, data: empty.body.data, next: empty.body.links.next ?? null, prev: empty.body.links.prev ?? null, meta: empty.body.meta }).toEqual({
        status: 200,
        data: [],
        next: null,
        prev: null,
        meta: { page: { size: 20 } },
      });
      const one = await api(h).get(`/api/v2/clients?sort=-name&page[size]=100&page[${dir}]=`);
      expect(one.body.data.map((d: { id: string }) => d.id)).toEqual(oracle('-name', null));
      expect(one.body.links.next ?? null).toBeNull();
      expect(one.body.links.prev ?? null).toBeNull();
    }
  });

  it('When related collections and relationship linkage are paged by keyset, then the walks give the children in order and linkage meta holds only the page size', async () => {
    const children = [...all.values()].filter((r) => r.parent === rootA);
    const mid = children[0].id;
    const kids = [...all.values()].filter((r) => r.parent === mid);
    expect(kids.length).toBeGreaterThanOrEqual(3);
    const related = await walk(h, `/api/v2/clients/${mid}/children?sort=-name&page[size]=2&page[after]=`, 'next');
    expect(walkedIds(related, 'next')).toEqual(oracle('-name', null, kids));
    const linkage = await walk(h, `/api/v2/clients/${mid}/relationships/children?sort=-name&page[size]=2&page[before]=`, 'prev', tokenA);
    expect(walkedIds(linkage, 'prev')).toEqual(oracle('-name', null, kids));
    for (const p of linkage) expect(p.res.body.meta).toEqual({ page: { size: 2 } });
  });

  it("When keyset pages include related resources, then the walk is unchanged and each page includes its rows' children", async () => {
    const pages = await walk(h, '/api/v2/clients?sort=name&page[size]=10&include=children&page[after]=', 'next');
    expect(walkedIds(pages, 'next')).toEqual(oracle('name', null));
    for (const p of pages) {
      const included: string[] = (p.res.body.included ?? []).map((r: { id: string }) => r.id);
      const children = [...all.values()].filter((r) => r.parent && p.ids.includes(r.parent)).map((r) => r.id);
      expect(included.filter((id) => !children.includes(id))).toEqual([]);
      expect(children.filter((id) => !included.includes(id) && !p.ids.includes(id))).toEqual([]);
      expect(included.length).toBe(new Set(included).size);
    }
  });
});

describe('cursors that are not valid here', () => {
  async function nextCursor(url: string, token = h.admin): Promise<string> {
    const res = await api(h, token).get(url);
    expect(res.status).toBe(200);
    const c = cursorOf(res.body.links.next);
    expect(c).toBeTruthy();
    return c!;
  }

  it('When a cursor is changed in its readable part or its signature, cut, or made up, then it answers 400 at the parameter that carried it', async () => {
    const cursor = await nextCursor('/api/v2/clients?sort=name&page[size]=3&page[after]=');
    expect(cursorPayload(cursor)).toBeDefined();
    const dot = cursor.indexOf('.');
    expect(dot).toBeGreaterThan(0);
    const flip = (s: string, i: number) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
    // Another row's position, re-encoded, under this cursor's signature.
    const [values, id] = cursorPayload(cursor) as [unknown[], string];
    const other = oracle('name', null).find((x) => x !== id)!;
    const reencoded = Buffer.from(JSON.stringify([values, other])).toString('base64url') + cursor.slice(dot);
    const forged = Buffer.from(JSON.stringify([['Zebra'], other])).toString('base64url') + '.' + 'A'.repeat(cursor.length - dot - 1);
    const variants = [
      flip(cursor, 2),
      flip(cursor, dot - 1),
      flip(cursor, dot + 3),
      flip(cursor, dot + 8),
      cursor.slice(0, dot),
      cursor.slice(0, -4),
      `${cursor.slice(0, dot)}.`,
      cursor.slice(dot),
      'garbage',
      '.',
      reencoded,
      forged,
    ];
    for (const v of variants) {
      for (const param of ['page[after]', 'page[before]']) {
        const res = await api(h).get(`/api/v2/clients?sort=name&page[size]=3&${param}=${enc(v)}`);
        expect({ variant: v, ...summary(res) }).toEqual({ variant: v, status: 400, code: 'invalid_query_parameter', parameter: param });
      }
    }
  });

  it('When any single character of a cursor is replaced or one is appended, then it answers 400 (the cursor is tamper-evident character by character)', async () => {
    const cursor = await nextCursor('/api/v2/clients?sort=-email&page[size]=3&page[after]=');
    const accepted: string[] = [];
    const variants: string[] = [];
    for (let i = 0; i < cursor.length; i++) {
      const replacement = cursor[i] === 'A' ? 'B' : cursor[i] === 'B' ? 'C' : 'A';
      variants.push(cursor.slice(0, i) + replacement + cursor.slice(i + 1));
      variants.push(cursor.slice(0, i) + String.fromCharCode(cursor.charCodeAt(i) ^ 1) + cursor.slice(i + 1));
    }
    variants.push(`${cursor}A`, `${cursor}=`, `${cursor}!`, ` ${cursor}`);
    for (const v of variants) {
      const res = await api(h).get(`/api/v2/clients?sort=-email&page[size]=3&page[after]=${enc(v)}`);
      if (res.status !== 400) accepted.push(v);
    }
    expect({ cursor, accepted }).toEqual({ cursor, accepted: [] });
  });

  it('When a cursor is used with another sort or other filters, then it answers 400 at the cursor parameter', async () => {
    const base = 'sort=name&filter[name][contains]=acme&page[size]=2';
    const cursor = await nextCursor(`/api/v2/clients?${base}&page[after]=`);
    expect((await api(h).get(`/api/v2/clients?${base}&page[after]=${enc(cursor)}`)).status).toBe(200);
    // The same query in another parameter order is still the same query.
    expect((await api(h).get(`/api/v2/clients?page[size]=2&filter[name][contains]=acme&page[after]=${enc(cursor)}&sort=name`)).status).toBe(200);
    for (const other of [
      'sort=-name&filter[name][contains]=acme',
      'filter[name][contains]=acme',
      'sort=name,email&filter[name][contains]=acme',
      'sort=parent.name&filter[name][contains]=acme',
      'sort=name',
      'sort=name&filter[name][contains]=acm',
      'sort=name&filter[name][startsWith]=acme',
      'sort=name&filter[name][contains]=acme&filter[email][null]=true',
    ]) {
      for (const param of ['page[after]', 'page[before]']) {
        const res = await api(h).get(`/api/v2/clients?${other}&page[size]=2&${param}=${enc(cursor)}`);
        expect({ other, ...summary(res) }).toEqual({ other, status: 400, code: 'invalid_query_parameter', parameter: param });
      }
    }
    const entities = await api(h).get(`/api/v2/legal-entities?sort=name&filter[name][contains]=acme&page[after]=${enc(cursor)}`);
    expect(summary(entities)).toEqual({ status: 400, code: 'invalid_query_parameter', parameter: 'page[after]' });
  });

  it("When an admin's cursor is used by a client token, or one client token's by another's, then it answers 400 at the cursor parameter", async () => {
    const url = '/api/v2/clients?sort=name&page[size]=2&page[after]=';
    const adminCursor = await nextCursor(url);
    const clientCursor = await nextCursor(url, tokenA);
    const otherRoot = [...all.values()].find((r) => r.parent === null && r.name === 'Zebra')!.id;
    const tokenB = await clientToken(h, otherRoot);
    const sameClient = await clientToken(h, rootA);
    expect(summary(await api(h, tokenA).get(`${url}${enc(adminCursor)}`))).toEqual({ status: 400, code: 'invalid_query_parameter', parameter: 'page[after]' });
    expect(summary(await api(h, tokenB).get(`${url}${enc(clientCursor)}`))).toEqual({ status: 400, code: 'invalid_query_parameter', parameter: 'page[after]' });
    expect(summary(await api(h).get(`${url}${enc(clientCursor)}`))).toEqual({ status: 400, code: 'invalid_query_parameter', parameter: 'page[after]' });
    // Another token of the same client has the same scope: its cursors are valid there.
    expect((await api(h, sameClient).get(`${url}${enc(clientCursor)}`)).status).toBe(200);
  });

  it('When page[number] or page[after] and page[before] are combined, or the keyset size is out of range, then it answers 400 at the parameter at fault', async () => {
    const cursor = await nextCursor('/api/v2/clients?page[size]=2&page[after]=');
    expectQueryError(await api(h).get(`/api/v2/clients?page[number]=2&page[after]=${enc(cursor)}`), 'page[number]');
    expectQueryError(await api(h).get(`/api/v2/clients?page[after]=${enc(cursor)}&page[number]=1`), 'page[number]');
    expectQueryError(await api(h).get('/api/v2/clients?page[number]=1&page[before]='), 'page[number]');
    const both = await api(h).get(`/api/v2/clients?page[after]=${enc(cursor)}&page[before]=`);
    expect(summary(both).status).toBe(400);
    expect(['page[after]', 'page[before]']).toContain(summary(both).parameter);
    expectQueryError(await api(h).get('/api/v2/clients?page[size]=0&page[after]='), 'page[size]');
    expectQueryError(await api(h).get('/api/v2/clients?page[size]=101&page[before]='), 'page[size]');
    expectQueryError(await api(h).get('/api/v2/clients?page[after]=&page[after]='), 'page[after]');
    expectQueryError(await api(h).get(`/api/v2/clients/${rootA}?page[after]=`), 'page[after]');
  });
});

function summary(res: { status: number; body: { errors?: { code: string; source?: { parameter?: string } }[] } }) {
  const e = res.body.errors?.[0];
  return { status: res.status, code: e?.code, parameter: e?.source?.parameter };
}

describe('the sequence of ids in a walk', () => {
  it('When the full list is read by page numbers and by keyset, then both give the same order', async () => {
    for (const sort of ['-parent.name,email', 'slug,-name']) {
      const byKeyset = walkedIds(await walk(h, `/api/v2/clients?sort=${sort}&page[size]=10&page[after]=`, 'next'), 'next');
      const byNumber: string[] = [];
      for (let n = 1; n <= 5; n++) byNumber.push(...(await getIds(h, `/api/v2/clients?sort=${sort}&page[size]=10&page[number]=${n}`)));
      expect(byKeyset).toEqual(byNumber);
      expect(byKeyset).toEqual(oracle(sort, null).filter((id) => byKeyset.includes(id)));
    }
  });
});

describe('inserts and deletes between pages', () => {
  /**
   * A fresh tree under its own root; the walk is limited to it with filter[descendantOf]. After
   * every page: three clients are inserted (names that sort anywhere), and two leaves deleted:
   * the row the next cursor points at (the page's boundary row) and a row not read yet.
   */
  let uniq = 0;
  async function churnWalk(sort: string | undefined, direction: 'next' | 'prev') {
    const root = await makeClient(h, { name: 'Churn root' });
    const rows = new Map<string, ClientRow>();
    const record = (id: string, name: string, email: string | null, parent: string) => {
      const r: ClientRow = { id, name, email, slug: null, createdAt: '', parent };
      rows.set(id, r);
      all.set(id, r);
    };
    const mids: string[] = [];
    for (const name of ['Mid B', 'Mid A', 'mid a']) {
      const id = await makeClient(h, { name }, root);
      record(id, name, null, root);
      mids.push(id);
    }
    let k = 0;
    const leaves = new Set<string>();
    for (let i = 0; i < 30; i++) {
      const name = NAMES[i % NAMES.length];
      const email = i % 2 ? `churn${uniq++}@x.io` : null;
      const id = await makeClient(h, { name, ...(email ? { email } : {}) }, mids[i % 3]);
      record(id, name, email, mids[i % 3]);
      leaves.add(id);
    }
    const initial = new Set(rows.keys());
    const deleted = new Set<string>();
    const seen: string[] = [];

    const between = async (page: Page) => {
      seen.push(...page.ids);
      const nextLink = page.res.body.links[direction];
      if (!nextLink) return;
      // Delete the boundary row (the cursor's row) when it is a leaf, and a leaf nobody has read yet.
      const boundary = direction === 'next' ? page.ids[page.ids.length - 1] : page.ids[0];
      const unread = [...leaves].find((id) => !seen.includes(id) && !deleted.has(id));
      for (const id of [boundary, unread]) {
        if (!id || !leaves.has(id) || deleted.has(id)) continue;
        expect((await api(h).delete(`/api/v2/clients/${id}`)).status).toBe(204);
        deleted.add(id);
        all.delete(id);
      }
      for (const name of ['Acme', 'zzz late', '0 early']) {
        const email = `new${uniq++}@x.io`;
        const parent = mids[k++ % 3];
        const id = await makeClient(h, { name, email }, parent);
        record(id, name, email, parent);
        leaves.add(id);
      }
    };
    const first = `/api/v2/clients?filter[descendantOf]=${root}&${sort ? `sort=${sort}&` : ''}page[size]=5&page[${direction === 'next' ? 'after' : 'before'}]=`;
    const pages = await walk(h, first, direction, h.admin, between);
    const walked = walkedIds(pages, direction);
    const survivors = [...initial].filter((id) => !deleted.has(id));
    // Never a row twice; every row that existed throughout, exactly once; and the order is the sort's.
    expect(walked.length).toBe(new Set(walked).size);
    expect(survivors.filter((id) => !walked.includes(id))).toEqual([]);
    expect(walked).toEqual(
      oracle(
        sort,
        null,
        walked.map((id) => rows.get(id)!),
      ),
    );
    expect(deleted.size).toBeGreaterThan(4);
    return { walked, survivors };
  }

  it.each([
    ['name', 'next'],
    ['name', 'prev'],
    ['-email,name', 'next'],
    ['-email,name', 'prev'],
    ['parent.name,-name', 'next'],
    ['-parent.name,email', 'prev'],
    [undefined, 'next'],
  ] as const)('When rows are inserted and deleted between pages of sort=%s (walking %s), then no row is repeated and none that existed throughout is skipped', async (sort, direction) => {
    await churnWalk(sort, direction);
  });
});
