import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { jsonApiErrorDocument, mapError } from '../../errors/error.mapper';
import { JSONAPI } from './negotiation';

/** JSON:API error documents everywhere but the flat surface, which gets `{errors: [...]}` as JSON. */
export function sendError(err: unknown, req: Request, res: Response, logger: Logger): void {
  const mapped = mapError(err, (res.locals.log as Logger) ?? logger);
  for (const [k, v] of Object.entries(mapped.headers)) res.setHeader(k, v);
  const flat = req.originalUrl.startsWith('/api/clients');
  res.status(mapped.status);
  if (flat) {
    res.setHeader('Content-Type', 'application/json');
    res.send(Buffer.from(JSON.stringify({ errors: mapped.errors })));
  } else {
    res.setHeader('Content-Type', (res.locals.mediaType as string) ?? JSONAPI);
    res.send(Buffer.from(JSON.stringify(jsonApiErrorDocument(mapped.errors))));
  }
}

export function errorHandler(logger: Logger) {
  return (err: unknown, req: Request, res: Response, next: NextFunction): void => {
    if (res.headersSent) {
      // A request that timed out has had its answer (timeout.ts); whatever its handler does
      // afterwards (it cannot set headers any more) is of no interest to anyone.
      if (res.locals.timedOut === true) return;
      return next(err);
    }
    sendError(err, req, res, logger);
  };
}
