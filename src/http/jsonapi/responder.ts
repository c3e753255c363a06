import type { Request, Response } from 'express';
import { Config } from '../../config/config';
import { RequestStore } from '../../data/store';
import { Row, sortKeyColumn } from '../../data/session';
import { OperationContext } from '../../operations/context';
import { CollectionResult, SingleResult } from '../../operations/read';
import { Precondition } from '../../operations/write';
import { QueryContext, QuerySpec } from '../../query/ast';
import { cursorBinding, CursorPosition, encodeCursor } from '../../query/cursor';
import { parseQuery, splitQuery } from '../../query/query.parser';
import { Registry } from '../../resources/registry';
import { ResourceDef } from '../../resources/types';
import { DocumentWriter, JsonObject, LinkageNext, PageLinks } from './document.writer';
import { encodeRequestTarget } from '../uri';
import { entityTag, noneMatch, parseIfMatch } from './etag';

/**
 * HTTP in and out for the JSON:API handlers: the query parsed against the registry, documents
 * serialized with their links and pagination, statuses and headers sent.
 */

export interface Deps {
  readonly store: RequestStore;
  readonly registry: Registry;
  readonly config: Config;
}

/** One request on its way through an endpoint. */
export interface Call {
  readonly req: Request;
  readonly res: Response;
  readonly deps: Deps;
  readonly ctx: OperationContext;
  readonly rawQuery: string;
  readonly origin: string;
  /** The OpenAPI document, serialized once. */
  readonly openapi: () => Buffer;
}

/** Percent-encodes a query as RFC 3986 wants, brackets included (`page%5Bsize%5D=2`); commas stay readable. */
export function encodeQuery(pairs: [string, string][]): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%2C/gi, ',');
  return pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
}

export function rawQueryOf(req: Request): string {
  const i = req.originalUrl.indexOf('?');
  return i === -1 ? '' : req.originalUrl.slice(i + 1);
}

const scopeKey = (call: Call) => (call.ctx.request.scope.kind === 'all' ? 'all' : call.ctx.request.scope.rootId);

export function parseQueryOf(call: Call, def: ResourceDef, context: QueryContext): QuerySpec {
  const limits = { ...call.deps.config.limits, cursorSecret: call.deps.store.cursorSecret };
  return parseQuery(call.deps.registry, def, call.rawQuery, context, limits, scopeKey(call));
}

export function precondition(call: Call, def: ResourceDef, id: string): Precondition | undefined {
  return parseIfMatch(call.req.get('if-match'), def.type, id);
}

/** Sends a document (an object, or JSON text the document writer made) or, undefined, no body. */
export function send(call: Call, status: number, doc: JsonObject | string | undefined, headers: Record<string, string> = {}): void {
  const { res } = call;
  for (const k in headers) res.setHeader(k, headers[k]);
  res.status(status);
  if (doc === undefined) {
    res.end();
    return;
  }
  // Straight to Node: the body is made, its validators (ETag, 304) were handled by the caller;
  // the text is encoded once, into the socket's write (byteLength only counts).
  const body = typeof doc === 'string' ? doc : JSON.stringify(doc);
  res.setHeader('Content-Type', res.locals.mediaType as string);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body, 'utf8');
}

export const selfLink = (call: Call) => `${call.origin}${encodeRequestTarget(call.req.originalUrl)}`;

/** A bounded to-many linkage goes on at its relationship endpoint, after its last identifier, in pages as large as the linkage shown (within the page size limit). */
function linkageNext(call: Call): LinkageNext {
  const { limits } = call.deps.config;
  const pageSize = String(Math.min(limits.maxLinkage, limits.maxPageSize));
  return (ownerSelf, rel, lastId) => {
    const cursor = encodeCursor(call.deps.store.cursorSecret, cursorBinding(rel.target, [], [], scopeKey(call)), { values: [], id: lastId });
    return `${ownerSelf}/relationships/${rel.name}?${encodeQuery([
      ['page[size]', pageSize],
      ['page[after]', cursor],
    ])}`;
  };
}

export const writer = (call: Call, spec: QuerySpec) => new DocumentWriter(call.deps.registry, `${call.origin}/api/v2`, spec.fields, linkageNext(call));

/** The same URL with the page position replaced; every other parameter kept as sent. */
function pageUrl(call: Call, position: [string, string]): string {
  const pairs = splitQuery(call.rawQuery).filter(([k]) => k !== 'page[number]' && k !== 'page[after]' && k !== 'page[before]');
  pairs.push(position);
  const path = call.req.originalUrl.split('?')[0];
  return `${call.origin}${path}?${encodeQuery(pairs)}`;
}

/** The values a keyset cursor records for a row: its sort keys (selected as __k0…) and id. */
function positionOf(row: Row, keyCount: number): CursorPosition {
  const values: (string | null)[] = [];
  for (let i = 0; i < keyCount; i++) {
    const v = row[sortKeyColumn(i)];
    values.push(v === null || v === undefined ? null : String(v));
  }
  return { values, id: row.id };
}

/**
 * meta.page and the pagination links. Page numbers: number, size, total, totalPages and
 * first/prev/next/last. Keyset: size only; next/prev carry signed cursors of the boundary rows,
 * first and last are the empty cursors.
 */
export function pagination(call: Call, spec: QuerySpec, rows: Row[], total: number, more: boolean): { meta: JsonObject; links: PageLinks } {
  const page = spec.page;
  if (page.mode === 'keyset') {
    const cursor = (row: Row) => encodeCursor(call.deps.store.cursorSecret, page.binding, positionOf(row, spec.sort.length));
    const first = rows[0];
    const last = rows[rows.length - 1];
    let next: string | null = null;
    let prev: string | null = null;
    if (page.direction === 'after') {
      if (more && last) next = pageUrl(call, ['page[after]', cursor(last)]);
      if (page.position) prev = first ? pageUrl(call, ['page[before]', cursor(first)]) : pageUrl(call, ['page[before]', '']);
    } else {
      if (more && first) prev = pageUrl(call, ['page[before]', cursor(first)]);
      if (page.position) next = last ? pageUrl(call, ['page[after]', cursor(last)]) : pageUrl(call, ['page[after]', '']);
    }
    return {
      meta: { page: { size: page.size } },
      links: { first: pageUrl(call, ['page[after]', '']), prev, next, last: pageUrl(call, ['page[before]', '']) },
    };
  }
  if (page.mode !== 'number') throw new Error('unexpected page mode');
  const totalPages = Math.ceil(total / page.size);
  const lastPage = Math.max(totalPages, 1);
  const numbered = (n: number) => pageUrl(call, ['page[number]', String(n)]);
  return {
    meta: { page: { number: page.number, size: page.size, total, totalPages } },
    links: {
      first: numbered(1),
      prev: page.number > 1 ? numbered(Math.min(page.number - 1, lastPage)) : null,
      next: page.number < totalPages ? numbered(page.number + 1) : null,
      last: numbered(lastPage),
    },
  };
}

export async function sendCollection(call: Call, result: CollectionResult): Promise<void> {
  const { meta, links } = pagination(
    call,
    result.spec,
    result.records.map((r) => r.row),
    result.total,
    result.more,
  );
  const doc = writer(call, result.spec).document(result.records, result.graph, {
    self: selfLink(call),
    meta,
    links,
    includeRequested: result.spec.include.length > 0,
  });
  send(call, 200, doc);
}

export async function sendSingle(call: Call, result: SingleResult, status = 200, extra: { headers?: Record<string, string>; resourceMeta?: JsonObject } = {}): Promise<void> {
  if (result.record) {
    const tag = entityTag(result.def.type, result.record.id, Number(result.record.row.version));
    call.res.setHeader('ETag', tag);
    if (call.req.method === 'GET' && noneMatch(call.req.get('if-none-match'), tag)) return send(call, 304, undefined);
  }
  const doc = writer(call, result.spec).document(result.record, result.graph, {
    self: status === 201 ? extra.headers!.Location : selfLink(call),
    meta: result.restricted ? { restricted: true } : undefined,
    includeRequested: result.spec.include.length > 0,
    resourceMeta: extra.resourceMeta,
  });
  send(call, status, doc, extra.headers);
}
