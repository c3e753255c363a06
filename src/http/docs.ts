import express, { Router } from 'express';
import type { Request, Response } from 'express';
import * as path from 'node:path';

/**
 * The docs page at /docs: Swagger UI, served from the swagger-ui-dist npm package (no CDN),
 * rendering /api/v2/openapi.json. "Try it out" sends requests to this same server; the
 * Authorize button takes a bearer token. The page has no inline script, so a strict
 * Content-Security-Policy (script-src 'self') does not break it.
 */

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Client-hierarchy service: API docs</title>
<link rel="stylesheet" href="/docs/assets/swagger-ui.css">
<link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

const INIT = `window.ui = SwaggerUIBundle({
  url: '/api/v2/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  persistAuthorization: true,
  tryItOutEnabled: false,
  displayRequestDuration: true,
  docExpansion: 'none',
  filter: true,
  // No badge from validator.swagger.io: the page asks nothing of any other host.
  validatorUrl: null,
});
`;

export function docsRouter(): Router {
  const router = Router({ strict: false });
  router.get('/', (_req: Request, res: Response) => {
    res.type('html').send(PAGE);
  });
  router.get('/init.js', (_req: Request, res: Response) => {
    res.type('application/javascript').send(INIT);
  });
  // The package's folder, found without loading its index (which requires the whole 1 MB UI bundle at start).
  const assets = path.dirname(require.resolve('swagger-ui-dist/package.json'));
  router.use('/assets', express.static(assets, { index: false, maxAge: '1h' }));
  return router;
}
