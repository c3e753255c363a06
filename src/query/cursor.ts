import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidQueryParameterError } from '../errors/api-error';
import { FilterNode, SortKey } from './ast';

/**
 * Keyset cursors: the sort-key values and id of a boundary row, signed with HMAC-SHA256 over
 * the query they belong to (type, sort and filters). Opaque to clients; a forged cursor, or one
 * used with another sort or other filters, is refused (400). Pure: the secret is passed in.
 */
export interface CursorPosition {
  /** Values of the sort keys at the boundary row (null for NULL), in sort order. */
  readonly values: (string | null)[];
  readonly id: string;
}

const ID = /^[0-9a-f]{24}$/;

export function cursorBinding(type: string, sort: readonly SortKey[], filters: readonly FilterNode[], scopeKey = ''): string {
  const sortPart = sort.map((k) => `${k.descending ? '-' : ''}${[...k.path.map((p) => p.name), k.attribute.name].join('.')}`).join(',');
  const filterPart = filters
    .map((f) => `${f.parameter}=${JSON.stringify(f.kind === 'relationship' ? f.ids : f.kind === 'hierarchy' ? f.id : f.values)}`)
    .sort()
    .join('&');
  return `${type}|${sortPart}|${filterPart}|${scopeKey}`;
}

function sign(secret: string, binding: string, payload: string): string {
  return createHmac('sha256', secret).update(binding).update('\n').update(payload).digest().subarray(0, 16).toString('base64url');
}

export function encodeCursor(secret: string, binding: string, position: CursorPosition): string {
  const payload = Buffer.from(JSON.stringify([position.values, position.id])).toString('base64url');
  return `${payload}.${sign(secret, binding, payload)}`;
}

export function decodeCursor(secret: string, binding: string, cursor: string, parameter: string, keyCount: number): CursorPosition {
  const bad = (why: string) => new InvalidQueryParameterError(parameter, `This cursor is not valid here: ${why}. Follow the links of a response to page.`);
  const dot = cursor.indexOf('.');
  if (dot <= 0) throw bad('it is malformed');
  const payload = cursor.slice(0, dot);
  // Compare the signature as text: base64url decoding would ignore padding and stray characters.
  const given = Buffer.from(cursor.slice(dot + 1), 'utf8');
  const expected = Buffer.from(sign(secret, binding, payload), 'utf8');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw bad('it was not made by this service for this sort and these filters');
  }
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw bad('it is malformed');
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) throw bad('it is malformed');
  const [values, id] = decoded as [unknown, unknown];
  if (!Array.isArray(values) || values.length !== keyCount || values.some((v) => v !== null && typeof v !== 'string')) throw bad('it is malformed');
  if (typeof id !== 'string' || !ID.test(id)) throw bad('it is malformed');
  return { values: values as (string | null)[], id };
}
