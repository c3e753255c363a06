import Sqlite from 'better-sqlite3';
import { casefold } from '../src/resources/values';
import { FloorQuery, FloorScope } from './floor-query';

/**
 * The floor's SQL (bench/floor.ts): better-sqlite3 statements prepared once, on the service's
 * own tables and indexes. The fixed statements are prepared at start; a page's statement depends
 * on the query's shape (filters, sort, page mode, scope), so it is prepared the first time that
 * shape is seen and reused from then on. Values are always bound, never written into the text.
 */

export interface ClientRow {
  readonly id: string;
  readonly name: string;
  readonly email: string | null;
  readonly slug: string | null;
  readonly parent_id: string | null;
  readonly version: number;
  readonly created_at: string;
  readonly updated_at: string;
}

/** A client row read with its to-many linkage: per relationship, its first member ids (a JSON array) and its whole count. */
export type LinkedClientRow = ClientRow & { readonly [K in ToManyName]: string } & { readonly [K in `${ToManyName}_n`]: number };

/** A row of an owned type (legal entity, reporting entity, project): its own columns by name. */
export type OwnedRow = Record<string, unknown> & { readonly id: string; readonly client_id: string; readonly version: number; readonly created_at: string; readonly updated_at: string };

const CLIENT_COLUMNS = ['id', 'name', 'email', 'slug', 'parent_id', 'version', 'created_at', 'updated_at'];
const cols = (alias: string, names: readonly string[]) => names.map((c) => `${alias}."${c}"`).join(', ');

/** The to-many relationships of a client: the table of the members and the column naming their owner. */
export const MEMBERS = {
  children: { type: 'client', table: 'clients', column: 'parent_id', columns: CLIENT_COLUMNS },
  legalEntities: { type: 'legal-entity', table: 'legal_entities', column: 'client_id', columns: ['id', 'name', 'registration_number', 'country', 'client_id', 'version', 'created_at', 'updated_at'] },
  reportingEntities: { type: 'reporting-entity', table: 'reporting_entities', column: 'client_id', columns: ['id', 'name', 'currency', 'client_id', 'version', 'created_at', 'updated_at'] },
  projects: { type: 'project', table: 'projects', column: 'client_id', columns: ['id', 'name', 'client_id', 'version', 'created_at', 'updated_at'] },
} as const;
export type ToManyName = keyof typeof MEMBERS;

/** Ids of one client and every client below it (the service's recursive CTE, src/data/scope.sql.ts). */
const SUBTREE =
  'WITH RECURSIVE subtree(id) AS (SELECT c0."id" FROM "clients" c0 WHERE c0."id" = ? UNION ALL SELECT cn."id" FROM "clients" cn JOIN subtree s ON cn."parent_id" = s.id) SELECT id FROM subtree';
/** Ids strictly below one client. */
const BELOW =
  'WITH RECURSIVE below(id) AS (SELECT d0."id" FROM "clients" d0 WHERE d0."parent_id" = ? UNION ALL SELECT dn."id" FROM "clients" dn JOIN below b ON dn."parent_id" = b.id) SELECT id FROM below';

/**
 * The to-many linkage of the client under `alias`, as columns of the statement that reads it:
 * for each relationship the ids of its first `@limit` members in id order (a JSON array, read
 * from the foreign key's index) and its whole count. SQLite evaluates these after ORDER BY and
 * LIMIT, for the rows returned only. Members of a visible client are visible (its children are
 * in its subtree, its owned rows belong to it), so these subqueries need no scope predicate.
 */
function linkageColumns(alias: string): string {
  return (Object.keys(MEMBERS) as ToManyName[])
    .map((rel) => {
      const m = MEMBERS[rel];
      return (
        `(SELECT json_group_array(s.id ORDER BY s.id) FROM (SELECT m."id" AS id FROM "${m.table}" m WHERE m."${m.column}" = ${alias}."id" ORDER BY m."id" LIMIT @limit) s) AS "${rel}", ` +
        `(SELECT COUNT(*) FROM "${m.table}" m WHERE m."${m.column}" = ${alias}."id") AS "${rel}_n"`
      );
    })
    .join(', ');
}

/** What is selected of a client (alias t): its columns and its linkage. */
const CLIENT_SELECT = `${cols('t', CLIENT_COLUMNS)}, ${linkageColumns('t')}`;

/** Rows of a relationship's target by id (the members an include shows), clients with their linkage. */
const rowsSql = (rel: ToManyName) => `SELECT ${rel === 'children' ? CLIENT_SELECT : cols('t', MEMBERS[rel].columns)} FROM "${MEMBERS[rel].table}" t WHERE t."id" IN (SELECT value FROM json_each(?))`;

/** Escapes LIKE's wildcards (ESCAPE '\'). */
const likeLiteral = (s: string) => s.replace(/[\\%_]/g, (c) => `\\${c}`);

export interface PageSql {
  readonly sql: string;
  readonly params: unknown[];
  readonly countSql?: string;
  readonly countParams?: unknown[];
  /** Keyset, read backwards: the rows come in reverse order. */
  readonly backwards: boolean;
}

/** The page's statement (and, page numbers, its count) for a query under a scope. */
export function pageSql(query: FloorQuery, scope: FloorScope): PageSql {
  const where: string[] = [];
  const params: unknown[] = [];
  if (scope.kind === 'subtree') {
    where.push(`t."id" IN (${SUBTREE})`);
    params.push(scope.rootId);
  }
  if (query.contains !== undefined) {
    const folded = casefold(query.contains);
    // The trigram index narrows the rows (3 characters at least, none a control character); the LIKE decides.
    // eslint-disable-next-line no-control-regex -- control characters are what this looks for
    if ([...folded].length >= 3 && !/[\u0000-\u001f]/.test(folded)) {
      where.push(`t.rowid IN (SELECT rowid FROM "clients_name_fts" WHERE "clients_name_fts" MATCH ?)`);
      params.push(`"${folded.replace(/"/g, '""')}"`);
    }
    where.push(`t."name_key" LIKE ? ESCAPE '\\'`);
    params.push(`%${likeLiteral(folded)}%`);
  }
  if (query.descendantOf !== undefined) {
    where.push(`t."id" IN (${BELOW})`);
    params.push(query.descendantOf);
    // The named client must be visible itself.
    if (scope.kind === 'subtree') {
      where.push(`? IN (${SUBTREE})`);
      params.push(query.descendantOf, scope.rootId);
    }
  }
  const page = query.page;
  const backwards = page.mode === 'keyset' && page.direction === 'before';
  const keys = [...(query.sort ? [{ expr: 't."name"', descending: query.sort.descending }] : []), { expr: 't."id"', descending: false }].map((k) => ({
    ...k,
    descending: backwards ? !k.descending : k.descending,
  }));
  const order = keys.map((k) => `${k.expr} ${k.descending ? 'DESC' : 'ASC'}`).join(', ');
  const whereText = (extra: string[]) => (extra.length === 0 ? '' : ` WHERE ${extra.map((w) => `(${w})`).join(' AND ')}`);
  const select = `SELECT ${CLIENT_SELECT} FROM "clients" t`;
  if (page.mode === 'number') {
    return {
      sql: `${select}${whereText(where)} ORDER BY ${order} LIMIT ? OFFSET ?`,
      params: [...params, page.size, (page.number - 1) * page.size],
      countSql: `SELECT COUNT(*) AS n FROM "clients" t${whereText(where)}`,
      countParams: params,
      backwards,
    };
  }
  const pageWhere = [...where];
  const pageParams = [...params];
  if (page.position) {
    // Rows strictly after the position in this order: (k1 > v1) OR (k1 = v1 AND k2 > v2) …
    const values = [...page.position.values, page.position.id];
    const terms: string[] = [];
    keys.forEach((key, i) => {
      const v = values[i];
      if (key.descending && v === null) return;
      const parts = keys.slice(0, i).map((k, j) => (values[j] === null ? `${k.expr} IS NULL` : `${k.expr} = ?`));
      const step = v === null ? `${key.expr} IS NOT NULL` : key.descending ? `(${key.expr} < ? OR ${key.expr} IS NULL)` : `${key.expr} > ?`;
      terms.push([...parts, step].map((p) => `(${p})`).join(' AND '));
      for (let j = 0; j < i; j++) if (values[j] !== null) pageParams.push(values[j]);
      if (v !== null) pageParams.push(v);
    });
    pageWhere.push(terms.length === 0 ? '1 = 0' : terms.map((t) => `(${t})`).join(' OR '));
  }
  return { sql: `${select}${whereText(pageWhere)} ORDER BY ${order} LIMIT ?`, params: [...pageParams, page.size + 1], backwards };
}

/** The connection and its statements; `count` counts the statements run (X-Statement-Count). */
export class FloorSql {
  count = 0;
  /** The bound of to-many linkage (@limit). */
  private readonly limit: { limit: number };
  private readonly shapes = new Map<string, Sqlite.Statement>();
  private readonly fixed;
  private readonly insertTransaction: (row: { id: string; name: string; parentId: string; now: string }) => boolean;
  readonly cursorSecret: string;

  constructor(
    readonly db: Sqlite.Database,
    maxLinkage: number,
  ) {
    this.limit = { limit: maxLinkage };
    db.pragma('journal_mode = WAL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    const secret = db.prepare(`SELECT "value" AS value FROM "settings" WHERE "name" = 'cursor_secret'`).get() as { value: string } | undefined;
    if (!secret) throw new Error('the database has no cursor secret yet: open it with the service (or the bench) first');
    this.cursorSecret = secret.value;
    this.fixed = {
      token: db.prepare(`SELECT "id" AS id, "role" AS role, "client_id" AS client_id, "last_used_at" AS last_used_at FROM "api_tokens" WHERE "token_hash" = ?`),
      touch: db.prepare(`UPDATE "api_tokens" SET "last_used_at" = ? WHERE "id" = ? AND ("last_used_at" IS NULL OR "last_used_at" <= ?)`),
      client: db.prepare(`SELECT ${CLIENT_SELECT} FROM "clients" t WHERE t."id" = ?`),
      clientInSubtree: db.prepare(`SELECT ${CLIENT_SELECT} FROM "clients" t WHERE t."id" = ? AND t."id" IN (${SUBTREE})`),
      exists: db.prepare(`SELECT 1 AS one FROM "clients" WHERE "id" = ?`),
      insert: db.prepare(`INSERT INTO "clients" ("id", "name", "name_key", "parent_id", "version", "created_at", "updated_at") VALUES (?, ?, ?, ?, 1, ?, ?)`),
      rows: {
        children: db.prepare(rowsSql('children')),
        legalEntities: db.prepare(rowsSql('legalEntities')),
        reportingEntities: db.prepare(rowsSql('reportingEntities')),
        projects: db.prepare(rowsSql('projects')),
      },
    };
    const { exists, insert } = this.fixed;
    this.insertTransaction = db.transaction((row: { id: string; name: string; parentId: string; now: string }) => {
      this.count++;
      if (!exists.get(row.parentId)) return false;
      this.count++;
      insert.run(row.id, row.name, casefold(row.name), row.parentId, row.now, row.now);
      return true;
    }).immediate;
  }

  token(hash: string): { id: string; role: 'admin' | 'client'; client_id: string | null; last_used_at: string | null } | undefined {
    this.count++;
    return this.fixed.token.get(hash) as ReturnType<FloorSql['token']>;
  }

  touch(id: string, now: string, cutoff: string): void {
    this.count++;
    this.fixed.touch.run(now, id, cutoff);
  }

  /** One client the scope can see, with its linkage. */
  client(id: string, scope: FloorScope): LinkedClientRow | undefined {
    this.count++;
    return (scope.kind === 'all' ? this.fixed.client.get(id, this.limit) : this.fixed.clientInSubtree.get(id, scope.rootId, this.limit)) as LinkedClientRow | undefined;
  }

  /** The clients with these ids, with their linkage. */
  clients(ids: readonly string[]): LinkedClientRow[] {
    this.count++;
    return this.fixed.rows.children.all(JSON.stringify(ids), this.limit) as LinkedClientRow[];
  }

  /** The rows of an owned type with these ids. */
  owned(rel: Exclude<ToManyName, 'children'>, ids: readonly string[]): OwnedRow[] {
    this.count++;
    return this.fixed.rows[rel].all(JSON.stringify(ids)) as OwnedRow[];
  }

  /** A page's rows (in the page's order) and, page numbers, the total. */
  page(query: FloorQuery, scope: FloorScope): { rows: LinkedClientRow[]; total?: number; more?: boolean } {
    const p = pageSql(query, scope);
    let rows = this.shaped(p.sql).all(...p.params, this.limit) as LinkedClientRow[];
    this.count++;
    if (query.page.mode === 'keyset') {
      const more = rows.length > query.page.size;
      rows = rows.slice(0, query.page.size);
      if (p.backwards) rows.reverse();
      return { rows, more };
    }
    this.count++;
    const counted = this.shaped(p.countSql!).get(...p.countParams!) as { n: number };
    return { rows, total: counted.n };
  }

  /** Inserts a client under `parentId` in one immediate transaction; false when the parent does not exist. */
  insertClient(row: { id: string; name: string; parentId: string; now: string }): boolean {
    return this.insertTransaction(row);
  }

  private shaped(sql: string): Sqlite.Statement {
    let s = this.shapes.get(sql);
    if (!s) this.shapes.set(sql, (s = this.db.prepare(sql)));
    return s;
  }
}
