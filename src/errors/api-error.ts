/**
 * Typed errors. Each class fixes status, code and title (the same for every error of a
 * code); the throw site gives the detail and the source. One mapper turns them into
 * JSON:API error objects (jsonapi-error.mapper.ts), another into the flat shape.
 */
export interface ErrorSource {
  pointer?: string;
  parameter?: string;
  header?: string;
}

export interface ErrorObject {
  status: string;
  code: ErrorCode;
  title: string;
  detail?: string;
  source?: ErrorSource;
  meta?: Record<string, unknown>;
}

/** Every error code a response can carry (SPEC §2); the OpenAPI document lists exactly these. */
export const ERROR_CODES = [
  'invalid_query_parameter',
  'invalid_document',
  'unauthorized',
  'forbidden',
  'not_found',
  'related_not_found',
  'method_not_allowed',
  'not_acceptable',
  'conflict',
  'precondition_failed',
  'payload_too_large',
  'unsupported_media_type',
  'validation_failed',
  'rate_limited',
  'internal_error',
  'unavailable',
  // Limits on the HTTP exchange itself: some are answered by the HTTP parser's
  // handler (src/http/client-error.ts) before any route is known.
  'malformed_request',
  'invalid_header',
  'request_timeout',
  'header_too_large',
  'processing_timeout',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export abstract class ApiError extends Error {
  abstract readonly status: number;
  abstract readonly code: ErrorCode;
  abstract readonly title: string;
  readonly headers: Record<string, string> = {};

  constructor(
    readonly detail: string,
    readonly source?: ErrorSource,
    readonly meta?: Record<string, unknown>,
  ) {
    super(detail);
  }

  toObjects(): ErrorObject[] {
    const obj: ErrorObject = { status: String(this.status), code: this.code, title: this.title, detail: this.detail };
    if (this.source) obj.source = this.source;
    if (this.meta) obj.meta = this.meta;
    return [obj];
  }

  /** A copy whose pointer is moved under a prefix, or renamed (atomic operations, flat surface). */
  withPointer(map: (pointer: string) => string): this {
    const copy = Object.create(Object.getPrototypeOf(this)) as this;
    Object.assign(copy, this);
    if (this.source?.pointer !== undefined) {
      (copy as { source?: ErrorSource }).source = { ...this.source, pointer: map(this.source.pointer) };
    }
    return copy;
  }
}

export class InvalidQueryParameterError extends ApiError {
  readonly status = 400;
  readonly code = 'invalid_query_parameter';
  readonly title = 'Invalid query parameter';
  constructor(parameter: string, detail: string) {
    super(detail, { parameter });
  }
}

export class InvalidDocumentError extends ApiError {
  readonly status = 400;
  readonly code = 'invalid_document';
  readonly title = 'Invalid request document';
  constructor(detail: string, pointer?: string) {
    super(detail, pointer === undefined ? undefined : { pointer });
  }
}

/** A header the request cannot be answered without is not well formed (an invalid Host). */
export class InvalidHeaderError extends ApiError {
  readonly status = 400;
  readonly code = 'invalid_header';
  readonly title = 'Invalid header';
  constructor(detail: string, header: string) {
    super(detail, { header });
  }
}

export class UnauthorizedError extends ApiError {
  readonly status = 401;
  readonly code = 'unauthorized';
  readonly title = 'Authentication required';
  constructor(detail = 'A valid bearer token is required.') {
    super(detail);
    this.headers['WWW-Authenticate'] = 'Bearer';
  }
}

export class ForbiddenError extends ApiError {
  readonly status = 403;
  readonly code = 'forbidden';
  readonly title = 'Forbidden';
}

export class NotFoundError extends ApiError {
  readonly status = 404;
  readonly code = 'not_found';
  readonly title = 'Resource not found';
}

export class RelatedNotFoundError extends ApiError {
  readonly status = 404;
  readonly code = 'related_not_found';
  readonly title = 'Related resource not found';
  constructor(detail: string, pointer: string) {
    super(detail, { pointer });
  }
}

export class MethodNotAllowedError extends ApiError {
  readonly status = 405;
  readonly code = 'method_not_allowed';
  readonly title = 'Method not allowed';
  constructor(method: string, allowed: string[]) {
    super(`${method} is not allowed here; allowed: ${allowed.join(', ')}.`);
    this.headers['Allow'] = allowed.join(', ');
  }
}

export class NotAcceptableError extends ApiError {
  readonly status = 406;
  readonly code = 'not_acceptable';
  readonly title = 'Not acceptable';
}

export class ConflictError extends ApiError {
  readonly status = 409;
  readonly code = 'conflict';
  readonly title = 'Conflict';
}

export class PreconditionFailedError extends ApiError {
  readonly status = 412;
  readonly code = 'precondition_failed';
  readonly title = 'Precondition failed';
}

export class PayloadTooLargeError extends ApiError {
  readonly status = 413;
  readonly code = 'payload_too_large';
  readonly title = 'Payload too large';
}

export class UnsupportedMediaTypeError extends ApiError {
  readonly status = 415;
  readonly code = 'unsupported_media_type';
  readonly title = 'Unsupported media type';
}

export class ValidationError extends ApiError {
  readonly status = 422;
  readonly code = 'validation_failed';
  readonly title = 'Validation failed';
  constructor(detail: string, pointer: string) {
    super(detail, { pointer });
  }
}

export class RateLimitedError extends ApiError {
  readonly status = 429;
  readonly code = 'rate_limited';
  readonly title = 'Too many requests';
  constructor(detail: string, retryAfterSeconds: number) {
    super(detail);
    this.headers['Retry-After'] = String(retryAfterSeconds);
  }
}

/** What Node's HTTP parser could not read: a broken request line, header or chunk framing. */
export class MalformedRequestError extends ApiError {
  readonly status = 400;
  readonly code = 'malformed_request';
  readonly title = 'Malformed HTTP request';
}

/** The client did not send the whole request (headers or body) in time: its side was slow. */
export class RequestTimeoutError extends ApiError {
  readonly status = 408;
  readonly code = 'request_timeout';
  readonly title = 'Request not received in time';
  constructor(timeoutMs: number) {
    super(`The request did not arrive in time (the whole request within ${timeoutMs} ms); the connection is closed.`);
  }
}

export class HeaderTooLargeError extends ApiError {
  readonly status = 431;
  readonly code = 'header_too_large';
  readonly title = 'Request header fields too large';
  constructor(maxBytes: number) {
    super(`The request line and headers together are limited to ${maxBytes} bytes.`);
  }
}

/**
 * The request arrived whole but was not answered in time: the service's side was slow (a busy
 * database, say). 503 rather than 504: no upstream gateway timed out, this service did.
 */
export class ProcessingTimeoutError extends ApiError {
  readonly status = 503;
  readonly code = 'processing_timeout';
  readonly title = 'Request timed out';
  constructor(timeoutMs: number) {
    super(`The request was not answered within ${timeoutMs} ms. A write may still complete: read before retrying it.`);
    this.headers['Retry-After'] = '1';
  }
}

export class ServiceUnavailableError extends ApiError {
  readonly status = 503;
  readonly code = 'unavailable';
  readonly title = 'Service unavailable';
  constructor(detail: string, retryAfterSeconds = 1) {
    super(detail);
    this.headers['Retry-After'] = String(retryAfterSeconds);
  }
}

export class InternalError extends ApiError {
  readonly status = 500;
  readonly code = 'internal_error';
  readonly title = 'Internal server error';
  constructor(errorId: string) {
    super(`An unexpected error occurred; quote error id ${errorId} when reporting it.`, undefined, { errorId });
  }
}

/** Several errors of one kind answered together (delete refused by several relationships). */
export class ErrorList extends ApiError {
  readonly status: number;
  readonly code: ErrorCode;
  readonly title: string;
  constructor(readonly errors: ApiError[]) {
    super(errors.map((e) => e.detail).join(' '));
    this.status = errors[0].status;
    this.code = errors[0].code;
    this.title = errors[0].title;
  }
  override toObjects(): ErrorObject[] {
    return this.errors.flatMap((e) => e.toObjects());
  }
  override withPointer(map: (pointer: string) => string): this {
    return new ErrorList(this.errors.map((e) => e.withPointer(map))) as this;
  }
}
