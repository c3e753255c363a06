import { Router } from 'express';
import type { NextFunction, Request, Response } from 'express';
import { Config } from '../../config/config';
import { RequestStore } from '../../data/store';
import { ResourceRecord } from '../../data/graph-loader';
import { isObjectId } from '../../data/object-id';
import {
  InvalidDocumentError,
  InvalidQueryParameterError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../../errors/api-error';
import { Identifier, MemberInput, OperationContext, operationContext, WriteInput } from '../../operations/context';
import { list, show } from '../../operations/read';
import { create, inWrite, remove, update, writeAndShow } from '../../operations/write';
import { FilterNode, QuerySpec } from '../../query/ast';
import { Registry, attribute } from '../../resources/registry';
import { RequestScope } from '../../scope/scope';
import { safeDecode } from '../path';

/**
 * The flat `/api/clients` surface (SPEC §3): a thin mapping onto the same operations as
 * /api/v2. Only the wire shape differs: prefixed ids, snake_case timestamps, `{data}` bodies,
 * pointers into the flat body.
 */

interface Deps {
  readonly store: RequestStore;
  readonly registry: Registry;
  readonly config: Config;
}

const CLIENT_PREFIX = 'client_';
const PROJECT_PREFIX = 'proj_';
const FLAT_FIELDS = new Map([['client', new Set(['name', 'email', 'createdAt', 'updatedAt', 'projects'])]]);
const BODY_MEMBERS = new Set(['name', 'email', 'projects']);

function unprefix(value: string, prefix: string): string {
  return value.startsWith(prefix) ? value.slice(prefix.length) : value;
}

export function flatClient(rec: ResourceRecord): Record<string, unknown> {
  const link = rec.linkage.get('projects');
  return {
    id: CLIENT_PREFIX + rec.id,
    name: rec.row.name,
    email: rec.row.email ?? null,
    projects: link?.kind === 'to-many' ? link.ids.map((id) => PROJECT_PREFIX + id) : [],
    created_at: rec.row.created_at,
    updated_at: rec.row.updated_at,
  };
}

function wholeNumber(name: string, value: string, min: number, max: number): number {
  if (!/^\d{1,9}$/.test(value) || Number(value) < min || Number(value) > max) {
    throw new InvalidQueryParameterError(name, `${name} must be a whole number from ${min} to ${max}.`);
  }
  return Number(value);
}

/** A flat body → the operations' WriteInput, with pointers into the flat body. */
function parseFlatBody(body: unknown, isCreate: boolean, maxIds: number): WriteInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidDocumentError('The request body must be a JSON object.', '');
  }
  const obj = body as Record<string, unknown>;
  const invalid: ValidationError[] = [];
  const attributes = new Map<string, MemberInput<unknown>>();
  const relationships = new Map<string, MemberInput<Identifier | null | Identifier[]>>();
  for (const [key, value] of Object.entries(obj)) {
    if (!BODY_MEMBERS.has(key)) {
      invalid.push(new ValidationError(`"${key}" is not a member of a client (name, email, projects).`, `/${key}`));
      continue;
    }
    if (key === 'projects') {
      if (Array.isArray(value) && value.length > maxIds) {
        throw new PayloadTooLargeError(`projects may list at most ${maxIds} project ids; this one lists ${value.length}.`, { pointer: '/projects' });
      }
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
        invalid.push(new ValidationError('projects must be an array of project ids.', '/projects'));
        continue;
      }
      relationships.set('projects', {
        value: (value as string[]).map((v, i) => ({ type: 'project', id: unprefix(v, PROJECT_PREFIX), pointer: `/projects/${i}` })),
        pointer: '/projects',
      });
      continue;
    }
    if (key === 'email' && value === null) {
      invalid.push(new ValidationError('email is required on this surface and cannot be null.', '/email'));
      continue;
    }
    attributes.set(key, { value, pointer: `/${key}` });
  }
  if (isCreate && !('email' in obj)) invalid.push(new ValidationError('"email" is required.', '/email'));
  return { attributes, relationships, invalid };
}

/** 415 before the body is read (the contract puts 415 before 413 and 400). */
export function flatNegotiation(req: Request, _res: Response, next: NextFunction): void {
  if (req.method === 'POST' || req.method === 'PATCH') {
    const type = (req.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'application/json') {
      return next(new UnsupportedMediaTypeError('Request bodies on /api/clients must be sent as application/json.', { header: 'Content-Type' }));
    }
  }
  next();
}

export function flatRouter(deps: Deps): Router {
  const { registry, config } = deps;
  const clientDef = registry.get('client');
  const router = Router();
  const specOf = (filters: FilterNode[], page: QuerySpec['page']): QuerySpec => ({ type: clientDef, include: [], fields: FLAT_FIELDS, sort: [], filters, page });
  const single = specOf([], { mode: 'offset', offset: 0, limit: 1 });

  const ctxOf = (res: Response): OperationContext => operationContext(deps.store.session(res.locals.scope as RequestScope), 'all');
  const clientId = (raw: string): string => {
    const id = unprefix(raw, CLIENT_PREFIX);
    if (!isObjectId(id)) throw new NotFoundError(`No client with id "${raw}" exists.`);
    return id;
  };
  const sendJson = (res: Response, status: number, body: unknown) => res.status(status).setHeader('Content-Type', 'application/json').send(Buffer.from(JSON.stringify(body)));

  async function listClients(req: Request, res: Response): Promise<void> {
    const params = new URLSearchParams(req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '');
    const filters: FilterNode[] = [];
    let limit = config.limits.flatDefaultLimit;
    let offset = 0;
    const seen = new Set<string>();
    for (const [name, value] of params) {
      if (seen.has(name)) throw new InvalidQueryParameterError(name, `${name} is given more than once.`);
      seen.add(name);
      if (value.includes('\u0000')) throw new InvalidQueryParameterError(name, `${name} must not contain NUL characters.`);
      if (name === 'email') {
        filters.push({ kind: 'attribute', parameter: name, path: [], attribute: attribute(clientDef, 'email')!, operator: 'eq', values: [value] });
      } else if (name === 'search') {
        filters.push({ kind: 'attribute', parameter: name, path: [], attribute: attribute(clientDef, 'name')!, operator: 'contains', values: [value] });
      } else if (name === 'limit') {
        limit = wholeNumber(name, value, 1, config.limits.flatMaxLimit);
      } else if (name === 'offset') {
        offset = wholeNumber(name, value, 0, 999_999_999);
      } else {
        throw new InvalidQueryParameterError(name, `${name} is not a parameter of /api/clients (email, search, limit, offset).`);
      }
    }
    const result = await list(ctxOf(res), specOf(filters, { mode: 'offset', offset, limit }));
    sendJson(res, 200, { data: result.records.map(flatClient), meta: { total: result.total, limit, offset } });
  }

  async function showClient(res: Response, id: string): Promise<void> {
    const result = await show(ctxOf(res), single, id);
    sendJson(res, 200, { data: flatClient(result.record!) });
  }

  function rejectQuery(req: Request): void {
    const params = new URLSearchParams(req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '');
    for (const [name] of params) throw new InvalidQueryParameterError(name, `${name} is not a parameter of this endpoint.`);
  }

  router.use(async (req: Request, res: Response, next: NextFunction) => {
    try {
      const segments = req.path.split('/').filter((s) => s !== '');
      if (segments.length === 0) {
        if (req.method === 'GET') return await listClients(req, res);
        if (req.method === 'POST') {
          rejectQuery(req);
          const ctx = ctxOf(res);
          const input = parseFlatBody(res.locals.body, true, config.limits.maxRelationshipIds);
          const { written, shown } = await writeAndShow(ctx, single, (w) => create(w, ctx, clientDef, input, (name) => `/${name}`));
          res.setHeader('Location', `${req.protocol}://${req.host}/api/clients/${CLIENT_PREFIX}${written.id}`);
          return sendJson(res, 201, { data: flatClient(shown.record!) });
        }
        throw new MethodNotAllowedError(req.method, ['GET', 'POST']);
      }
      if (segments.length === 1) {
        rejectQuery(req);
        const id = clientId(safeDecode(segments[0]));
        if (req.method === 'GET') return await showClient(res, id);
        if (req.method === 'PATCH') {
          const ctx = ctxOf(res);
          const input = parseFlatBody(res.locals.body, false, config.limits.maxRelationshipIds);
          const { shown } = await writeAndShow(ctx, single, (w) => update(w, ctx, clientDef, id, input));
          return sendJson(res, 200, { data: flatClient(shown.record!) });
        }
        if (req.method === 'DELETE') {
          const ctx = ctxOf(res);
          await inWrite(ctx, (w) => remove(w, ctx, clientDef, id));
          res.status(204).end();
          return;
        }
        await show(ctxOf(res), single, id);
        throw new MethodNotAllowedError(req.method, ['GET', 'PATCH', 'DELETE']);
      }
      throw new NotFoundError(`No endpoint at /api/clients${req.path}.`);
    } catch (e) {
      next(e);
    }
  });
  return router;
}
