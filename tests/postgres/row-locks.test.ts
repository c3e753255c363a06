import { Database } from '../../src/data/database';
import { Params } from '../../src/data/sql';
import { Store } from '../../src/data/store';
import { buildApp } from '../../src/app';
import { createLogger } from '../../src/logger';
import { operationContext } from '../../src/operations/context';
import { update } from '../../src/operations/write';
import { api, Harness, startHarness } from '../support/harness';
import { makeClient, makeOwned } from '../support/factories';
import { atomic } from '../support/write-helpers';
import { describeOnPostgres, PgInspector } from '../support/postgres-helpers';

/**
 * Writes on PostgreSQL lock rows, not the database (README, Concurrency): a write locks the row
 * it changes, and a write that reshapes the hierarchy locks the root row of every tree it
 * touches. Two service instances on one database (two Stores, each with its own pool, in this
 * process): while a reparenting in tree A is held open inside its transaction on instance A,
 * writes to tree B (and writes in tree A that reshape nothing) commit through instance B, and a
 * reparenting in tree A waits for it; races across the two instances stay correct.
 */

const describePg = describeOnPostgres('tests/postgres/row-locks.test.ts');

/** A request's promise, with whether it has settled yet. */
function track<T>(promise: PromiseLike<T>): { promise: Promise<T>; settled: () => boolean } {
  let done = false;
  const p = Promise.resolve(promise).finally(() => (done = true));
  return { promise: p, settled: () => done };
}

/** `promise`, or a rejection naming `what` when it takes longer than `ms`. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const parentBody = (id: string, parent: string | null) => ({ data: { type: 'client', id, relationships: { parent: { data: parent === null ? null : { type: 'client', id: parent } } } } });

describePg('Row locks on PostgreSQL: two instances on one database', () => {
  let h: Harness;
  /** Instance B: its own Database (pool), Store and app on h's database. */
  let b: Harness;
  let dbB: Database;
  let pg: PgInspector;

  beforeAll(async () => {
    h = await startHarness();
    dbB = await Database.open(h.config.databaseUrl);
    const storeB = new Store(dbB);
    b = { ...h, db: dbB, store: storeB, app: buildApp(h.config, storeB, createLogger('silent')) };
    pg = await PgInspector.connect(h.config.databaseUrl);
  }, 60_000);

  afterAll(async () => {
    await pg?.close();
    await dbB?.close();
    await h?.close();
  });

  /** Two trees, each a root with one child (the race tests graft one onto the other). */
  async function twoTrees(label: string): Promise<{ rootA: string; a1: string; rootB: string; b1: string }> {
    const rootA = await makeClient(h, { name: `${label} root A` });
    const a1 = await makeClient(h, {}, rootA);
    const rootB = await makeClient(h, { name: `${label} root B` });
    const b1 = await makeClient(h, {}, rootB);
    return { rootA, a1, rootB, b1 };
  }

  it('When a reparenting in tree A is held open inside its transaction on instance A, then writes to tree B through instance B commit meanwhile, and so do writes in tree A that reshape nothing, while a reparenting in tree A and an If-Match write of the held row wait until it commits', async () => {
    const rootA = await makeClient(h, { name: 'Root A' });
    const [a1, a2, a3] = [await makeClient(h, {}, rootA), await makeClient(h, {}, rootA), await makeClient(h, {}, rootA)];
    const rootB = await makeClient(h, { name: 'Root B' });
    const [b1, b2] = [await makeClient(h, {}, rootB), await makeClient(h, {}, rootB)];
    const etagA2 = (await api(b).get(`/api/v2/clients/${a2}`)).headers.etag as string;

    // Instance A: a2 moves under a1, through the same use case as PATCH, inside a transaction
    // that stays open until the test lets it go (the statements it sent are recorded).
    const session = h.store.session(h.store.system());
    const ctx = operationContext(session, 'all');
    const sent: string[] = [];
    h.db.counter.listener = (sql) => sent.push(sql);
    let entered!: () => void;
    const inside = new Promise<void>((resolve) => (entered = resolve));
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const held = session.write(async (w) => {
      const parent = { value: { type: 'client', id: a1, pointer: '/data/relationships/parent/data' }, pointer: '/data/relationships/parent' };
      await update(w, ctx, h.store.registry.get('client'), a2, { attributes: new Map(), relationships: new Map([['parent', parent]]) });
      entered();
      await gate;
    });
    let sameTree: ReturnType<typeof track<{ status: number; body: any }>> | undefined;
    let sameRow: typeof sameTree;
    try {
      await within(inside, 5000, 'the held reparenting');
      h.db.counter.listener = undefined;
      // It locked rows, the root of tree A first; no advisory lock.
      expect(sent.some((sql) => sql.includes('FOR NO KEY UPDATE'))).toBe(true);
      expect(sent.filter((sql) => /advisory/i.test(sql))).toEqual([]);

      // Waiting behind the held transaction: a reparenting in tree A, an If-Match PATCH of a2.
      sameTree = track(api(b).patch(`/api/v2/clients/${a3}/relationships/parent`, { data: { type: 'client', id: a2 } }));
      sameRow = track(
        api(b)
          .patch(`/api/v2/clients/${a2}`, { data: { type: 'client', id: a2, attributes: { name: 'Renamed A2' } } })
          .set('If-Match', etagA2),
      );

      // Through instance B, meanwhile: a reparenting and a create in tree B, and in tree A a rename,
      // a new client under the locked root, and a new legal entity of it.
      const otherTree = await within(Promise.resolve(api(b).patch(`/api/v2/clients/${b2}`, parentBody(b2, b1))), 5000, 'the reparenting in tree B');
      expect(otherTree.status).toBe(200);
      const createdB = await within(
        Promise.resolve(api(b).post('/api/v2/clients', { data: { type: 'client', attributes: { name: 'New in B' }, relationships: { parent: { data: { type: 'client', id: rootB } } } } })),
        5000,
        'the create in tree B',
      );
      expect(createdB.status).toBe(201);
      const renamed = await within(Promise.resolve(api(b).patch(`/api/v2/clients/${a3}`, { data: { type: 'client', id: a3, attributes: { name: 'Renamed A3' } } })), 5000, 'the rename in tree A');
      expect(renamed.status).toBe(200);
      const leaf = await within(
        Promise.resolve(api(b).post('/api/v2/clients', { data: { type: 'client', attributes: { name: 'New leaf in A' }, relationships: { parent: { data: { type: 'client', id: rootA } } } } })),
        5000,
        'the create under the locked root',
      );
      expect(leaf.status).toBe(201);
      await within(makeOwned(b, 'legal-entities', rootA), 5000, 'the legal entity of the locked root');

      // Committed: another connection sees them while tree A's transaction is still open.
      expect(await pg.parentOf(b2)).toBe(b1);
      expect(await pg.parentOf(leaf.body.data.id)).toBe(rootA);
      expect(await pg.parentOf(a2)).toBe(rootA);

      await sleep(500);
      expect({ sameTree: sameTree.settled(), sameRow: sameRow.settled() }).toEqual({ sameTree: false, sameRow: false });
    } finally {
      h.db.counter.listener = undefined;
      release();
    }
    await held;

    // Once it committed: the reparenting saw it (a3 goes under a2, now under a1), and the
    // If-Match PATCH read the new version, not the one it expected.
    expect((await within(sameTree!.promise, 5000, 'the reparenting in tree A')).status).toBe(204);
    const refused = await within(sameRow!.promise, 5000, 'the If-Match PATCH');
    expect(refused.status).toBe(412);
    expect(refused.body.errors[0].code).toBe('precondition_failed');
    expect([await pg.parentOf(a2), await pg.parentOf(a3)]).toEqual([a1, a2]);
    expect(await pg.clientsInCycles()).toEqual([]);
  }, 30_000);

  it('When trees A and B are grafted onto each other below their roots at once through the two instances, 20 times, then exactly one of each pair succeeds, the other gets 409, and no cycle is ever stored', async () => {
    const { rootA, a1, rootB, b1 } = await twoTrees('Graft');
    for (let round = 0; round < 20; round++) {
      const [first, second] = round % 2 === 0 ? [h, b] : [b, h];
      const [bUnderA, aUnderB] = await Promise.all([
        api(first).patch(`/api/v2/clients/${rootB}`, parentBody(rootB, a1)),
        api(second).patch(`/api/v2/clients/${rootA}/relationships/parent`, { data: { type: 'client', id: b1 } }),
      ]);
      const context = `round ${round}: B under a1 ${bUnderA.status} ${bUnderA.text.slice(0, 200)} | A under b1 ${aUnderB.status} ${aUnderB.text.slice(0, 200)}`;
      // The resource PATCH answers 200, the relationship PATCH 204.
      const won = [bUnderA.status === 200, aUnderB.status === 204];
      expect({ context, statuses: [bUnderA.status, aUnderB.status] }).toEqual({ context, statuses: won[0] ? [200, 409] : [409, 204] });
      expect({ context, cycles: await pg.clientsInCycles() }).toEqual({ context, cycles: [] });
      const resets = await Promise.all([api(h).patch(`/api/v2/clients/${rootB}`, parentBody(rootB, null)), api(b).patch(`/api/v2/clients/${rootA}`, parentBody(rootA, null))]);
      expect(resets.map((r) => r.status)).toEqual([200, 200]);
    }
  }, 60_000);

  it('When one instance moves tree B under a1 (children endpoint, or an atomic operation) while the other creates a client under b1 that takes root A as its child, 10 times, then one succeeds, the other gets 409, and no cycle is ever stored', async () => {
    const { rootA, a1, rootB, b1 } = await twoTrees('Children');
    for (let round = 0; round < 10; round++) {
      const [first, second] = round % 2 === 0 ? [h, b] : [b, h];
      const moveB =
        round % 4 < 2
          ? api(first).post(`/api/v2/clients/${a1}/relationships/children`, { data: [{ type: 'client', id: rootB }] })
          : atomic(first, [{ op: 'add', ref: { type: 'client', id: a1, relationship: 'children' }, data: [{ type: 'client', id: rootB }] }]);
      const takeA = api(second).post('/api/v2/clients', {
        data: { type: 'client', attributes: { name: `Takes A ${round}` }, relationships: { parent: { data: { type: 'client', id: b1 } }, children: { data: [{ type: 'client', id: rootA }] } } },
      });
      const [moved, created] = await Promise.all([moveB, takeA]);
      const context = `round ${round}: move B ${moved.status} ${moved.text.slice(0, 200)} | create ${created.status} ${created.text.slice(0, 200)}`;
      const movedOk = moved.status === 204 || moved.status === 200;
      expect({ context, statuses: [movedOk ? 'ok' : moved.status, created.status] }).toEqual({ context, statuses: movedOk ? ['ok', 409] : [409, 201] });
      expect({ context, cycles: await pg.clientsInCycles() }).toEqual({ context, cycles: [] });
      if (movedOk) {
        expect((await api(h).patch(`/api/v2/clients/${rootB}`, parentBody(rootB, null))).status).toBe(200);
      } else {
        expect((await api(h).patch(`/api/v2/clients/${rootA}`, parentBody(rootA, null))).status).toBe(200);
        expect((await api(h).delete(`/api/v2/clients/${created.body.data.id}`)).status).toBe(204);
      }
    }
  }, 60_000);

  it('When two instances at once give two clients one email (in two cases) by PATCH, 10 times, then one answers 200 and the other 409, never 500, and only one client holds it', async () => {
    const c1 = await makeClient(h);
    const c2 = await makeClient(h);
    for (let round = 0; round < 10; round++) {
      const email = `same-${round}-${Date.now()}@example.com`;
      const answers = await Promise.all([
        api(h).patch(`/api/v2/clients/${c1}`, { data: { type: 'client', id: c1, attributes: { email } } }),
        api(b).patch(`/api/v2/clients/${c2}`, { data: { type: 'client', id: c2, attributes: { email: email.toUpperCase() } } }),
      ]);
      const context = `round ${round}: ${answers.map((a) => `${a.status} ${a.text.slice(0, 200)}`).join(' | ')}`;
      expect({ context, statuses: answers.map((a) => a.status).sort() }).toEqual({ context, statuses: [200, 409] });
      const refused = answers.find((a) => a.status === 409)!;
      expect(refused.body.errors.map((e: { code: string; source?: unknown }) => [e.code, e.source])).toEqual([['conflict', { pointer: '/data/attributes/email' }]]);
      expect(await pg.clientIdsWithEmail(email)).toHaveLength(1);
    }
  }, 60_000);

  it('When a client is deleted by another connection while a write names it, then the write waits for that delete and answers 404 at the relationship (never 500); a delete waits for a write that gives the client a legal entity and answers 409', async () => {
    const owner = await makeClient(h);
    // Leaves, so that no lock of their own tree's root makes the writes wait for the delete
    // before they read them: the foreign key check is what waits.
    const gone = await makeClient(h, { name: 'Deleted meanwhile' }, owner);
    const goneToo = await makeClient(h, { name: 'Deleted meanwhile too' }, owner);
    const mover = await makeClient(h);
    const raw = await PgInspector.connect(h.config.databaseUrl);
    try {
      await raw.query('BEGIN');
      await raw.query('DELETE FROM clients WHERE id = ANY($1)', [[gone, goneToo]]);
      const entity = track(
        api(b).post('/api/v2/legal-entities', { data: { type: 'legal-entity', attributes: { name: 'Orphan' }, relationships: { client: { data: { type: 'client', id: gone } } } } }),
      );
      const moved = track(api(h).patch(`/api/v2/clients/${mover}`, parentBody(mover, goneToo)));
      await sleep(300);
      expect({ entity: entity.settled(), moved: moved.settled() }).toEqual({ entity: false, moved: false });
      await raw.query('COMMIT');
      const [e, m] = [await within(entity.promise, 5000, 'the create'), await within(moved.promise, 5000, 'the reparenting')];
      expect([e.status, e.body.errors?.[0]?.source]).toEqual([404, { pointer: '/data/relationships/client' }]);
      expect([m.status, m.body.errors?.[0]?.source]).toEqual([404, { pointer: '/data/relationships/parent' }]);
      expect(await pg.parentOf(mover)).toBeNull();

      // The other way round: a write that gives `owner` a legal entity holds it; the delete waits, then sees it.
      const entityId = await makeOwned(h, 'legal-entities', mover);
      await raw.query('BEGIN');
      await raw.query('UPDATE legal_entities SET client_id = $1 WHERE id = $2', [owner, entityId]);
      const deleted = track(api(b).delete(`/api/v2/clients/${owner}`));
      await sleep(300);
      expect(deleted.settled()).toBe(false);
      await raw.query('COMMIT');
      const d = await within(deleted.promise, 5000, 'the delete');
      expect(d.status).toBe(409);
      expect(d.body.errors.map((x: { meta?: unknown }) => x.meta)).toEqual([{ relationship: 'legalEntities', count: 1 }]);
    } finally {
      await raw.query('ROLLBACK').catch(() => undefined);
      await raw.close();
    }
  }, 30_000);

  it('When two write transactions deadlock, then PostgreSQL aborts one, and it runs again from the start: both commit, and what the aborted attempt wrote is not kept twice', async () => {
    const x = await makeClient(h);
    const y = await makeClient(h);
    const runs = { first: 0, second: 0 };
    let arrive!: () => void;
    const bothHoldOne = new Promise<void>((resolve) => {
      let waiting = 2;
      arrive = () => --waiting === 0 && resolve();
    });
    const write = (db: Database, key: 'first' | 'second', one: string, other: string) =>
      db.write(async (ex) => {
        runs[key]++;
        const note = new Params();
        await ex.run(`INSERT INTO settings (name, value) VALUES (${note.add(`deadlock-${key}-${x}`)}, ${note.add(String(runs[key]))})`, note);
        const p = new Params();
        await ex.run(`UPDATE clients SET name = name WHERE id = ${p.add(one)}`, p);
        if (runs[key] === 1) {
          arrive();
          await bothHoldOne;
        }
        const q = new Params();
        await ex.run(`UPDATE clients SET name = name WHERE id = ${q.add(other)}`, q);
      });
    await within(Promise.all([write(h.db, 'first', x, y), write(dbB, 'second', y, x)]), 15_000, 'the deadlocked pair');
    expect(runs.first + runs.second).toBe(3);
    const notes = await pg.query<{ name: string; value: string }>('SELECT name, value FROM settings WHERE name LIKE $1 ORDER BY name', [`deadlock-%-${x}`]);
    expect(notes.map((n) => n.name)).toEqual([`deadlock-first-${x}`, `deadlock-second-${x}`]);
    expect(notes.map((n) => Number(n.value)).sort()).toEqual([1, 2]);
  }, 30_000);
});
