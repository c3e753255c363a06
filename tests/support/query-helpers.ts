import type { Response } from 'supertest';
import { bulkInsert, BulkRow } from '../../src/data/bulk-loader';
import { registry } from '../../src/resources/registry';
import { api, Harness } from './harness';

/**
 * Helpers for the query-language tests (filters, sorts, keyset pages, hierarchy filters):
 * in-memory oracles (code-point order; case folding is the service's own casefold), bulk data through the data
 * layer with chosen timestamps, and readers that follow pagination links.
 */

/** Code-point (C collation) comparison: UTF-8 byte order is code-point order (JS `<` is UTF-16 order). */
export function compareCodePoints(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** One sort key of the oracle: NULLs first ascending, last descending. */
export interface OracleKey<T> {
  readonly get: (row: T) => string | null;
  readonly descending?: boolean;
}

/** Rows ordered by `keys`, then id ascending, as SPEC §2 says the service orders them. */
export function orderRows<T extends { id: string }>(rows: readonly T[], keys: readonly OracleKey<T>[]): T[] {
  const ascending = (a: string | null, b: string | null): number => {
    if (a === null && b === null) return 0;
    if (a === null) return -1;
    if (b === null) return 1;
    return compareCodePoints(a, b);
  };
  return [...rows].sort((x, y) => {
    for (const k of keys) {
      const c = ascending(k.get(x), k.get(y));
      if (c !== 0) return k.descending ? -c : c;
    }
    return compareCodePoints(x.id, y.id);
  });
}

/** A client as the in-memory oracles see it. */
export interface ClientRow {
  readonly id: string;
  readonly name: string;
  readonly email: string | null;
  readonly slug: string | null;
  readonly createdAt: string;
  readonly updatedAt?: string;
  readonly parent: string | null;
}

/** `root` and every client below it among `rows`: what a client token of `root` sees. */
export function subtreeOf(rows: Iterable<ClientRow>, root: string): Set<string> {
  const all = [...rows];
  const out = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const r of all) {
      if (r.parent && out.has(r.parent) && !out.has(r.id)) {
        out.add(r.id);
        grew = true;
      }
    }
  }
  return out;
}

/**
 * The value of a dotted field (`name`, `parent.parent.email`) of `row` as a caller who sees
 * `scope` reads it (null: sees everything): a parent outside the scope reads as null.
 */
export function fieldValue(rowById: (id: string) => ClientRow | undefined, row: ClientRow, field: string, scope: ReadonlySet<string> | null): string | null {
  const path = field.split('.');
  let current: ClientRow | undefined = row;
  for (const step of path.slice(0, -1)) {
    if (step !== 'parent') throw new Error(`oracle: no path ${field}`);
    const p: string | null = current?.parent ?? null;
    current = p && (!scope || scope.has(p)) ? rowById(p) : undefined;
  }
  if (!current) return null;
  const value = current[path[path.length - 1] as keyof ClientRow];
  if (value === undefined) throw new Error(`oracle: no field ${field}`);
  return value;
}

/** The oracle key of one `sort` segment (`-parent.name`), seeing parents outside `scope` as null. */
export function sortKey(rowById: (id: string) => ClientRow | undefined, segment: string, scope: ReadonlySet<string> | null): OracleKey<ClientRow> {
  const descending = segment.startsWith('-');
  const field = descending ? segment.slice(1) : segment;
  return { descending, get: (r) => fieldValue(rowById, r, field, scope) };
}

/** A client to seed, named by a key its children use as their `parent`, created at `at`. */
export interface KeyedSeed {
  readonly key: string;
  readonly name: string;
  readonly email?: string | null;
  readonly slug?: string | null;
  readonly parent?: string;
  readonly at: string;
}

/** Inserts the seeds one by one in order (parents first), each at its own `at`; returns the rows by key, in seed order. */
export async function seedClients(h: Harness, seeds: readonly KeyedSeed[]): Promise<Map<string, ClientRow>> {
  const byKey = new Map<string, ClientRow>();
  for (const s of seeds) {
    const parent = s.parent ? byKey.get(s.parent)!.id : null;
    const [id] = await bulkClients(h, [{ name: s.name, email: s.email ?? null, slug: s.slug ?? null, parent }], s.at);
    byKey.set(s.key, { id, name: s.name, email: s.email ?? null, slug: s.slug ?? null, createdAt: s.at, updatedAt: s.at, parent });
  }
  return byKey;
}

/** Asserts a 400 invalid_query_parameter at exactly `parameter`. */
export function expectQueryError(res: Response, parameter: string): void {
  const e = res.body?.errors?.[0] ?? {};
  expect({ status: res.status, code: e.code, source: e.source, errors: res.body?.errors?.length }).toEqual({
    status: 400,
    code: 'invalid_query_parameter',
    source: { parameter },
    errors: 1,
  });
}

/** Ids of a JSON:API `data` array. */
export function dataIds(res: Response): string[] {
  expect(Array.isArray(res.body?.data)).toBe(true);
  return (res.body.data as { id: string }[]).map((r) => r.id);
}

/** GET that must answer 200; returns the ids of `data`. */
export async function getIds(h: Harness, url: string, token: string = h.admin): Promise<string[]> {
  const res = await api(h, token).get(url);
  expect({ url, status: res.status, errors: res.body?.errors }).toEqual({ url, status: 200, errors: undefined });
  return dataIds(res);
}

/** The path and query of an absolute link (supertest serves each request on its own port). */
export function relative(link: string): string {
  const u = new URL(link);
  return u.pathname + u.search;
}

/** The value of a query parameter of a link, percent-decoded. */
export function linkParam(link: string, name: string): string | null {
  return new URL(link).searchParams.get(name);
}

/** The cursor a link carries in page[after] or page[before], or null. */
export function cursorOf(link: string | null | undefined): string | null {
  if (!link) return null;
  return linkParam(link, 'page[after]') ?? linkParam(link, 'page[before]');
}

/** The readable part of a cursor (before the dot), decoded; undefined when it is not base64url JSON. */
export function cursorPayload(cursor: string): unknown {
  const dot = cursor.indexOf('.');
  try {
    return JSON.parse(Buffer.from(dot === -1 ? cursor : cursor.slice(0, dot), 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
}

/** Body text plus the decoded payloads of every cursor in its links: what a reader can learn from a response. */
export function readableText(res: Response): string {
  const parts = [res.text ?? ''];
  const links = (res.body?.links ?? {}) as Record<string, unknown>;
  for (const v of Object.values(links)) {
    const c = typeof v === 'string' ? cursorOf(v) : null;
    if (c) parts.push(JSON.stringify(cursorPayload(c)));
  }
  return parts.join('\n');
}

export interface Page {
  readonly url: string;
  readonly res: Response;
  readonly ids: string[];
}

/**
 * Follows links.next (forwards) or links.prev (backwards) from `start` until the link is absent
 * or null; `between` runs after every page (to change the data between fetches). Fails after
 * `maxPages` (a loop). Returns the pages in the order they were read.
 */
export async function walk(h: Harness, start: string, direction: 'next' | 'prev', token: string = h.admin, between?: (page: Page, index: number) => Promise<void>, maxPages = 200): Promise<Page[]> {
  const pages: Page[] = [];
  let url: string | null = start;
  while (url) {
    if (pages.length >= maxPages) throw new Error(`walk from ${start} did not end after ${maxPages} pages`);
    const res = await api(h, token).get(url);
    expect({ url, status: res.status, errors: res.body?.errors }).toEqual({ url, status: 200, errors: undefined });
    const page: Page = { url, res, ids: dataIds(res) };
    pages.push(page);
    if (between) await between(page, pages.length - 1);
    const link = res.body.links?.[direction] as string | null | undefined;
    url = link ? relative(link) : null;
  }
  return pages;
}

/** Ids of a forward walk in order, or of a backward walk put back in ascending order. */
export function walkedIds(pages: readonly Page[], direction: 'next' | 'prev'): string[] {
  const ordered = direction === 'next' ? pages : [...pages].reverse();
  return ordered.flatMap((p) => p.ids);
}

/** A client row for bulk loading. */
export interface ClientSeed {
  readonly id?: string;
  readonly name: string;
  readonly email?: string | null;
  readonly slug?: string | null;
  readonly parent?: string | null;
}

/** Inserts clients through the data layer, all with createdAt = updatedAt = `now`; returns their ids in order. */
export async function bulkClients(h: Harness, seeds: readonly ClientSeed[], now?: string): Promise<string[]> {
  const rows: BulkRow[] = seeds.map((s) => ({
    id: s.id,
    attributes: { name: s.name, email: s.email ?? null, slug: s.slug ?? null },
    relationships: { parent: s.parent ?? null },
  }));
  const [ids] = await bulkInsert(h.db, [{ def: registry.get('client'), rows }], { now });
  return ids;
}

/** An owned row for bulk loading (legal-entity, reporting-entity, project). */
export async function bulkOwned(
  h: Harness,
  type: 'legal-entity' | 'reporting-entity' | 'project',
  seeds: readonly { client: string; attributes: Record<string, unknown> }[],
  now?: string,
): Promise<string[]> {
  const rows: BulkRow[] = seeds.map((s) => ({ attributes: s.attributes, relationships: { client: s.client } }));
  const [ids] = await bulkInsert(h.db, [{ def: registry.get(type), rows }], { now });
  return ids;
}

/** Percent-encodes a query value (commas kept readable, as a user would type them). */
export function enc(value: string): string {
  return encodeURIComponent(value).replace(/%2C/gi, ',');
}
