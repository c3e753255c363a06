import { InvalidQueryParameterError } from '../errors/api-error';
import { PageSpec, QueryLimits } from './ast';

/** A positive whole number, or a 400 naming the parameter. */
export function positiveInt(parameter: string, value: string): number {
  if (!/^[1-9][0-9]*$/.test(value)) throw new InvalidQueryParameterError(parameter, `${parameter} must be a positive whole number.`);
  const n = Number(value);
  if (n > 1e12) throw new InvalidQueryParameterError(parameter, `${parameter} is too large.`);
  return n;
}

/** page[number] and page[size] → a page-number page, defaults and maximum from the limits. */
export function parsePage(params: ReadonlyMap<string, string>, limits: QueryLimits): PageSpec {
  let number = 1;
  let size = limits.defaultPageSize;
  for (const [name, value] of params) {
    switch (name) {
      case 'page[number]':
        number = positiveInt(name, value);
        break;
      case 'page[size]':
        size = positiveInt(name, value);
        if (size > limits.maxPageSize) throw new InvalidQueryParameterError(name, `page[size] must be at most ${limits.maxPageSize}.`);
        break;
      case 'page[after]':
      case 'page[before]':
        throw new InvalidQueryParameterError(name, 'Keyset pagination is not available yet; use page[number] and page[size].');
      default:
        throw new InvalidQueryParameterError(name, `${name} is not a pagination parameter (page[number], page[size]).`);
    }
  }
  return { mode: 'number', number, size };
}
