process.env.LOG_LEVEL = process.env.LOG_LEVEL ?? 'silent';
import 'reflect-metadata';
import BetterSqlite3 from 'better-sqlite3';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../ormconfig';
import { entities } from '../../entities';
import { api, Harness, ON_POSTGRES, startHarness } from '../support/harness';
import { makeClient } from '../support/factories';
import { expectNoSchemaDrift } from '../support/schema-helpers';

/**
 * The schema comes from migrations and must be exactly what the entities declare; every
 * foreign key is indexed; email and slug are unique in the database itself.
 */

let h: Harness;
let sqlite: BetterSqlite3.Database;

/** These tests read SQLite's own catalogue; on PostgreSQL, schema-drift.test.ts covers the schema. */
const describeSqlite = ON_POSTGRES ? describe.skip : describe;

beforeAll(async () => {
  h = await startHarness();
  if (!ON_POSTGRES) sqlite = new BetterSqlite3(h.file, { readonly: true, fileMustExist: true });
});
afterAll(async () => {
  sqlite?.close();
  await h.close();
});

interface IndexInfo {
  name: string;
  unique: boolean;
  columns: string[];
}

/** Ordinary tables (not SQLite's own, TypeORM's, or the FTS5 search index with its shadow tables). */
function tables(): string[] {
  return (
    sqlite
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT IN ('migrations', 'typeorm_metadata') AND name NOT LIKE 'clients_name_fts%'`)
      .all() as { name: string }[]
  )
    .map((r) => r.name)
    .sort();
}

function indexes(table: string): IndexInfo[] {
  const list = sqlite.prepare(`PRAGMA index_list(${JSON.stringify(table)})`).all() as { name: string; unique: number }[];
  return list.map((ix) => ({
    name: ix.name,
    unique: ix.unique === 1,
    columns: (sqlite.prepare(`PRAGMA index_info(${JSON.stringify(ix.name)})`).all() as { seqno: number; name: string }[]).sort((a, b) => a.seqno - b.seqno).map((c) => c.name),
  }));
}

function foreignKeys(table: string): { from: string; table: string; to: string; on_delete: string }[] {
  return sqlite.prepare(`PRAGMA foreign_key_list(${JSON.stringify(table)})`).all() as { from: string; table: string; to: string; on_delete: string }[];
}

describeSqlite('the migrated schema', () => {
  it('When Database.open has applied the migrations, then TypeORM sees no difference between the entities and the tables', async () => {
    await expectNoSchemaDrift(`sqlite:${h.file}`);
  });

  it('When the migrations have run, then there is one table per entity and no other', async () => {
    const ds = new DataSource(dataSourceOptions(`sqlite:${h.file}`));
    await ds.initialize();
    try {
      expect(ds.entityMetadatas).toHaveLength(entities.length);
      expect(tables()).toEqual(ds.entityMetadatas.map((m) => m.tableName).sort());
    } finally {
      await ds.destroy();
    }
  });

  it('When the migrations have run, then the name search index is an FTS5 trigram table kept in step by triggers', () => {
    const fts = sqlite.prepare(`SELECT sql FROM sqlite_master WHERE name = 'clients_name_fts'`).get() as { sql: string };
    expect(fts.sql).toMatch(/fts5\(name_key, content='clients', content_rowid='rowid', tokenize='trigram'\)/);
    const triggers = (sqlite.prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' ORDER BY name`).all() as { name: string }[]).map((r) => r.name);
    expect(triggers).toEqual(['clients_name_fts_ad', 'clients_name_fts_ai', 'clients_name_fts_au']);
  });

  it('When the tables are inspected, then every foreign key column leads an index and restricts deletes', () => {
    const fks = tables().flatMap((t) => foreignKeys(t).map((fk) => ({ ...fk, owner: t })));
    expect(fks.map((fk) => `${fk.owner}.${fk.from}->${fk.table}.${fk.to}`).sort()).toEqual([
      'api_tokens.client_id->clients.id',
      'clients.parent_id->clients.id',
      'legal_entities.client_id->clients.id',
      'projects.client_id->clients.id',
      'reporting_entities.client_id->clients.id',
    ]);
    for (const fk of fks) {
      const leading = indexes(fk.owner).filter((ix) => ix.columns[0] === fk.from);
      expect({ fk: `${fk.owner}.${fk.from}`, indexed: leading.length > 0 }).toEqual({ fk: `${fk.owner}.${fk.from}`, indexed: true });
      expect({ fk: `${fk.owner}.${fk.from}`, onDelete: fk.on_delete }).toEqual({ fk: `${fk.owner}.${fk.from}`, onDelete: 'RESTRICT' });
    }
  });

  it('When the clients table is inspected, then email_key and slug each carry a unique index of their own', () => {
    const unique = indexes('clients')
      .filter((ix) => ix.unique && ix.columns.length === 1)
      .map((ix) => ix.columns[0]);
    expect(unique).toEqual(expect.arrayContaining(['email_key', 'slug']));
    const tokenUnique = indexes('api_tokens')
      .filter((ix) => ix.unique)
      .map((ix) => ix.columns.join(','));
    expect(tokenUnique).toEqual(expect.arrayContaining(['token_hash']));
  });
});

describeSqlite('email uniqueness in the database', () => {
  it('When a client is created with a mixed-case email, then email keeps its case and email_key holds the case-folded address', async () => {
    const id = await makeClient(h, { name: 'Mixed case', email: 'Mixed.Owner@Example.COM' });
    const row = sqlite.prepare('SELECT email, email_key FROM clients WHERE id = ?').get(id) as { email: string; email_key: string };
    expect(row).toEqual({ email: 'Mixed.Owner@Example.COM', email_key: 'mixed.owner@example.com' });
  });

  it('When two rows with emails differing only in case are written around the service, then the database itself refuses the second', async () => {
    const id = await makeClient(h, { name: 'First', email: 'dup.check@example.com' });
    const row = sqlite.prepare('SELECT email_key, created_at FROM clients WHERE id = ?').get(id) as { email_key: string; created_at: string };
    const writer = new BetterSqlite3(h.file);
    try {
      // The same case-folded key a write of "DUP.Check@Example.com" would store.
      const insert = writer.prepare(
        `INSERT INTO clients (id, name, email, email_key, slug, parent_id, version, created_at, updated_at) VALUES (?, 'Second', 'DUP.Check@Example.com', ?, NULL, NULL, 1, ?, ?)`,
      );
      expect(() => insert.run('f'.repeat(24), row.email_key, row.created_at, row.created_at)).toThrow(/UNIQUE constraint failed: clients\.email_key/);
    } finally {
      writer.close();
    }
    const res = await api(h).post('/api/v2/clients', { data: { type: 'client', attributes: { name: 'Second', email: 'DUP.Check@Example.com' } } });
    expect(res.status).toBe(409);
    expect(res.body.errors.map((e: { code: string; source: unknown }) => [e.code, e.source])).toEqual([['conflict', { pointer: '/data/attributes/email' }]]);
  });

  it('When two clients are created with the same slug, then the database refuses the second', async () => {
    const id = await makeClient(h, { name: 'Slugged', slug: 'unique-slug' });
    const row = sqlite.prepare('SELECT created_at FROM clients WHERE id = ?').get(id) as { created_at: string };
    const writer = new BetterSqlite3(h.file);
    try {
      const insert = writer.prepare(`INSERT INTO clients (id, name, email, email_key, slug, parent_id, version, created_at, updated_at) VALUES (?, 'Other', NULL, NULL, 'unique-slug', NULL, 1, ?, ?)`);
      expect(() => insert.run('e'.repeat(24), row.created_at, row.created_at)).toThrow(/UNIQUE constraint failed: clients\.slug/);
    } finally {
      writer.close();
    }
  });

  it('When many clients have no email, then the unique index does not treat the NULLs as duplicates', async () => {
    const a = await makeClient(h, { name: 'No email A' });
    const b = await makeClient(h, { name: 'No email B', email: null });
    const rows = sqlite.prepare('SELECT email_key FROM clients WHERE id IN (?, ?)').all(a, b) as { email_key: string | null }[];
    expect(rows).toEqual([{ email_key: null }, { email_key: null }]);
  });
});
