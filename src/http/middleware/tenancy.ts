import type { NextFunction, Request, Response } from 'express';
import type { Caller, RequestStore, Tally } from '../../data/store';

import { NotFoundError } from '../../errors/api-error';

/**
 * Sets the request's scope: the caller authentication found and, when BASE_DOMAIN is set and the
 * host names a client's subdomain, that caller narrowed to the client's subtree. An unknown
 * subdomain, or one the caller may not see, is 404 for every request.
 */
export function tenancy(store: RequestStore, baseDomain: string | undefined, reserved: readonly string[]) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const caller = res.locals.caller as Caller;
    const host = (req.hostname || '').toLowerCase().replace(/\.$/, '');
    const label = baseDomain && host.endsWith(`.${baseDomain}`) ? host.slice(0, -(baseDomain.length + 1)) : undefined;
    if (label === undefined || reserved.includes(label)) {
      res.locals.scope = caller;
      return next();
    }
    try {
      const narrowed = await store.narrow(caller, label, res.locals.statements as Tally | undefined);
      if (!narrowed) return next(new NotFoundError(`No client answers at ${label}.${baseDomain}.`));
      res.locals.scope = narrowed;
      next();
    } catch (e) {
      next(e);
    }
  };
}
