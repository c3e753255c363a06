import cors from 'cors';
import express from 'express';
import type { Express, Request, Response } from 'express';
import type { Logger } from 'pino';
import { Config } from './config/config';
import { Database } from './data/database';
import { NotFoundError } from './errors/api-error';
import { bearerAuth } from './http/middleware/auth';
import { readJsonBody } from './http/middleware/body';
import { errorHandler } from './http/middleware/error-handler';
import { jsonApiMediaType, jsonApiNegotiation } from './http/middleware/negotiation';
import { requestContext } from './http/middleware/request-context';
import { tenancy } from './http/middleware/tenancy';
import { flatNegotiation, flatRouter } from './http/flat/router';
import { jsonApiRouter } from './http/jsonapi/router';
import { docsRouter } from './http/docs';
import { buildOpenApi } from './openapi/openapi';
import { registry } from './resources/registry';

/**
 * Builds the express app from its dependencies. No listening and no side effects: tests use it
 * in-process, server.ts listens. The middleware order is the contract's error precedence:
 * 401, then 406/415, then 413, then 400, then the endpoint's own checks.
 */
export function buildApp(config: Config, db: Database, logger: Logger): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('query parser', false);
  app.set('etag', false);

  app.use(requestContext(logger, db.counter, config.exposeStatementCount));
  app.use(
    cors({
      origin: config.corsOrigins.length === 0 ? false : config.corsOrigins,
      exposedHeaders: ['Location', 'ETag', 'X-Request-Id'],
      allowedHeaders: ['Authorization', 'Content-Type', 'Accept', 'Prefer', 'If-Match', 'If-None-Match', 'X-Request-Id'],
      methods: ['GET', 'POST', 'PATCH', 'DELETE'],
      maxAge: 600,
    }),
  );

  app.get('/healthz', (_req: Request, res: Response) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req: Request, res: Response) => {
    const ok = await db.ping();
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable' });
  });

  // Generated once, at start, from the registry; needs no token (SPEC §4).
  const openapi = Buffer.from(JSON.stringify(buildOpenApi(registry, config)));
  app.get('/api/v2/openapi.json', (_req: Request, res: Response) => {
    res.type('application/json').send(openapi);
  });
  app.use('/docs', docsRouter());

  const auth = bearerAuth(db);
  const scope = tenancy(db, config.baseDomain, config.reservedSubdomains);
  const body = readJsonBody(config.limits.maxBodyBytes);

  app.use('/api/v2', jsonApiMediaType, auth, jsonApiNegotiation, scope, body, jsonApiRouter({ db, registry, config }));
  app.use('/api/clients', auth, flatNegotiation, scope, body, flatRouter({ db, registry, config }));
  app.use('/api', auth, (req: Request) => {
    throw new NotFoundError(`No endpoint at ${req.originalUrl.split('?')[0]}.`);
  });
  app.use((req: Request) => {
    throw new NotFoundError(`No endpoint at ${req.originalUrl.split('?')[0]}.`);
  });
  app.use(errorHandler(logger));
  return app;
}
