import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import { ProcessingTimeoutError, RequestTimeoutError } from '../../errors/api-error';
import { sendError } from './error-handler';

/**
 * Answers a request that is not done after `timeoutMs`: 408 when the client has not even sent
 * the whole body yet (its side is slow; the connection is closed, since the rest of the body
 * would be read as the next request), 503 when the request arrived and we are the slow side.
 * The handler may still be running (a write waiting for the database lock); it carries on, and
 * the error handler drops what it tries to send later (res.locals.timedOut).
 */
export function requestTimeout(timeoutMs: number, logger: Logger) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const timer = setTimeout(() => {
      if (res.headersSent) return; // an answer is already on its way
      res.locals.timedOut = true;
      if (!req.complete) res.setHeader('Connection', 'close');
      (res.locals.log as Logger | undefined)?.warn({ timeoutMs, received: req.complete }, 'request timed out');
      sendError(req.complete ? new ProcessingTimeoutError(timeoutMs) : new RequestTimeoutError(timeoutMs), req, res, logger);
    }, timeoutMs);
    const clear = () => clearTimeout(timer);
    res.once('finish', clear);
    res.once('close', clear);
    next();
  };
}
