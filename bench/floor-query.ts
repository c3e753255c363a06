import { isObjectId } from '../src/data/object-id';
import { ApiError, InvalidQueryParameterError } from '../src/errors/api-error';
import { cursorBinding, CursorPosition, decodeCursor } from '../src/query/cursor';

/**
 * The floor's query strings (bench/floor.ts): only what the bench's scenarios send, parsed by
 * hand. Anything else is refused with a 400 that says the floor does not support it, so a
 * scenario the floor cannot answer shows up as a status difference, never as a wrong document.
 */

/** The client type's relationships, in the order the service declares (and renders) them. */
export const CLIENT_RELATIONSHIPS = ['parent', 'children', 'legalEntities', 'reportingEntities', 'projects'] as const;
export type ClientRelationship = (typeof CLIENT_RELATIONSHIPS)[number];

/** What a request may see: everything (admin) or one client's subtree (client token). */
export type FloorScope = { readonly kind: 'all' } | { readonly kind: 'subtree'; readonly rootId: string };

/** The scope as the service binds it into cursors ('all' or the subtree's root). */
export const scopeKey = (scope: FloorScope): string => (scope.kind === 'all' ? 'all' : scope.rootId);

export type FloorPage =
  | { readonly mode: 'number'; readonly number: number; readonly size: number }
  | { readonly mode: 'keyset'; readonly size: number; readonly direction: 'after' | 'before'; readonly position: CursorPosition | null; readonly binding: string };

export interface FloorQuery {
  /** include=…, one level deep, without duplicates. */
  readonly include: ReadonlySet<ClientRelationship>;
  /** sort=name or sort=-name; undefined: by id. */
  readonly sort?: { readonly descending: boolean };
  readonly contains?: string;
  readonly descendantOf?: string;
  readonly page: FloorPage;
}

export interface Limits {
  readonly defaultPageSize: number;
  readonly maxPageSize: number;
}

/** A 400 for what the service would take but the floor does not implement. */
export class NotInFloorError extends ApiError {
  readonly status = 400;
  readonly code = 'invalid_query_parameter';
  readonly title = 'Not supported by the bench floor';
  constructor(parameter: string) {
    super(`The bench floor does not answer ${parameter}: it implements only the bench's scenarios.`, { parameter });
  }
}

function positiveInt(parameter: string, value: string): number {
  if (!/^[1-9][0-9]*$/.test(value) || Number(value) > 1e12) throw new InvalidQueryParameterError(parameter, `${parameter} must be a positive whole number.`);
  return Number(value);
}

/** The parameter pairs of a raw query, percent-decoded as the service decodes them. */
export function splitQuery(raw: string): [string, string][] {
  return [...new URLSearchParams(raw)];
}

/** Minimal stand-ins for the service's sort keys and filters: cursorBinding reads only these members. */
type BindingSort = Parameters<typeof cursorBinding>[1];
type BindingFilters = Parameters<typeof cursorBinding>[2];

/**
 * Parses a query for a collection (`single`: one resource, include only). The names the service
 * reserves (all lowercase) and does not know are refused; other names are ignored, as there.
 */
export function parseFloorQuery(raw: string, single: boolean, scope: FloorScope, limits: Limits, cursorSecret: string): FloorQuery {
  const include = new Set<ClientRelationship>();
  let sort: FloorQuery['sort'];
  let contains: { parameter: string; value: string } | undefined;
  let descendantOf: { parameter: string; id: string } | undefined;
  let number: number | undefined;
  let size = limits.defaultPageSize;
  let keyset: { direction: 'after' | 'before'; cursor: string; parameter: string } | undefined;
  const seen = new Set<string>();
  for (const [name, value] of splitQuery(raw)) {
    if (seen.has(name)) throw new InvalidQueryParameterError(name, `${name} is given more than once.`);
    seen.add(name);
    const bracket = name.indexOf('[');
    const family = bracket === -1 ? name : name.slice(0, bracket);
    if (single && (family === 'sort' || family === 'page' || family === 'filter')) throw new InvalidQueryParameterError(name, `${family} applies to collections only.`);
    if (name === 'include') {
      if (value === '') continue;
      for (const path of value.split(',')) {
        if (!(CLIENT_RELATIONSHIPS as readonly string[]).includes(path)) throw new NotInFloorError(`include=${path}`);
        include.add(path as ClientRelationship);
      }
    } else if (name === 'sort') {
      if (value !== 'name' && value !== '-name') throw new NotInFloorError(`sort=${value}`);
      sort = { descending: value === '-name' };
    } else if (name === 'filter[name][contains]') {
      if (value.includes('\u0000')) throw new InvalidQueryParameterError(name, 'Filter values must not contain NUL characters.');
      contains = { parameter: name, value };
    } else if (name === 'filter[descendantOf]') {
      if (!isObjectId(value)) throw new InvalidQueryParameterError(name, `"${value}" is not a 24-hex id.`);
      descendantOf = { parameter: name, id: value };
    } else if (name === 'page[size]') {
      size = positiveInt(name, value);
      if (size > limits.maxPageSize) throw new InvalidQueryParameterError(name, `page[size] must be at most ${limits.maxPageSize}.`);
    } else if (name === 'page[number]') {
      number = positiveInt(name, value);
    } else if (name === 'page[after]' || name === 'page[before]') {
      if (keyset) throw new InvalidQueryParameterError(name, 'page[after] and page[before] cannot be used together.');
      keyset = { direction: name === 'page[after]' ? 'after' : 'before', cursor: value, parameter: name };
    } else if (['include', 'fields', 'sort', 'page', 'filter'].includes(family) || /^[a-z]+$/.test(family)) {
      throw new NotInFloorError(name);
    }
  }
  const query = { include, sort, contains: contains?.value, descendantOf: descendantOf?.id };
  if (!keyset) return { ...query, page: { mode: 'number', number: number ?? 1, size } };
  if (number !== undefined) throw new InvalidQueryParameterError('page[number]', 'page[number] cannot be combined with a keyset cursor.');
  const sortKeys = (sort ? [{ path: [], attribute: { name: 'name' }, descending: sort.descending }] : []) as unknown as BindingSort;
  const filters = [
    ...(contains ? [{ kind: 'attribute', parameter: contains.parameter, values: [contains.value] }] : []),
    ...(descendantOf ? [{ kind: 'hierarchy', parameter: descendantOf.parameter, id: descendantOf.id }] : []),
  ] as unknown as BindingFilters;
  const binding = cursorBinding('client', sortKeys, filters, scopeKey(scope));
  const position = keyset.cursor === '' ? null : decodeCursor(cursorSecret, binding, keyset.cursor, keyset.parameter, sort ? 1 : 0);
  return { ...query, page: { mode: 'keyset', size, direction: keyset.direction, position, binding } };
}
