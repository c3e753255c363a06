import type { NextFunction, Request, Response } from 'express';
import { ipKeyGenerator } from 'express-rate-limit';
import passport from 'passport';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import { FailureBudget } from '../../auth/failure-budget';
import type { Caller, RequestStore, Tally } from '../../data/store';

import { RateLimitedError, UnauthorizedError } from '../../errors/api-error';

/** The address a request counts against (an IPv6 address by its /56 network, as one host may hold many). */
export function clientAddress(req: Request): string {
  return ipKeyGenerator(req.ip ?? '');
}

function sendsBearerToken(req: Request): boolean {
  return /^Bearer\s+\S/i.test(req.get('authorization') ?? '');
}

/**
 * Passport's bearer strategy over hashed tokens. Failures become the contract's 401 with
 * `WWW-Authenticate: Bearer` through the one error handler.
 *
 * Guessing is limited per client address: a token found unknown or revoked counts against its
 * address's budget (`failures`), and once the budget is spent, every request from that address
 * that carries a token is answered 429 before any lookup, until the window ends, so a guess is
 * never tested and a made-up token gets no budget of its own. Valid tokens are never counted.
 */
export function bearerAuth(store: RequestStore, failures: FailureBudget | undefined) {
  const authenticator = new passport.Passport();
  authenticator.use(
    'bearer',
    new BearerStrategy({ passReqToCallback: true }, (req: Request, token: string, done: (err: unknown, caller?: Caller | false) => void) => {
      store.authenticate(token, req.res?.locals.statements as Tally | undefined).then(
        (caller) => {
          if (!caller) failures?.record(clientAddress(req));
          done(null, caller ?? false);
        },
        (err) => done(err),
      );
    }),
  );
  return (req: Request, res: Response, next: NextFunction): void => {
    if (failures && !failures.quiet && sendsBearerToken(req) && failures.exhausted(clientAddress(req))) {
      const seconds = failures.retryAfterSeconds();
      return next(new RateLimitedError(`Too many failed authentications from this address (at most ${failures.limit} a minute); retry in ${seconds} s.`, seconds));
    }
    authenticator.authenticate('bearer', { session: false }, (err: unknown, caller: Caller | false) => {
      if (err) return next(err);
      if (!caller) {
        const header = req.get('authorization');
        return next(new UnauthorizedError(header ? 'The bearer token is unknown or revoked.' : 'A bearer token is required (Authorization: Bearer <token>).'));
      }
      res.locals.caller = caller;
      res.locals.principal = caller.principal;
      next();
    })(req, res, next);
  };
}
