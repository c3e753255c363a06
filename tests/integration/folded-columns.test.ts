import 'reflect-metadata';
import request from 'supertest';
import { DataSource, getMetadataArgsStorage } from 'typeorm';
import { dataSourceOptions } from '../../ormconfig';
import { ClientEntity, migrations } from '../../entities';
import { WideEmailKey1764316800000 } from '../../entities/migrations/1764316800000-wide-email-key';
import { buildApp } from '../../src/app';
import { loadConfig } from '../../src/config/config';
import { Database } from '../../src/data/database';
import { Store } from '../../src/data/store';
import { insertToken } from '../../src/data/token-store';
import { createLogger } from '../../src/logger';
import { casefold } from '../../src/resources/values';
import { api, flat, freshDatabase, Harness, ON_POSTGRES, startHarness } from '../support/harness';

/**
 * Case folding can make a value longer (ﬃ → ffi, ΐ → three code points).
 * The folded copies the service stores (email_key, name_key) must hold the folded form of any
 * valid value, on SQLite and PostgreSQL alike: a valid email is never a 500.
 */

/** Valid emails (SPEC §1: at most 254 characters) whose folded forms are 310 and 456 code points long. */
const FFI = `${'a'.repeat(64)}@${'\uFB03'.repeat(40)}.${'\uFB03'.repeat(40)}.com`;
const IOTA = `${'\u0390'.repeat(30)}@${'\u0390'.repeat(60)}.${'\u0390'.repeat(60)}.com`;

function errorOf(res: request.Response): { status: number; code: string; source: unknown } {
  const e = res.body?.errors?.[0] ?? {};
  return { status: res.status, code: e.code, source: e.source };
}

/** The declared length of a column of the clients entity. */
function declaredLength(column: string): number {
  const args = getMetadataArgsStorage().columns.find((c) => c.target === ClientEntity && c.options.name === column);
  return Number(args?.options.length);
}

describe('folded columns hold the folded form of any valid value', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  it('When an email folds to more than 254 characters, then the client is created (201) and found case-insensitively, on either database', async () => {
    expect([...casefold(FFI)].length).toBeGreaterThan(254);
    for (const email of [FFI, IOTA]) {
      const res = await api(h).post('/api/v2/clients', { data: { type: 'client', attributes: { name: 'Long fold', email } } });
      expect({ status: res.status, email: res.body.data?.attributes?.email }).toEqual({ status: 201, email });
      const found = await api(h).get(`/api/v2/clients?filter[email]=${encodeURIComponent(email.toUpperCase())}`);
      expect(found.status).toBe(200);
      expect(found.body.data.map((c: { id: string }) => c.id)).toEqual([res.body.data.id]);
    }
  });

  it('When a second client takes such an email in another case, then it answers 409 conflict at /data/attributes/email', async () => {
    const upper = `${'A'.repeat(64)}${FFI.slice(64, -4)}.COM`;
    const res = await api(h).post('/api/v2/clients', { data: { type: 'client', attributes: { name: 'Same, upper', email: upper } } });
    expect(errorOf(res)).toEqual({ status: 409, code: 'conflict', source: { pointer: '/data/attributes/email' } });
  });

  it('When the flat surface creates and updates clients with such emails, then it answers 201 and 200', async () => {
    const email = `b${FFI.slice(1)}`;
    const created = await flat(h).post('/api/clients', { name: 'Flat long fold', email });
    expect({ status: created.status, email: created.body.data?.email }).toEqual({ status: 201, email });
    const other = `c${IOTA.slice(1)}`;
    const patched = await flat(h).patch(`/api/clients/${created.body.data.id}`, { email: other });
    expect({ status: patched.status, email: patched.body.data?.email }).toEqual({ status: 200, email: other });
  });

  it('When a name of 200 characters folds to 600, then the client is created and substring filters find it', async () => {
    const name = '\u0390'.repeat(200);
    expect([...casefold(name)].length).toBe(600);
    const res = await api(h).post('/api/v2/clients', { data: { type: 'client', attributes: { name } } });
    expect(res.status).toBe(201);
    const found = await api(h).get(`/api/v2/clients?filter[name][contains]=${encodeURIComponent('\u0390'.repeat(3))}`);
    expect(found.body.data.map((c: { id: string }) => c.id)).toEqual([res.body.data.id]);
  });

  it('When any character is case-folded, then it grows to at most 3 code points, and each folded column is 3 times its value long', () => {
    let most = 0;
    for (let cp = 0; cp <= 0x10ffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      most = Math.max(most, [...casefold(String.fromCodePoint(cp))].length);
    }
    expect(most).toBe(3);
    // Emails are at most 254 UTF-16 units (so code points); names at most 200 code points.
    expect(declaredLength('email_key')).toBeGreaterThanOrEqual(3 * 254);
    expect(declaredLength('name_key')).toBeGreaterThanOrEqual(3 * 200);
  });
});

describe('the migration that widens email_key', () => {
  it('When a database made before it is opened, then its rows are kept, name search still finds them, and long folded emails are accepted', async () => {
    const database = await freshDatabase();
    const before = migrations.slice(0, migrations.indexOf(WideEmailKey1764316800000));
    const old = new DataSource({ ...dataSourceOptions(database.url), migrations: before });
    await old.initialize();
    await old.runMigrations({ transaction: 'each' });
    const at = (n: number) => (ON_POSTGRES ? `$${n}` : '?');
    const now = new Date().toISOString();
    await old.query(`INSERT INTO clients (id, name, name_key, email, email_key, version, created_at, updated_at) VALUES (${[1, 2, 3, 4, 5, 6, 7, 8].map(at).join(', ')})`, [
      'a'.repeat(24),
      'Umbrella Corporation',
      'umbrella corporation',
      'Ops@Umbrella.example',
      'ops@umbrella.example',
      1,
      now,
      now,
    ]);
    await old.destroy();

    const db = await Database.open(database.url);
    try {
      const app = buildApp(loadConfig({ DATABASE_URL: database.url, LOG_LEVEL: 'silent' }), new Store(db), createLogger('silent'));
      const h = { app } as Harness;
      const admin = (await insertToken(db, 'upgrade admin', 'admin', null)).secret;
      const found = await api(h, admin).get('/api/v2/clients?filter[name][contains]=rella');
      expect(found.body.data.map((c: { id: string }) => c.id)).toEqual(['a'.repeat(24)]);
      const byEmail = await api(h, admin).get('/api/v2/clients?filter[email]=OPS@UMBRELLA.EXAMPLE');
      expect(byEmail.body.data.map((c: { id: string }) => c.id)).toEqual(['a'.repeat(24)]);
      // The search index follows renames and new rows after the rebuild (its triggers are back).
      const renamed = await api(h, admin).patch(`/api/v2/clients/${'a'.repeat(24)}`, { data: { type: 'client', id: 'a'.repeat(24), attributes: { name: 'Tyrell' } } });
      expect(renamed.status).toBe(200);
      const created = await api(h, admin).post('/api/v2/clients', { data: { type: 'client', attributes: { name: 'Umbrella Two', email: FFI } } });
      expect(created.status).toBe(201);
      const after = await api(h, admin).get('/api/v2/clients?filter[name][contains]=rella');
      expect(after.body.data.map((c: { id: string }) => c.id)).toEqual([created.body.data.id]);
      const tyrell = await api(h, admin).get('/api/v2/clients?filter[name][contains]=yrel');
      expect(tyrell.body.data.map((c: { id: string }) => c.id)).toEqual(['a'.repeat(24)]);
    } finally {
      await db.close();
      await database.drop();
    }
  });
});
