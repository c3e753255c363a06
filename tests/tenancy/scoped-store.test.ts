import { Caller } from '../../src/data/store';
import { registry } from '../../src/resources/registry';
import { RequestScope } from '../../src/scope/scope';
import { clientToken, Harness, startHarness } from '../support/harness';
import { Forest, makeForest } from '../support/factories';

/**
 * The store below the operations: whatever an operation forgets to check, a session's writes
 * reach only rows inside its caller's scope (each UPDATE and DELETE carries the scope and checks
 * how many rows it touched, an insert's owner must be visible), and a session opens only for a
 * scope the data layer issued.
 */
describe('The scoped store', () => {
  let h: Harness;
  let forest: Forest;
  let caller: Caller;
  const client = registry.get('client');
  const project = registry.get('project');
  const children = registry.hierarchy.children;
  const now = new Date().toISOString();

  const nameOf = async (id: string) => (await h.db.read((ex) => ex.query<{ name: string }>(`SELECT name FROM clients WHERE id = '${id}'`)))[0]?.name;
  const parentOf = async (id: string) => (await h.db.read((ex) => ex.query<{ parent_id: string | null }>(`SELECT parent_id FROM clients WHERE id = '${id}'`)))[0]?.parent_id;

  beforeAll(async () => {
    h = await startHarness();
    forest = await makeForest(h);
    // The store itself does not ask about roles: a client token's session shows what its scope alone allows.
    caller = (await h.store.authenticate(await clientToken(h, forest.childA1)))!;
  });
  afterAll(() => h.close());

  it('When a session is asked for with a scope built by hand, then it is refused', () => {
    const forged: RequestScope = { principal: { tokenId: 'x', role: 'admin', clientId: null }, scope: { kind: 'all' }, narrowed: false };
    expect(() => h.store.session(forged)).toThrow(/issued/);
    expect(() => h.store.session({ ...caller })).toThrow(/issued/);
  });

  it('When a session updates a row outside its scope, then nothing changes and it answers 404', async () => {
    const write = h.store.session(caller).write((w) => w.update(client, forest.rootB, { name: 'Taken over' }, now));
    await expect(write).rejects.toMatchObject({ status: 404 });
    expect(await nameOf(forest.rootB)).toBe('Root B');
  });

  it('When a session updates a row inside its scope, then it changes', async () => {
    await h.store.session(caller).write((w) => w.update(client, forest.grandA, { name: 'Grand A renamed' }, now));
    expect(await nameOf(forest.grandA)).toBe('Grand A renamed');
  });

  it('When a session deletes a row outside its scope, then it stays and the answer is 404', async () => {
    const target = forest.owned[forest.rootB].project;
    await expect(h.store.session(caller).write((w) => w.remove(project, target))).rejects.toMatchObject({ status: 404 });
    const left = await h.db.read((ex) => ex.query(`SELECT id FROM projects WHERE id = '${target}'`));
    expect(left).toHaveLength(1);
  });

  it('When a session moves rows and one of them is outside its scope, then the whole write rolls back with 404', async () => {
    const write = h.store.session(caller).write((w) => w.setOwner(children, [forest.grandA, forest.childB1], forest.childA1, now));
    await expect(write).rejects.toMatchObject({ status: 404 });
    expect(await parentOf(forest.childB1)).toBe(forest.rootB);
  });

  it('When a session inserts a row owned by a client outside its scope, then it is refused with 404 and nothing is written', async () => {
    const id = 'f'.repeat(24);
    const row = { id, name: 'Smuggled', client_id: forest.rootB, version: 1, created_at: now, updated_at: now };
    await expect(h.store.session(caller).write((w) => w.insert(project, row))).rejects.toMatchObject({ status: 404 });
    expect(await h.db.read((ex) => ex.query(`SELECT id FROM projects WHERE id = '${id}'`))).toHaveLength(0);
  });

  it("When a client token's session reads an admin-only type, then no row exists for it, even its own token in its subtree", async () => {
    const token = registry.get('api-token');
    const own = (await h.db.read((ex) => ex.query<{ id: string }>(`SELECT id FROM api_tokens WHERE client_id = '${forest.childA1}'`)))[0].id;
    const adminView = await h.store.session((await h.store.authenticate(h.admin))!).read((r) => r.byIds(token, [own], ['id']));
    expect(adminView).toHaveLength(1);
    expect(await h.store.session(caller).read((r) => r.byIds(token, [own], ['id']))).toEqual([]);
    expect((await h.store.session(caller).read((r) => r.select({ def: token, columns: ['id'], count: true }))).total).toBe(0);
  });

  it('When a session reads members of an owner, then only rows of its scope can be named', async () => {
    const seen = await h.store.session(caller).write((w) => w.members(children, forest.rootA));
    // rootA itself is above the token's client: its children are outside the scope except childA1.
    expect(seen).toEqual([forest.childA1]);
  });
});
