import { Router } from 'express';
import type { NextFunction, Request, Response } from 'express';
import { Config } from '../../config/config';
import { RequestStore } from '../../data/store';
import { MethodNotAllowedError, NotFoundError } from '../../errors/api-error';
import { OperationContext, operationContext } from '../../operations/context';
import { assertMayUse } from '../../operations/access';
import { assertVisible, CollectionResult, linkage, list, related, show, SingleResult } from '../../operations/read';
import { changeMembers, create, inWrite, Precondition, remove, update, writeAndShow } from '../../operations/write';
import { QueryContext, QuerySpec } from '../../query/ast';
import { cursorBinding, CursorPosition, encodeCursor } from '../../query/cursor';
import { Row, sortKeyColumn } from '../../data/session';
import { parseQuery, splitQuery } from '../../query/query.parser';
import { Registry, relationship } from '../../resources/registry';
import { ResourceDef } from '../../resources/types';
import { RequestScope } from '../../scope/scope';
import { DocumentSerializer, JsonObject, LinkageNext, PageLinks } from '../../../serializers/jsonapi.serializer';
import { parseLinkageDocument, parseResourceDocument } from './document.parser';
import { atomicSteps } from './atomic';
import { runAtomic } from '../../operations/atomic';
import { ATOMIC_EXT } from '../middleware/negotiation';
import { entityTag, noneMatch, parseIfMatch } from './etag';
import { safeDecode } from '../path';
import { encodeRequestTarget } from '../uri';

/**
 * One generic router over the registry: the URL shape decides the endpoint kind, the
 * registry decides the type. Handlers only translate HTTP to operations and back.
 */

interface Deps {
  readonly store: RequestStore;
  readonly registry: Registry;
  readonly config: Config;
}

interface Call {
  readonly req: Request;
  readonly res: Response;
  readonly ctx: OperationContext;
  readonly rawQuery: string;
  readonly origin: string;
}

/** Percent-encodes a query as RFC 3986 wants, brackets included (`page%5Bsize%5D=2`); commas stay readable. */
export function encodeQuery(pairs: [string, string][]): string {
  const enc = (s: string) => encodeURIComponent(s).replace(/%2C/gi, ',');
  return pairs.map(([k, v]) => `${enc(k)}=${enc(v)}`).join('&');
}

function rawQueryOf(req: Request): string {
  const i = req.originalUrl.indexOf('?');
  return i === -1 ? '' : req.originalUrl.slice(i + 1);
}

function send(call: Call, status: number, doc: JsonObject | undefined, headers: Record<string, string> = {}): void {
  const { res } = call;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  res.status(status);
  if (doc === undefined) {
    res.end();
    return;
  }
  res.setHeader('Content-Type', res.locals.mediaType as string);
  res.send(Buffer.from(JSON.stringify(doc)));
}

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
function pagination(call: Call, spec: QuerySpec, rows: Row[], total: number, more: boolean, secret: string): { meta: JsonObject; links: PageLinks } {
  const page = spec.page;
  if (page.mode === 'keyset') {
    const cursor = (row: Row) => encodeCursor(secret, page.binding, positionOf(row, spec.sort.length));
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

export function jsonApiRouter(deps: Deps): Router {
  const { registry, config } = deps;
  const router = Router();

  // A bounded to-many linkage goes on at its relationship endpoint, after its last identifier,
  // in pages as large as the linkage shown (within the page size limit).
  const linkagePageSize = String(Math.min(config.limits.maxLinkage, config.limits.maxPageSize));
  const linkageNext =
    (call: Call): LinkageNext =>
    (ownerSelf, rel, lastId) => {
      const cursor = encodeCursor(deps.store.cursorSecret, cursorBinding(rel.target, [], [], scopeKey(call)), { values: [], id: lastId });
      return `${ownerSelf}/relationships/${rel.name}?${encodeQuery([['page[size]', linkagePageSize], ['page[after]', cursor]])}`;
    };
  const serializer = (call: Call, spec: QuerySpec) => new DocumentSerializer(registry, `${call.origin}/api/v2`, spec.fields, linkageNext(call));
  const selfLink = (call: Call) => `${call.origin}${encodeRequestTarget(call.req.originalUrl)}`;
  const limits = { ...config.limits, cursorSecret: deps.store.cursorSecret };
  const scopeKey = (call: Call) => (call.ctx.request.scope.kind === 'all' ? 'all' : call.ctx.request.scope.rootId);
  const query = (call: Call, def: ResourceDef, context: QueryContext) => parseQuery(registry, def, call.rawQuery, context, limits, scopeKey(call));

  async function sendCollection(call: Call, result: CollectionResult): Promise<void> {
    const { meta, links } = pagination(call, result.spec, result.records.map((r) => r.row), result.total, result.more, deps.store.cursorSecret);
    const doc = await serializer(call, result.spec).document(result.records, result.def.type, result.graph, {
      self: selfLink(call),
      meta,
      links,
      includeRequested: result.spec.include.length > 0,
    });
    send(call, 200, doc);
  }

  async function sendSingle(call: Call, result: SingleResult, status = 200, extra: { headers?: Record<string, string>; resourceMeta?: JsonObject } = {}): Promise<void> {
    if (result.record) {
      const tag = entityTag(result.def.type, result.record.id, Number(result.record.row.version));
      call.res.setHeader('ETag', tag);
      if (call.req.method === 'GET' && noneMatch(call.req.get('if-none-match'), tag)) return send(call, 304, undefined);
    }
    const doc = await serializer(call, result.spec).document(result.record, result.def.type, result.graph, {
      self: status === 201 ? extra.headers!.Location : selfLink(call),
      meta: result.restricted ? { restricted: true } : undefined,
      includeRequested: result.spec.include.length > 0,
      resourceMeta: extra.resourceMeta,
    });
    send(call, status, doc, extra.headers);
  }

  function precondition(call: Call, def: ResourceDef, id: string): Precondition | undefined {
    return parseIfMatch(call.req.get('if-match'), def.type, id);
  }

  async function assertTarget(call: Call, def: ResourceDef, id: string): Promise<void> {
    await assertVisible(call.ctx, def, id);
  }

  /** POST /api/v2/operations (atomic extension): all operations in one transaction. */
  async function operations(call: Call): Promise<void> {
    if (call.req.method !== 'POST') throw new MethodNotAllowedError(call.req.method, ['POST']);
    query(call, registry.get('client'), 'single');
    const steps = atomicSteps(call.res.locals.body, registry, call.ctx, config.limits);
    const outcomes = await runAtomic(call.ctx, steps);
    if (outcomes.every((o) => o === undefined)) return send(call, 204, undefined);
    const results: JsonObject[] = [];
    for (const outcome of outcomes) {
      if (!outcome) {
        results.push({});
        continue;
      }
      const { result, meta } = outcome;
      const doc = await serializer(call, result.spec).document(result.record, result.def.type, result.graph, {
        self: selfLink(call),
        includeRequested: false,
        resourceMeta: meta,
      });
      results.push({ data: doc.data });
    }
    send(call, 200, { jsonapi: { version: '1.1', ext: [ATOMIC_EXT] }, 'atomic:results': results });
  }

  async function dispatch(call: Call): Promise<void> {
    const { req } = call;
    const segments = req.path.split('/').filter((s) => s !== '').map((s) => safeDecode(s));
    if (segments[0] === 'operations' && segments.length === 1) return operations(call);
    const def = registry.byPath(segments[0] ?? '');
    if (!def || segments.length > 4) throw new NotFoundError(`No endpoint at ${req.path}.`);
    // Before the query and the URL's target are looked at: the collection is public knowledge (SPEC §4).
    assertMayUse(call.ctx.request, def);
    const method = req.method;

    if (segments.length === 1) {
      if (method === 'GET') return sendCollection(call, await list(call.ctx, query(call, def, 'collection')));
      if (method === 'POST') {
        const spec = query(call, def, 'single');
        const input = parseResourceDocument(call.res.locals.body, def, 'create', config.limits);
        const { written, shown } = await writeAndShow(call.ctx, spec, (w) => create(w, call.ctx, def, input, (name) => `/data/attributes/${name}`));
        const location = `${call.origin}/api/v2/${def.path}/${written.id}`;
        return sendSingle(call, shown, 201, { headers: { Location: location }, resourceMeta: written.meta });
      }
      throw new MethodNotAllowedError(method, ['GET', 'POST']);
    }

    const id = segments[1];
    if (segments.length === 2) {
      if (method === 'GET') return sendSingle(call, await show(call.ctx, query(call, def, 'single'), id));
      if (method === 'PATCH') {
        const spec = query(call, def, 'single');
        const input = parseResourceDocument(call.res.locals.body, def, 'update', config.limits);
        if (/\breturn=minimal\b/i.test(req.get('prefer') ?? '')) {
          await inWrite(call.ctx, (w) => update(w, call.ctx, def, id, input, precondition(call, def, id)));
          return send(call, 204, undefined, { 'Preference-Applied': 'return=minimal' });
        }
        return sendSingle(call, (await writeAndShow(call.ctx, spec, (w) => update(w, call.ctx, def, id, input, precondition(call, def, id)))).shown);
      }
      if (method === 'DELETE') {
        query(call, def, 'single');
        await inWrite(call.ctx, (w) => remove(w, call.ctx, def, id, precondition(call, def, id)));
        return send(call, 204, undefined);
      }
      await assertTarget(call, def, id);
      throw new MethodNotAllowedError(method, ['GET', 'PATCH', 'DELETE']);
    }

    const isLinkage = segments.length === 4;
    if (isLinkage && segments[2] !== 'relationships') throw new NotFoundError(`No endpoint at ${req.path}.`);
    const rel = relationship(def, segments[isLinkage ? 3 : 2]);
    if (!rel) throw new NotFoundError(`${def.type} has no relationship "${segments[isLinkage ? 3 : 2]}".`);
    const target = registry.get(rel.target);
    const context: QueryContext = rel.kind === 'to-one' ? 'single' : isLinkage ? 'linkage' : 'collection';
    if (method !== 'GET') {
      const allowed = !isLinkage ? ['GET'] : rel.kind === 'to-one' ? ['GET', 'PATCH'] : ['GET', 'PATCH', 'POST', 'DELETE'];
      query(call, target, isLinkage ? 'linkage' : context);
      if (!allowed.includes(method)) {
        await assertTarget(call, def, id);
        throw new MethodNotAllowedError(method, allowed);
      }
      const member = { value: parseLinkageDocument(call.res.locals.body, rel, config.limits), pointer: '/data', dataPointer: '/data' };
      const pre = precondition(call, def, id);
      if (method === 'PATCH') await inWrite(call.ctx, (w) => update(w, call.ctx, def, id, { attributes: new Map(), relationships: new Map([[rel.name, member]]) }, pre));
      else await inWrite(call.ctx, (w) => changeMembers(w, call.ctx, def, id, rel.name, method === 'POST' ? 'add' : 'remove', member, pre));
      return send(call, 204, undefined);
    }
    const spec = query(call, target, context);
    if (!isLinkage) {
      const result = await related(call.ctx, def, id, rel.name, spec);
      return result.kind === 'collection' ? sendCollection(call, result) : sendSingle(call, result);
    }
    const result = await linkage(call.ctx, def, id, rel.name, spec);
    const owner = `${call.origin}/api/v2/${def.path}/${id}`;
    const paging = rel.kind === 'to-many' ? pagination(call, spec, result.rows, result.total, result.more, deps.store.cursorSecret) : undefined;
    const counted = spec.page.mode === 'keyset' ? {} : { count: result.total };
    const doc = serializer(call, spec).linkageDocument(rel, target, result.rows.map((r) => r.id), owner, {
      restricted: result.restricted,
      meta: paging ? { ...counted, ...paging.meta } : undefined,
      links: paging?.links,
    });
    doc.links = { ...(doc.links as JsonObject), self: selfLink(call) };
    send(call, 200, doc);
  }

  router.use((req: Request, res: Response, next: NextFunction) => {
    const call: Call = {
      req,
      res,
      ctx: operationContext(deps.store.session(res.locals.scope as RequestScope), config.limits.maxLinkage),
      rawQuery: rawQueryOf(req),
      origin: `${req.protocol}://${req.host}`,
    };
    dispatch(call).catch(next);
  });
  return router;
}
