import type { Request, Response } from 'express';
import { Config } from '../../config/config';
import { OperationContext } from '../../operations/context';
import { list, show } from '../../operations/read';
import { create, inWrite, remove, update, writeAndShow } from '../../operations/write';
import { FilterNode, QuerySpec } from '../../query/ast';
import { MethodDeclaration } from '../endpoint';
import { FlatMapping } from './flat.mapping';
import { flatFieldsets, flatPointer, parseFlatBody, presentFlat } from './flat.presenter';
import { FlatListQuery } from './flat.query';

/**
 * Every endpoint of the flat surface, declared once: its path shape, methods, query, handler
 * and OpenAPI summary. The flat router and the flat OpenAPI paths read this table; the handlers
 * call the same operations as /api/v2.
 */

/** One request on the flat surface. */
export interface FlatCall {
  readonly req: Request;
  readonly res: Response;
  readonly ctx: OperationContext;
  readonly mapping: FlatMapping;
  readonly config: Config;
  /** The list's parameters (the defaults where the endpoint takes none). */
  readonly query: FlatListQuery;
  /** The resource the URL names, without its prefix: 404 when it is not an id. */
  readonly id: () => string;
}

export interface FlatMethod extends MethodDeclaration {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  /** 'list': the mapping's parameters; 'none': any parameter is a 400. */
  readonly query: 'list' | 'none';
  /** Takes a flat resource as its body. */
  readonly body?: boolean;
  readonly answer: { readonly status: 200 | 201 | 204; readonly description: string; readonly document?: 'list' | 'resource'; readonly location?: boolean };
  /** The errors it may answer (OpenAPI): those of a read, a write, a delete. */
  readonly errors: 'read' | 'write' | 'delete';
  readonly handle: (call: FlatCall) => Promise<void>;
}

export interface FlatEndpoint {
  /** The path below the surface's: its collection, or one resource (`/{id}`). */
  readonly shape: 'collection' | 'resource';
  readonly methods: readonly FlatMethod[];
  /** Checked before a 405: the query takes no parameter, and the URL's resource exists and is visible. */
  readonly beforeNotAllowed?: boolean;
}

function specOf(mapping: FlatMapping, filters: FilterNode[], page: QuerySpec['page']): QuerySpec {
  return { type: mapping.resource, include: [], fields: flatFieldsets(mapping), sort: [], filters, page };
}

const single = (call: FlatCall) => specOf(call.mapping, [], { mode: 'offset', offset: 0, limit: 1 });

export function sendJson(res: Response, status: number, body: unknown): void {
  res
    .status(status)
    .setHeader('Content-Type', 'application/json')
    .send(Buffer.from(JSON.stringify(body)));
}

const maxIds = (call: FlatCall) => call.config.limits.maxRelationshipIds;

/** 404 when the URL's resource does not exist or is not visible. */
export async function assertFlatTarget(call: FlatCall): Promise<void> {
  await show(call.ctx, single(call), call.id());
}

async function listFlat(call: FlatCall): Promise<void> {
  const { filters, limit, offset } = call.query;
  const result = await list(call.ctx, specOf(call.mapping, filters, { mode: 'offset', offset, limit }));
  sendJson(call.res, 200, { data: result.records.map((r) => presentFlat(call.mapping, r)), meta: { total: result.total, limit, offset } });
}

async function createFlat(call: FlatCall): Promise<void> {
  const { mapping, req, res } = call;
  const input = parseFlatBody(mapping, res.locals.body, true, maxIds(call));
  const { written, shown } = await writeAndShow(call.ctx, single(call), (w) => create(w, call.ctx, mapping.resource, input, flatPointer(mapping)));
  res.setHeader('Location', `${req.protocol}://${req.host}${mapping.path}/${mapping.idPrefix}${written.id}`);
  sendJson(res, 201, { data: presentFlat(mapping, shown.record!) });
}

async function showFlat(call: FlatCall): Promise<void> {
  const result = await show(call.ctx, single(call), call.id());
  sendJson(call.res, 200, { data: presentFlat(call.mapping, result.record!) });
}

async function updateFlat(call: FlatCall): Promise<void> {
  const id = call.id();
  const input = parseFlatBody(call.mapping, call.res.locals.body, false, maxIds(call));
  const { shown } = await writeAndShow(call.ctx, single(call), (w) => update(w, call.ctx, call.mapping.resource, id, input));
  sendJson(call.res, 200, { data: presentFlat(call.mapping, shown.record!) });
}

async function deleteFlat(call: FlatCall): Promise<void> {
  const id = call.id();
  await inWrite(call.ctx, (w) => remove(w, call.ctx, call.mapping.resource, id));
  call.res.status(204).end();
}

export const FLAT_ENDPOINTS: readonly FlatEndpoint[] = [
  {
    shape: 'collection',
    methods: [
      {
        method: 'GET',
        operationId: 'flatListClients',
        summary: 'List clients (flat)',
        query: 'list',
        errors: 'read',
        handle: listFlat,
        answer: { status: 200, description: 'Clients in id order.', document: 'list' },
      },
      {
        method: 'POST',
        operationId: 'flatCreateClient',
        summary: 'Create a client (flat)',
        description: 'name and email are required; projects (existing ids) move to the new client.',
        query: 'none',
        body: true,
        errors: 'write',
        handle: createFlat,
        answer: { status: 201, description: 'Created.', document: 'resource', location: true },
      },
    ],
  },
  {
    shape: 'resource',
    beforeNotAllowed: true,
    methods: [
      {
        method: 'GET',
        operationId: 'flatGetClient',
        summary: 'Get a client (flat)',
        query: 'none',
        errors: 'read',
        handle: showFlat,
        answer: { status: 200, description: 'The client.', document: 'resource' },
      },
      {
        method: 'PATCH',
        operationId: 'flatUpdateClient',
        summary: 'Update a client (flat)',
        description: 'Partial. projects replaces the set: leaving out a project the client owns is 403 (it would be orphaned).',
        query: 'none',
        body: true,
        errors: 'write',
        handle: updateFlat,
        answer: { status: 200, description: 'Updated.', document: 'resource' },
      },
      { method: 'DELETE', operationId: 'flatDeleteClient', summary: 'Delete a client (flat)', query: 'none', errors: 'delete', handle: deleteFlat, answer: { status: 204, description: 'Deleted.' } },
    ],
  },
];
