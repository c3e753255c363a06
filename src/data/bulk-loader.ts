import { attribute, relationship } from '../resources/registry';
import { ResourceDef, VERSION_COLUMN } from '../resources/types';
import { storedColumns } from './columns';
import { Database, Executor } from './database';
import { newObjectId, nowIso } from './object-id';
import { Params, q } from './sql';

/**
 * Bulk inserts through the data layer, for loading large data sets (the bench) without going
 * over HTTP. Rows are described like API input (attribute values by wire name, to-one
 * relationships by name) and stored through `storedColumns`, so folded copies (name_key,
 * email_key) are written exactly as the operations write them, and attribute parsers run on
 * every value. Nothing else is checked: uniqueness and foreign keys are left to the database
 * (a parent must be inserted before its children), and no hierarchy cycle check is made.
 *
 * Rows are sent as multi-row INSERT statements holding at most MAX_VARIABLES bound values
 * (SQLite's limit, well under PostgreSQL's 65,535), inside the caller's transaction.
 * Triggers stay in place (the FTS5 name index kept in step row by row): bench/README.md, "Bulk load".
 */

/** SQLite's SQLITE_MAX_VARIABLE_NUMBER since 3.32. */
export const MAX_VARIABLES = 32766;

export interface BulkRow {
  /** The row's id; a new ObjectId when absent. Give one when later rows must point at this row. */
  readonly id?: string;
  /** Attribute values by wire name (`name`, `email`, ...). */
  readonly attributes: Readonly<Record<string, unknown>>;
  /** To-one relationships by name (`parent`, `client`): the target's id, or null. */
  readonly relationships?: Readonly<Record<string, string | null>>;
}

export interface BulkInsertOptions {
  /** createdAt and updatedAt of every row; now by default. */
  readonly now?: string;
  /** Run each attribute's parser on its value (default true): the data obeys the API's rules. */
  readonly validate?: boolean;
}

/** The columns of one row of `def`, derived from the registry. */
export function rowColumns(def: ResourceDef, row: BulkRow, now: string, validate = true): Record<string, unknown> {
  const attributes: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(row.attributes)) {
    const attr = attribute(def, name);
    if (!attr) throw new Error(`${def.type} has no attribute ${name}`);
    if (attr.kind === 'timestamp') throw new Error(`${def.type}.${name} is set by the loader`);
    attributes[name] = validate && attr.parse && value !== undefined ? attr.parse(value) : value;
  }
  for (const attr of def.attributes) {
    if (attr.required && attributes[attr.name] === undefined) throw new Error(`${def.type}.${attr.name} is required`);
    if (attr.kind === 'timestamp' && !attr.nullable) attributes[attr.name] = now;
  }
  const columns: Record<string, unknown> = { id: row.id ?? newObjectId(), ...storedColumns(def, attributes), [VERSION_COLUMN]: 1 };
  for (const [name, target] of Object.entries(row.relationships ?? {})) {
    const rel = relationship(def, name);
    if (!rel || rel.kind !== 'to-one') throw new Error(`${def.type} has no to-one relationship ${name}`);
    if (target === null && !rel.nullable) throw new Error(`${def.type}.${name} must not be null`);
    columns[rel.column] = target;
  }
  for (const rel of def.relationships) {
    if (rel.kind === 'to-one' && rel.required && columns[rel.column] === undefined) throw new Error(`${def.type}.${rel.name} is required`);
  }
  return columns;
}

/**
 * Inserts `rows` of `def` with the executor of a write transaction, in as few statements as
 * the variable limit allows. Returns the ids in the order of `rows`.
 */
export async function insertRows(ex: Executor, def: ResourceDef, rows: readonly BulkRow[], options: BulkInsertOptions = {}): Promise<string[]> {
  const now = options.now ?? nowIso();
  const prepared = rows.map((row) => rowColumns(def, row, now, options.validate ?? true));
  const names = new Set<string>();
  for (const columns of prepared) for (const name of Object.keys(columns)) names.add(name);
  const columnList = [...names];
  const perStatement = Math.max(1, Math.floor(MAX_VARIABLES / columnList.length));
  const head = `INSERT INTO ${q(def.table)} (${columnList.map(q).join(', ')}) VALUES `;
  for (let start = 0; start < prepared.length; start += perStatement) {
    const params = new Params();
    const tuples = prepared.slice(start, start + perStatement).map((columns) => `(${columnList.map((c) => params.add(columns[c] ?? null)).join(', ')})`);
    await ex.query(head + tuples.join(', '), params);
  }
  return prepared.map((columns) => columns.id as string);
}

/** One write transaction inserting several groups of rows, in order (parents before children). */
export async function bulkInsert(db: Database, groups: readonly { def: ResourceDef; rows: readonly BulkRow[] }[], options: BulkInsertOptions = {}): Promise<string[][]> {
  return db.write(async (ex) => {
    const ids: string[][] = [];
    for (const group of groups) ids.push(await insertRows(ex, group.def, group.rows, options));
    return ids;
  });
}
