import { Router } from 'express';
import type { NextFunction, Request, Response } from 'express';
import { assertMayUse } from '../../operations/access';
import { buildOpenApi } from '../../openapi';
import { parseNoQuery } from '../../query/query.parser';
import { ResourceDef } from '../../resources/types';
import { OperationContext, operationContext } from '../../operations/context';
import { RequestScope } from '../../scope/scope';
import type { Tally } from '../../data/store';
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

/**
 * An endpoint's methods for a target, made once per type and relationship: they depend on the
 * declarations only (never on the id), and making them builds OpenAPI text nobody reads here.
 */
const declaredMethods = new WeakMap<Endpoint, Map<string, readonly EndpointMethod<AnyTarget>[]>>();
function methodsOf(e: Endpoint, t: AnyTarget): readonly EndpointMethod<AnyTarget>[] {
  let byTarget = declaredMethods.get(e);
  if (!byTarget) declaredMethods.set(e, (byTarget = new Map()));
  const key = `${t.def?.type ?? ''}/${t.rel?.name ?? ''}`;
  let methods = byTarget.get(key);
  if (!methods) byTarget.set(key, (methods = e.methods(t)));
  return methods;
}

async function serve(call: Call): Promise<void> {
  const { req } = call;
  const segments = req.path
    .split('/')
    .filter((s) => s !== '')
    .map((s) => safeDecode(s));
  // The collection is public knowledge: an admin-only type's 403 comes before the query and the URL's target (SPEC §4).
  const { endpoint, target } = matchEndpoint(JSONAPI_ENDPOINTS, call.deps.registry, segments, req.path, (def) => assertMayUse(call.ctx.request, def));
  const methods = methodsOf(endpoint, target);
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
      return (ctx ??= operationContext(deps.store.session(res.locals.scope as RequestScope, res.locals.statements as Tally | undefined), deps.config.limits.maxLinkage));
    },
    rawQuery: rawQueryOf(req),
    origin: `${req.protocol}://${req.host}`,
    openapi: () => openapi,
  };
}

/**
 * The routes of /api/v2: `open` lists the endpoints declared public (the app registers them before authentication;
 * their handlers must not read the principal, there is none yet), `authenticated` all of them.
 */
/** A public route, registered on the app itself (no nested router for every request to pass through). */
export interface OpenRoute {
  readonly method: 'get' | 'post' | 'patch' | 'delete';
  readonly path: string;
  readonly handle: (req: Request, res: Response, next: NextFunction) => void;
}

export function jsonApiRouters(deps: Deps): { open: OpenRoute[]; authenticated: Router } {
  // Generated once, at start, from the registry and the endpoint table.
  const openapi = Buffer.from(JSON.stringify(buildOpenApi(deps.registry, deps.config)));
  const open: OpenRoute[] = [];
  for (const e of JSONAPI_ENDPOINTS.filter((x) => x.public)) {
    for (const m of e.methods({})) {
      open.push({
        method: m.method.toLowerCase() as OpenRoute['method'],
        path: `/api/v2/${e.shape.join('/')}`,
        handle: (req, res, next) => void run(callOf(req, res, deps, openapi), e, {}, m).catch(next),
      });
    }
  }
  const authenticated = Router();
  authenticated.use((req: Request, res: Response, next: NextFunction) => {
    serve(callOf(req, res, deps, openapi)).catch(next);
  });
  return { open, authenticated };
}
