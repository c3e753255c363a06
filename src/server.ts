import 'reflect-metadata';
import type { Server } from 'node:http';
import { buildApp } from './app';
import { bootstrapAdminToken } from './bootstrap';
import { ConfigError, loadConfig } from './config/config';
import { redact } from './config/redact';
import { Store } from './data/store';
import { createHttpServer } from './http/server-factory';
import { createLogger } from './logger';

/** One line on standard error, credentials redacted (a database URL's password never shows). */
function fail(prefix: string, e: unknown): never {
  process.stderr.write(`${prefix}: ${redact(e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, ' ')}\n`);
  process.exit(1);
}

/** Starts the service: config, database and migrations, first admin token, listen, drain on SIGTERM. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) fail('Refusing to start', e);
    throw e;
  }
  const logger = createLogger(config.logLevel);
  const db = await Store.open(config.databaseUrl);
  let secret: string | undefined;
  try {
    secret = await bootstrapAdminToken(config, db);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    await db.close().catch(() => undefined);
    fail('Refusing to start', e);
  }
  if (secret) {
    process.stdout.write(`\nFirst admin token (shown once, keep it safe):\n${secret}\n\n`);
  }
  const app = buildApp(config, db, logger);
  const server: Server = createHttpServer(app, config, logger).listen(config.port, () => {
    logger.info({ port: config.port, database: redact(config.databaseUrl) }, 'listening');
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'draining');
    server.close(async () => {
      await db.close();
      logger.info('stopped');
      process.exit(0);
    });
    server.closeIdleConnections();
    setTimeout(() => process.exit(1), 15_000).unref();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((e) => fail('Failed to start', e));
