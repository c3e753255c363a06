import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { hierarchySql } from '../src/data/scope.sql';
import { registry } from '../src/resources/registry';
import { bind, Params, sqliteDialect } from '../src/data/sql';
import { DatasetInfo } from './dataset';
import { ms, time, Timing } from './timing';

/**
 * The hierarchy designs compared: the recursive CTE the service uses (src/data/scope.sql.ts)
 * against a materialized path, on a scratch copy of the bench database (VACUUM INTO), timed
 * with better-sqlite3 directly (no HTTP, no ORM). The path is '/rootId/…/parentId/id/' (ids
 * are 24 hex digits), in an indexed column; a subtree is the index range [path, path with its
 * last '/' as '0').
 *
 * Cases, each as the service runs a list: a page of 50 (ORDER BY id) and its COUNT, with the
 * hierarchy as an `id IN (...)` predicate:
 *  - the subtree of a root (about 1,000 descendants): the tenant scope and descendantOf;
 *  - the ancestors of a deepest node: ancestorOf (the path is read first, then split);
 *  - and the write each design pays: moving that root's subtree under another root.
 */

export interface HierarchyCase {
  readonly case: string;
  readonly method: 'recursive CTE' | 'materialized path';
  readonly statements: number;
  /** Rows the list returned and the count it reported (the same for both methods). */
  readonly rows?: number;
  readonly total?: number;
  readonly timing: Timing;
}

export interface HierarchyResult {
  readonly copyMs: number;
  /** One-time cost of adding and filling the path column, and of its index. */
  readonly pathFillMs: number;
  readonly pathIndexMs: number;
  readonly cases: HierarchyCase[];
  readonly summary: string[];
}

const COLUMNS = ['id', 'name', 'email', 'slug', 'parent_id', 'version', 'created_at', 'updated_at'].map((c) => `t."${c}"`).join(', ');

function elapsed(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e6;
}

export function measureHierarchy(file: string, info: DatasetInfo, budgetMs = 2000, log: (line: string) => void = () => {}): HierarchyResult {
  const scratch = path.join(os.tmpdir(), `bench-hierarchy-${process.pid}.sqlite`);
  for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(scratch + suffix, { force: true });
  let started = process.hrtime.bigint();
  const source = new BetterSqlite3(file, { readonly: true });
  source.prepare('VACUUM INTO ?').run(scratch);
  source.close();
  const copyMs = elapsed(started);
  const db = new BetterSqlite3(scratch);
  try {
    db.pragma('journal_mode = WAL');
    log(`hierarchy: scratch copy in ${ms(copyMs)} ms; building the materialized path`);

    started = process.hrtime.bigint();
    db.exec(`ALTER TABLE "clients" ADD COLUMN "path" TEXT`);
    db.exec(`CREATE TEMP TABLE "paths" AS WITH RECURSIVE p(id, path) AS (
        SELECT "id", '/' || "id" || '/' FROM "clients" WHERE "parent_id" IS NULL
        UNION ALL SELECT c."id", p.path || c."id" || '/' FROM "clients" c JOIN p ON c."parent_id" = p.id)
      SELECT id, path FROM p`);
    db.exec(`CREATE UNIQUE INDEX temp."ix_paths_id" ON "paths"(id)`);
    db.exec(`UPDATE "clients" SET "path" = (SELECT p.path FROM temp."paths" p WHERE p.id = "clients"."id")`);
    const pathFillMs = elapsed(started);
    started = process.hrtime.bigint();
    db.exec(`CREATE INDEX "ix_clients_path" ON "clients"("path")`);
    const pathIndexMs = elapsed(started);

    const cases: HierarchyCase[] = [];
    const run = (name: string, method: HierarchyCase['method'], statements: number, fn: () => { rows?: number; total?: number; ids?: string }) => {
      const shape = fn();
      const timing = time(fn, budgetMs);
      cases.push({ case: name, method, statements, rows: shape.rows, total: shape.total, timing });
      return shape;
    };
    const list = (where: string, values: unknown[]) => {
      const rows = db.prepare(`SELECT ${COLUMNS} FROM "clients" t WHERE ${where} ORDER BY t."id" ASC LIMIT 50`).all(...values) as { id: string }[];
      const count = db.prepare(`SELECT COUNT(*) AS n FROM "clients" t WHERE ${where}`).get(...values) as { n: number };
      return { rows: rows.length, total: count.n, ids: rows.map((r) => r.id).join(',') };
    };

    // Subtree of a root, as the tenant scope and descendantOf use it.
    const subtreeName = `subtree of a root (${info.rootDescendants + 1} clients), page of 50 + COUNT`;
    const p = new Params();
    const cte = bind(`t."id" IN (${hierarchySql(registry).subtree(info.rootId, p)})`, p, sqliteDialect);
    const a = run(subtreeName, 'recursive CTE', 2, () => list(cte.sql, cte.values));
    const rangeWhere =
      `t."id" IN (SELECT s."id" FROM "clients" s WHERE s."path" >= (SELECT r."path" FROM "clients" r WHERE r."id" = ?) ` +
      `AND s."path" < (SELECT substr(r."path", 1, length(r."path") - 1) || '0' FROM "clients" r WHERE r."id" = ?))`;
    const b = run(subtreeName, 'materialized path', 2, () => list(rangeWhere, [info.rootId, info.rootId]));
    if (a.ids !== b.ids || a.total !== b.total) throw new Error(`hierarchy: the two subtree queries disagree (${a.total} vs ${b.total})`);

    // Ancestors of a deepest node, as ancestorOf uses them.
    const ancestorsName = `ancestors of a node ${info.deepAncestors} levels deep, page of 50 + COUNT`;
    const upWhere =
      `t."id" IN (WITH RECURSIVE up(id, parent_id) AS (SELECT c."id", c."parent_id" FROM "clients" c WHERE c."id" = ? ` +
      `UNION ALL SELECT pc."id", pc."parent_id" FROM "clients" pc JOIN up ON pc."id" = up.parent_id) SELECT id FROM up WHERE id <> ?)`;
    const c = run(ancestorsName, 'recursive CTE', 2, () => list(upWhere, [info.deepId, info.deepId]));
    const readPath = db.prepare(`SELECT "path" FROM "clients" WHERE "id" = ?`);
    const d = run(ancestorsName, 'materialized path', 3, () => {
      const { path: nodePath } = readPath.get(info.deepId) as { path: string };
      const ids = nodePath.split('/').filter((id) => id !== '' && id !== info.deepId);
      return list(`t."id" IN (${ids.map(() => '?').join(', ')})`, ids);
    });
    if (c.ids !== d.ids || c.total !== d.total) throw new Error(`hierarchy: the two ancestor queries disagree (${c.total} vs ${d.total})`);

    // The write each design pays: moving a root (with its subtree) under another root, rolled back.
    const other = db.prepare(`SELECT "id", "path" FROM "clients" WHERE "parent_id" IS NULL AND "id" <> ? ORDER BY "id" LIMIT 1`).get(info.rootId) as { id: string; path: string } | undefined;
    if (other) {
      const moveName = `move a root's subtree (${info.rootDescendants + 1} clients) under another root`;
      const setParent = db.prepare(`UPDATE "clients" SET "parent_id" = ?, "version" = "version" + 1 WHERE "id" = ?`);
      const oldPath = `/${info.rootId}/`;
      const rewrite = db.prepare(`UPDATE "clients" SET "path" = ? || substr("path", ?) WHERE "path" >= ? AND "path" < ?`);
      const rolledBack = (fn: () => void) => () => {
        db.exec('BEGIN');
        try {
          fn();
        } finally {
          db.exec('ROLLBACK');
        }
        return {};
      };
      run(
        moveName,
        'recursive CTE',
        1,
        rolledBack(() => setParent.run(other.id, info.rootId)),
      );
      run(
        moveName,
        'materialized path',
        2,
        rolledBack(() => {
          setParent.run(other.id, info.rootId);
          const changed = rewrite.run(other.path, 2, oldPath, `${oldPath.slice(0, -1)}0`).changes;
          if (changed !== info.rootDescendants + 1) throw new Error(`hierarchy: the move rewrote ${changed} paths`);
        }),
      );
    }

    const summary: string[] = [];
    for (const name of [...new Set(cases.map((x) => x.case))]) {
      const [x, y] = [cases.find((k) => k.case === name && k.method === 'recursive CTE')!, cases.find((k) => k.case === name && k.method === 'materialized path')!];
      const faster = x.timing.median <= y.timing.median ? x : y;
      const slower = faster === x ? y : x;
      summary.push(`${name}: ${faster.method} faster, ${(slower.timing.median / faster.timing.median).toFixed(1)}× (median ${ms(faster.timing.median)} vs ${ms(slower.timing.median)} ms)`);
    }
    return { copyMs, pathFillMs, pathIndexMs, cases, summary };
  } finally {
    db.close();
    for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(scratch + suffix, { force: true });
  }
}
