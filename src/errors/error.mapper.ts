import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { DatabaseBusyError } from '../data/errors';
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

/** The JSON:API error document (the flat surface sends `{errors}` alone). */
export function jsonApiErrorDocument(errors: ErrorObject[]): { jsonapi: { version: '1.1' }; errors: ErrorObject[] } {
  return { jsonapi: { version: '1.1' }, errors };
}

export function mapError(err: unknown, log: Logger): MappedError {
  let api: ApiError;
  if (err instanceof ApiError) {
    api = err;
  } else if (err instanceof DatabaseBusyError) {
    api = new ServiceUnavailableError('The database is busy with other writes; retry shortly.');
  } else if (isDatabaseUnreachable(err)) {
    log.warn({ errorCode: (err as { code?: string }).code }, 'database unreachable');
    api = new ServiceUnavailableError('The database cannot be reached right now; retry shortly.', 5);
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

/** The database server is down or the connection was lost (not a bug of ours: 503, retry). */
function isDatabaseUnreachable(err: unknown): boolean {
  const e = err as { code?: string; message?: string; driverError?: { code?: string } } | null;
  if (!e || typeof e !== 'object') return false;
  const code = e.driverError?.code ?? e.code ?? '';
  if (['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08006'].includes(code)) return true;
  return /Connection terminated|timeout exceeded when trying to connect|connect ECONNREFUSED/i.test(e.message ?? '');
}
