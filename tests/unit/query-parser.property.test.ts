import fc from 'fast-check';
import { ApiError, InvalidQueryParameterError } from '../../src/errors/api-error';
import { IncludeNode, QueryContext, QueryLimits } from '../../src/query/ast';
import { parseQuery } from '../../src/query/query.parser';
import { registry } from '../../src/resources/registry';

/**
 * Random query strings, from a grammar of plausible and hostile pieces, against every type and
 * every context: parseQuery either returns a query inside the limits or throws a 400
 * invalid_query_parameter that names a parameter the query string actually has.
 */

const LIMITS: QueryLimits = { defaultPageSize: 20, maxPageSize: 100, maxIncludeDepth: 4 };
const TYPES = registry.resources.map((r) => r.type);
const CONTEXTS: QueryContext[] = ['collection', 'single', 'linkage'];
const RUNS = 2500;

const word = fc.constantFrom(
  'children',
  'parent',
  'legalEntities',
  'reportingEntities',
  'projects',
  'client',
  'name',
  'email',
  'slug',
  'createdAt',
  'updatedAt',
  'lastUsedAt',
  'role',
  'country',
  'currency',
  'registrationNumber',
  'id',
  'legal-entity',
  'reporting-entity',
  'project',
  'api-token',
  'bogus',
  'Name',
  'secret',
  'number',
  'size',
  'after',
  'before',
  'descendantOf',
  'eq',
  'ne',
  'in',
  'nin',
  'contains',
  'startsWith',
  'endsWith',
  'gt',
  'gte',
  'lt',
  'lte',
  'null',
  'like',
  '',
);

/** Pieces that stress decoding: brackets raw and encoded, separators, broken escapes, unicode. */
const hostile = fc.constantFrom(
  '[',
  ']',
  '%5B',
  '%5D',
  '%5b',
  '.',
  ',',
  '%2C',
  '-',
  '+',
  '%2B',
  '%20',
  '%',
  '%zz',
  '%E2%82',
  '%C3%A9',
  '%00',
  '%FF',
  '%26',
  '%3D',
  '=',
  '&',
  '#',
  '?',
  '^',
  '*',
  'é',
  'Ⅸ',
  '𝒳',
  '\u0130',
  '\u212a',
  '\uffff',
  '\u0000',
  '\ud800',
  '..',
  '[]',
  '][',
  '[[',
  '%5B%5D',
);

const value = fc.oneof(
  fc.constantFrom(
    '',
    'null',
    'true',
    'false',
    '0',
    '1',
    '20',
    '100',
    '101',
    '-1',
    '1.5',
    '1e2',
    '999999999',
    '1000000000',
    '2024-01-02T03:04:05Z',
    '2024-01-02T03:04:05.123+02:00',
    '2024-02-30T00:00:00Z',
    '2024-01-02',
    '65f0a1b2c3d4e5f6a7b8c9d0',
    '65F0A1B2C3D4E5F6A7B8C9D0',
    'children.children.children.children.children',
    'parent.name',
    '-createdAt',
    '--name',
  ),
  fc.array(fc.oneof(word, hostile, fc.constantFrom('-')), { maxLength: 6 }).map((parts) => parts.join('')),
  fc.array(word, { maxLength: 6 }).chain((ws) => fc.constantFrom(',', '.', '%2C').map((sep) => ws.join(sep))),
  fc.string({ maxLength: 8, unit: 'binary' }),
);

const familyName = fc.constantFrom('include', 'fields', 'sort', 'page', 'filter', 'foo', 'includes', 'Include', '_', 'camelCase', 'x-y', '', 'fil%74er');

const bracket = fc.oneof(
  word.map((w) => `[${w}]`),
  word.map((w) => `%5B${w}%5D`),
  fc.array(word, { minLength: 2, maxLength: 3 }).map((ws) => `[${ws.join('.')}]`),
  hostile,
);

const name = fc.tuple(familyName, fc.array(bracket, { maxLength: 3 })).map(([f, bs]) => f + bs.join(''));

const attrWord = fc.constantFrom('name', 'email', 'slug', 'createdAt', 'updatedAt', 'lastUsedAt', 'role', 'country', 'currency', 'registrationNumber', 'id', 'bogus');
const relWord = fc.constantFrom('children', 'parent', 'legalEntities', 'reportingEntities', 'projects', 'client');
const dotted = (last: fc.Arbitrary<string>) =>
  fc
    .tuple(fc.oneof({ weight: 4, arbitrary: fc.array(relWord, { maxLength: 1 }) }, { weight: 1, arbitrary: fc.array(relWord, { maxLength: 5 }) }), last)
    .map(([rels, l]) => [...rels, l].filter((x) => x !== '').join('.'));
const list = (item: fc.Arbitrary<string>) => fc.array(item, { maxLength: 3 }).map((xs) => xs.join(','));
const number = fc.oneof(fc.integer({ min: -5, max: 120 }).map(String), fc.constantFrom('', '1.0', '007', '1000000000'));
const timestamp = fc
  .date({ min: new Date('1970-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true })
  .chain((d) => fc.constantFrom(d.toISOString(), d.toISOString().replace('.000Z', 'Z'), d.toISOString().replace('Z', '%2B01:00'), d.toISOString().slice(0, 10)));
const filterValue = fc.oneof(value, timestamp, list(fc.oneof(timestamp, fc.constant('65f0a1b2c3d4e5f6a7b8c9d0'), fc.constant('null'))));

/** Well-formed names with plausible (sometimes wrong) contents, so parsing gets past the names. */
const plausible = fc.oneof(
  list(dotted(fc.constant(''))).map((v) => `include=${v}`),
  fc.tuple(fc.constantFrom(...TYPES, 'bogus'), list(fc.oneof(attrWord, relWord))).map(([t, v]) => `fields[${t}]=${v}`),
  list(fc.tuple(fc.constantFrom('', '-'), dotted(attrWord)).map(([d, p]) => d + p)).map((v) => `sort=${v}`),
  fc.tuple(fc.constantFrom('number', 'size'), number).map(([k, v]) => `page[${k}]=${v}`),
  fc.tuple(dotted(fc.oneof(attrWord, relWord)), filterValue).map(([f, v]) => `filter[${f}]=${v}`),
  fc
    .tuple(dotted(attrWord), fc.constantFrom('eq', 'ne', 'in', 'nin', 'contains', 'startsWith', 'endsWith', 'gt', 'gte', 'lt', 'lte', 'null', 'like'), filterValue)
    .map(([f, op, v]) => `filter[${f}][${op}]=${v}`),
);

const pair = fc.oneof(
  { weight: 10, arbitrary: plausible },
  { weight: 6, arbitrary: fc.tuple(name, value).map(([n, v]) => `${n}=${v}`) },
  { weight: 1, arbitrary: name },
  { weight: 1, arbitrary: fc.constant('') },
);

const queryString = fc.oneof(
  fc.array(pair, { maxLength: 5 }).map((pairs) => pairs.join('&')),
  fc.array(plausible, { minLength: 1, maxLength: 2 }).map((pairs) => pairs.join('&')),
);

/** The names in a query string, percent-decoded as a browser encodes them. */
function names(raw: string): Set<string> {
  return new Set([...new URLSearchParams(raw).keys()]);
}

function depth(nodes: readonly IncludeNode[]): number {
  return nodes.reduce((d, n) => Math.max(d, 1 + depth(n.children)), 0);
}

describe('parseQuery on random query strings', () => {
  it('When any generated query is parsed for any type and context, then it either parses inside the limits or throws a 400 invalid_query_parameter naming a parameter that was sent', () => {
    fc.assert(
      fc.property(queryString, fc.constantFrom(...TYPES), fc.constantFrom(...CONTEXTS), (raw, type, context) => {
        const def = registry.get(type);
        let spec;
        try {
          spec = parseQuery(registry, def, raw, context, LIMITS);
        } catch (e) {
          expect(e).toBeInstanceOf(ApiError);
          expect(e).toBeInstanceOf(InvalidQueryParameterError);
          const err = e as ApiError;
          expect(err.status).toBe(400);
          expect(err.code).toBe('invalid_query_parameter');
          expect(typeof err.source?.parameter).toBe('string');
          expect(names(raw)).toContain(err.source?.parameter);
          return;
        }
        expect(spec.type).toBe(def);
        expect(spec.page.mode).toBe('number');
        if (spec.page.mode === 'number') {
          expect(Number.isInteger(spec.page.number) && spec.page.number >= 1).toBe(true);
          expect(Number.isInteger(spec.page.size) && spec.page.size >= 1 && spec.page.size <= LIMITS.maxPageSize).toBe(true);
        }
        expect(depth(spec.include)).toBeLessThanOrEqual(LIMITS.maxIncludeDepth);
        for (const t of spec.fields.keys()) expect(registry.find(t)).toBeDefined();
        if (context === 'single') {
          expect(spec.sort).toEqual([]);
          expect(spec.filters).toEqual([]);
          expect(spec.page).toEqual({ mode: 'number', number: 1, size: LIMITS.defaultPageSize });
        }
        if (context === 'linkage') {
          expect(spec.include).toEqual([]);
          expect(spec.fields.size).toBe(0);
        }
        for (const f of spec.filters) expect(names(raw)).toContain(f.parameter);
      }),
      { numRuns: RUNS },
    );
  });

  it('When implementation-specific parameters (_, camelCase) are added to any query, then the outcome is the same as without them', () => {
    const outcome = (raw: string, type: string, context: QueryContext): unknown => {
      try {
        const spec = parseQuery(registry, registry.get(type), raw, context, LIMITS);
        return { ok: spec };
      } catch (e) {
        return { parameter: (e as ApiError).source?.parameter, status: (e as ApiError).status };
      }
    };
    fc.assert(
      fc.property(queryString, fc.constantFrom(...TYPES), fc.constantFrom(...CONTEXTS), (raw, type, context) => {
        const extra = '_zq=1700000000000&cacheBuster9=x%5B';
        fc.pre(!names(raw).has('_zq') && !names(raw).has('cacheBuster9'));
        expect(outcome(`${extra}&${raw}`, type, context)).toEqual(outcome(raw, type, context));
      }),
      { numRuns: 1000 },
    );
  });

  it('When a generated query parses, then every filter, sort key and include node holds objects from the registry', () => {
    const allAttributes = new Set(registry.resources.flatMap((r) => r.attributes));
    const allRelationships = new Set(registry.resources.flatMap((r) => r.relationships));
    const walk = (nodes: readonly IncludeNode[]): void => {
      for (const n of nodes) {
        expect(allRelationships.has(n.relationship)).toBe(true);
        walk(n.children);
      }
    };
    fc.assert(
      fc.property(queryString, fc.constantFrom(...TYPES), (raw, type) => {
        let spec;
        try {
          spec = parseQuery(registry, registry.get(type), raw, 'collection', LIMITS);
        } catch {
          return;
        }
        walk(spec.include);
        for (const k of spec.sort) {
          for (const p of k.path) expect(allRelationships.has(p)).toBe(true);
          expect(allAttributes.has(k.attribute) || k.attribute.name === 'id').toBe(true);
        }
        for (const f of spec.filters) {
          if (f.kind === 'relationship') expect(allRelationships.has(f.relationship)).toBe(true);
          else if (f.kind === 'hierarchy') expect(['descendantOf', 'ancestorOf']).toContain(f.relation);
          else expect(allAttributes.has(f.attribute) || f.attribute.name === 'id').toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
  });
});
