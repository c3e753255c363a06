import cors from 'cors';
import express from 'express';
import type { Express, Request, Response } from 'express';
import type { Logger } from 'pino';
import { Config } from './config/config';
import { RequestStore } from './data/store';
import { NotFoundError } from './errors/api-error';
import { bearerAuth } from './http/middleware/auth';
import { readJsonBody } from './http/middleware/body';
import { errorHandler } from './http/middleware/error-handler';
import { hostCheck } from './http/middleware/host';
import { jsonApiMediaType, jsonApiNegotiation } from './http/middleware/negotiation';
import { tokenRateLimiter } from './http/middleware/rate-limit';
import { FailureBudget } from './auth/failure-budget';
import { requestContext } from './http/middleware/request-context';
import { securityHeaders } from './http/middleware/security-headers';
import { tenancy } from './http/middleware/tenancy';
import { requestTimeout } from './http/middleware/timeout';
import { flatNegotiation, flatRouter } from './http/flat/router';
import { jsonApiRouters } from './http/jsonapi/router';
import { docsRouter } from './http/docs';
import { registry } from './resources/registry';

/**
 * Builds the express app from its dependencies. No listening and no side effects: tests use it
 * in-process, server.ts listens (through http/server-factory.ts). The middleware order is the
 * contract's error precedence: 401, then 406/415, then 413, then 400, then the endpoint's own
 * checks; the abuse limits (timeout, failed-authentication budget) come before all of them,
 * since their point is to spend nothing on a request they refuse.
 */
export function buildApp(config: Config, store: RequestStore, logger: Logger): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', config.trustProxy);
  app.set('query parser', false);
  app.set('etag', false);

  app.use(requestContext(logger, config.exposeStatementCount));
  app.use(securityHeaders);
  // No origins configured: cors would only pass every request on, so it is not in the chain at all.
  if (config.corsOrigins.length > 0) {
    app.use(
      cors({
        origin: config.corsOrigins,
        exposedHeaders: ['Location', 'ETag', 'X-Request-Id', 'Retry-After', 'RateLimit', 'RateLimit-Policy'],
        allowedHeaders: ['Authorization', 'Content-Type', 'Accept', 'Prefer', 'If-Match', 'If-None-Match', 'X-Request-Id'],
        methods: ['GET', 'POST', 'PATCH', 'DELETE'],
        maxAge: 600,
      }),
    );
  }

  app.get('/healthz', (_req: Request, res: Response) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req: Request, res: Response) => {
    const ok = await store.ping();
    res.status(ok ? 200 : 503).json({ status: ok ? 'ok' : 'unavailable' });
  });

  app.use('/docs', docsRouter());

  // Every /api request is answered within REQUEST_TIMEOUT_MS. Health checks are not limited:
  // a load balancer polls them, and they must tell the truth under load.
  const { requestTimeoutMs, rateLimitPerMinute, authFailuresPerMinute } = config.protection;
  if (requestTimeoutMs > 0) app.use('/api', requestTimeout(requestTimeoutMs, logger));
  // Errors of /api/v2, the 429 included, are answered in the media type Accept asked for.
  app.use('/api/v2', jsonApiMediaType);
  // Links and Location are built from the host: a host that is not one is a 400 up front.
  app.use('/api', hostCheck);

  // The endpoints that need no token (SPEC §4: the OpenAPI document).
  const jsonApi = jsonApiRouters({ store, registry, config });
  for (const route of jsonApi.open) app[route.method](route.path, route.handle);

  // Honest load is never throttled: guessing is (failed authentications per address, counted
  // after the lookup, refused before the next one); a per-token limit only when an operator sets one.
  const failures = authFailuresPerMinute > 0 ? new FailureBudget(authFailuresPerMinute) : undefined;
  const perToken = rateLimitPerMinute > 0 ? [tokenRateLimiter(rateLimitPerMinute, logger)] : [];
  const auth = [bearerAuth(store, failures), ...perToken];
  const scope = tenancy(store, config.baseDomain, config.reservedSubdomains);
  const body = readJsonBody(config.limits.maxBodyBytes, config.protection.maxJsonDepth);

  app.use('/api/v2', ...auth, jsonApiNegotiation, scope, body, jsonApi.authenticated);
  app.use('/api/clients', ...auth, flatNegotiation, scope, body, flatRouter({ store, registry, config }));
  app.use('/api', ...auth, (req: Request) => {
    throw new NotFoundError(`No endpoint at ${req.originalUrl.split('?')[0]}.`);
  });
  app.use((req: Request) => {
    throw new NotFoundError(`No endpoint at ${req.originalUrl.split('?')[0]}.`);
  });
  app.use(errorHandler(logger));
  return app;
}
