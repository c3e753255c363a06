import BetterSqlite3 from 'better-sqlite3';
import { checkInvariants, InvariantResult } from '../../src/data/invariants';
import { registry } from '../../src/resources/registry';
import { makeClient, makeOwned, unusedId } from '../support/factories';
import { Harness, ON_POSTGRES, startHarness } from '../support/harness';

/**
 * src/data/invariants.ts, which the crash test and the soak run on a database after a run:
 * silent on a database the service wrote, and naming each kind of damage it is meant to find.
 * SQLite only: the damage is done with foreign keys off, which PostgreSQL does not allow.
 */
(ON_POSTGRES ? describe.skip : describe)('database invariants', () => {
  let h: Harness;
  let conn: BetterSqlite3.Database;
  const check = () =>
    checkInvariants(
      async (sql) => {
        const statement = conn.prepare(sql);
        if (statement.reader) return statement.all() as Record<string, unknown>[];
        statement.run();
        return [];
      },
      'sqlite',
      registry,
    );
  const failing = (results: InvariantResult[]) => Object.fromEntries(results.filter((r) => r.problems.length > 0).map((r) => [r.name, r.problems]));

  beforeAll(async () => {
    h = await startHarness();
    conn = new BetterSqlite3(h.file, { fileMustExist: true });
    conn.pragma('foreign_keys = OFF');
  });
  afterAll(async () => {
    conn.close();
    await h.close();
  });

  it('When the service wrote a hierarchy with owned entities, then every invariant holds', async () => {
    const root = await makeClient(h, { name: 'Invariant root', email: 'Root@Invariants.test' });
    const child = await makeClient(h, { name: 'Invariant child' }, root);
    await makeOwned(h, 'legal-entities', child, { country: 'FR' });
    const results = await check();
    expect(failing(results)).toEqual({});
    expect(results.map((r) => r.name)).toEqual(expect.arrayContaining(['client hierarchy has no cycle', 'client.email is unique case-insensitively', 'PRAGMA foreign_key_check']));
  });

  it('When rows are damaged behind the service (a cycle, an orphan, a stale folded column), then each invariant names its row', async () => {
    const a = await makeClient(h, { name: 'Cycle A' });
    const b = await makeClient(h, { name: 'Cycle B' }, a);
    const entity = await makeOwned(h, 'legal-entities', b);
    conn.prepare('UPDATE clients SET parent_id = ? WHERE id = ?').run(b, a);
    conn.prepare('UPDATE legal_entities SET client_id = ? WHERE id = ?').run(unusedId(1), entity);
    conn.prepare(`UPDATE clients SET name_key = 'stale' WHERE id = ?`).run(b);
    const failed = failing(await check());
    expect(Object.keys(failed).sort()).toEqual(
      ['PRAGMA foreign_key_check', 'client hierarchy has no cycle', 'client.name: name_key holds its case folding', 'legal-entity.client names an existing client, never NULL'].sort(),
    );
    expect(failed['client hierarchy has no cycle']).toEqual([a, b].sort().map((id) => `client ${id} is its own ancestor`));
    expect(failed['legal-entity.client names an existing client, never NULL']).toEqual([`legal-entity ${entity} has client_id ${unusedId(1)}, which does not exist`]);
    expect(failed['client.name: name_key holds its case folding']).toEqual([`client ${b}: name_key "stale" for "Cycle B"`]);
  });
});
