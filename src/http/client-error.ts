import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { ApiError, HeaderTooLargeError, MalformedRequestError, PayloadTooLargeError, RequestTimeoutError } from '../errors/api-error';
import { jsonApiErrorDocument } from '../errors/error.mapper';
import { JSONAPI } from './middleware/negotiation';

/**
 * Node's HTTP parser rejects some requests before express sees them: headers over
 * maxHeaderSize, a request line or header it cannot parse, headers or a body that do not arrive
 * within the server's timeouts. Left alone, Node answers those with a bare status line; this
 * answers them with the same JSON:API error document as every other error. No route is known
 * yet (the URL may be what could not be parsed), so it is always the JSON:API shape.
 */

export interface ClientErrorLimits {
  readonly maxHeaderBytes: number;
  readonly requestTimeoutMs: number;
}

/** The error to answer for a parser error code (llhttp's HPE_* codes, Node's ERR_HTTP_*). */
export function errorForParserCode(code: string | undefined, limits: ClientErrorLimits): ApiError {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new HeaderTooLargeError(limits.maxHeaderBytes);
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new RequestTimeoutError(limits.requestTimeoutMs);
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new PayloadTooLargeError('The chunk extensions of the request body are too large.');
    default:
      return new MalformedRequestError('The request is not well-formed HTTP/1.1 (request line, a header, or the body framing).');
  }
}

/** A complete HTTP/1.1 response, closing the connection: the parser cannot go on with it. */
export function rawErrorResponse(error: ApiError): string {
  const body = JSON.stringify(jsonApiErrorDocument(error.toObjects()));
  const headers = [
    `HTTP/1.1 ${error.status} ${STATUS_CODES[error.status] ?? 'Error'}`,
    `Content-Type: ${JSONAPI}`,
    `Content-Length: ${Buffer.byteLength(body)}`,
    'X-Content-Type-Options: nosniff',
    'Connection: close',
    ...Object.entries(error.headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return `${headers.join('\r\n')}\r\n\r\n${body}`;
}

/** The server's 'clientError' listener. */
export function clientErrorHandler(limits: ClientErrorLimits, logger: Logger) {
  const answered = new WeakSet<Duplex>();
  return (err: Error & { code?: string }, socket: Duplex): void => {
    // The parser reports each later chunk of a broken connection again: answer once.
    if (answered.has(socket)) return;
    answered.add(socket);
    // Nothing can be written when the peer is gone, or once a response has begun on this
    // connection (a reply now would corrupt it): then only close it, as Node itself does.
    const inFlight = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const error = errorForParserCode(err.code, limits);
    logger.info({ code: err.code, status: error.status }, 'client error');
    socket.end(rawErrorResponse(error), () => socket.destroy());
  };
}
