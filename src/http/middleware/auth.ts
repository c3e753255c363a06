import type { NextFunction, Request, Response } from 'express';
import passport from 'passport';
import { Strategy as BearerStrategy } from 'passport-http-bearer';
import { Database } from '../../data/database';
import { principalForSecret } from '../../data/token-store';
import { UnauthorizedError } from '../../errors/api-error';
import { Principal } from '../../scope/scope';

/**
 * Passport's bearer strategy over hashed tokens. Failures become the contract's 401 with
 * `WWW-Authenticate: Bearer` through the one error handler.
 */
export function bearerAuth(db: Database) {
  const authenticator = new passport.Passport();
  authenticator.use(
    'bearer',
    new BearerStrategy((token, done) => {
      principalForSecret(db, token).then(
        (principal) => done(null, principal ?? false),
        (err) => done(err),
      );
    }),
  );
  return (req: Request, res: Response, next: NextFunction): void => {
    authenticator.authenticate('bearer', { session: false }, (err: unknown, principal: Principal | false) => {
      if (err) return next(err);
      if (!principal) {
        const header = req.get('authorization');
        return next(new UnauthorizedError(header ? 'The bearer token is unknown or revoked.' : 'A bearer token is required (Authorization: Bearer <token>).'));
      }
      res.locals.principal = principal;
      next();
    })(req, res, next);
  };
}
