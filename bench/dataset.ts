import * as fs from 'node:fs';
import { SingleBar, Presets } from 'cli-progress';
import { BulkRow, insertRows } from '../src/data/bulk-loader';
import { Database, Executor } from '../src/data/database';
import { newObjectId, nowIso } from '../src/data/object-id';
import { hierarchySql } from '../src/data/scope.sql';
import { Params, q } from '../src/data/sql';
import { registry } from '../src/resources/registry';
import { prng } from './prng';

/**
 * The bench's data: N clients as a forest of ternary trees 6 levels deep (1 + 3 + 9 + 27 + 81
 * + 243 + 729 = 1,093 clients a tree, so a root has 1,092 descendants; the last tree is cut
 * short to make exactly N), each client with 2 legal entities and 1 reporting entity. Names are
 * three words; the marker word stands in about 3% of them, and its first two letters in no
 * other word (see SCAN_NEEDLE).
 * Generated with a fixed seed: the same N gives the same names and shapes.
 */

export const BRANCHING = 3;
export const LEVELS_BELOW_ROOT = 6;
export const TREE_SIZE = (BRANCHING ** (LEVELS_BELOW_ROOT + 1) - 1) / (BRANCHING - 1);
export const MARKER = 'Zephyr';
export const MARKER_SHARE = 0.03;
/**
 * The name of every client the write scenarios create (names need not be unique). No generated
 * name can be it (generated names are three words of the lists below), so the bench deletes the
 * created clients by this name after each write scenario, and before it checks the data set.
 */
export const CREATED_NAME = 'Bench created client';
/** Clients per write transaction (with their 3 owned rows each). */
const BATCH_CLIENTS = 5000;

const FIRST = [
  'Northern',
  'Southern',
  'Eastern',
  'Western',
  'Central',
  'Coastal',
  'Highland',
  'Lowland',
  'Island',
  'Valley',
  'Golden',
  'Silver',
  'Green',
  'Blue',
  'Red',
  'Amber',
  'Crystal',
  'Granite',
  'Cedar',
  'Maple',
  'Pacific',
  'Atlantic',
  'Indian',
  'Alpine',
  'Desert',
  'Prairie',
  'Harbor',
  'River',
  'Lake',
  'Summit',
  'United',
  'Royal',
  'Modern',
  'Classic',
  'Global',
  'Local',
  'Urban',
  'Rural',
  'Grand',
  'Little',
  'Madagascar',
  'Andean',
  'Nordic',
  'Baltic',
  'Iberian',
  'Celtic',
  'Saxon',
  'Bavarian',
  'Tuscan',
  'Provence',
];
const SECOND = [
  'Rice',
  'Vanilla',
  'Coffee',
  'Cocoa',
  'Tea',
  'Spice',
  'Cotton',
  'Timber',
  'Steel',
  'Copper',
  'Textile',
  'Leather',
  'Grain',
  'Dairy',
  'Fruit',
  'Olive',
  'Wine',
  'Honey',
  'Salt',
  'Sugar',
  'Shipping',
  'Freight',
  'Logistics',
  'Energy',
  'Solar',
  'Wind',
  'Water',
  'Mining',
  'Fishing',
  'Farming',
  'Software',
  'Robotics',
  'Media',
  'Printing',
  'Publishing',
  'Retail',
  'Wholesale',
  'Pharma',
  'Health',
  'Dental',
  'Insurance',
  'Banking',
  'Capital',
  'Trust',
  'Realty',
  'Building',
  'Roofing',
  'Plumbing',
  'Glass',
  'Paper',
];
const SUFFIX = ['Ltd', 'SAS', 'GmbH', 'Holdings', 'Group', 'Cooperative', 'Partners', 'Traders', 'Exporters', 'Industries'];
const COUNTRIES = ['FR', 'DE', 'GB', 'MG', 'US', 'ES', 'IT', 'NL', 'BE', 'CH'];
const CURRENCIES = ['EUR', 'USD', 'GBP', 'MGA', 'CHF'];

/**
 * A needle too short for the trigram index (2 letters) that matches exactly the names holding
 * the marker: `filter[name][contains]=<this>` is the marker query as a full scan.
 */
export const SCAN_NEEDLE = MARKER.slice(0, 2).toLowerCase();

for (const word of [...FIRST, ...SECOND, ...SUFFIX]) {
  if (word.toLowerCase().includes(SCAN_NEEDLE)) throw new Error(`bench: word ${word} contains ${SCAN_NEEDLE}, the start of the marker`);
}

export interface DatasetInfo {
  readonly clients: number;
  readonly legalEntities: number;
  readonly reportingEntities: number;
  readonly roots: number;
  /** The first root: a full tree when N ≥ 1,093. */
  readonly rootId: string;
  readonly rootDescendants: number;
  /** A node as deep as the first tree goes, and its number of ancestors. */
  readonly deepId: string;
  readonly deepAncestors: number;
  readonly marker: string;
  readonly scanNeedle: string;
  /** Clients whose name contains the marker. */
  readonly markerMatches: number;
  /** Whether this run generated the data (false: an existing database was reused). */
  readonly generated: boolean;
  readonly loadSeconds?: number;
}

/** Shape of the forest: for each client in insertion order, the index of its parent (or -1). */
function* forest(total: number): Generator<{ index: number; parent: number }> {
  let index = 0;
  while (index < total) {
    const rootIndex = index;
    // Breadth first: level by level, so a parent always comes before its children.
    let level = [rootIndex];
    yield { index: index++, parent: -1 };
    for (let depth = 1; depth <= LEVELS_BELOW_ROOT && index < total; depth++) {
      const next: number[] = [];
      for (const parent of level) {
        for (let k = 0; k < BRANCHING && index < total; k++) {
          next.push(index);
          yield { index: index++, parent };
        }
      }
      level = next;
    }
  }
}

interface Batch {
  clients: BulkRow[];
  legalEntities: BulkRow[];
  reportingEntities: BulkRow[];
}

/** Writes N clients with their owned rows, in transactions of BATCH_CLIENTS clients. */
export async function generate(db: Database, total: number, progress: SingleBar | undefined): Promise<void> {
  const random = prng(20240601 ^ total);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const ids: string[] = new Array(total);
  const defs = { client: registry.get('client'), legal: registry.get('legal-entity'), reporting: registry.get('reporting-entity') };
  const now = nowIso();
  let batch: Batch = { clients: [], legalEntities: [], reportingEntities: [] };
  let done = 0;
  const flush = async () => {
    if (batch.clients.length === 0) return;
    const current = batch;
    batch = { clients: [], legalEntities: [], reportingEntities: [] };
    await db.write(async (ex: Executor) => {
      await insertRows(ex, defs.client, current.clients, { now });
      await insertRows(ex, defs.legal, current.legalEntities, { now });
      await insertRows(ex, defs.reporting, current.reportingEntities, { now });
    });
    done += current.clients.length;
    progress?.update(done);
  };
  for (const { index, parent } of forest(total)) {
    const id = newObjectId();
    ids[index] = id;
    const first = pick(FIRST);
    const second = random() < MARKER_SHARE ? MARKER : pick(SECOND);
    const name = `${first} ${second} ${pick(SUFFIX)}`;
    const label = `${first}-${second}`.toLowerCase();
    batch.clients.push({
      id,
      attributes: { name, email: `${label.replace('-', '.')}.${index}@example.com`, slug: `${label}-${index}` },
      relationships: { parent: parent < 0 ? null : ids[parent] },
    });
    for (const kind of ['Holding', 'Operating']) {
      batch.legalEntities.push({
        attributes: { name: `${name} ${kind}`, country: pick(COUNTRIES), registrationNumber: `${100000000 + Math.floor(random() * 899999999)}` },
        relationships: { client: id },
      });
    }
    batch.reportingEntities.push({ attributes: { name: `${name} reporting`, currency: pick(CURRENCIES) }, relationships: { client: id } });
    if (batch.clients.length >= BATCH_CLIENTS) await flush();
  }
  await flush();
}

async function count(db: Database, table: string): Promise<number> {
  const rows = await db.read((ex) => ex.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM ${q(table)}`));
  return Number(rows[0].n);
}

/** Facts about the data that the scenarios need, read back from the database. */
export async function describeDataset(db: Database, generated: boolean, loadSeconds?: number): Promise<DatasetInfo> {
  return db.read(async (ex) => {
    const one = async <T>(sql: string, params?: Params) => (await ex.query<T>(sql, params))[0];
    const counts = await one<{ c: number; l: number; r: number; roots: number }>(
      `SELECT (SELECT COUNT(*) FROM ${q('clients')}) AS c, (SELECT COUNT(*) FROM ${q('legal_entities')}) AS l, ` +
        `(SELECT COUNT(*) FROM ${q('reporting_entities')}) AS r, (SELECT COUNT(*) FROM ${q('clients')} WHERE ${q('parent_id')} IS NULL) AS roots`,
    );
    const root = await one<{ id: string }>(`SELECT ${q('id')} AS id FROM ${q('clients')} WHERE ${q('parent_id')} IS NULL ORDER BY ${q('id')} LIMIT 1`);
    const p = new Params();
    const below = await one<{ n: number }>(`SELECT COUNT(*) - 1 AS n FROM (${hierarchySql(registry).subtree(root.id, p)}) s`, p);
    const d = new Params();
    const deep = await one<{ id: string; depth: number }>(
      `WITH RECURSIVE down(id, depth) AS (SELECT ${q('id')}, 0 FROM ${q('clients')} WHERE ${q('id')} = ${d.add(root.id)} ` +
        `UNION ALL SELECT c.${q('id')}, down.depth + 1 FROM ${q('clients')} c JOIN down ON c.${q('parent_id')} = down.id) ` +
        `SELECT id, depth FROM down ORDER BY depth DESC, id DESC LIMIT 1`,
      d,
    );
    const m = new Params();
    const marked = await one<{ n: number }>(`SELECT COUNT(*) AS n FROM ${q('clients')} WHERE ${q('name_key')} LIKE ${m.add(`%${MARKER.toLowerCase()}%`)}`, m);
    return {
      clients: Number(counts.c),
      legalEntities: Number(counts.l),
      reportingEntities: Number(counts.r),
      roots: Number(counts.roots),
      rootId: root.id,
      rootDescendants: Number(below.n),
      deepId: deep.id,
      deepAncestors: Number(deep.depth),
      marker: MARKER,
      scanNeedle: SCAN_NEEDLE,
      markerMatches: Number(marked.n),
      generated,
      loadSeconds,
    };
  });
}

function sqliteFile(databaseUrl: string): string | undefined {
  return databaseUrl.startsWith('sqlite:') ? databaseUrl.slice('sqlite:'.length) : undefined;
}

/** Deletes the clients the write scenarios created (they have no children and own no rows); answers how many. */
export async function removeCreated(db: Database): Promise<number> {
  return db.write(async (ex) => {
    const p = new Params();
    return ex.run(`DELETE FROM ${q('clients')} WHERE ${q('name')} = ${p.add(CREATED_NAME)}`, p);
  });
}

/** Removes every bench row (databases other than a SQLite file, which is deleted instead). */
async function clear(db: Database): Promise<void> {
  await db.write(async (ex) => {
    for (const table of ['projects', 'reporting_entities', 'legal_entities']) await ex.query(`DELETE FROM ${q(table)}`);
    await ex.query(`DELETE FROM ${q('api_tokens')} WHERE ${q('client_id')} IS NOT NULL`);
    await ex.query(`UPDATE ${q('clients')} SET ${q('parent_id')} = NULL`);
    await ex.query(`DELETE FROM ${q('clients')}`);
  });
}

/**
 * PostgreSQL plans from table statistics, which a bulk load leaves stale until autovacuum gets
 * round to them (minutes later): without this, a freshly generated database measured sorted
 * lists at 108 ms instead of 8 ms. SQLite keeps no statistics unless asked, and the service
 * never asks, so it is measured as it runs.
 */
async function analyze(db: Database): Promise<void> {
  if (db.dialect.name === 'postgres') await db.write((ex) => ex.query('ANALYZE'));
}

/**
 * Opens the bench database, generating the data unless a database with exactly this data set
 * (N clients, 2N legal entities, N reporting entities) is already there and `fresh` is off.
 */
export async function openDataset(databaseUrl: string, total: number, fresh: boolean, log: (line: string) => void): Promise<{ db: Database; info: DatasetInfo }> {
  const file = sqliteFile(databaseUrl);
  if (file && fresh) for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
  let db = await Database.open(databaseUrl);
  // A run stopped during a write scenario leaves its clients behind: they are not the data set.
  const leftover = await removeCreated(db);
  if (leftover > 0) log(`Deleted ${leftover} clients left by an interrupted write scenario.`);
  const complete =
    (await count(db, 'clients')) === total && (await count(db, 'legal_entities')) === 2 * total && (await count(db, 'reporting_entities')) === total && (await count(db, 'projects')) === 0;
  if (complete && !fresh) {
    log(`Reusing the database with ${total} clients (--fresh to regenerate): ${databaseUrl}`);
    await analyze(db);
    return { db, info: await describeDataset(db, false) };
  }
  if (file) {
    // A partial or different data set: start from an empty file.
    await db.close();
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
    db = await Database.open(databaseUrl);
  } else {
    await clear(db);
  }
  log(`Generating ${total} clients, ${2 * total} legal entities and ${total} reporting entities into ${databaseUrl}`);
  const bar = new SingleBar(
    { format: 'clients |{bar}| {percentage}% | {value}/{total} | {duration}s elapsed, ETA {eta}s', noTTYOutput: true, notTTYSchedule: 5000, etaBuffer: 20 },
    Presets.shades_classic,
  );
  const started = process.hrtime.bigint();
  bar.start(total, 0);
  try {
    await generate(db, total, bar);
  } finally {
    bar.stop();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  log(`Generated in ${seconds.toFixed(1)} s (${Math.round((4 * total) / seconds)} rows/s).`);
  await analyze(db);
  return { db, info: await describeDataset(db, true, seconds) };
}
