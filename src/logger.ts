import pino from 'pino';
import type { DestinationStream, Logger } from 'pino';
import { redact } from './config/redact';

/**
 * Structured JSON logs on standard output (or `out`). Every line goes through redact() on its
 * way out, whatever logged it (a message, an object, an error's message or stack): a database
 * URL's password never reaches the log.
 */
export function createLogger(level: string, out: { write(line: string): unknown } = process.stdout): Logger {
  const destination: DestinationStream = { write: (line: string) => void out.write(redact(line)) };
  return pino({ level, base: { service: 'client-hierarchy' }, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}
