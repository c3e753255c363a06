import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Express } from 'express';
import request from 'supertest';
import { buildApp } from '../../src/app';
import { Config, loadConfig } from '../../src/config/config';
import { Database } from '../../src/data/database';
import { insertToken } from '../../src/data/token-store';
import { createLogger } from '../../src/logger';

/**
 * A real service on a fresh SQLite file (migrations applied), built in-process.
 * Each test file makes its own harness; nothing is shared or mocked.
 */
export interface Harness {
  readonly app: Express;
  readonly db: Database;
  readonly config: Config;
  /** An admin bearer token. */
  readonly admin: string;
  readonly file: string;
  close(): Promise<void>;
}

export const TMP = path.join(__dirname, '..', '.tmp');

export async function startHarness(env: Record<string, string> = {}): Promise<Harness> {
  fs.mkdirSync(TMP, { recursive: true });
  const file = path.join(TMP, `test-${process.pid}-${randomBytes(4).toString('hex')}.sqlite`);
  const config = loadConfig({ DATABASE_URL: `sqlite:${file}`, LOG_LEVEL: 'silent', ...env });
  const db = await Database.open(config.databaseUrl);
  const { secret } = await insertToken(db, 'test admin', 'admin', null);
  const app = buildApp(config, db, createLogger('silent'));
  return {
    app,
    db,
    config,
    admin: secret,
    file,
    async close() {
      await db.close();
      for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
    },
  };
}

export const JSONAPI = 'application/vnd.api+json';

/** A JSON:API request with a bearer token. */
export function api(h: Harness, token: string = h.admin) {
  const agent = request(h.app);
  const wrap = (t: request.Test) => t.set('Authorization', `Bearer ${token}`).set('Accept', JSONAPI);
  return {
    get: (url: string) => wrap(agent.get(url)),
    delete: (url: string) => wrap(agent.delete(url)),
    post: (url: string, body?: unknown) => wrap(agent.post(url)).set('Content-Type', JSONAPI).send(body === undefined ? '' : JSON.stringify(body)),
    patch: (url: string, body?: unknown) => wrap(agent.patch(url)).set('Content-Type', JSONAPI).send(body === undefined ? '' : JSON.stringify(body)),
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
