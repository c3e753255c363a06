import { Config } from '../../config/config';
import { InvalidQueryParameterError } from '../../errors/api-error';
import { FilterNode } from '../../query/ast';
import { flatPageBounds, FlatMapping } from './flat.mapping';

/**
 * The query string of the flat surface: the list's parameters, as the mapping declares them
 * (filters and page bounds), and none anywhere else.
 */

export interface FlatListQuery {
  readonly filters: FilterNode[];
  readonly limit: number;
  readonly offset: number;
}

function wholeNumber(name: string, value: string, min: number, max: number): number {
  if (!/^\d{1,9}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new InvalidQueryParameterError(name, `${name} must be a whole number from ${min} to ${max}.`);
  }
  return Number(value);
}

export function parseFlatListQuery(mapping: FlatMapping, raw: string, limits: Config['limits']): FlatListQuery {
  const bounds = flatPageBounds(limits);
  const filters: FilterNode[] = [];
  let limit = bounds.limit.default;
  let offset = bounds.offset.default;
  const seen = new Set<string>();
  for (const [name, value] of new URLSearchParams(raw)) {
    if (seen.has(name)) throw new InvalidQueryParameterError(name, `${name} is given more than once.`);
    seen.add(name);
    if (value.includes('\u0000')) throw new InvalidQueryParameterError(name, `${name} must not contain NUL characters.`);
    const p = mapping.parameters.find((x) => x.name === name);
    if (!p) {
      throw new InvalidQueryParameterError(name, `${name} is not a parameter of ${mapping.path} (${mapping.parameters.map((x) => x.name).join(', ')}).`);
    }
    if ('filter' in p) {
      filters.push({ kind: 'attribute', parameter: name, path: [], attribute: p.filter.attribute, operator: p.filter.operator, values: [value] });
    } else if (p.name === 'limit') {
      limit = wholeNumber(name, value, bounds.limit.min, bounds.limit.max);
    } else {
      offset = wholeNumber(name, value, bounds.offset.min, bounds.offset.max);
    }
  }
  return { filters, limit, offset };
}

/** An endpoint of the flat surface that takes no query parameter: any is a 400 that names it. */
export function rejectFlatQuery(raw: string): void {
  for (const [name] of new URLSearchParams(raw)) throw new InvalidQueryParameterError(name, `${name} is not a parameter of this endpoint.`);
}
