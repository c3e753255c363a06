import { Registry } from '../resources/registry';
import { AttributeDef, ID_COLUMN, ResourceDef, ToOneDef, VERSION_COLUMN } from '../resources/types';
import { casefold } from '../resources/values';
import { DialectName, q } from './sql';

/**
 * What must hold in the database whatever was written to it, derived from the resource
 * registry: every to-one names an existing row (and is never NULL where the declaration says
 * so), no hierarchy has a cycle, unique attributes are unique (on their folded column when
 * they have one), folded columns hold the case folding of their value, versions and timestamps
 * are well-formed, every row passes its declaration's own cross-member validation, and the
 * database's own checks pass (SQLite: integrity_check, foreign_key_check, the substring
 * indexes; both: the foreign key constraints exist).
 *
 * The crash test and the soak both check a database after a run with it, each through its own
 * connection: `read` runs one statement (no parameters) and returns its rows, [] for a
 * statement that returns none.
 */
export type ReadRows = (sql: string) => Promise<Record<string, unknown>[]>;

export interface InvariantResult {
  readonly name: string;
  /** Empty when the invariant holds; at most SAMPLE lines otherwise, then a count of the rest. */
  readonly problems: readonly string[];
  /** What was checked, for a report when it holds. */
  readonly checked: string;
}

const SAMPLE = 20;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function result(name: string, problems: readonly string[], checked: string): InvariantResult {
  const shown = problems.length > SAMPLE ? [...problems.slice(0, SAMPLE), `… and ${problems.length - SAMPLE} more`] : problems;
  return { name, problems: shown, checked };
}

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function toOnes(def: ResourceDef): ToOneDef[] {
  return def.relationships.filter((r): r is ToOneDef => r.kind === 'to-one');
}

/** Every invariant of every registry type, in a stable order. */
export async function checkInvariants(read: ReadRows, dialect: DialectName, registry: Registry): Promise<InvariantResult[]> {
  const out: InvariantResult[] = [];
  for (const def of registry.resources) {
    for (const rel of toOnes(def)) out.push(await references(read, registry, def, rel));
    if (def.hierarchy) out.push(await cycles(read, def));
    for (const attr of def.attributes) {
      if (attr.unique) out.push(await unique(read, def, attr));
      if (attr.foldedColumn) out.push(await folded(read, def, attr));
    }
    out.push(await rows(read, def));
    if (def.validate) out.push(await validated(read, def));
  }
  out.push(...(dialect === 'sqlite' ? await sqliteChecks(read, registry) : await postgresChecks(read, registry)));
  return out;
}

/** Every problem of every invariant as one line each, prefixed with the invariant's name. */
export function problemLines(results: readonly InvariantResult[]): string[] {
  return results.flatMap((r) => r.problems.map((p) => `${r.name}: ${p}`));
}

async function references(read: ReadRows, registry: Registry, def: ResourceDef, rel: ToOneDef): Promise<InvariantResult> {
  const target = registry.get(rel.target);
  const c = q(rel.column);
  const missing = `(s.${c} IS NOT NULL AND t.${q(ID_COLUMN)} IS NULL)${rel.nullable ? '' : ` OR s.${c} IS NULL`}`;
  const bad = await read(`SELECT s.${q(ID_COLUMN)} AS id, s.${c} AS ref FROM ${q(def.table)} s LEFT JOIN ${q(target.table)} t ON t.${q(ID_COLUMN)} = s.${c} WHERE ${missing}`);
  return result(
    `${def.type}.${rel.name} names an existing ${rel.target}${rel.nullable ? '' : ', never NULL'}`,
    bad.map((r) => `${def.type} ${str(r.id)} has ${rel.column} ${str(r.ref) ?? 'NULL'}, which does not exist`),
    `every ${def.table}.${rel.column}`,
  );
}

/** Ids of the rows of a hierarchy that are their own ancestor. UNION (not UNION ALL) makes the walk finite even around a cycle. */
export async function rowsInCycles(read: ReadRows, def: ResourceDef): Promise<string[]> {
  const parent = def.relationships.find((r): r is ToOneDef => r.kind === 'to-one' && r.name === def.hierarchy!.parent)!;
  const [t, id, p] = [q(def.table), q(ID_COLUMN), q(parent.column)];
  const found = await read(
    `WITH RECURSIVE up(start, at) AS (
       SELECT ${id}, ${p} FROM ${t} WHERE ${p} IS NOT NULL
       UNION
       SELECT up.start, r.${p} FROM up JOIN ${t} r ON r.${id} = up.at WHERE r.${p} IS NOT NULL
     )
     SELECT DISTINCT start FROM up WHERE at = start ORDER BY start`,
  );
  return found.map((r) => String(r.start));
}

async function cycles(read: ReadRows, def: ResourceDef): Promise<InvariantResult> {
  const found = await rowsInCycles(read, def);
  return result(
    `${def.type} hierarchy has no cycle`,
    found.map((start) => `${def.type} ${start} is its own ancestor`),
    `every ${def.type} chain ends at a root`,
  );
}

async function unique(read: ReadRows, def: ResourceDef, attr: AttributeDef): Promise<InvariantResult> {
  const column = attr.foldedColumn ?? attr.column;
  const dupes = await read(`SELECT ${q(column)} AS value, COUNT(*) AS n FROM ${q(def.table)} WHERE ${q(column)} IS NOT NULL GROUP BY ${q(column)} HAVING COUNT(*) > 1`);
  return result(
    `${def.type}.${attr.name} is unique${attr.foldedColumn ? ' case-insensitively' : ''}`,
    dupes.map((r) => `${Number(r.n)} ${def.table} rows share ${column} ${JSON.stringify(r.value)}`),
    `every ${def.table}.${column}`,
  );
}

async function folded(read: ReadRows, def: ResourceDef, attr: AttributeDef): Promise<InvariantResult> {
  const all = await read(`SELECT ${q(ID_COLUMN)} AS id, ${q(attr.column)} AS value, ${q(attr.foldedColumn!)} AS folded FROM ${q(def.table)}`);
  const wrong = all.filter((r) => str(r.folded) !== (str(r.value) === null ? null : casefold(String(r.value))));
  return result(
    `${def.type}.${attr.name}: ${attr.foldedColumn} holds its case folding`,
    wrong.map((r) => `${def.type} ${str(r.id)}: ${attr.foldedColumn} ${JSON.stringify(r.folded)} for ${JSON.stringify(r.value)}`),
    `${all.length} ${def.table} rows`,
  );
}

/** Version ≥ 1; timestamp attributes well-formed (present unless nullable); updatedAt not before createdAt. */
async function rows(read: ReadRows, def: ResourceDef): Promise<InvariantResult> {
  const stamps = def.attributes.filter((a) => a.kind === 'timestamp');
  const columns = [ID_COLUMN, VERSION_COLUMN, ...stamps.map((a) => a.column)].map((c) => q(c)).join(', ');
  const all = await read(`SELECT ${columns} FROM ${q(def.table)}`);
  const created = stamps.find((a) => a.name === 'createdAt');
  const updated = stamps.find((a) => a.name === 'updatedAt');
  const problems: string[] = [];
  for (const r of all) {
    const label = `${def.type} ${str(r[ID_COLUMN])}`;
    if (!(Number(r[VERSION_COLUMN]) >= 1)) problems.push(`${label}: version ${str(r[VERSION_COLUMN])}`);
    for (const a of stamps) {
      const v = str(r[a.column]);
      if (v === null ? !a.nullable : !TIMESTAMP.test(v)) problems.push(`${label}: ${a.column} ${JSON.stringify(r[a.column])}`);
    }
    if (created && updated && String(r[updated.column]) < String(r[created.column])) problems.push(`${label}: updated ${str(r[updated.column])} before created ${str(r[created.column])}`);
  }
  return result(`${def.type} rows: version ≥ 1, timestamps well-formed and in order`, problems, `${all.length} ${def.table} rows`);
}

/** The declaration's cross-member validation (api-token: a client token has a client, an admin token none), on every stored row. */
async function validated(read: ReadRows, def: ResourceDef): Promise<InvariantResult> {
  const ones = toOnes(def);
  const columns = [ID_COLUMN, ...def.attributes.map((a) => a.column), ...ones.map((r) => r.column)].map((c) => q(c)).join(', ');
  const all = await read(`SELECT ${columns} FROM ${q(def.table)}`);
  const problems: string[] = [];
  for (const r of all) {
    const attributes = Object.fromEntries(def.attributes.map((a) => [a.name, r[a.column] ?? null]));
    const relationships = Object.fromEntries(ones.map((rel) => [rel.name, r[rel.column] ?? null]));
    const refused = def.validate!({ attributes, relationships }, true);
    if (refused) problems.push(`${def.type} ${str(r[ID_COLUMN])}: ${refused.detail}`);
  }
  return result(`${def.type} rows pass the declaration's validation`, problems, `${all.length} ${def.table} rows`);
}

async function sqliteChecks(read: ReadRows, registry: Registry): Promise<InvariantResult[]> {
  const integrity = (await read('PRAGMA integrity_check')).map((r) => String(r.integrity_check));
  const fk = await read('PRAGMA foreign_key_check');
  const declared: string[] = [];
  for (const def of registry.resources) {
    if (toOnes(def).length > 0 && (await read(`PRAGMA foreign_key_list(${q(def.table)})`)).length === 0) declared.push(`${def.table} has no foreign key in the schema`);
  }
  const indexes: string[] = [];
  for (const def of registry.resources) {
    for (const attr of def.attributes) {
      if (!attr.substringIndex) continue;
      const index = q(attr.substringIndex);
      try {
        // rank 1: also compares the index with its content (the folded column).
        await read(`INSERT INTO ${index}(${index}, rank) VALUES ('integrity-check', 1)`);
      } catch (e) {
        indexes.push(`${attr.substringIndex}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
  return [
    result('PRAGMA integrity_check', integrity.join() === 'ok' ? [] : integrity, 'ok'),
    result(
      'PRAGMA foreign_key_check',
      fk.map((v) => `${str(v.table)} rowid ${str(v.rowid)} points at a missing ${str(v.parent)} row`),
      'no violation',
    ),
    result('every table with a to-one has foreign keys', declared, 'declared in the schema'),
    result('substring indexes match their content (FTS5 integrity-check)', indexes, 'ok'),
  ];
}

async function postgresChecks(read: ReadRows, registry: Registry): Promise<InvariantResult[]> {
  const fks = await read(`SELECT conname, convalidated FROM pg_constraint WHERE contype = 'f' AND connamespace = current_schema()::regnamespace`);
  const problems: string[] = [];
  let count = 0;
  for (const def of registry.resources) {
    for (const rel of toOnes(def)) {
      const name = `fk_${def.table}_${rel.column}`;
      const fk = fks.find((f) => f.conname === name);
      count++;
      if (!fk) problems.push(`foreign key ${name} is missing`);
      else if (fk.convalidated !== true) problems.push(`foreign key ${name} is not validated`);
    }
  }
  return [result('foreign key constraints present and validated', problems, `${count} foreign keys, all validated`)];
}
