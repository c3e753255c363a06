import 'reflect-metadata';
import type { Server } from 'node:http';
import { buildApp } from './app';
import { bootstrapAdminToken } from './bootstrap';
import { ConfigError, loadConfig } from './config/config';
import { Database } from './data/database';
import { createHttpServer } from './http/server-factory';
import { createLogger } from './logger';

/** Starts the service: config, database and migrations, first admin token, listen, drain on SIGTERM. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (e) {
    if (e instanceof ConfigError) {
      process.stderr.write(`Refusing to start: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  const logger = createLogger(config.logLevel);
  const db = await Database.open(config.databaseUrl);
  const secret = await bootstrapAdminToken(config, db);
  if (secret) {
    process.stdout.write(`\nFirst admin token (shown once, keep it safe):\n${secret}\n\n`);
  }
  const app = buildApp(config, db, logger);
  const server: Server = createHttpServer(app, config, logger).listen(config.port, () => {
    logger.info({ port: config.port, database: config.databaseUrl.replace(/\/\/[^@]*@/, '//***@') }, 'listening');
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

main().catch((e) => {
  process.stderr.write(`Failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
