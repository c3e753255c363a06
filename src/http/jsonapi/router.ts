import { Router } from 'express';
import type { NextFunction, Request, Response } from 'express';
import { assertMayUse } from '../../operations/access';
import { buildOpenApi } from '../../openapi';
import { parseNoQuery } from '../../query/query.parser';
import { ResourceDef } from '../../resources/types';
import { OperationContext, operationContext } from '../../operations/context';
import { RequestScope } from '../../scope/scope';
import { declaredMethod, methodNotAllowed } from '../endpoint';
import { safeDecode } from '../path';
import { AnyTarget, Endpoint, EndpointMethod, matchEndpoint } from './endpoint.kind';
import { JSONAPI_ENDPOINTS } from './endpoints';
import { assertTarget } from './handlers';
import { Call, Deps, parseQueryOf, rawQueryOf } from './responder';

/**
 * One generic router over the endpoint table and the registry: the URL's shape picks the
 * endpoint, the registry the type, the endpoint's declaration the method, the query context and
 * the handler. A method the endpoint does not declare is a 405 whose `Allow` lists those it does.
 */

function subjectOf(e: Endpoint, t: AnyTarget): ResourceDef {
  const def = e.subject === 'type' ? t.def : e.subject === 'target' ? t.target : undefined;
  if (!def) throw new Error(`endpoint /${e.shape.join('/')} reads a query but has no subject type`);
  return def;
}

/** Validates the query string as the method reads it (400 at the first bad parameter). */
function checkQuery(call: Call, e: Endpoint, t: AnyTarget, m: EndpointMethod<AnyTarget>): void {
  if (m.query === 'none') parseNoQuery(call.rawQuery, `/api/v2/${e.shape.join('/')}`);
  else if (m.query !== 'unread') parseQueryOf(call, subjectOf(e, t), m.query);
}

async function run(call: Call, e: Endpoint, t: AnyTarget, m: EndpointMethod<AnyTarget>): Promise<void> {
  if (m.query === 'none' || m.query === 'unread') {
    checkQuery(call, e, t, m);
    return m.handle(call, t);
  }
  return m.handle(call, t, parseQueryOf(call, subjectOf(e, t), m.query));
}

async function serve(call: Call): Promise<void> {
  const { req } = call;
  const segments = req.path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => safeDecode(s));
  // The collection is public knowledge: an admin-only type's 403 comes before the query and the URL's target (SPEC §4).
  const { endpoint, target } = matchEndpoint(JSONAPI_ENDPOINTS, call.deps.registry, segments, req.path, (def) => assertMayUse(call.ctx.request, def));
  const methods = endpoint.methods(target);
  const m = declaredMethod(methods, req.method);
  if (!m) {
    const before = endpoint.beforeNotAllowed;
    const queryAs = before?.queryAs === undefined ? undefined : declaredMethod(methods, before.queryAs);
    if (queryAs) checkQuery(call, endpoint, target, queryAs);
    if (before?.target) await assertTarget(call, target.def!, target.id!);
    throw methodNotAllowed(methods, req.method);
  }
  return run(call, endpoint, target, m);
}

function callOf(req: Request, res: Response, deps: Deps, openapi: Buffer): Call {
  let ctx: OperationContext | undefined;
  return {
    req,
    res,
    deps,
    // Opened on first use: public endpoints run before authentication and have no caller.
    get ctx() {
      return (ctx ??= operationContext(deps.store.session(res.locals.scope as RequestScope), deps.config.limits.maxLinkage));
    },
    rawQuery: rawQueryOf(req),
    origin: `${req.protocol}://${req.host}`,
    openapi: () => openapi,
  };
}

/**
 * The routers of /api/v2: `open` serves the endpoints declared public (before authentication;
 * their handlers must not read the principal, there is none yet), `authenticated` all of them.
 */
export function jsonApiRouters(deps: Deps): { open: Router; authenticated: Router } {
  // Generated once, at start, from the registry and the endpoint table.
  const openapi = Buffer.from(JSON.stringify(buildOpenApi(deps.registry, deps.config)));
  const open = Router();
  for (const e of JSONAPI_ENDPOINTS.filter((x) => x.public)) {
    for (const m of e.methods({})) {
      open[m.method.toLowerCase() as 'get'](`/${e.shape.join('/')}`, (req: Request, res: Response, next: NextFunction) => {
        run(callOf(req, res, deps, openapi), e, {}, m).catch(next);
      });
    }
  }
  const authenticated = Router();
  authenticated.use((req: Request, res: Response, next: NextFunction) => {
    serve(callOf(req, res, deps, openapi)).catch(next);
  });
  return { open, authenticated };
}
