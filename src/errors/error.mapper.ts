import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { DatabaseBusyError } from '../data/database';
import { ApiError, ErrorObject, InternalError, InvalidDocumentError, PayloadTooLargeError, ServiceUnavailableError } from './api-error';

/**
 * The one place errors become responses. ApiErrors map to their objects; anything else is a
 * 500 with a generic detail and an id that is in the log (no stack, SQL or path leaves).
 */
export interface MappedError {
  status: number;
  headers: Record<string, string>;
  errors: ErrorObject[];
}

export function mapError(err: unknown, log: Logger): MappedError {
  let api: ApiError;
  if (err instanceof ApiError) {
    api = err;
  } else if (err instanceof DatabaseBusyError) {
    api = new ServiceUnavailableError('The database is busy with other writes; retry shortly.');
  } else if (isBodyParserError(err)) {
    api = err.type === 'entity.too.large' ? new PayloadTooLargeError('The request body is too large.') : new InvalidDocumentError('The request body could not be read.');
  } else {
    const errorId = randomUUID();
    log.error({ err, errorId }, 'unhandled error');
    api = new InternalError(errorId);
  }
  return { status: api.status, headers: api.headers, errors: api.toObjects() };
}

function isBodyParserError(err: unknown): err is { type: string; status: number } {
  return typeof err === 'object' && err !== null && typeof (err as { type?: unknown }).type === 'string' && typeof (err as { status?: unknown }).status === 'number';
}
