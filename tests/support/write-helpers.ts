import Sqlite from 'better-sqlite3';
import request from 'supertest';
import { api, Harness } from './harness';
import { ATOMIC_MEDIA_TYPE, JSONAPI } from './media-types';

/**
 * Helpers shared by the write tests (relationship writes, atomic operations, ETags, write
 * tenancy).
 */

/** POST /api/v2/operations with the atomic extension (or the Content-Type given). */
export function atomic(h: Harness, operations: unknown[] | Record<string, unknown>, token: string = h.admin, contentType: string | null = ATOMIC_MEDIA_TYPE) {
  const body = Array.isArray(operations) ? { 'atomic:operations': operations } : operations;
  let t = request(h.app).post('/api/v2/operations').set('Authorization', `Bearer ${token}`).set('Accept', ATOMIC_MEDIA_TYPE);
  if (contentType !== null) t = t.set('Content-Type', contentType);
  return t.send(JSON.stringify(body));
}

/** A relationship-endpoint request (`/api/v2/:path/:id/relationships/:rel`) with optional extra headers. */
export function relWrite(h: Harness, method: 'PATCH' | 'POST' | 'DELETE', url: string, body: unknown, token: string = h.admin, headers: Record<string, string> = {}) {
  let t = request(h.app)[method === 'PATCH' ? 'patch' : method === 'POST' ? 'post' : 'delete'](url).set('Authorization', `Bearer ${token}`).set('Accept', JSONAPI).set('Content-Type', JSONAPI);
  for (const [k, v] of Object.entries(headers)) t = t.set(k, v);
  return t.send(body === undefined ? '' : JSON.stringify(body));
}

export type Dump = Record<string, Record<string, unknown>[]>;

/**
 * Every row of every table of the harness's database: on SQLite, of its file (FTS tables and their shadow tables and
 * the migrations table included), read with a separate better-sqlite3 connection, in rowid
 * order (tables without rowid: sorted by content). Blobs are shown as hex.
 */
export async function dumpDatabase(h: Harness): Promise<Dump> {
  if (!h.file) return dumpPostgres(h);
  const conn = new Sqlite(h.file, { readonly: true, fileMustExist: true });
  try {
    const tables = conn.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name`).all() as { name: string; sql: string | null }[];
    const dump: Dump = {};
    for (const t of tables) {
      const quoted = `"${t.name.replace(/"/g, '""')}"`;
      const withoutRowid = /WITHOUT\s+ROWID/i.test(t.sql ?? '');
      const sql = withoutRowid ? `SELECT * FROM ${quoted}` : `SELECT rowid AS __rowid, * FROM ${quoted} ORDER BY rowid`;
      const rows = (conn.prepare(sql).all() as Record<string, unknown>[]).map((r) => {
        for (const [k, v] of Object.entries(r)) if (Buffer.isBuffer(v)) r[k] = `x'${v.toString('hex')}'`;
        return r;
      });
      dump[t.name] = withoutRowid ? rows.sort(byJson) : rows;
    }
    return dump;
  } finally {
    conn.close();
  }
}

/** The same on PostgreSQL: every base table of the public schema, rows in a stable order. */
async function dumpPostgres(h: Harness): Promise<Dump> {
  return h.db.read(async (ex) => {
    const tables = await ex.query<{ name: string }>(`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`);
    const dump: Dump = {};
    for (const { name } of tables) {
      const rows = await ex.query(`SELECT * FROM "${name.replace(/"/g, '""')}" t ORDER BY t::text`);
      dump[name] = rows.map((r) => ({ ...r }));
    }
    return dump;
  });
}

function byJson(a: unknown, b: unknown): number {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Asserts two dumps are identical. Compares the serialised text first (fast on a large
 * database); only when it differs does jest compute the diff, table by table, so a failure
 * names the tables and rows that changed.
 */
export function expectSameDump(after: Dump, before: Dump): void {
  if (JSON.stringify(after) === JSON.stringify(before)) return;
  expect(rowCounts(after)).toEqual(rowCounts(before));
  for (const name of Object.keys(before)) {
    if (JSON.stringify(after[name]) !== JSON.stringify(before[name])) expect({ table: name, rows: after[name] }).toEqual({ table: name, rows: before[name] });
  }
  expect(Object.keys(after)).toEqual(Object.keys(before));
  expect(JSON.stringify(after)).toBe(JSON.stringify(before));
}

/** Counts of rows per table (for readable failure messages beside the full dump). */
export function rowCounts(dump: Dump): Record<string, number> {
  return Object.fromEntries(Object.entries(dump).map(([k, v]) => [k, v.length]));
}

/** GET a resource as the admin: its meta.version and ETag header. */
export async function versionOf(h: Harness, path: string, id: string): Promise<{ version: number; etag: string; body: any }> {
  const res = await api(h).get(`/api/v2/${path}/${id}`);
  if (res.status !== 200) throw new Error(`versionOf ${path}/${id}: ${res.status} ${res.text}`);
  return { version: res.body.data.meta?.version, etag: res.headers.etag, body: res.body };
}

/** The first error of a response as {status, code, source} (source undefined when absent). */
export function firstError(res: { status: number; body: any }): { status: number; code: unknown; source: unknown } {
  const e = res.body?.errors?.[0] ?? {};
  return { status: res.status, code: e.code, source: e.source };
}

/** Every error of a response as {code, source}. */
export function allErrors(res: { body: any }): { code: unknown; source: unknown }[] {
  return (res.body?.errors ?? []).map((e: any) => ({ code: e.code, source: e.source }));
}
