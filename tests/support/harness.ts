import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { Express } from 'express';
import { Client as PgClient } from 'pg';
import request from 'supertest';
import { buildApp } from '../../src/app';
import { Config, loadConfig } from '../../src/config/config';
import { Database } from '../../src/data/database';
import { Store } from '../../src/data/store';
import { insertToken } from '../../src/data/token-store';
import { createHttpServer } from '../../src/http/server-factory';
import { createLogger } from '../../src/logger';
import { JSONAPI } from './media-types';

export { JSONAPI };

/**
 * A real service on a fresh SQLite file (migrations applied), built in-process.
 * Each test file makes its own harness; nothing is shared or mocked.
 */
export interface Harness {
  readonly app: Express;
  readonly db: Database;
  /** The app's way to the database (sessions, authentication), over `db`. */
  readonly store: Store;
  readonly config: Config;
  /** An admin bearer token. */
  readonly admin: string;
  /** The SQLite file ('' on PostgreSQL). */
  readonly file: string;
  /**
   * The app behind the production HTTP server (src/http/server-factory.ts: header size limit,
   * timeouts, the HTTP parser's errors as JSON:API documents), listening on a loopback port;
   * the same server every call. `request(server)` and raw sockets reach it; close() stops it.
   */
  listen(): Promise<Server>;
  close(): Promise<void>;
}

export const TMP = path.join(__dirname, '..', '.tmp');

/** Set to a PostgreSQL server's URL to run the suite there (each harness gets a database of its own). */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL;
export const ON_POSTGRES = TEST_DATABASE_URL !== undefined && TEST_DATABASE_URL !== '';

/** A fresh, empty database: a SQLite file, or a new database on the PostgreSQL test server. */
export async function freshDatabase(): Promise<{ url: string; file: string; drop(): Promise<void> }> {
  const name = `test_${process.pid}_${randomBytes(4).toString('hex')}`;
  if (!ON_POSTGRES) {
    fs.mkdirSync(TMP, { recursive: true });
    const file = path.join(TMP, `${name}.sqlite`);
    return {
      url: `sqlite:${file}`,
      file,
      async drop() {
        for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
      },
    };
  }
  const server = new URL(TEST_DATABASE_URL!);
  const admin = async (sql: string) => {
    const client = new PgClient({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(server.toString());
  url.pathname = `/${name}`;
  return { url: url.toString(), file: '', drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  const database = await freshDatabase();
  const config = loadConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'silent', ...env });
  const db = await Database.open(config.databaseUrl);
  const { secret } = await insertToken(db, 'test admin', 'admin', null);
  const logger = createLogger('silent');
  const store = new Store(db);
  const app = buildApp(config, store, logger);
  let listening: Promise<Server> | undefined;
  return {
    app,
    db,
    store,
    config,
    admin: secret,
    file: database.file,
    listen() {
      listening ??= new Promise<Server>((resolve, reject) => {
        const server = createHttpServer(app, config, logger);
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve(server));
      });
      return listening;
    },
    async close() {
      if (listening) {
        const server = await listening;
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
      await db.close();
      await database.drop();
    },
  };
}

/** A JSON:API request with a bearer token. */
export function api(h: Harness, token: string = h.admin) {
  const agent = request(h.app);
  const wrap = (t: request.Test) => t.set('Authorization', `Bearer ${token}`).set('Accept', JSONAPI);
  return {
    get: (url: string) => wrap(agent.get(url)),
    delete: (url: string) => wrap(agent.delete(url)),
    post: (url: string, body?: unknown) =>
      wrap(agent.post(url))
        .set('Content-Type', JSONAPI)
        .send(body === undefined ? '' : JSON.stringify(body)),
    patch: (url: string, body?: unknown) =>
      wrap(agent.patch(url))
        .set('Content-Type', JSONAPI)
        .send(body === undefined ? '' : JSON.stringify(body)),
  };
}

/** A flat-surface request with a bearer token. */
export function flat(h: Harness, token: string = h.admin) {
  const agent = request(h.app);
  const wrap = (t: request.Test) => t.set('Authorization', `Bearer ${token}`);
  return {
    get: (url: string) => wrap(agent.get(url)),
    delete: (url: string) => wrap(agent.delete(url)),
    post: (url: string, body: unknown) => wrap(agent.post(url)).set('Content-Type', 'application/json').send(JSON.stringify(body)),
    patch: (url: string, body: unknown) => wrap(agent.patch(url)).set('Content-Type', 'application/json').send(JSON.stringify(body)),
  };
}

/** A client-role token for `clientId`. */
export async function clientToken(h: Harness, clientId: string): Promise<string> {
  return (await insertToken(h.db, 'test client token', 'client', clientId)).secret;
}

/** Statements issued while `fn` runs (requests are in-process, so nothing else runs meanwhile). */
export async function countStatements(h: Harness, fn: () => Promise<unknown>): Promise<number> {
  const before = h.db.counter.total;
  await fn();
  return h.db.counter.total - before;
}
