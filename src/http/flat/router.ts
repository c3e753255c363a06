import { Router } from 'express';
import type { NextFunction, Request, Response } from 'express';
import { Config } from '../../config/config';
import type { RequestStore, Tally } from '../../data/store';
import { isObjectId } from '../../data/object-id';
import { NotFoundError, UnsupportedMediaTypeError } from '../../errors/api-error';
import { Registry } from '../../resources/registry';
import { operationContext } from '../../operations/context';
import { RequestScope } from '../../scope/scope';
import { declaredMethod, methodNotAllowed } from '../endpoint';
import { safeDecode } from '../path';
import { assertFlatTarget, FLAT_ENDPOINTS, FlatCall } from './flat.endpoints';
import { FlatMapping, resolveFlatMapping, unprefix } from './flat.mapping';
import { parseFlatListQuery, rejectFlatQuery } from './flat.query';

/**
 * The flat `/api/clients` surface (SPEC §3): the endpoint table (flat.endpoints.ts) over the
 * mapping (flat.mapping.ts), onto the same operations as /api/v2. Only the wire shape differs:
 * prefixed ids, snake_case timestamps, `{data}` bodies, pointers into the flat body.
 */

interface Deps {
  readonly store: RequestStore;
  readonly registry: Registry;
  readonly config: Config;
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

/** A call; `listQuery` is the raw query of an endpoint that reads the list's parameters ('' elsewhere: the defaults). */
function callOf(req: Request, res: Response, deps: Deps, mapping: FlatMapping, segment: string | undefined, listQuery: string): FlatCall {
  return {
    req,
    res,
    ctx: operationContext(deps.store.session(res.locals.scope as RequestScope, res.locals.statements as Tally | undefined), 'all'),
    mapping,
    config: deps.config,
    query: parseFlatListQuery(mapping, listQuery, deps.config.limits),
    id: () => {
      const sent = safeDecode(segment ?? '');
      const id = unprefix(sent, mapping.idPrefix);
      if (!isObjectId(id)) throw new NotFoundError(`No ${mapping.resource.type} with id "${sent}" exists.`);
      return id;
    },
  };
}

async function serve(req: Request, res: Response, deps: Deps, mapping: FlatMapping): Promise<void> {
  const segments = req.path.split('/').filter((s) => s !== '');
  const endpoint = FLAT_ENDPOINTS.find((e) => (e.shape === 'collection' ? 0 : 1) === segments.length);
  if (!endpoint) throw new NotFoundError(`No endpoint at ${mapping.path}${req.path}.`);
  const raw = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
  const m = declaredMethod(endpoint.methods, req.method);
  if (!m) {
    if (endpoint.beforeNotAllowed) {
      rejectFlatQuery(raw);
      await assertFlatTarget(callOf(req, res, deps, mapping, segments[0], ''));
    }
    throw methodNotAllowed(endpoint.methods, req.method);
  }
  if (m.query === 'none') rejectFlatQuery(raw);
  await m.handle(callOf(req, res, deps, mapping, segments[0], m.query === 'list' ? raw : ''));
}

export function flatRouter(deps: Deps): Router {
  const mapping = resolveFlatMapping(deps.registry);
  const router = Router();
  router.use((req: Request, res: Response, next: NextFunction) => {
    serve(req, res, deps, mapping).catch(next);
  });
  return router;
}
