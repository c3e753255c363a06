import { InvalidQueryParameterError } from '../errors/api-error';
import { Registry } from '../resources/registry';
import { ResourceDef } from '../resources/types';
import { FilterNode, IncludeNode, QueryContext, QueryLimits, QuerySpec, SortKey } from './ast';
import { parseFieldset } from './fields.parser';
import { parseFilter } from './filter.parser';
import { parseInclude } from './include.parser';
import { cursorBinding, decodeCursor } from './cursor';
import { parsePage } from './page.parser';
import { parseSort } from './sort.parser';

/**
 * Splits a raw query string into [name, value] pairs, percent-decoded as browsers encode
 * them ('+' is a space). Kept in order; names exactly as sent.
 */
export function splitQuery(raw: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const [name, value] of new URLSearchParams(raw)) pairs.push([name, value]);
  return pairs;
}

const FAMILIES = new Set(['include', 'fields', 'sort', 'page', 'filter']);

function family(name: string): string {
  const bracket = name.indexOf('[');
  return bracket === -1 ? name : name.slice(0, bracket);
}

/**
 * The parameters of JSON:API's families (include, fields, sort, page, filter) in a raw query,
 * each with its family. A name given twice, or a reserved one (all lowercase) outside the
 * families, is a 400; implementation-specific names are ignored.
 */
function* familyParameters(raw: string): Generator<[string, string, string]> {
  const seen = new Set<string>();
  for (const [name, value] of splitQuery(raw)) {
    if (seen.has(name)) throw new InvalidQueryParameterError(name, `${name} is given more than once.`);
    seen.add(name);
    const fam = family(name);
    if (FAMILIES.has(fam)) yield [name, value, fam];
    else if (/^[a-z]+$/.test(fam)) throw new InvalidQueryParameterError(name, `${name} is not a supported query parameter.`);
  }
}

/** An endpoint that takes no query parameters (atomic operations): any of JSON:API's is a 400 that names it. */
export function parseNoQuery(raw: string, endpoint: string): void {
  for (const [name, , fam] of familyParameters(raw)) throw new InvalidQueryParameterError(name, `${fam} does not apply to ${endpoint}.`);
}

/**
 * Parses the JSON:API query parameters of one request into a QuerySpec, validated against the
 * registry. Pure: no express, no database. Every rejection names its parameter.
 */
export function parseQuery(registry: Registry, def: ResourceDef, raw: string, context: QueryContext, limits: QueryLimits, scopeKey = ''): QuerySpec {
  let include: IncludeNode[] = [];
  let sort: SortKey[] = [];
  const fields = new Map<string, Set<string>>();
  const filters: FilterNode[] = [];
  const page = new Map<string, string>();

  for (const [name, value, fam] of familyParameters(raw)) {
    if (context === 'single' && (fam === 'sort' || fam === 'page' || fam === 'filter')) {
      throw new InvalidQueryParameterError(name, `${fam} applies to collections only.`);
    }
    if (context === 'linkage' && (fam === 'include' || fam === 'fields')) {
      throw new InvalidQueryParameterError(name, `${fam} does not apply to relationship linkage.`);
    }
    switch (fam) {
      case 'include':
        if (name !== 'include') throw new InvalidQueryParameterError(name, 'include takes no brackets.');
        include = parseInclude(registry, def, value, limits.maxIncludeDepth, name);
        break;
      case 'sort':
        if (name !== 'sort') throw new InvalidQueryParameterError(name, 'sort takes no brackets.');
        sort = parseSort(registry, def, value, name, limits.maxIncludeDepth, limits.maxSortFields ?? 10);
        break;
      case 'fields': {
        const m = /^fields\[([^[\]]+)\]$/.exec(name);
        if (!m) throw new InvalidQueryParameterError(name, 'Sparse fieldsets have the form fields[type].');
        fields.set(m[1], parseFieldset(registry, m[1], value, name));
        break;
      }
      case 'page':
        page.set(name, value);
        break;
      case 'filter':
        if (filters.length >= (limits.maxFilters ?? 20)) {
          throw new InvalidQueryParameterError(name, `At most ${limits.maxFilters ?? 20} filters may be given in one request.`);
        }
        filters.push(parseFilter(registry, def, name, value, limits.maxIncludeDepth, limits.maxFilterValues ?? 100));
        break;
    }
  }
  const raw_page = parsePage(page, limits);
  if (raw_page.mode === 'number') return { type: def, include, fields, sort, filters, page: raw_page };
  if (!limits.cursorSecret) throw new InvalidQueryParameterError(raw_page.parameter, 'Keyset pagination is not available here.');
  const binding = cursorBinding(def.type, sort, filters, scopeKey);
  const position = raw_page.cursor === '' ? null : decodeCursor(limits.cursorSecret, binding, raw_page.cursor, raw_page.parameter, sort.length);
  return { type: def, include, fields, sort, filters, page: { mode: 'keyset', size: raw_page.size, direction: raw_page.direction, position, binding } };
}
