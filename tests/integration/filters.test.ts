import { api, clientToken, Harness, startHarness } from '../support/harness';
import { makeClient, makeOwned } from '../support/factories';
import { bulkClients, bulkOwned, ClientRow, compareCodePoints, enc, expectQueryError, fieldValue, getIds, KeyedSeed, seedClients, subtreeOf } from '../support/query-helpers';
import { casefold } from '../../src/resources/values';

/**
 * Filters (SPEC §2): every operator on every kind of attribute, to-one paths, the plain
 * `filter[attr]=a,b` form, timestamps, case folding and the trigram-indexed name search, each
 * compared with an answer computed in memory from the data the test wrote.
 *
 * The data has ties (names that differ only by case, equal timestamps), NULLs (emails, slugs,
 * parents), names with commas, `%`, `_`, quotes and non-ASCII letters, and a tree three levels
 * deep so that `parent.name` and `parent.parent.name` meet null and hidden parents.
 */

const T1 = '2024-03-01T08:00:00.000Z';
const T2 = '2024-03-01T12:00:00.000Z';
const T3 = '2024-03-02T00:00:00.500Z';

type Op = 'eq' | 'ne' | 'in' | 'nin' | 'contains' | 'startsWith' | 'endsWith' | 'gt' | 'gte' | 'lt' | 'lte' | 'null';

let h: Harness;
let rows: ClientRow[];
const byName = new Map<string, ClientRow>();
/** A token for the client "Ricecake": it sees Ricecake and Rice Grain; Ricecake's parent is hidden. */
let cakeToken: string;

const SEEDS: KeyedSeed[] = [
  { key: 'r1', name: 'Rice Corp', email: 'Rice@Example.com', slug: 'rice', at: T1 },
  { key: 'r2', name: 'rice corp', at: T1 },
  { key: 'r3', name: 'Price, Inc.', email: 'billing@price.io', slug: 'price', at: T2 },
  { key: 'r4', name: 'Straße GmbH', email: 'STRASSE@example.de', at: T2 },
  { key: 'r5', name: '100% Real_Data', slug: 'real-data', at: T3 },
  { key: 'r6', name: 'Émile "Q" Ünal', email: 'emile@example.fr', at: T3 },
  { key: 'c1', name: 'Ricecake', email: 'cake@example.com', slug: 'ricecake', parent: 'r1', at: T2 },
  { key: 'c2', name: 'Brown Rice', parent: 'r1', at: T3 },
  { key: 'c3', name: 'STRASSE Filiale', email: 'filiale@example.de', parent: 'r4', at: T1 },
  { key: 'c4', name: 'Zeta', parent: 'r3', at: T2 },
  { key: 'c5', name: 'alpha', email: 'Alpha@Example.com', slug: 'alpha', parent: 'r3', at: T3 },
  { key: 'c6', name: '100 Real-Data', parent: 'r5', at: T1 },
  { key: 'g1', name: 'Rice Grain', parent: 'c1', at: T1 },
  { key: 'g2', name: 'Zeta', parent: 'c4', at: T3 },
  { key: 'g3', name: 'Ⅻ 😀 Emoji', email: 'emoji@example.com', parent: 'c2', at: T2 },
  { key: 'g4', name: 'ｚeta', parent: 'c6', at: T2 },
];

beforeAll(async () => {
  h = await startHarness();
  for (const [key, row] of await seedClients(h, SEEDS)) byName.set(key, row);
  rows = [...byName.values()];
  cakeToken = await clientToken(h, byName.get('c1')!.id);
});
afterAll(() => h.close());

const row = (key: string) => byName.get(key)!;
const idsOf = (...keys: string[]) => keys.map((k) => row(k).id);

const rowById = (id: string) => rows.find((x) => x.id === id);

const isTimestamp = (field: string) => /(createdAt|updatedAt)$/.test(field);
const isEmail = (field: string) => field.endsWith('email');

/** SPEC §2 in memory. Assumption (SPEC is silent): `ne` and `nin` match NULL; order operators never do. */
function matches(field: string, op: Op, value: string, v: string | null): boolean {
  const norm = (x: string) => (isEmail(field) ? casefold(x) : isTimestamp(field) ? new Date(x).toISOString() : x);
  const equal = (x: string) => v !== null && norm(v) === norm(x);
  switch (op) {
    case 'eq':
      return equal(value);
    case 'ne':
      return !equal(value);
    case 'in':
      return value.split(',').some(equal);
    case 'nin':
      return !value.split(',').some(equal);
    case 'contains':
      return v !== null && casefold(v).includes(casefold(value));
    case 'startsWith':
      return v !== null && casefold(v).startsWith(casefold(value));
    case 'endsWith':
      return v !== null && casefold(v).endsWith(casefold(value));
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte': {
      if (v === null) return false;
      const c = compareCodePoints(v, isTimestamp(field) ? norm(value) : value);
      return op === 'gt' ? c > 0 : op === 'gte' ? c >= 0 : op === 'lt' ? c < 0 : c <= 0;
    }
    case 'null':
      return (v === null) === (value === 'true');
  }
}

function expected(field: string, op: Op, value: string, scopeRoot?: string): string[] {
  const visible = scopeRoot ? subtreeOf(rows, scopeRoot) : null;
  return rows
    .filter((r) => !visible || visible.has(r.id))
    .filter((r) => matches(field, op, value, fieldValue(rowById, r, field, visible)))
    .map((r) => r.id)
    .sort(compareCodePoints);
}

interface Case {
  field: string;
  op: Op | undefined;
  value: string;
}

const url = (c: Case) => `/api/v2/clients?filter[${c.field}]${c.op ? `[${c.op}]` : ''}=${enc(c.value)}&page[size]=100`;

/** Runs every case (a few at a time) and returns the ones whose ids or total differ from the in-memory answer (all listed on failure). */
async function mismatches(cases: Case[], token?: string, scopeRoot?: string) {
  const wrong: { request: string; expected: unknown; actual: unknown }[] = [];
  const name = (ids: string[]) => ids.map((id) => rows.find((r) => r.id === id)?.name ?? id);
  const one = async (c: Case) => {
    const res = await api(h, token ?? h.admin).get(url(c));
    const want = expected(c.field, c.op ?? 'in', c.value, scopeRoot);
    if (res.status !== 200) {
      wrong.push({ request: decodeURIComponent(url(c)), expected: name(want), actual: { status: res.status, errors: res.body.errors } });
      return;
    }
    const got: string[] = (res.body.data as { id: string }[]).map((d) => d.id);
    const total: unknown = res.body.meta.page.total;
    if (JSON.stringify(got) !== JSON.stringify(want) || total !== want.length) {
      wrong.push({ request: decodeURIComponent(url(c)), expected: name(want), actual: { names: name(got), total } });
    }
  };
  for (let i = 0; i < cases.length; i += 16) await Promise.all(cases.slice(i, i + 16).map(one));
  return wrong;
}

const TEXT_VALUES = [
  'rice',
  'Rice',
  'RICE',
  'Rice Corp',
  'rice corp',
  'RICE CORP',
  'Price, Inc.',
  'Price',
  ' Inc.',
  'ß',
  'SS',
  'ss',
  'straße',
  'STRASSE',
  '%',
  '_',
  '100%',
  'l_D',
  '% R',
  'e',
  '"',
  '"Q"',
  'é',
  'É',
  'émile',
  'ÉMILE "Q"',
  'zeta',
  'Zeta',
  'ZETA',
  'Ｚ',
  'ｚ',
  '😀',
  'ⅻ',
  'Ⅻ 😀',
  'a',
  'nothing like it',
  '@example.com',
  'rice@example.com',
  'RICE@EXAMPLE.COM',
  'strasse@example.de',
  'straße@example.de',
  'alpha',
  'real-data',
  'ricecake',
  'M',
  '1',
];

/** Values for the equality operators: exact names and emails in other cases, and near misses. */
const EQUALITY_VALUES = [
  'Rice Corp',
  'rice corp',
  'RICE CORP',
  'Price, Inc.',
  'Price',
  'straße gmbh',
  'Straße GmbH',
  'STRASSE GmbH',
  'Zeta',
  'zeta',
  'ｚeta',
  'Ⅻ 😀 Emoji',
  'rice@example.com',
  'RICE@EXAMPLE.COM',
  'strasse@example.de',
  'straße@example.de',
  'alpha',
  'real-data',
  'ricecake',
  '100% Real_Data',
  '100% Real%Data',
];

describe('filters on text attributes and to-one paths', () => {
  const TEXT_FIELDS = ['name', 'email', 'slug', 'parent.name', 'parent.email', 'parent.parent.name'];

  it.each(['eq', 'ne', 'in', 'nin'] as const)(
    'When clients are filtered with filter[field][%s] over text fields and paths, then the ids are the in-memory answer (email compares case-insensitively)',
    async (op) => {
      const cases = TEXT_FIELDS.flatMap((field) => EQUALITY_VALUES.map((value) => ({ field, op, value })));
      const lists = ['Rice Corp,rice corp', 'Zeta,alpha,Nope', 'rice@example.com,ALPHA@example.com', 'Price, Inc.', 'ricecake,price'];
      cases.push(...TEXT_FIELDS.flatMap((field) => lists.map((value) => ({ field, op, value }))));
      expect(await mismatches(cases)).toEqual([]);
    },
  );

  it.each(['contains', 'startsWith', 'endsWith'] as const)(
    'When clients are filtered with filter[field][%s] over text fields and paths, then matching is case-insensitive by Unicode folding and takes %% and _ literally',
    async (op) => {
      const cases = ['name', 'email', 'parent.name'].flatMap((field) => TEXT_VALUES.map((value) => ({ field, op, value })));
      cases.push(...['slug', 'parent.email', 'parent.parent.name'].flatMap((field) => ['rice', 'E', '@EXAMPLE', '-', 'ß'].map((value) => ({ field, op, value }))));
      expect(await mismatches(cases)).toEqual([]);
    },
  );

  it.each(['gt', 'gte', 'lt', 'lte'] as const)('When clients are filtered with filter[field][%s] on text, then values compare by code point (C collation) and NULLs never match', async (op) => {
    const values = ['Rice Corp', 'rice corp', 'R', 'Z', 'Zeta', 'a', 'alpha', 'É', 'ｚ', '100', '100%', '😀', 'ricecake', 'price'];
    const cases = ['name', 'slug', 'parent.name'].flatMap((field) => values.map((value) => ({ field, op, value })));
    expect(await mismatches(cases)).toEqual([]);
  });

  it('When clients are filtered with the plain form filter[field]=a,b, then any of the values matches, and a value with a comma can only be matched by eq', async () => {
    expect(await getIds(h, `/api/v2/clients?filter[name]=${enc('Zeta,alpha')}`)).toEqual(idsOf('c4', 'c5', 'g2'));
    expect(await getIds(h, `/api/v2/clients?filter[name]=${enc('Price, Inc.')}`)).toEqual([]);
    expect(await getIds(h, `/api/v2/clients?filter[name][in]=${enc('Price, Inc.')}`)).toEqual([]);
    expect(await getIds(h, `/api/v2/clients?filter[name][eq]=${enc('Price, Inc.')}`)).toEqual(idsOf('r3'));
    expect(await getIds(h, `/api/v2/clients?filter[name][ne]=${enc('Price, Inc.')}`)).toEqual(rows.filter((r) => r.name !== 'Price, Inc.').map((r) => r.id));
    expect(await getIds(h, `/api/v2/clients?filter[name][gte]=${enc('Price, Inc.')}&filter[name][lte]=${enc('Price, Inc.')}`)).toEqual(idsOf('r3'));
    // eq is case-sensitive on names, not on emails.
    expect(await getIds(h, `/api/v2/clients?filter[name]=${enc('rice corp')}`)).toEqual(idsOf('r2'));
    expect(await getIds(h, `/api/v2/clients?filter[email]=${enc('RICE@example.COM')}`)).toEqual(idsOf('r1'));
    expect(await getIds(h, `/api/v2/clients?filter[email][eq]=${enc('straße@EXAMPLE.de')}`)).toEqual(idsOf('r4'));
  });

  it('When the null operator is used on attributes and paths, then true keeps NULLs (roots for parent paths) and false keeps the rest', async () => {
    const cases: Case[] = ['email', 'slug', 'parent.name', 'parent.email', 'parent.id', 'parent.parent.name', 'parent.parent.slug'].flatMap((field) => [
      { field, op: 'null' as const, value: 'true' },
      { field, op: 'null' as const, value: 'false' },
    ]);
    expect(await mismatches(cases)).toEqual([]);
    expect(await getIds(h, '/api/v2/clients?filter[parent.name][null]=true')).toEqual(idsOf('r1', 'r2', 'r3', 'r4', 'r5', 'r6'));
    expect(await getIds(h, '/api/v2/clients?filter[email][null]=true&filter[parent.email][null]=false')).toEqual(idsOf('c2', 'c4', 'g1'));
  });

  it('When several filters are given, then a row must match all of them', async () => {
    expect(await getIds(h, '/api/v2/clients?filter[name][contains]=rice&filter[email][null]=false')).toEqual(idsOf('r1', 'r3', 'c1'));
    expect(await getIds(h, '/api/v2/clients?filter[name][contains]=rice&filter[parent.name][startsWith]=rice')).toEqual(idsOf('c1', 'c2', 'g1'));
    expect(await getIds(h, '/api/v2/clients?filter[name][contains]=rice&filter[name][ne]=Ricecake&filter[createdAt][gte]=2024-03-01T12:00:00Z')).toEqual(idsOf('r3', 'c2'));
  });
});

describe('filters on timestamps and ids', () => {
  it('When clients are filtered on createdAt with every operator and RFC 3339 values in any offset, then the instants compare, not the texts', async () => {
    const values = [T1, T3, '2024-03-01T13:00:00+01:00', '2024-03-01t12:00:00.000z', '2024-03-01T23:00:00.500-01:00', '2024-03-01T10:00:00.000000001Z'];
    const cases: Case[] = [];
    for (const field of ['createdAt', 'parent.createdAt']) {
      for (const op of ['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'in', 'nin'] as const) for (const value of values) cases.push({ field, op, value });
      cases.push({ field, op: undefined, value: `${T1},${T3}` }, { field, op: 'nin', value: `${T1},2024-03-01T13:00:00+01:00` });
    }
    expect(await mismatches(cases)).toEqual([]);
    expect(await getIds(h, `/api/v2/clients?filter[createdAt]=${enc('2024-03-01T13:00:00+01:00')}`)).toEqual(idsOf('r3', 'r4', 'c1', 'c4', 'g3', 'g4'));
  });

  it('When a timestamp filter value is not a strict RFC 3339 timestamp, or a text-only operator is used on a timestamp, then it answers 400 at that parameter', async () => {
    for (const [name, value] of [
      ['filter[createdAt]', 'yesterday'],
      ['filter[createdAt][gt]', '2024-02-30T00:00:00Z'],
      ['filter[createdAt][lt]', '2024-03-01'],
      ['filter[createdAt][in]', `${T1},nope`],
      ['filter[parent.updatedAt][gte]', '2024-03-01T25:00:00Z'],
      ['filter[createdAt][contains]', '2024'],
      ['filter[updatedAt][startsWith]', '2024-03-01T08:00:00.000Z'],
    ]) {
      expectQueryError(await api(h).get(`/api/v2/clients?${name}=${enc(value)}`), name);
    }
  });

  it('When clients are filtered on id and parent.id, then ids compare exactly and a malformed id answers 400', async () => {
    const [a, b] = idsOf('c1', 'g2');
    expect(await getIds(h, `/api/v2/clients?filter[id]=${b},${a}`)).toEqual([a, b]);
    expect(await getIds(h, `/api/v2/clients?filter[id][nin]=${a},${b}`)).toEqual(rows.map((r) => r.id).filter((i) => i !== a && i !== b));
    expect(await getIds(h, `/api/v2/clients?filter[id][gt]=${a}`)).toEqual(rows.map((r) => r.id).filter((i) => i > a));
    expect(await getIds(h, `/api/v2/clients?filter[parent.id]=${row('r1').id}`)).toEqual(idsOf('c1', 'c2'));
    expect(await getIds(h, `/api/v2/clients?filter[parent.parent.id]=${row('r1').id}`)).toEqual(idsOf('g1', 'g3'));
    expectQueryError(await api(h).get('/api/v2/clients?filter[id]=abc'), 'filter[id]');
    expectQueryError(await api(h).get(`/api/v2/clients?filter[id][in]=${a},${a.toUpperCase()}`), 'filter[id][in]');
    expectQueryError(await api(h).get(`/api/v2/clients?filter[parent.id]=${a}x`), 'filter[parent.id]');
  });
});

describe('filters as a client token', () => {
  it("When a client token filters on parent paths, then its client's hidden parent behaves as null and hidden rows never match", async () => {
    const cake = row('c1').id;
    const texts = ['name', 'parent.name', 'parent.email', 'parent.slug'].flatMap((field) =>
      (['null', 'eq', 'ne', 'contains', 'startsWith', 'gt'] as const).flatMap((op) =>
        (op === 'null' ? ['true', 'false'] : ['Rice Corp', 'rice', 'Ricecake', 'R']).map((value): Case => ({ field, op, value })),
      ),
    );
    const ids: Case[] = (['eq', 'ne', 'in', 'nin'] as const).flatMap((op) => [row('r1').id, cake].map((value): Case => ({ field: 'parent.id', op, value })));
    ids.push({ field: 'parent.id', op: 'null', value: 'true' }, { field: 'parent.id', op: 'null', value: 'false' });
    expect(await mismatches([...texts, ...ids], cakeToken, cake)).toEqual([]);
    expect(await getIds(h, `/api/v2/clients?filter[parent.name][null]=true`, cakeToken)).toEqual([cake]);
    expect(await getIds(h, `/api/v2/clients?filter[parent.name]=${enc('Rice Corp')}`, cakeToken)).toEqual([]);
    expect(await getIds(h, `/api/v2/clients?filter[name][contains]=rice`, cakeToken)).toEqual(idsOf('c1', 'g1'));
  });
});

describe('case-insensitive search on names (Unicode folding, trigram index)', () => {
  /** Names chosen so that folding changes lengths (ß → ss, İ → i̇), mixes scripts, and holds LIKE's and FTS5's special characters. */
  const NAMES = [
    'Straße',
    'STRASSE',
    'strasse',
    'Maßstab',
    'MASSSTAB',
    'Café',
    'CAFÉ',
    'cafe',
    'Cafe\u0301 composed',
    'Ångström',
    'naïve',
    'NAÏVE',
    '😀 smile',
    '😀😀 double',
    'x😀y',
    '50% off',
    '50 percent',
    '5%0',
    'a_b',
    'aXb',
    'a__b',
    'quote "x" here',
    'quote x here',
    '""',
    'back\\slash',
    'İstanbul',
    'istanbul',
    'ISTANBUL',
    'ΣΊΣΥΦΟΣ',
    'σίσυφος',
    'ς final',
    'ﬁne print',
    'FINE',
    'ǅemal',
    '\u212A kelvin',
    'kelvin',
    'abc',
    'ABCD',
    'xabcx',
    'ab',
    'a',
    'Ab*c',
    'a OR b',
    'NEAR(a b)',
    "o'brien",
    'tab\there',
    '中文名字',
    '中文',
  ];
  const NEEDLES = [
    'ß',
    'ss',
    'SS',
    'sS',
    'aß',
    'straße',
    'STRASSE',
    'ssst',
    'é',
    'É',
    'e',
    'afé',
    'AFÉ',
    'cafe',
    'café',
    '\u0301',
    'e\u0301',
    'ångström',
    'ÅNG',
    'ï',
    'Ï',
    '😀',
    '😀😀',
    'x😀',
    'x😀y',
    '😀 ',
    '%',
    '%0',
    '50%',
    '0% ',
    '_',
    'a_',
    'a_b',
    '__',
    '"',
    '"x"',
    'e "x',
    '""',
    '\\',
    'k\\s',
    'i̇',
    'İ',
    'ist',
    'İst',
    'i̇st',
    'σ',
    'ς',
    'Σ',
    'σίσ',
    'ΣΊΣ',
    'fi',
    'ﬁ',
    'ﬁn',
    'FIN',
    'ǆ',
    'ǅ',
    'Ǆ',
    '\u212A',
    'kel',
    'KELVIN',
    'a',
    'ab',
    'abc',
    'ABC',
    'bcd',
    'xabcx',
    'b*c',
    '*',
    'or',
    ' OR ',
    'near(',
    "'",
    "o'b",
    '\t',
    'b\th',
    '中',
    '中文',
    '文名字',
    'zzz',
    'abcde',
  ];

  let clientIds: string[];
  let entityIds: string[];
  let parentOfChildren: Map<string, string>;

  beforeAll(async () => {
    clientIds = await bulkClients(
      h,
      NAMES.map((name) => ({ name })),
    );
    const owner = clientIds[0];
    entityIds = await bulkOwned(
      h,
      'legal-entity',
      NAMES.map((name) => ({ client: owner, attributes: { name } })),
    );
    // One child under every named client, to search through parent.name.
    const children = await bulkClients(
      h,
      clientIds.map((parent, i) => ({ name: `child ${i}`, parent })),
    );
    parentOfChildren = new Map(children.map((c, i) => [c, NAMES[i]]));
  });

  const predicate = (op: 'contains' | 'startsWith' | 'endsWith', name: string, needle: string) =>
    op === 'contains' ? casefold(name).includes(casefold(needle)) : op === 'startsWith' ? casefold(name).startsWith(casefold(needle)) : casefold(name).endsWith(casefold(needle));

  it('When the needles are folded, then they span 1, 2, 3 and more code points (so both the trigram index and the plain scan are exercised)', () => {
    const lengths = new Set(NEEDLES.map((n) => Math.min([...casefold(n)].length, 4)));
    expect([...lengths].sort()).toEqual([1, 2, 3, 4]);
  });

  it.each(['contains', 'startsWith', 'endsWith'] as const)('When client names are searched with %s for every needle, then the ids equal the in-memory answer over folded names', async (op) => {
    const wrong: unknown[] = [];
    for (const needle of NEEDLES) {
      const want = clientIds.filter((id, i) => predicate(op, NAMES[i], needle));
      const got = (await getIds(h, `/api/v2/clients?filter[name][${op}]=${enc(needle)}&filter[id][in]=${clientIds.join(',')}&page[size]=100`)).filter((id) => clientIds.includes(id));
      if (JSON.stringify(got) !== JSON.stringify(want))
        wrong.push({ needle, folded: casefold(needle), expected: want.map((id) => NAMES[clientIds.indexOf(id)]), actual: got.map((id) => NAMES[clientIds.indexOf(id)]) });
    }
    expect(wrong).toEqual([]);
  });

  it.each(['contains', 'startsWith', 'endsWith'] as const)(
    'When legal-entity names (no trigram index) and parent.name (through a join) are searched with %s, then they agree with the same in-memory answer',
    async (op) => {
      const wrong: unknown[] = [];
      for (const needle of NEEDLES) {
        const wantEntities = entityIds.filter((_id, i) => predicate(op, NAMES[i], needle));
        const gotEntities = await getIds(h, `/api/v2/legal-entities?filter[name][${op}]=${enc(needle)}&page[size]=100`);
        if (JSON.stringify(gotEntities) !== JSON.stringify(wantEntities)) wrong.push({ type: 'legal-entity', needle, expected: wantEntities.length, actual: gotEntities.length });
        const children = [...parentOfChildren.keys()];
        const wantChildren = children.filter((c) => predicate(op, parentOfChildren.get(c)!, needle));
        const gotChildren = (await getIds(h, `/api/v2/clients?filter[parent.name][${op}]=${enc(needle)}&page[size]=100`)).filter((id) => parentOfChildren.has(id));
        if (JSON.stringify(gotChildren) !== JSON.stringify(wantChildren)) wrong.push({ type: 'parent.name', needle, expected: wantChildren.length, actual: gotChildren.length });
      }
      expect(wrong).toEqual([]);
    },
  );

  it('When a client is renamed or deleted through the API, then name searches see the new name at once and never the old one', async () => {
    const id = await makeClient(h, { name: 'Quokka Trigram One' });
    expect(await getIds(h, '/api/v2/clients?filter[name][contains]=quokka')).toEqual([id]);
    const patched = await api(h).patch(`/api/v2/clients/${id}`, { data: { type: 'client', id, attributes: { name: 'Wombat Straße' } } });
    expect(patched.status).toBe(200);
    expect(await getIds(h, '/api/v2/clients?filter[name][contains]=quokka')).toEqual([]);
    expect(await getIds(h, '/api/v2/clients?filter[name][contains]=ombat')).toEqual([id]);
    expect(await getIds(h, `/api/v2/clients?filter[name][contains]=${enc('WOMBAT STRASSE')}`)).toEqual([id]);
    expect(await getIds(h, `/api/v2/clients?filter[name][endsWith]=${enc('at straße')}`)).toEqual([id]);
    expect((await api(h).delete(`/api/v2/clients/${id}`)).status).toBe(204);
    expect(await getIds(h, '/api/v2/clients?filter[name][contains]=ombat')).toEqual([]);
    const again = await makeClient(h, { name: 'Wombat Again' });
    expect(await getIds(h, '/api/v2/clients?filter[name][contains]=ombat')).toEqual([again]);
  });
});

describe('filters on owned types', () => {
  it('When legal entities are filtered on their own nullable attributes and on client paths, then the ids are the in-memory answer', async () => {
    const a = await makeClient(h, { name: 'Owner Alpha' });
    const b = await makeClient(h, { name: 'Owner Beta' }, a);
    const seeds = [
      { client: a, name: 'LE one', country: 'FR', registrationNumber: 'RCS 123' },
      { client: a, name: 'LE two', country: null, registrationNumber: 'rcs 456' },
      { client: b, name: 'LE three', country: 'DE', registrationNumber: null },
      { client: b, name: 'le one', country: 'FR', registrationNumber: '100%_x' },
    ];
    const ids: string[] = [];
    for (const s of seeds) ids.push(await makeOwned(h, 'legal-entities', s.client, { name: s.name, country: s.country, registrationNumber: s.registrationNumber }));
    const scope = `filter[client]=${a},${b}`;
    const q = async (f: string) => getIds(h, `/api/v2/legal-entities?${scope}&${f}`);
    expect(await q('filter[country]=FR')).toEqual([ids[0], ids[3]]);
    expect(await q('filter[country][ne]=FR')).toEqual([ids[1], ids[2]]);
    expect(await q('filter[country][null]=true')).toEqual([ids[1]]);
    expect(await q('filter[country][nin]=FR,DE')).toEqual([ids[1]]);
    expect(await q('filter[registrationNumber][contains]=RCS')).toEqual([ids[0], ids[1]]);
    expect(await q(`filter[registrationNumber][contains]=${enc('%_')}`)).toEqual([ids[3]]);
    expect(await q('filter[registrationNumber][startsWith]=_')).toEqual([]);
    expect(await q('filter[name]=LE one')).toEqual([ids[0]]);
    expect(await q('filter[name][eq]=le one')).toEqual([ids[3]]);
    expect(await q('filter[name][startsWith]=LE O')).toEqual([ids[0], ids[3]]);
    expect(await q(`filter[client.name]=${enc('Owner Beta')}`)).toEqual([ids[2], ids[3]]);
    expect(await q('filter[client.parent.name][endsWith]=ALPHA')).toEqual([ids[2], ids[3]]);
    expect(await q('filter[client.parent.id][null]=true')).toEqual([ids[0], ids[1]]);
    expect(await q(`filter[client.id]=${b}`)).toEqual([ids[2], ids[3]]);
  });
});

describe('filter guards and malformed filters', () => {
  it('When a filter names an unknown attribute, operator, relationship path or a to-many, then it answers 400 at that parameter', async () => {
    for (const name of [
      'filter[nope]',
      'filter[name][like]',
      'filter[name][EQ]',
      'filter[parent.nope]',
      'filter[nope.name]',
      'filter[children.name]',
      'filter[children]',
      'filter[legalEntities]',
      'filter[name][eq][x]',
      'filter[]',
      'filter[name][]',
      'filter[parent][contains]',
      'filter[parent][ne]',
      'filter[email][null]',
      'filter[descendantOf][eq]',
    ]) {
      expectQueryError(await api(h).get(`/api/v2/clients?${name}=${name.endsWith('[null]') ? 'maybe' : 'x'}`), name);
    }
    expectQueryError(await api(h).get('/api/v2/legal-entities?filter[descendantOf]=' + row('r1').id), 'filter[descendantOf]');
    expectQueryError(await api(h).get('/api/v2/legal-entities?filter[parent]=' + row('r1').id), 'filter[parent]');
    expectQueryError(await api(h).get('/api/v2/legal-entities?filter[client]=null'), 'filter[client]');
    // The name is reported as sent, percent-decoded.
    expectQueryError(await api(h).get('/api/v2/clients?filter%5Bparent.name%5D%5Bcontainz%5D=rice'), 'filter[parent.name][containz]');
  });

  it('When more filters or list values than allowed are given, then it answers 400 at the parameter that went over, and the limits follow MAX_FILTERS and MAX_FILTER_VALUES', async () => {
    const filters = (n: number) =>
      Array.from({ length: n }, (_v, i) => {
        const names = ['name', 'email', 'slug', 'createdAt', 'updatedAt', 'id', 'parent.name', 'parent.email', 'parent.slug', 'parent.id', 'parent.createdAt'];
        const ops = ['ne', 'nin', 'null'];
        return { name: `filter[${names[i % names.length]}][${ops[Math.floor(i / names.length)]}]`, i };
      }).map(({ name }) => `${name}=${name.endsWith('[null]') ? 'false' : name.includes('At]') ? T1 : name.includes('id]') ? '0'.repeat(24) : 'x'}`);
    const twenty = await api(h).get(`/api/v2/clients?${filters(20).join('&')}`);
    expect(twenty.status).toBe(200);
    const over = filters(21);
    expectQueryError(await api(h).get(`/api/v2/clients?${over.join('&')}`), over[20].split('=')[0]);

    const values = (n: number) => Array.from({ length: n }, (_v, i) => `v${i}`).join(',');
    expect((await api(h).get(`/api/v2/clients?filter[name]=${values(100)}`)).status).toBe(200);
    expectQueryError(await api(h).get(`/api/v2/clients?filter[name]=${values(101)}`), 'filter[name]');
    expectQueryError(await api(h).get(`/api/v2/clients?filter[name][nin]=${values(101)}`), 'filter[name][nin]');
    expectQueryError(await api(h).get(`/api/v2/clients?filter[parent]=${Array(101).fill('0'.repeat(24)).join(',')}`), 'filter[parent]');
    // eq takes its value whole: commas do not count as values.
    expect((await api(h).get(`/api/v2/clients?filter[name][eq]=${values(150)}`)).status).toBe(200);

    const small = await startHarness({ MAX_FILTERS: '2', MAX_FILTER_VALUES: '3' });
    try {
      expect((await api(small).get('/api/v2/clients?filter[name]=a,b,c&filter[slug][null]=true')).status).toBe(200);
      expectQueryError(await api(small).get('/api/v2/clients?filter[name]=a&filter[slug][null]=true&filter[email][null]=true'), 'filter[email][null]');
      expectQueryError(await api(small).get('/api/v2/clients?filter[name]=a,b,c,d'), 'filter[name]');
      expectQueryError(await api(small).get(`/api/v2/clients?filter[id][in]=${Array(4).fill('0'.repeat(24)).join(',')}`), 'filter[id][in]');
    } finally {
      await small.close();
    }
  });

  it('When a filter path is deeper than MAX_INCLUDE_DEPTH, then it answers 400 at that parameter', async () => {
    expect((await api(h).get('/api/v2/clients?filter[parent.parent.parent.parent.name]=x')).status).toBe(200);
    expectQueryError(await api(h).get('/api/v2/clients?filter[parent.parent.parent.parent.parent.name]=x'), 'filter[parent.parent.parent.parent.parent.name]');
    const shallow = await startHarness({ MAX_INCLUDE_DEPTH: '1' });
    try {
      expect((await api(shallow).get('/api/v2/clients?filter[parent.name][contains]=x')).status).toBe(200);
      expectQueryError(await api(shallow).get('/api/v2/clients?filter[parent.parent.name][contains]=x'), 'filter[parent.parent.name][contains]');
      expectQueryError(await api(shallow).get('/api/v2/legal-entities?filter[client.parent.name]=x'), 'filter[client.parent.name]');
      expectQueryError(await api(shallow).get('/api/v2/clients?include=children.children'), 'include');
    } finally {
      await shallow.close();
    }
  });

  it('When a filter is given more than once, then it answers 400 at that parameter', async () => {
    expectQueryError(await api(h).get('/api/v2/clients?filter[name]=a&filter[name]=b'), 'filter[name]');
  });
});
