import * as http from 'node:http';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { Config } from '../config/config';
import { clientErrorHandler } from './client-error';

/**
 * The HTTP server around the app, as it runs in production and in the tests that need the
 * server's own behaviour (tests/support/harness.ts: listen()):
 * - maxHeaderSize: MAX_HEADER_BYTES for the request line and headers together (beyond → 431);
 * - headersTimeout: the headers must arrive within REQUEST_TIMEOUT_MS (at most a minute, Node's
 *   default), against slowloris-style connections (→ 408);
 * - requestTimeout: a backstop a second after the app's own timer (middleware/timeout.ts), which
 *   answers first and in the shape of the surface called; this one also covers bodies that no
 *   route reads;
 * - the parser's errors answered as JSON:API error documents (client-error.ts).
 * Node checks those timeouts every connectionsCheckingInterval, here at most every second.
 */
export function createHttpServer(app: Express, config: Config, logger: Logger): http.Server {
  const { requestTimeoutMs, maxHeaderBytes } = config.protection;
  const server = http.createServer(
    {
      maxHeaderSize: maxHeaderBytes,
      ...(requestTimeoutMs > 0
        ? {
            headersTimeout: Math.min(requestTimeoutMs, 60_000),
            requestTimeout: requestTimeoutMs + 1_000,
            connectionsCheckingInterval: Math.min(requestTimeoutMs, 1_000),
          }
        : { requestTimeout: 0 }),
    },
    app,
  );
  server.on('clientError', clientErrorHandler({ maxHeaderBytes, requestTimeoutMs }, logger));
  return server;
}
