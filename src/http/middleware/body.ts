import express from 'express';
import type { NextFunction, Request, Response } from 'express';
import { InvalidDocumentError, PayloadTooLargeError } from '../../errors/api-error';

/** A JSON Pointer segment (RFC 6901). */
const segment = (key: string): string => key.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * The pointer to the first array or object nested deeper than `maxDepth` (the top-level value
 * is depth 1), or undefined. Recursion stops at the limit, so it cannot exhaust the stack, and
 * nothing deeper reaches code that walks documents recursively.
 */
function tooDeep(value: unknown, maxDepth: number, depth = 1, pointer = ''): string | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (depth > maxDepth) return pointer;
  for (const key of Object.keys(value)) {
    const child = (value as Record<string, unknown>)[key];
    if (child === null || typeof child !== 'object') continue;
    const found = tooDeep(child, maxDepth, depth + 1, `${pointer}/${segment(key)}`);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Reads the body as bytes whatever its Content-Type (negotiation already decided that), then
 * parses JSON itself so that size, syntax and nesting errors map to the contract's 413 and 400.
 * The parsed value is left in res.locals.body (undefined when there was no body).
 */
export function readJsonBody(limitBytes: number, maxDepth: number) {
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
      let body: unknown;
      try {
        body = JSON.parse(buf.toString('utf8'));
      } catch {
        return next(new InvalidDocumentError('The request body is not valid JSON.'));
      }
      const deep = tooDeep(body, maxDepth);
      if (deep !== undefined) return next(new InvalidDocumentError(`Arrays and objects may nest at most ${maxDepth} levels deep in a request body.`, deep));
      res.locals.body = body;
      next();
    });
  };
}
