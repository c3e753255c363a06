import type { NextFunction, Request, Response } from 'express';
import { InvalidHeaderError } from '../../errors/api-error';

/**
 * Links and Location are absolute URLs built from the request's host (SPEC §2), so a host that
 * is not one (`>`, `a b`, `[x`) cannot be answered with a document: 400 naming the header
 * (RFC 9112 §3.2 asks for a 400 on an invalid Host), before anything else runs.
 */
export function validHost(host: string | undefined): boolean {
  if (host === undefined || host === '') return false;
  try {
    const url = new URL(`http://${host}/`);
    return url.pathname === '/' && url.search === '' && url.hash === '' && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

export function hostCheck(req: Request, _res: Response, next: NextFunction): void {
  if (validHost(req.host)) return next();
  const header = req.app.get('trust proxy') && req.get('x-forwarded-host') !== undefined ? 'X-Forwarded-Host' : 'Host';
  next(new InvalidHeaderError(`The ${header} header is not a valid host, so no links can be made for this request.`, header));
}
