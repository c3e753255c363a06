import BetterSqlite3 from 'better-sqlite3';
import { DatasetInfo } from './dataset';
import { lastPageNumber } from './scenarios';
import { time, Timing } from './timing';

/**
 * The two "N× faster" targets (bench/report.ts) timed in SQL alone (better-sqlite3, read-only
 * on the bench database), with the statements the service issues for a page of 50 (ORDER BY id):
 *  - `contains` on names: the page and its COUNT with the FTS5 trigram prefilter, and the same
 *    statements without it, which must scan the table; both return the same rows;
 *  - the last page: LIMIT/OFFSET and its COUNT, against the keyset read backwards (LIMIT 51,
 *    no COUNT); both return the same rows.
 * Over HTTP the same ratios are diluted by what every page costs the service (serialization).
 */
export interface SqlPair {
  readonly name: string;
  readonly fast: { readonly label: string; readonly timing: Timing };
  readonly slow: { readonly label: string; readonly timing: Timing };
  readonly ratio: number;
  readonly wanted: number;
}

const COLUMNS = ['id', 'version', 'name', 'email', 'slug', 'created_at', 'updated_at', 'parent_id'].map((c) => `t."${c}"`).join(', ');

export function measureSql(file: string, info: DatasetInfo, budgetMs = 2000): SqlPair[] {
  const db = new BetterSqlite3(file, { readonly: true });
  try {
    const pair = (name: string, wanted: number, fast: [string, () => string], slow: [string, () => string]): SqlPair => {
      if (fast[1]() !== slow[1]()) throw new Error(`${name}: the two queries disagree`);
      const f = time(fast[1], budgetMs);
      const s = time(slow[1], budgetMs);
      return { name, fast: { label: fast[0], timing: f }, slow: { label: slow[0], timing: s }, ratio: s.median / f.median, wanted };
    };
    const page = (where: string, values: unknown[], tail: string, count: boolean) => () => {
      const rows = db.prepare(`SELECT ${COLUMNS} FROM "clients" t WHERE ${where} ${tail}`).all(...values) as { id: string }[];
      const ids = rows.map((r) => r.id).sort();
      if (!count) return ids.slice(-50).join(',');
      const { n } = db.prepare(`SELECT COUNT(*) AS n FROM "clients" t WHERE ${where}`).get(...values) as { n: number };
      return `${ids.join(',')} ${n}`;
    };

    const needle = info.marker.toLowerCase();
    const like = `t."name_key" LIKE ? ESCAPE '\\'`;
    const order = `ORDER BY t."id" ASC NULLS FIRST LIMIT 50 OFFSET 0`;
    const contains = pair(
      `contains on names (${info.markerMatches} matches): page of 50 + COUNT`,
      3,
      ['FTS5 trigram prefilter + LIKE', page(`t.rowid IN (SELECT rowid FROM "clients_name_fts" WHERE "clients_name_fts" MATCH ?) AND ${like}`, [`"${needle}"`, `%${needle}%`], order, true)],
      ['LIKE alone (full scan)', page(like, [`%${needle}%`], order, true)],
    );

    const last = lastPageNumber(info);
    const rowsOnLast = info.clients - (last - 1) * 50;
    const lastPage = pair(
      `last page of 50 (${info.clients} clients)`,
      10,
      ['keyset: ORDER BY id DESC LIMIT 51', () => page('1 = 1', [], 'ORDER BY t."id" DESC NULLS LAST LIMIT 51', false)().split(',').slice(-rowsOnLast).join(',')],
      [`OFFSET ${(last - 1) * 50} + COUNT`, () => page('1 = 1', [], `ORDER BY t."id" ASC NULLS FIRST LIMIT 50 OFFSET ${(last - 1) * 50}`, true)().split(' ')[0]],
    );
    return [contains, lastPage];
  } finally {
    db.close();
  }
}
