import type { NextFunction, Request, Response } from 'express';
import { Database } from '../../data/database';
import { narrowToSlug } from '../../data/tenancy';
import { NotFoundError } from '../../errors/api-error';
import { Principal, principalScope, RequestScope } from '../../scope/scope';

/**
 * Builds the request's scope from the principal and, when BASE_DOMAIN is set, the host's
 * subdomain. An unknown slug, or one the caller may not see, is 404 for every request.
 */
export function tenancy(db: Database, baseDomain: string | undefined, reserved: readonly string[]) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const principal = res.locals.principal as Principal;
    const plain: RequestScope = { principal, scope: principalScope(principal), narrowed: false };
    const host = (req.hostname || '').toLowerCase().replace(/\.$/, '');
    if (!baseDomain || !host.endsWith(`.${baseDomain}`)) {
      res.locals.scope = plain;
      return next();
    }
    const label = host.slice(0, -(baseDomain.length + 1));
    if (reserved.includes(label)) {
      res.locals.scope = plain;
      return next();
    }
    try {
      const narrowed = await narrowToSlug(db, principal, label);
      if (!narrowed) return next(new NotFoundError(`No client answers at ${label}.${baseDomain}.`));
      res.locals.scope = narrowed;
      next();
    } catch (e) {
      next(e);
    }
  };
}
