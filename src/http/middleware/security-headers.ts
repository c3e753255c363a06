import type { NextFunction, Request, Response } from 'express';
import helmet from 'helmet';

/**
 * Security headers (helmet). Two Content-Security-Policies: API responses are data, never a page,
 * so they allow nothing at all (`default-src 'none'`); the /docs page (Swagger UI from
 * /docs/assets, started by /docs/init.js, no inline script) may load its own scripts, styles,
 * images and fonts, draw data: images (the icons in its CSS), and call this server for "Try it
 * out". Neither may be framed. No upgrade-insecure-requests: the service speaks plain HTTP and
 * leaves TLS to whatever is in front of it; HSTS is still sent (browsers heed it over HTTPS
 * only), without includeSubDomains, which is the TLS terminator's call for a whole domain.
 */
const common = {
  xFrameOptions: { action: 'deny' as const },
  referrerPolicy: { policy: 'no-referrer' as const },
  strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: false },
};

const api = helmet({
  ...common,
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  },
});

const docs = helmet({
  ...common,
  contentSecurityPolicy: {
    useDefaults: false,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      scriptSrcAttr: ["'none'"],
      styleSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      baseUri: ["'self'"],
      formAction: ["'self'"],
      frameAncestors: ["'none'"],
    },
  },
});

/** The headers a helmet middleware sets, worked out once: they depend on nothing in the request. */
function headersOf(middleware: (req: Request, res: Response, next: (err?: unknown) => void) => void): [string, string][] {
  const set: [string, string][] = [];
  const recorder = {
    setHeader: (name: string, value: string | number | readonly string[]) => void set.push([name, String(value)]),
    removeHeader: () => undefined,
    getHeader: () => undefined,
  };
  let failed: unknown;
  middleware({} as Request, recorder as unknown as Response, (err?: unknown) => void (failed = err));
  if (failed) throw failed instanceof Error ? failed : new Error(String(failed));
  return set;
}

const API_HEADERS = headersOf(api);
const DOCS_HEADERS = headersOf(docs);

/** helmet's headers, computed once per kind of response and set on each (constant per-request work done once). */
export function securityHeaders(req: Request, res: Response, next: NextFunction): void {
  const isDocs = req.path === '/docs' || req.path.startsWith('/docs/');
  for (const [name, value] of isDocs ? DOCS_HEADERS : API_HEADERS) res.setHeader(name, value);
  next();
}
