import { ATOMIC_MEDIA_TYPE, JSONAPI, JSONAPI_ALIAS } from '../http/middleware/negotiation';
import { Obj, ref } from './schema.helpers';

/** The error responses (one component per surface and status), the media types and headers responses share. */

export { ATOMIC_MEDIA_TYPE };

const ERROR_STATUS: Record<number, string> = {
  400: 'A query parameter (`source.parameter`) or the document (`source.pointer`) is malformed, or nests too deep: `invalid_query_parameter`, `invalid_document`; HTTP that cannot be parsed: `malformed_request`.',
  401: 'Missing, unknown or revoked token: `unauthorized`.',
  403: 'The role may not do this: `forbidden`.',
  404: "The target does not exist or is out of the caller's scope (`not_found`), or relationship data names one (`related_not_found`).",
  406: 'Accept allows no usable JSON:API media type: `not_acceptable`.',
  408: 'The request (headers or body) did not arrive in time: `request_timeout`; the connection is closed.',
  409: 'Wrong type, id mismatch, id/email/slug in use, a cycle, or a delete refused: `conflict`.',
  412: "If-Match (or an atomic operation's meta.version) does not match: `precondition_failed`.",
  413: "Body over the limit, too many atomic operations, or more resource identifiers in one relationship's data than the limit (`source.pointer` at the array): `payload_too_large`.",
  415: 'Unsupported request media type: `unsupported_media_type`.',
  422: 'A value, a missing required member, an unknown or read-only member: `validation_failed`.',
  429: 'Too many failed authentications from this address in the current minute (every request with a token is refused until it ends), or, where an operator set a per-token limit, too many requests from this token: `rate_limited`, with Retry-After.',
  431: 'The request line and headers are over the limit: `header_too_large`; the connection is closed.',
  500: 'Unexpected: `internal_error`, with meta.errorId (in the log).',
  503: 'The database is unreachable or busy (`unavailable`), or the request was not answered in time (`processing_timeout`): with Retry-After.',
};

const RETRY_AFTER = { required: true, schema: { type: 'string', pattern: '^[0-9]+$' }, description: 'Seconds to wait before retrying.' };

const HEADERS: Record<number, Obj> = {
  401: { 'WWW-Authenticate': { required: true, schema: { type: 'string', const: 'Bearer' } } },
  429: {
    'Retry-After': RETRY_AFTER,
    RateLimit: {
      schema: { type: 'string' },
      description: 'IETF RateLimit header (draft 8), on every /api response when a per-token limit is set: `"600-in-1min"; r=0; t=42` (remaining, seconds to reset).',
    },
    'RateLimit-Policy': { schema: { type: 'string' }, description: 'IETF RateLimit-Policy header (draft 8): `"600-in-1min"; q=600; w=60; pk=:…:`.' },
  },
  503: { 'Retry-After': RETRY_AFTER },
};

/**
 * Statuses the HTTP layer answers before any route is known (src/http/client-error.ts), on any
 * path: unparsable HTTP, headers or body too slow, chunk framing too large, headers too large.
 * Those answers are always JSON:API error documents, on the flat surface too.
 */
const HTTP_LAYER_STATUSES = [400, 408, 413, 431];
/** Statuses every /api operation may answer, whatever the endpoint: the rate limit and the request timeout. */
const API_LIMIT_STATUSES = [429, 503];

type Surface = 'jsonapi' | 'flat';

export function errorResponses(surface: Surface, statuses: number[]): Obj {
  return Object.fromEntries(statuses.map((s) => [String(s), { $ref: `#/components/responses/${surface === 'jsonapi' ? 'JsonApi' : 'Flat'}${s}` }]));
}

export function componentResponses(): Record<string, Obj> {
  const out: Record<string, Obj> = {};
  for (const [status, description] of Object.entries(ERROR_STATUS)) {
    const headers = HEADERS[Number(status)];
    out[`JsonApi${status}`] = { description, ...(headers ? { headers } : {}), content: jsonApiContent(ref('ErrorDocument'), true) };
    const fromHttpLayer = HTTP_LAYER_STATUSES.includes(Number(status));
    out[`Flat${status}`] = {
      description: fromHttpLayer ? `${description} Answered by the HTTP layer before the route is known, it is a JSON:API error document.` : description,
      ...(headers ? { headers } : {}),
      content: { 'application/json': { schema: ref('FlatErrorDocument') }, ...(fromHttpLayer ? { [JSONAPI]: { schema: ref('ErrorDocument') } } : {}) },
    };
  }
  return out;
}

/**
 * Adds the responses no endpoint decides on its own to every operation that does not list them
 * yet: the HTTP layer's on every path (even /healthz), the abuse limits' on every /api path.
 */
export function addCrossCuttingResponses(paths: Record<string, Obj>): void {
  for (const [path, item] of Object.entries(paths)) {
    const surface: Surface = path.startsWith('/api/clients') ? 'flat' : 'jsonapi';
    const statuses = path.startsWith('/api/') ? [...HTTP_LAYER_STATUSES, ...API_LIMIT_STATUSES] : HTTP_LAYER_STATUSES;
    for (const method of ['get', 'post', 'patch', 'delete']) {
      const op = item[method] as Obj | undefined;
      // Integer-like keys enumerate in numeric order, so the statuses stay sorted.
      if (op) op.responses = { ...errorResponses(surface, statuses), ...(op.responses as Obj) };
    }
  }
}

/** The response media types: JSON:API, its alias (answered when the request asked for it), and the atomic extension. */
export function jsonApiContent(schema: Obj, withAtomic = false): Obj {
  const content: Obj = { [JSONAPI]: { schema }, [JSONAPI_ALIAS]: { schema } };
  if (withAtomic) content[ATOMIC_MEDIA_TYPE] = { schema };
  return content;
}

export function requestBody(schema: Obj, required = true): Obj {
  return { required, content: { [JSONAPI]: { schema } } };
}

export const ETAG = { ETag: { required: true, schema: { type: 'string' }, description: 'Strong tag of type, id and version.' } };
export const READ_ERRORS = [400, 401, 404, 406, 500, 503];
export const WRITE_ERRORS = [400, 401, 403, 404, 406, 409, 413, 415, 422, 500, 503];
