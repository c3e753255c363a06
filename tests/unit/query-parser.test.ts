import { ApiError, InvalidQueryParameterError } from '../../src/errors/api-error';
import { FILTER_OPERATORS, FilterNode, FilterOperator, IncludeNode, QueryContext, QueryLimits, QuerySpec, SortKey } from '../../src/query/ast';
import { parseQuery } from '../../src/query/query.parser';
import { registry, relationship } from '../../src/resources/registry';

/**
 * parseQuery on its own: no express, no database. Error rows carry a caret (^) in the query
 * where the fault is; the caret is removed before parsing.
 */

const LIMITS: QueryLimits = { defaultPageSize: 20, maxPageSize: 100, maxIncludeDepth: 4 };
const ID1 = '65f0a1b2c3d4e5f6a7b8c9d0';
const ID2 = '65f0a1b2c3d4e5f6a7b8c9d1';

type TypeName = 'client' | 'legal-entity' | 'reporting-entity' | 'project' | 'api-token';

function parse(type: TypeName, query: string, context: QueryContext = 'collection', limits: QueryLimits = LIMITS): QuerySpec {
  return parseQuery(registry, registry.get(type), query.replace('^', ''), context, limits);
}

function rejection(type: TypeName, query: string, context: QueryContext = 'collection', limits: QueryLimits = LIMITS): unknown {
  let spec: QuerySpec;
  try {
    spec = parse(type, query, context, limits);
  } catch (e) {
    return e;
  }
  const got = { filters: spec.filters.map(showFilter), page: spec.page, sort: showSort(spec.sort), include: showInclude(spec.include) };
  throw new Error(`expected ${type}?${query} (${context}) to be rejected, but it parsed to ${JSON.stringify(got)}`);
}

/** The error is a 400 invalid_query_parameter naming exactly `parameter`. */
function expectInvalidParameter(error: unknown, parameter: string): void {
  expect(error).toBeInstanceOf(InvalidQueryParameterError);
  const e = error as ApiError;
  expect(e.status).toBe(400);
  expect(e.code).toBe('invalid_query_parameter');
  expect(e.source).toEqual({ parameter });
  expect(e.toObjects()).toEqual([{ status: '400', code: 'invalid_query_parameter', title: 'Invalid query parameter', detail: expect.any(String), source: { parameter } }]);
  expect(e.detail.length).toBeGreaterThan(0);
}

/** `children(children,legalEntities),projects` */
function showInclude(nodes: readonly IncludeNode[]): string {
  return nodes.map((n) => n.relationship.name + (n.children.length ? `(${showInclude(n.children)})` : '')).join(',');
}

function showSort(keys: readonly SortKey[]): string[] {
  return keys.map((k) => (k.descending ? '-' : '') + [...k.path.map((p) => p.name), k.attribute.name].join('.'));
}

function showFilter(f: FilterNode): Record<string, unknown> {
  if (f.kind === 'relationship') return { parameter: f.parameter, relationship: f.relationship.name, ids: f.ids };
  if (f.kind === 'hierarchy') return { parameter: f.parameter, relation: f.relation, id: f.id };
  return {
    parameter: f.parameter,
    field: [...f.path.map((p) => p.name), f.attribute.name].join('.'),
    operator: f.operator,
    values: f.values,
  };
}

interface ErrorRow {
  type: TypeName;
  query: string;
  parameter: string;
  /** A piece of text the detail must name (the culprit), when there is an obvious one. */
  names?: string;
}

function errorCase({ type, query, parameter, names }: ErrorRow, context: QueryContext = 'collection'): void {
  const error = rejection(type, query, context);
  expectInvalidParameter(error, parameter);
  if (names !== undefined) expect((error as ApiError).detail).toContain(names);
}

describe('parseQuery defaults', () => {
  it.each<TypeName>(['client', 'legal-entity', 'reporting-entity', 'project', 'api-token'])(
    'When %s is queried with an empty query string, then nothing is included, filtered or sorted and page 1 of 20 is asked for',
    (type) => {
      const spec = parse(type, '');
      expect(spec.type).toBe(registry.get(type));
      expect(spec.include).toEqual([]);
      expect(spec.fields.size).toBe(0);
      expect(spec.sort).toEqual([]);
      expect(spec.filters).toEqual([]);
      expect(spec.page).toEqual({ mode: 'number', number: 1, size: 20 });
    },
  );

  it('When the limits name another default page size, then that size is the default', () => {
    expect(parse('client', '', 'collection', { defaultPageSize: 7, maxPageSize: 10, maxIncludeDepth: 4 }).page).toEqual({ mode: 'number', number: 1, size: 7 });
  });
});

describe('include', () => {
  it.each<{ type: TypeName; query: string; tree: string }>([
    { type: 'client', query: 'include=children', tree: 'children' },
    { type: 'client', query: 'include=children,legalEntities,reportingEntities,projects', tree: 'children,legalEntities,reportingEntities,projects' },
    { type: 'client', query: 'include=children.children', tree: 'children(children)' },
    { type: 'client', query: 'include=children.legalEntities,children.parent', tree: 'children(legalEntities,parent)' },
    { type: 'client', query: 'include=children.children,children', tree: 'children(children)' },
    { type: 'client', query: 'include=children,children', tree: 'children' },
    { type: 'client', query: 'include=children.children.projects,children.children.parent,legalEntities', tree: 'children(children(projects,parent)),legalEntities' },
    { type: 'client', query: 'include=parent.parent.parent.parent', tree: 'parent(parent(parent(parent)))' },
    { type: 'client', query: 'include=', tree: '' },
    { type: 'project', query: 'include=client.children.projects', tree: 'client(children(projects))' },
    { type: 'legal-entity', query: 'include=client.legalEntities', tree: 'client(legalEntities)' },
    { type: 'reporting-entity', query: 'include=client.parent,client.children', tree: 'client(parent,children)' },
    { type: 'api-token', query: 'include=client', tree: 'client' },
    { type: 'client', query: 'include=children%2Cprojects', tree: 'children,projects' },
  ])('When $type is queried with $query, then the include tree is $tree', ({ type, query, tree }) => {
    expect(showInclude(parse(type, query).include)).toBe(tree);
  });

  it('When include=children.legalEntities is parsed, then each node holds the registry relationship of the type above it', () => {
    const client = registry.get('client');
    const [children] = parse('client', 'include=children.legalEntities').include;
    expect(children.relationship).toBe(relationship(client, 'children'));
    expect(children.children[0].relationship).toBe(relationship(client, 'legalEntities'));
  });

  it.each<ErrorRow>([
    { type: 'client', query: 'include=^bogus', parameter: 'include', names: 'bogus' },
    { type: 'client', query: 'include=children.^bogus', parameter: 'include', names: 'bogus' },
    { type: 'client', query: 'include=children,^bogus.children', parameter: 'include', names: 'bogus' },
    { type: 'client', query: 'include=^name', parameter: 'include', names: 'name' },
    { type: 'client', query: 'include=^Children', parameter: 'include', names: 'Children' },
    { type: 'project', query: 'include=^parent', parameter: 'include', names: 'parent' },
    { type: 'api-token', query: 'include=client.^secret', parameter: 'include', names: 'secret' },
    { type: 'client', query: 'include=children.children.children.children.^children', parameter: 'include', names: '4' },
    { type: 'client', query: 'include=parent.parent.parent.parent.^bogus', parameter: 'include' },
    { type: 'client', query: 'include=children,^', parameter: 'include' },
    { type: 'client', query: 'include=^,children', parameter: 'include' },
    { type: 'client', query: 'include=children.^', parameter: 'include' },
    { type: 'client', query: 'include=children^..parent', parameter: 'include' },
    { type: 'client', query: 'include^[children]=parent', parameter: 'include[children]' },
  ])('When $type is queried with $query, then it is rejected at $parameter', (row) => errorCase(row));

  it('When the limits allow an include depth of 2, then a path of 2 passes and a path of ^3 is rejected at include', () => {
    const limits = { ...LIMITS, maxIncludeDepth: 2 };
    expect(showInclude(parse('client', 'include=children.children', 'collection', limits).include)).toBe('children(children)');
    expectInvalidParameter(rejection('client', 'include=children.children.^children', 'collection', limits), 'include');
  });
});

describe('fields[type]', () => {
  it.each<{ type: TypeName; query: string; fields: Record<string, string[]> }>([
    { type: 'client', query: 'fields[client]=name,parent', fields: { client: ['name', 'parent'] } },
    { type: 'client', query: 'fields[client]=', fields: { client: [] } },
    { type: 'client', query: 'fields[client]=createdAt&fields[legal-entity]=country,client', fields: { client: ['createdAt'], 'legal-entity': ['country', 'client'] } },
    { type: 'project', query: 'fields%5Bproject%5D=name&fields%5Bclient%5D=email', fields: { project: ['name'], client: ['email'] } },
    { type: 'client', query: 'fields[reporting-entity]=currency', fields: { 'reporting-entity': ['currency'] } },
    { type: 'api-token', query: 'fields[api-token]=name,role,lastUsedAt,client', fields: { 'api-token': ['name', 'role', 'lastUsedAt', 'client'] } },
    { type: 'client', query: 'fields[client]=name,name', fields: { client: ['name'] } },
  ])('When $type is queried with $query, then the fieldsets are $fields', ({ type, query, fields }) => {
    const spec = parse(type, query);
    const got = Object.fromEntries([...spec.fields].map(([t, set]) => [t, [...set]]));
    expect(got).toEqual(fields);
  });

  it.each<ErrorRow>([
    { type: 'client', query: 'fields[^bogus]=name', parameter: 'fields[bogus]', names: 'bogus' },
    { type: 'client', query: 'fields[^clients]=name', parameter: 'fields[clients]', names: 'clients' },
    { type: 'client', query: 'fields[client]=^bogus', parameter: 'fields[client]', names: 'bogus' },
    { type: 'client', query: 'fields[client]=name,^', parameter: 'fields[client]' },
    { type: 'client', query: 'fields[project]=^email', parameter: 'fields[project]', names: 'email' },
    { type: 'project', query: 'fields[project]=^parent', parameter: 'fields[project]', names: 'parent' },
    { type: 'client', query: 'fields^=name', parameter: 'fields' },
    { type: 'client', query: 'fields[^]=name', parameter: 'fields[]' },
    { type: 'client', query: 'fields[client]^[name]=name', parameter: 'fields[client][name]' },
    { type: 'client', query: 'fields%5B^bogus%5D=name', parameter: 'fields[bogus]', names: 'bogus' },
  ])('When $type is queried with $query, then it is rejected at $parameter', (row) => errorCase(row));
});

describe('sort', () => {
  it.each<{ type: TypeName; query: string; keys: string[] }>([
    { type: 'client', query: 'sort=name', keys: ['name'] },
    { type: 'client', query: 'sort=-createdAt,name', keys: ['-createdAt', 'name'] },
    { type: 'client', query: 'sort=parent.name', keys: ['parent.name'] },
    { type: 'client', query: 'sort=-parent.parent.createdAt,email', keys: ['-parent.parent.createdAt', 'email'] },
    { type: 'client', query: 'sort=id', keys: ['id'] },
    { type: 'client', query: 'sort=-id', keys: ['-id'] },
    { type: 'client', query: 'sort=parent.id,-slug,updatedAt', keys: ['parent.id', '-slug', 'updatedAt'] },
    { type: 'project', query: 'sort=client.name,-name', keys: ['client.name', '-name'] },
    { type: 'legal-entity', query: 'sort=country,-registrationNumber,client.parent.name', keys: ['country', '-registrationNumber', 'client.parent.name'] },
    { type: 'reporting-entity', query: 'sort=-currency', keys: ['-currency'] },
    { type: 'api-token', query: 'sort=-lastUsedAt,role,client.email', keys: ['-lastUsedAt', 'role', 'client.email'] },
    { type: 'client', query: 'sort=-createdAt%2Cname', keys: ['-createdAt', 'name'] },
  ])('When $type is queried with $query, then the sort keys are $keys', ({ type, query, keys }) => {
    expect(showSort(parse(type, query).sort)).toEqual(keys);
  });

  it('When sort=-parent.name is parsed, then the key walks the parent relationship to the client name attribute, descending', () => {
    const client = registry.get('client');
    const [key] = parse('client', 'sort=-parent.name').sort;
    expect(key.path).toEqual([relationship(client, 'parent')]);
    expect(key.path[0]).toBe(relationship(client, 'parent'));
    expect(key.attribute).toBe(client.attributes.find((a) => a.name === 'name'));
    expect(key.descending).toBe(true);
  });

  it.each<ErrorRow>([
    { type: 'client', query: 'sort=^bogus', parameter: 'sort', names: 'bogus' },
    { type: 'client', query: 'sort=name,-^bogus', parameter: 'sort', names: 'bogus' },
    { type: 'client', query: 'sort=^Name', parameter: 'sort', names: 'Name' },
    { type: 'client', query: 'sort=^', parameter: 'sort' },
    { type: 'client', query: 'sort=name,^', parameter: 'sort' },
    { type: 'client', query: 'sort=^,name', parameter: 'sort' },
    { type: 'client', query: 'sort=-^', parameter: 'sort' },
    { type: 'client', query: 'sort=-^-name', parameter: 'sort' },
    { type: 'client', query: 'sort=^parent', parameter: 'sort', names: 'parent' },
    { type: 'client', query: 'sort=^children', parameter: 'sort', names: 'children' },
    { type: 'client', query: 'sort=^children.name', parameter: 'sort', names: 'children' },
    { type: 'client', query: 'sort=parent.^bogus', parameter: 'sort', names: 'bogus' },
    { type: 'client', query: 'sort=parent.^', parameter: 'sort' },
    { type: 'client', query: 'sort=^.name', parameter: 'sort' },
    { type: 'project', query: 'sort=^parent.name', parameter: 'sort', names: 'parent' },
    { type: 'project', query: 'sort=^email', parameter: 'sort', names: 'email' },
    { type: 'client', query: 'sort^[name]=asc', parameter: 'sort[name]' },
  ])('When $type is queried with $query, then it is rejected at $parameter', (row) => errorCase(row));
});

describe('page[number] and page[size]', () => {
  it.each<{ query: string; number: number; size: number }>([
    { query: 'page[number]=3', number: 3, size: 20 },
    { query: 'page[size]=1', number: 1, size: 1 },
    { query: 'page[size]=100', number: 1, size: 100 },
    { query: 'page[size]=5&page[number]=2', number: 2, size: 5 },
    { query: 'page%5Bsize%5D=50&page%5Bnumber%5D=7', number: 7, size: 50 },
  ])('When clients are queried with $query, then page $number of size $size is asked for', ({ query, number, size }) => {
    expect(parse('client', query).page).toEqual({ mode: 'number', number, size });
  });

  it('When page[number] is far past any real end (page[number]=1000000000), then it still parses, since a page past the end is an empty 200', () => {
    expect(parse('client', 'page[number]=1000000000').page).toEqual({ mode: 'number', number: 1000000000, size: 20 });
  });

  it.each<ErrorRow>([
    { type: 'client', query: 'page[size]=^0', parameter: 'page[size]' },
    { type: 'client', query: 'page[size]=^-1', parameter: 'page[size]' },
    { type: 'client', query: 'page[size]=^1.5', parameter: 'page[size]' },
    { type: 'client', query: 'page[size]=^2.0', parameter: 'page[size]' },
    { type: 'client', query: 'page[size]=^1e2', parameter: 'page[size]' },
    { type: 'client', query: 'page[size]=^ten', parameter: 'page[size]' },
    { type: 'client', query: 'page[size]=^', parameter: 'page[size]' },
    { type: 'client', query: 'page[size]=^101', parameter: 'page[size]', names: '100' },
    { type: 'client', query: 'page[size]=^1000000', parameter: 'page[size]' },
    { type: 'client', query: 'page[number]=^0', parameter: 'page[number]' },
    { type: 'client', query: 'page[number]=^-2', parameter: 'page[number]' },
    { type: 'client', query: 'page[number]=^1.5', parameter: 'page[number]' },
    { type: 'client', query: 'page[number]=^', parameter: 'page[number]' },
    { type: 'client', query: 'page[number]=2&page[size]=^0', parameter: 'page[size]' },
    { type: 'client', query: 'page[^after]=', parameter: 'page[after]' },
    { type: 'client', query: 'page[^after]=abc', parameter: 'page[after]' },
    { type: 'client', query: 'page[^before]=', parameter: 'page[before]' },
    { type: 'client', query: 'page[^offset]=0', parameter: 'page[offset]' },
    { type: 'client', query: 'page[^limit]=10', parameter: 'page[limit]' },
    { type: 'client', query: 'page^=2', parameter: 'page' },
    { type: 'client', query: 'page[size]^[x]=2', parameter: 'page[size][x]' },
    { type: 'project', query: 'page%5B^cursor%5D=x', parameter: 'page[cursor]' },
  ])('When $type is queried with $query, then it is rejected at $parameter', (row) => errorCase(row));

  it('When the limits set the maximum page size to 10, then page[size]=10 passes and page[size]=^11 is rejected at page[size]', () => {
    const limits = { defaultPageSize: 5, maxPageSize: 10, maxIncludeDepth: 4 };
    expect(parse('client', 'page[size]=10', 'collection', limits).page).toEqual({ mode: 'number', number: 1, size: 10 });
    expectInvalidParameter(rejection('client', 'page[size]=^11', 'collection', limits), 'page[size]');
  });
});

describe('filter', () => {
  it('FILTER_OPERATORS are exactly the operators SPEC §2 lists', () => {
    expect([...FILTER_OPERATORS].sort()).toEqual(['eq', 'ne', 'in', 'nin', 'contains', 'startsWith', 'endsWith', 'gt', 'gte', 'lt', 'lte', 'null'].sort());
  });

  /** What each operator makes of the text value `a,b` (and `true` for null), per SPEC §2. */
  const TEXT_VALUES: Record<FilterOperator, { value: string; values: (string | boolean)[] }> = {
    eq: { value: 'a,b', values: ['a,b'] },
    ne: { value: 'a,b', values: ['a,b'] },
    in: { value: 'a,b', values: ['a', 'b'] },
    nin: { value: 'a,b', values: ['a', 'b'] },
    contains: { value: 'a,b', values: ['a,b'] },
    startsWith: { value: 'a,b', values: ['a,b'] },
    endsWith: { value: 'a,b', values: ['a,b'] },
    gt: { value: 'a,b', values: ['a,b'] },
    gte: { value: 'a,b', values: ['a,b'] },
    lt: { value: 'a,b', values: ['a,b'] },
    lte: { value: 'a,b', values: ['a,b'] },
    null: { value: 'true', values: [true] },
  };

  it.each(FILTER_OPERATORS.map((op) => ({ op, ...TEXT_VALUES[op] })))(
    'When clients are queried with filter[name][$op]=$value, then one name filter with operator $op and values $values is made',
    ({ op, value, values }) => {
      const spec = parse('client', `filter[name][${op}]=${value}`);
      expect(spec.filters.map(showFilter)).toEqual([{ parameter: `filter[name][${op}]`, field: 'name', operator: op, values }]);
      const f = spec.filters[0];
      expect(f.kind === 'attribute' && f.attribute).toBe(registry.get('client').attributes.find((a) => a.name === 'name'));
    },
  );

  const T = '2024-01-02T03:04:05Z';
  const T_ISO = '2024-01-02T03:04:05.000Z';
  const TIMESTAMP_VALUES: Record<FilterOperator, { value: string; values: (string | boolean)[] } | 'rejected'> = {
    eq: { value: T, values: [T_ISO] },
    ne: { value: T, values: [T_ISO] },
    in: { value: `${T},2024-06-30T23:59:59.5Z`, values: [T_ISO, '2024-06-30T23:59:59.500Z'] },
    nin: { value: `${T},2024-06-30T23:59:59.5Z`, values: [T_ISO, '2024-06-30T23:59:59.500Z'] },
    contains: 'rejected',
    startsWith: 'rejected',
    endsWith: 'rejected',
    gt: { value: T, values: [T_ISO] },
    gte: { value: T, values: [T_ISO] },
    lt: { value: T, values: [T_ISO] },
    lte: { value: T, values: [T_ISO] },
    null: { value: 'false', values: [false] },
  };

  it.each(FILTER_OPERATORS.filter((op) => TIMESTAMP_VALUES[op] !== 'rejected').map((op) => ({ op, ...(TIMESTAMP_VALUES[op] as { value: string; values: (string | boolean)[] }) })))(
    'When clients are queried with filter[createdAt][$op]=$value, then the values are $values',
    ({ op, value, values }) => {
      expect(parse('client', `filter[createdAt][${op}]=${value}`).filters.map(showFilter)).toEqual([{ parameter: `filter[createdAt][${op}]`, field: 'createdAt', operator: op, values }]);
    },
  );

  it.each(FILTER_OPERATORS.filter((op) => TIMESTAMP_VALUES[op] === 'rejected').map((op) => ({ op })))(
    'When clients are queried with filter[createdAt][^$op]=2024, then it is rejected at filter[createdAt][$op] (text operators do not apply to timestamps)',
    ({ op }) => {
      expectInvalidParameter(rejection('client', `filter[createdAt][${op}]=2024`), `filter[createdAt][${op}]`);
    },
  );

  it.each<{ type: TypeName; query: string; filters: Record<string, unknown>[] }>([
    { type: 'client', query: 'filter[name]=Acme', filters: [{ parameter: 'filter[name]', field: 'name', operator: 'in', values: ['Acme'] }] },
    { type: 'client', query: 'filter[name]=Acme,Globex', filters: [{ parameter: 'filter[name]', field: 'name', operator: 'in', values: ['Acme', 'Globex'] }] },
    { type: 'client', query: 'filter[name]=Acme%2CGlobex', filters: [{ parameter: 'filter[name]', field: 'name', operator: 'in', values: ['Acme', 'Globex'] }] },
    { type: 'client', query: 'filter[name]=a+b', filters: [{ parameter: 'filter[name]', field: 'name', operator: 'in', values: ['a b'] }] },
    { type: 'client', query: 'filter[name]=a%2Bb', filters: [{ parameter: 'filter[name]', field: 'name', operator: 'in', values: ['a+b'] }] },
    { type: 'client', query: 'filter[name][contains]=50%25_off', filters: [{ parameter: 'filter[name][contains]', field: 'name', operator: 'contains', values: ['50%_off'] }] },
    { type: 'client', query: 'filter[name][startsWith]=%C3%89cole', filters: [{ parameter: 'filter[name][startsWith]', field: 'name', operator: 'startsWith', values: ['École'] }] },
    { type: 'client', query: 'filter[email][eq]=Root@Example.com', filters: [{ parameter: 'filter[email][eq]', field: 'email', operator: 'eq', values: ['Root@Example.com'] }] },
    { type: 'client', query: 'filter[slug][null]=true', filters: [{ parameter: 'filter[slug][null]', field: 'slug', operator: 'null', values: [true] }] },
    { type: 'client', query: 'filter[parent.name][contains]=rice', filters: [{ parameter: 'filter[parent.name][contains]', field: 'parent.name', operator: 'contains', values: ['rice'] }] },
    { type: 'client', query: 'filter%5Bparent.name%5D%5Bcontains%5D=rice', filters: [{ parameter: 'filter[parent.name][contains]', field: 'parent.name', operator: 'contains', values: ['rice'] }] },
    {
      type: 'client',
      query: 'filter[parent.parent.email]=a@b.example',
      filters: [{ parameter: 'filter[parent.parent.email]', field: 'parent.parent.email', operator: 'in', values: ['a@b.example'] }],
    },
    { type: 'client', query: `filter[id]=${ID1},${ID2}`, filters: [{ parameter: 'filter[id]', field: 'id', operator: 'in', values: [ID1, ID2] }] },
    { type: 'client', query: `filter[parent.id][ne]=${ID1}`, filters: [{ parameter: 'filter[parent.id][ne]', field: 'parent.id', operator: 'ne', values: [ID1] }] },
    { type: 'client', query: 'filter[createdAt]=2024-01-02T03:04:05Z', filters: [{ parameter: 'filter[createdAt]', field: 'createdAt', operator: 'in', values: [T_ISO] }] },
    { type: 'client', query: 'filter[updatedAt][gte]=2024-01-02T05:04:05%2B02:00', filters: [{ parameter: 'filter[updatedAt][gte]', field: 'updatedAt', operator: 'gte', values: [T_ISO] }] },
    { type: 'client', query: 'filter[updatedAt][lt]=2024-01-01T21:34:05-05:30', filters: [{ parameter: 'filter[updatedAt][lt]', field: 'updatedAt', operator: 'lt', values: [T_ISO] }] },
    {
      type: 'client',
      query: 'filter[createdAt][gt]=2024-01-02t03:04:05.123456z',
      filters: [{ parameter: 'filter[createdAt][gt]', field: 'createdAt', operator: 'gt', values: ['2024-01-02T03:04:05.123Z'] }],
    },
    {
      type: 'project',
      query: 'filter[client.createdAt][lte]=2024-01-02T03:04:05.000Z',
      filters: [{ parameter: 'filter[client.createdAt][lte]', field: 'client.createdAt', operator: 'lte', values: [T_ISO] }],
    },
    { type: 'api-token', query: 'filter[lastUsedAt][null]=true', filters: [{ parameter: 'filter[lastUsedAt][null]', field: 'lastUsedAt', operator: 'null', values: [true] }] },
    { type: 'legal-entity', query: 'filter[country]=FR,DE', filters: [{ parameter: 'filter[country]', field: 'country', operator: 'in', values: ['FR', 'DE'] }] },
    { type: 'reporting-entity', query: 'filter[currency][nin]=EUR,USD', filters: [{ parameter: 'filter[currency][nin]', field: 'currency', operator: 'nin', values: ['EUR', 'USD'] }] },
    {
      type: 'client',
      query: 'filter[name][startsWith]=A&filter[name][ne]=Acme&filter[slug][null]=false',
      filters: [
        { parameter: 'filter[name][startsWith]', field: 'name', operator: 'startsWith', values: ['A'] },
        { parameter: 'filter[name][ne]', field: 'name', operator: 'ne', values: ['Acme'] },
        { parameter: 'filter[slug][null]', field: 'slug', operator: 'null', values: [false] },
      ],
    },
    { type: 'client', query: `filter[parent]=${ID1}`, filters: [{ parameter: 'filter[parent]', relationship: 'parent', ids: [ID1] }] },
    { type: 'client', query: 'filter[parent]=null', filters: [{ parameter: 'filter[parent]', relationship: 'parent', ids: [null] }] },
    { type: 'client', query: `filter[parent]=${ID1},null,${ID2}`, filters: [{ parameter: 'filter[parent]', relationship: 'parent', ids: [ID1, null, ID2] }] },
    { type: 'client', query: `filter[parent][eq]=${ID1}`, filters: [{ parameter: 'filter[parent][eq]', relationship: 'parent', ids: [ID1] }] },
    { type: 'client', query: `filter[parent][in]=${ID1},${ID2}`, filters: [{ parameter: 'filter[parent][in]', relationship: 'parent', ids: [ID1, ID2] }] },
    { type: 'project', query: `filter[client]=${ID1}`, filters: [{ parameter: 'filter[client]', relationship: 'client', ids: [ID1] }] },
    { type: 'legal-entity', query: `filter[client]=${ID1},${ID2}`, filters: [{ parameter: 'filter[client]', relationship: 'client', ids: [ID1, ID2] }] },
    { type: 'reporting-entity', query: `filter[client]=${ID2}`, filters: [{ parameter: 'filter[client]', relationship: 'client', ids: [ID2] }] },
    { type: 'api-token', query: 'filter[client]=null', filters: [{ parameter: 'filter[client]', relationship: 'client', ids: [null] }] },
  ])('When $type is queried with $query, then the filters are $filters', ({ type, query, filters }) => {
    expect(parse(type, query).filters.map(showFilter)).toEqual(filters);
  });

  it('When clients are queried with filter[parent]=null, then the node holds the registry parent relationship', () => {
    const [f] = parse('client', 'filter[parent]=null').filters;
    expect(f.kind).toBe('relationship');
    expect(f.kind === 'relationship' && f.relationship).toBe(relationship(registry.get('client'), 'parent'));
  });

  it.each<ErrorRow>([
    // unknown attribute, relationship or path
    { type: 'client', query: 'filter[^bogus]=x', parameter: 'filter[bogus]', names: 'bogus' },
    { type: 'client', query: 'filter[^Name]=x', parameter: 'filter[Name]', names: 'Name' },
    { type: 'client', query: 'filter[parent.^bogus]=x', parameter: 'filter[parent.bogus]', names: 'bogus' },
    { type: 'client', query: 'filter[^children.name]=x', parameter: 'filter[children.name]', names: 'children' },
    { type: 'client', query: `filter[^children]=${ID1}`, parameter: 'filter[children]', names: 'children' },
    { type: 'client', query: `filter[^legalEntities]=${ID1}`, parameter: 'filter[legalEntities]', names: 'legalEntities' },
    { type: 'client', query: `filter[^client]=${ID1}`, parameter: 'filter[client]', names: 'client' },
    { type: 'legal-entity', query: 'filter[^parent]=null', parameter: 'filter[parent]', names: 'parent' },
    { type: 'project', query: 'filter[^email]=a@b.example', parameter: 'filter[email]', names: 'email' },
    { type: 'client', query: 'filter[^.name]=x', parameter: 'filter[.name]' },
    { type: 'client', query: 'filter[name^.]=x', parameter: 'filter[name.]' },
    // unknown operator or malformed name
    { type: 'client', query: 'filter[name][^like]=x', parameter: 'filter[name][like]', names: 'like' },
    { type: 'client', query: 'filter[name][^startswith]=x', parameter: 'filter[name][startswith]', names: 'startswith' },
    { type: 'client', query: 'filter[name][^EQ]=x', parameter: 'filter[name][EQ]', names: 'EQ' },
    { type: 'client', query: 'filter[name][^]=x', parameter: 'filter[name][]' },
    { type: 'client', query: 'filter[name][eq]^[x]=1', parameter: 'filter[name][eq][x]' },
    { type: 'client', query: 'filter[^]=x', parameter: 'filter[]' },
    { type: 'client', query: 'filter^=x', parameter: 'filter' },
    { type: 'client', query: 'filter[name^=x', parameter: 'filter[name' },
    { type: 'client', query: 'filter%5Bparent.name%5D%5B^bogus%5D=rice', parameter: 'filter[parent.name][bogus]', names: 'bogus' },
    // typed values
    { type: 'client', query: 'filter[name][null]=^yes', parameter: 'filter[name][null]' },
    { type: 'client', query: 'filter[name][null]=^TRUE', parameter: 'filter[name][null]' },
    { type: 'client', query: 'filter[name][null]=^', parameter: 'filter[name][null]' },
    { type: 'client', query: 'filter[name][null]=^true,false', parameter: 'filter[name][null]' },
    { type: 'client', query: 'filter%5Bparent.createdAt%5D%5B^contains%5D=2024', parameter: 'filter[parent.createdAt][contains]' },
    { type: 'client', query: 'filter[createdAt][gt]=^yesterday', parameter: 'filter[createdAt][gt]', names: 'yesterday' },
    { type: 'client', query: 'filter[createdAt][gt]=^2024-01-02', parameter: 'filter[createdAt][gt]' },
    { type: 'client', query: 'filter[createdAt][gt]=^2024-01-02T03:04Z', parameter: 'filter[createdAt][gt]' },
    { type: 'client', query: 'filter[createdAt][gt]=^2024-01-02T03:04:05', parameter: 'filter[createdAt][gt]' },
    { type: 'client', query: 'filter[createdAt][gt]=^2024-01-02%2003:04:05Z', parameter: 'filter[createdAt][gt]' },
    { type: 'client', query: 'filter[createdAt][gt]=^2024-13-01T00:00:00Z', parameter: 'filter[createdAt][gt]' },
    { type: 'client', query: 'filter[createdAt][gt]=^2023-02-29T00:00:00Z', parameter: 'filter[createdAt][gt]' },
    { type: 'client', query: 'filter[createdAt][gt]=^2024-04-31T00:00:00Z', parameter: 'filter[createdAt][gt]' },
    { type: 'client', query: 'filter[createdAt][lt]=^2024-01-02T24:00:00Z', parameter: 'filter[createdAt][lt]' },
    { type: 'client', query: 'filter[createdAt][gt]=^1704164645', parameter: 'filter[createdAt][gt]' },
    { type: 'client', query: 'filter[createdAt][eq]=^', parameter: 'filter[createdAt][eq]' },
    { type: 'client', query: 'filter[createdAt]=^', parameter: 'filter[createdAt]' },
    { type: 'client', query: 'filter[createdAt][in]=2024-01-02T03:04:05Z,^nope', parameter: 'filter[createdAt][in]', names: 'nope' },
    { type: 'client', query: 'filter[createdAt]=2024-01-02T03:04:05Z,^', parameter: 'filter[createdAt]' },
    { type: 'client', query: 'filter[createdAt][null]=^1', parameter: 'filter[createdAt][null]' },
    // ids
    { type: 'client', query: 'filter[id]=^abc', parameter: 'filter[id]', names: 'abc' },
    { type: 'client', query: `filter[id]=${ID1},^${ID2.toUpperCase()}`, parameter: 'filter[id]' },
    { type: 'client', query: `filter[id][gt]=^${ID1}0`, parameter: 'filter[id][gt]' },
    { type: 'client', query: 'filter[parent.id]=^xyz', parameter: 'filter[parent.id]', names: 'xyz' },
    { type: 'client', query: 'filter[parent]=^abc', parameter: 'filter[parent]', names: 'abc' },
    { type: 'client', query: 'filter[parent]=^', parameter: 'filter[parent]' },
    { type: 'client', query: `filter[parent]=${ID1},^`, parameter: 'filter[parent]' },
    { type: 'client', query: `filter[parent]=^${ID1.toUpperCase()}`, parameter: 'filter[parent]' },
    { type: 'client', query: `filter[parent]=^${ID1.slice(1)}`, parameter: 'filter[parent]' },
    { type: 'client', query: 'filter[parent]=^NULL', parameter: 'filter[parent]' },
    { type: 'client', query: `filter[parent][^contains]=${ID1}`, parameter: 'filter[parent][contains]' },
    { type: 'client', query: `filter[parent][^ne]=${ID1}`, parameter: 'filter[parent][ne]' },
    { type: 'client', query: `filter[parent][^bogus]=${ID1}`, parameter: 'filter[parent][bogus]', names: 'bogus' },
    { type: 'project', query: 'filter[client]=^null', parameter: 'filter[client]' },
    { type: 'legal-entity', query: 'filter[client]=^abc', parameter: 'filter[client]', names: 'abc' },
  ])('When $type is queried with $query, then it is rejected at $parameter', (row) => errorCase(row));
});

describe('parameter names', () => {
  it.each<ErrorRow>([
    { type: 'client', query: '^foo=1', parameter: 'foo' },
    { type: 'client', query: '^foo[bar]=1', parameter: 'foo[bar]' },
    { type: 'client', query: '^includes=children', parameter: 'includes' },
    { type: 'client', query: '^search=acme', parameter: 'search' },
    { type: 'client', query: '^limit=10', parameter: 'limit' },
    { type: 'project', query: 'sort=name&^x=', parameter: 'x' },
    { type: 'client', query: '^foo%5Bbar%5D=1', parameter: 'foo[bar]' },
  ])('When $type is queried with $query (a lowercase name SPEC does not name), then it is rejected at $parameter', (row) => errorCase(row));

  it.each(['_=1700000000000', 'camelCase=1', 'foo-bar=1', 'foo_bar=1', 'Include=bogus', 'SORT=bogus', 'foo1=x', '_sort[x]=bogus', 'x-y[z]=1'])(
    'When clients are queried with %s (an implementation-specific name with a character outside a–z), then it is ignored',
    (query) => {
      const spec = parse('client', `${query}&sort=name`);
      expect(showSort(spec.sort)).toEqual(['name']);
      expect(spec.include).toEqual([]);
      expect(spec.filters).toEqual([]);
      expect(spec.page).toEqual({ mode: 'number', number: 1, size: 20 });
    },
  );

  it.each<ErrorRow>([
    { type: 'client', query: 'sort=name&^sort=name', parameter: 'sort' },
    { type: 'client', query: 'sort=name&^sort=-name', parameter: 'sort' },
    { type: 'client', query: 'include=children&^include=parent', parameter: 'include' },
    { type: 'client', query: 'page[size]=5&^page[size]=5', parameter: 'page[size]' },
    { type: 'client', query: 'page[number]=1&page[size]=5&^page[number]=2', parameter: 'page[number]' },
    { type: 'client', query: 'fields[client]=name&^fields[client]=email', parameter: 'fields[client]' },
    { type: 'client', query: 'filter[name]=a&^filter[name]=b', parameter: 'filter[name]' },
    { type: 'client', query: 'filter[name]=a&^filter%5Bname%5D=b', parameter: 'filter[name]' },
    { type: 'client', query: 'filter[name][eq]=a&^filter[name][eq]=a', parameter: 'filter[name][eq]' },
  ])('When $type is queried with $query (a parameter given twice), then it is rejected at $parameter', (row) => errorCase(row));

  it('When the same attribute is filtered with two different operators, then both filters are kept', () => {
    expect(parse('client', 'filter[name]=a&filter[name][ne]=b').filters.map(showFilter)).toEqual([
      { parameter: 'filter[name]', field: 'name', operator: 'in', values: ['a'] },
      { parameter: 'filter[name][ne]', field: 'name', operator: 'ne', values: ['b'] },
    ]);
  });
});

describe('contexts', () => {
  it.each<ErrorRow>([
    { type: 'client', query: '^sort=name', parameter: 'sort' },
    { type: 'client', query: '^page[size]=10', parameter: 'page[size]' },
    { type: 'client', query: '^page[number]=1', parameter: 'page[number]' },
    { type: 'client', query: '^filter[name]=Acme', parameter: 'filter[name]' },
    { type: 'client', query: `^filter[parent]=${ID1}`, parameter: 'filter[parent]' },
    { type: 'project', query: 'include=client&^filter%5Bclient.name%5D%5Bcontains%5D=a', parameter: 'filter[client.name][contains]' },
  ])('When a single $type is queried with $query, then it is rejected at $parameter (collections only)', (row) => errorCase(row, 'single'));

  it('When a single client is queried with include and fields, then both are parsed', () => {
    const spec = parse('client', 'include=children.projects&fields[client]=name,children&fields[project]=name', 'single');
    expect(showInclude(spec.include)).toBe('children(projects)');
    expect(Object.fromEntries([...spec.fields].map(([t, s]) => [t, [...s]]))).toEqual({ client: ['name', 'children'], project: ['name'] });
  });

  it.each<ErrorRow>([
    { type: 'client', query: '^include=children', parameter: 'include' },
    { type: 'client', query: '^include=', parameter: 'include' },
    { type: 'client', query: '^fields[client]=name', parameter: 'fields[client]' },
    { type: 'project', query: 'sort=name&^fields%5Bproject%5D=name', parameter: 'fields[project]' },
  ])('When the linkage of a $type is queried with $query, then it is rejected at $parameter', (row) => errorCase(row, 'linkage'));

  it('When to-many linkage is queried with sort, filter and page, then they are parsed as for a related collection', () => {
    const spec = parse('client', 'sort=-name&filter[name][contains]=a&page[size]=5&page[number]=2', 'linkage');
    expect(showSort(spec.sort)).toEqual(['-name']);
    expect(spec.filters.map(showFilter)).toEqual([{ parameter: 'filter[name][contains]', field: 'name', operator: 'contains', values: ['a'] }]);
    expect(spec.page).toEqual({ mode: 'number', number: 2, size: 5 });
  });

  it.each<[QueryContext, string, string]>([
    ['single', '^foo=1', 'foo'],
    ['linkage', '^foo=1', 'foo'],
    ['single', 'include=^bogus', 'include'],
  ])('When the context is %s and the query is %s, then it is rejected at %s', (context, query, parameter) => {
    expectInvalidParameter(rejection('client', query, context), parameter);
  });
});
