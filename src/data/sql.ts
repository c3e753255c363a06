/**
 * Small helpers to compose SQL with bound parameters. Identifiers come only from the
 * registry (constants), values only through `Params`. Fragments may be composed in any order:
 * each value gets a named token, and `bind` turns tokens into the driver's positional
 * placeholders in the order they appear in the final text.
 */
export type DialectName = 'sqlite' | 'postgres';

export class Params {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `:__p${this.values.length - 1}`;
  }
}

export function q(identifier: string): string {
  return `"${identifier}"`;
}

export function col(alias: string, column: string): string {
  return `${alias}.${q(column)}`;
}

export interface Dialect {
  readonly name: DialectName;
  /** Unicode case folding of a text expression, matching resources/values.ts casefold(). */
  casefold(expr: string): string;
  /** An expression compared by code point (C collation). */
  binary(expr: string): string;
  /** Whether the select list is computed for rows an OFFSET skips (PostgreSQL does; SQLite only for the rows it returns). */
  readonly projectsSkippedRows: boolean;
  /** The driver's positional placeholder number n (1-based). */
  placeholder(n: number): string;
  /**
   * A predicate using a trigram index to narrow rows whose folded column contains `folded`,
   * or undefined when the index cannot help (fewer than 3 characters, or the database's
   * index works on LIKE directly).
   */
  substringPrefilter(alias: string, index: string, folded: string, params: Params): string | undefined;
  /**
   * `expr` is one of `values` (`negated`: none of them), the values bound as ONE array
   * parameter: the statement text is the same however many values a request carries, so no
   * request can reach the database's bind-variable limit, and the text can be prepared once.
   */
  inArray(expr: string, values: readonly string[], params: Params, negated?: boolean): string;
  /** The `id` column of `subquery`'s rows, in id order, as one value (readIdList reads it back). */
  idList(subquery: string): string;
  /** One JSON object of `[key, expression, whether the expression is an idList]` (a row of any type, for a UNION ALL). */
  jsonObject(members: readonly (readonly [string, string, boolean])[]): string;
  /**
   * The clause that locks the rows of `alias` a SELECT returns until the transaction ends, so a
   * concurrent write of one of them waits, then reads what this one committed. PostgreSQL: FOR
   * NO KEY UPDATE for a row about to be changed (rows referencing it may still be inserted
   * meanwhile: their foreign key checks take a KEY SHARE lock, which it lets through), FOR
   * UPDATE for a row about to be deleted (those checks wait for it). SQLite: none, and none is
   * needed: BEGIN IMMEDIATE already excludes every other writer.
   */
  lockRows(alias: string, intent: 'update' | 'delete'): string;
}

/** Keys of a JSON object are registry names and column names: plain, quoted as SQL string literals. */
const key = (k: string): string => `'${k.replace(/'/g, "''")}'`;

/** An idList value as the driver returns it: JSON text (SQLite), an array (PostgreSQL, or inside a JSON object). */
export function readIdList(value: unknown): string[] {
  if (typeof value === 'string') return JSON.parse(value) as string[];
  return Array.isArray(value) ? (value as string[]) : [];
}

export const sqliteDialect: Dialect = {
  name: 'sqlite',
  casefold: (expr) => `casefold(${expr})`,
  binary: (expr) => expr,
  projectsSkippedRows: false,
  placeholder: () => '?',
  substringPrefilter: (alias, index, folded, params) =>
    // FTS5 strings cannot hold control characters (a NUL ends them): such needles scan instead.
    // eslint-disable-next-line no-control-regex -- control characters are what this looks for
    [...folded].length < 3 || /[\u0000-\u001f]/.test(folded) ? undefined : `${alias}.rowid IN (SELECT rowid FROM ${q(index)} WHERE ${q(index)} MATCH ${params.add(`"${folded.replace(/"/g, '""')}"`)})`,
  // A JSON array read back by json_each: one parameter, any length.
  inArray: (expr, values, params, negated) => `${expr} ${negated ? 'NOT IN' : 'IN'} (SELECT value FROM json_each(${params.add(JSON.stringify(values))}))`,
  idList: (subquery) => `(SELECT json_group_array(l.id ORDER BY l.id) FROM (${subquery}) l)`,
  // A subquery's result is text to json_object: json() keeps an id list an array.
  jsonObject: (members) => `json_object(${members.map(([k, expr, list]) => `${key(k)}, ${list ? `json(${expr})` : expr}`).join(', ')})`,
  lockRows: () => '',
};

export const postgresDialect: Dialect = {
  name: 'postgres',
  // ICU's full case mapping is JavaScript's (ß → ss, ﬁ → fi, İ → i̇, final sigma), unlike libc's.
  casefold: (expr) => `lower(upper(${expr} COLLATE "und-x-icu"))`,
  binary: (expr) => `${expr} COLLATE "C"`,
  projectsSkippedRows: true,
  placeholder: (n) => `$${n}`,
  substringPrefilter: () => undefined,
  // node-postgres sends a JavaScript array as one array parameter.
  inArray: (expr, values, params, negated) => (negated ? `${expr} <> ALL(${params.add(values)})` : `${expr} = ANY(${params.add(values)})`),
  idList: (subquery) => `ARRAY(${subquery})`,
  jsonObject: (members) => `json_build_object(${members.map(([k, expr]) => `${key(k)}, ${expr}`).join(', ')})`,
  lockRows: (alias, intent) => ` FOR ${intent === 'delete' ? 'UPDATE' : 'NO KEY UPDATE'} OF ${alias}`,
};

/** Escapes LIKE wildcards so that `%` and `_` match themselves (used with ESCAPE '\'). */
export function likeLiteral(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** A statement text with its value tokens replaced: the positional text and which token fills each place. */
interface Bound {
  readonly sql: string;
  readonly order: readonly number[];
}

/** The rewrite of each statement text, made once (texts repeat: values are always bound). */
const rewrites = { sqlite: new Map<string, Bound>(), postgres: new Map<string, Bound>() };
const REWRITES_KEPT = 1000;

function rewrite(sql: string, dialect: Dialect): Bound {
  const cache = rewrites[dialect.name];
  let bound = cache.get(sql);
  if (bound) return bound;
  const order: number[] = [];
  const text = sql.replace(/:__p(\d+)/g, (_, i: string) => {
    order.push(Number(i));
    return dialect.placeholder(order.length);
  });
  bound = { sql: text, order };
  cache.set(sql, bound);
  if (cache.size > REWRITES_KEPT) cache.delete(cache.keys().next().value!);
  return bound;
}

/** Replaces value tokens by positional placeholders, returning the values in text order. */
export function bind(sql: string, params: Params | undefined, dialect: Dialect): { sql: string; values: unknown[] } {
  if (!params) return { sql, values: [] };
  const bound = rewrite(sql, dialect);
  const values = bound.order.map((i) => params.values[i]);
  return { sql: bound.sql, values };
}
