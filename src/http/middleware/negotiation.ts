import type { NextFunction, Request, Response } from 'express';
import { NotAcceptableError, UnsupportedMediaTypeError } from '../../errors/api-error';

export const JSONAPI = 'application/vnd.api+json';
/** The spelling used by the aleta reference document; answered in kind. */
export const JSONAPI_ALIAS = 'application/vnd.json+api';

interface MediaRange {
  type: string;
  params: Map<string, string>;
}

function parseMediaRange(raw: string): MediaRange {
  const [type, ...rest] = raw.split(';');
  const params = new Map<string, string>();
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq === -1) continue;
    params.set(
      p.slice(0, eq).trim().toLowerCase(),
      p
        .slice(eq + 1)
        .trim()
        .replace(/^"(.*)"$/, '$1'),
    );
  }
  return { type: type.trim().toLowerCase(), params };
}

function isJsonApi(type: string): boolean {
  return type === JSONAPI || type === JSONAPI_ALIAS;
}

/** Only ext and profile may modify the JSON:API media type (q is the Accept weight). */
function onlyAllowedParams(range: MediaRange, allowQ: boolean): boolean {
  return [...range.params.keys()].every((k) => k === 'ext' || k === 'profile' || (allowQ && k === 'q'));
}

/** Picks the response media type from Accept, or throws 406 (JSON:API 1.1 §content negotiation). */
/** The atomic operations extension (SPEC §5), the one extension this API supports, at /operations. */
export const ATOMIC_EXT = 'https://jsonapi.org/ext/atomic';
/** The media type of an atomic request and its answer. */
export const ATOMIC_MEDIA_TYPE = `${JSONAPI}; ext="${ATOMIC_EXT}"`;

function extensions(range: MediaRange): string[] {
  return (range.params.get('ext') ?? '').split(' ').filter((e) => e !== '');
}

/** Extensions usable on the endpoint: none, or the atomic extension at /operations. */
function extensionsSupported(range: MediaRange, supported: readonly string[]): boolean {
  return extensions(range).every((e) => supported.includes(e));
}

export function negotiateAccept(accept: string | undefined, supported: readonly string[] = []): string {
  if (!accept || accept.trim() === '') return JSONAPI;
  const ranges = accept
    .split(',')
    .map(parseMediaRange)
    .filter((r) => r.type !== '');
  const jsonapi = ranges.filter((r) => isJsonApi(r.type));
  if (jsonapi.length > 0) {
    // JSON:API 1.1: when every JSON:API instance carries other parameters, 406 even beside */*.
    const usable = jsonapi.filter((r) => onlyAllowedParams(r, true) && extensionsSupported(r, supported) && r.params.get('q') !== '0');
    if (usable.length > 0) return usable.some((r) => r.type === JSONAPI) ? JSONAPI : JSONAPI_ALIAS;
    if (jsonapi.some((r) => !onlyAllowedParams(r, true))) {
      throw new NotAcceptableError(`Every ${JSONAPI} in Accept carries parameters other than ext and profile.`, { header: 'Accept' });
    }
  }
  const generic = ranges.some((r) => ['*/*', 'application/*', 'application/json'].includes(r.type) && r.params.get('q') !== '0');
  if (generic) return JSONAPI;
  throw new NotAcceptableError(`This API answers with ${JSONAPI}; the Accept header allows no usable form of it.`, { header: 'Accept' });
}

/** Checks a request body's Content-Type: JSON:API (or its alias, or none at all), with no parameters but profile. */
export function checkContentType(contentType: string | undefined, required: readonly string[] = []): void {
  if (contentType === undefined || contentType.trim() === '') {
    if (required.length === 0) return;
    throw new UnsupportedMediaTypeError(`This endpoint takes ${JSONAPI}; ext="${required.join(' ')}".`, { header: 'Content-Type' });
  }
  const range = parseMediaRange(contentType);
  if (!isJsonApi(range.type)) {
    throw new UnsupportedMediaTypeError(`Request bodies must be sent as ${JSONAPI}, not ${range.type}.`, { header: 'Content-Type' });
  }
  if (!onlyAllowedParams(range, false)) {
    throw new UnsupportedMediaTypeError(`${JSONAPI} takes no media type parameters other than ext and profile.`, { header: 'Content-Type' });
  }
  if (!extensionsSupported(range, required)) {
    throw new UnsupportedMediaTypeError(`The extension "${range.params.get('ext')}" is not supported on this endpoint.`, { header: 'Content-Type' });
  }
  if (!required.every((e) => extensions(range).includes(e))) {
    throw new UnsupportedMediaTypeError(`This endpoint takes ${JSONAPI}; ext="${required.join(' ')}".`, { header: 'Content-Type' });
  }
}

function isOperations(req: Request): boolean {
  return req.path === '/operations' || req.path === '/operations/';
}

export function hasBody(req: Request): boolean {
  const length = req.get('content-length');
  return (length !== undefined && length !== '0') || req.get('transfer-encoding') !== undefined;
}

/** Picks the media type errors are answered in, before authentication (which comes first). */
export function jsonApiMediaType(req: Request, res: Response, next: NextFunction): void {
  try {
    res.locals.mediaType = negotiateAccept(req.get('accept'));
  } catch {
    res.locals.mediaType = JSONAPI;
  }
  next();
}

/** 406/415 for /api/v2, after authentication and before anything reads the body. */
export function jsonApiNegotiation(req: Request, res: Response, next: NextFunction): void {
  const atomic = isOperations(req) ? [ATOMIC_EXT] : [];
  res.locals.mediaType = negotiateAccept(req.get('accept'), atomic);
  if (atomic.length > 0) res.locals.mediaType = ATOMIC_MEDIA_TYPE;
  if (hasBody(req) || ['POST', 'PATCH'].includes(req.method)) checkContentType(req.get('content-type'), req.method === 'POST' ? atomic : []);
  next();
}
