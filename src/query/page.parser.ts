import { InvalidQueryParameterError } from '../errors/api-error';
import { PageSpec, QueryLimits } from './ast';

/** A positive whole number, or a 400 naming the parameter. */
export function positiveInt(parameter: string, value: string): number {
  if (!/^[1-9][0-9]*$/.test(value)) throw new InvalidQueryParameterError(parameter, `${parameter} must be a positive whole number.`);
  const n = Number(value);
  if (n > 1e12) throw new InvalidQueryParameterError(parameter, `${parameter} is too large.`);
  return n;
}

/** The page parameters before cursors are checked (that needs the sort and filters). */
export type RawPage =
  | { readonly mode: 'number'; readonly number: number; readonly size: number }
  | { readonly mode: 'keyset'; readonly size: number; readonly direction: 'after' | 'before'; readonly cursor: string; readonly parameter: string };

/**
 * page[number]/page[size] (page-number mode, the default) or page[after]/page[before] with
 * page[size] (keyset mode; an empty value starts at the first or last page).
 */
export function parsePage(params: ReadonlyMap<string, string>, limits: QueryLimits): RawPage {
  let number: number | undefined;
  let size = limits.defaultPageSize;
  let keyset: { direction: 'after' | 'before'; cursor: string; parameter: string } | undefined;
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
        if (keyset) throw new InvalidQueryParameterError(name, 'page[after] and page[before] cannot be used together.');
        keyset = { direction: name === 'page[after]' ? 'after' : 'before', cursor: value, parameter: name };
        break;
      default:
        throw new InvalidQueryParameterError(name, `${name} is not a pagination parameter (page[number], page[size], page[after], page[before]).`);
    }
  }
  if (keyset) {
    if (number !== undefined) throw new InvalidQueryParameterError('page[number]', 'page[number] cannot be combined with a keyset cursor.');
    return { mode: 'keyset', size, ...keyset };
  }
  return { mode: 'number', number: number ?? 1, size };
}

/** Only for the type checker: a finished page is a PageSpec. */
export type { PageSpec };
