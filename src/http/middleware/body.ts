import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { InvalidDocumentError, PayloadTooLargeError } from '../../errors/api-error';

/**
 * Reads the body as bytes whatever its Content-Type (negotiation already decided that), then
 * parses JSON itself so that size and syntax errors map to the contract's 413 and 400.
 * The parsed value is left in res.locals.body (undefined when there was no body).
 */
export function readJsonBody(limitBytes: number) {
  const raw = express.raw({ type: () => true, limit: limitBytes });
  return (req: Request, res: Response, next: NextFunction): void => {
    raw(req, res, (err?: unknown) => {
      if (err) {
        const e = err as { type?: string; status?: number };
        if (e.type === 'entity.too.large' || e.status === 413) return next(new PayloadTooLargeError(`Request bodies are limited to ${limitBytes} bytes.`));
        return next(new InvalidDocumentError('The request body could not be read.'));
      }
      const buf = req.body as Buffer | undefined;
      if (!Buffer.isBuffer(buf) || buf.length === 0) {
        res.locals.body = undefined;
        return next();
      }
      try {
        res.locals.body = JSON.parse(buf.toString('utf8'));
      } catch {
        return next(new InvalidDocumentError('The request body is not valid JSON.'));
      }
      next();
    });
  };
}
