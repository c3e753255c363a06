import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from 'pino';
import type { Tally } from '../../data/store';

/**
 * A request id (X-Request-Id echoed when it is sane, made otherwise), the count of SQL
 * statements the request issued, and one JSON log line per request. With `exposeStatements`
 * (EXPOSE_STATEMENT_COUNT=1, for the bench) the count is also sent as X-Statement-Count.
 */
export function requestContext(logger: Logger, exposeStatements: boolean) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const given = req.get('x-request-id');
    const id = given && /^[A-Za-z0-9._:-]{1,128}$/.test(given) ? given : randomUUID();
    res.locals.requestId = id;
    // The request's logger is made when something logs (most requests log one line at info, or none).
    let log: Logger | undefined;
    Object.defineProperty(res.locals, 'log', { get: () => (log ??= logger.child({ requestId: id })), configurable: true, enumerable: true });
    res.setHeader('X-Request-Id', id);
    const started = process.hrtime.bigint();
    const stats: Tally = { count: 0 };
    // The store counts into it (auth, narrowing and the session get it from res.locals).
    res.locals.statements = stats;
    if (exposeStatements) {
      const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => Response;
      (res as unknown as { writeHead: (...args: unknown[]) => Response }).writeHead = (...args: unknown[]) => {
        if (!res.headersSent) res.setHeader('X-Statement-Count', String(stats.count));
        return writeHead(...args);
      };
    }
    if (logger.isLevelEnabled('info')) {
      res.on('finish', () => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        const path = req.originalUrl.split('?')[0];
        (res.locals.log as Logger).info({ method: req.method, path, status: res.statusCode, ms: Math.round(ms * 10) / 10, statements: stats.count }, 'request');
      });
    }
    next();
  };
}
