import pino from 'pino';
import type { Logger } from 'pino';

/** Structured JSON logs on standard output. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'client-hierarchy' }, timestamp: pino.stdTimeFunctions.isoTime });
}
