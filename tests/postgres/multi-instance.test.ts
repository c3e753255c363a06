import * as fs from 'node:fs';
import { freshDatabase } from '../support/harness';
import { buildService, killAll, ServerProcess, sigtermDuringCreate, startServer, within } from '../support/server-process';
import { apiRequest } from '../support/http-client';
import { Cluster, clusterRequest, concurrencyAdminToken, errorsOf, ifMatchRound, on, sameEmailRound, crossReparentRound, serverErrors, uniqueTag } from '../support/concurrency-helpers';
import { makeClient } from '../support/factories';
import { describeOnPostgres, PgInspector } from '../support/postgres-helpers';

/**
 * Multi-instance correctness and graceful shutdown on PostgreSQL (SPEC §4, §6, §7):
 * two service processes, built and started as `npm start` runs them, share one fresh database
 * on the PostgreSQL test server (TEST_DATABASE_URL). Tokens made or revoked through one are
 * honoured by the other at once; racing writes through both stay correct (checked through the
 * API and with direct queries on the database); SIGTERM drains a request that is in flight.
 */

const describePg = describeOnPostgres('tests/postgres/multi-instance.test.ts');

/** The error objects of a response, reduced to what the contract fixes. */
describePg('Two service instances on one PostgreSQL database', () => {
  let OUT: string | undefined;
  let database: { url: string; drop(): Promise<void> } | undefined;
  let pg: PgInspector | undefined;
  let cluster: Cluster;
  let env: Record<string, string>;

  beforeAll(async () => {
    OUT = await buildService('postgres-multi-build');
    database = await freshDatabase();
    const token = concurrencyAdminToken();
    env = { DATABASE_URL: database.url, ADMIN_TOKEN: token, DB_POOL_MAX: '10' };
    // Both at once: migrations run under an advisory lock, so two instances may start together.
    const [a, b] = await Promise.all([startServer(OUT, env), startServer(OUT, env)]);
    cluster = { servers: [a, b], token };
    pg = await PgInspector.connect(database.url);
  }, 120_000);

  afterAll(async () => {
    try {
      await pg?.close();
      await killAll();
    } finally {
      await database?.drop();
      if (OUT) fs.rmSync(OUT, { recursive: true, force: true });
    }
  }, 30_000);

  it('When a client token is created through instance A, then it works on B; when A revokes it, then B refuses it with 401 on its very next request', async () => {
    const [a, b] = cluster.servers;
    const clientId = await makeClient(on(cluster, 0), { name: `Token owner ${uniqueTag()}` });
    const created = await apiRequest(a, cluster.token, 'POST', '/api/v2/api-tokens', {
      data: { type: 'api-token', attributes: { name: 'made on A', role: 'client' }, relationships: { client: { data: { type: 'client', id: clientId } } } },
    });
    expect(created.status).toBe(201);
    const tokenId = created.json.data.id as string;
    const secret = created.json.data.meta.secret as string;
    expect(typeof secret).toBe('string');

    // B knows it at once: it sees its own client, and nothing else.
    const onB = await apiRequest(b, secret, 'GET', `/api/v2/clients/${clientId}`);
    expect(onB.status).toBe(200);
    expect(onB.json.data.id).toBe(clientId);
    const listOnB = await apiRequest(b, secret, 'GET', '/api/v2/clients');
    expect(listOnB.status).toBe(200);
    expect(listOnB.json.data.map((c: { id: string }) => c.id)).toEqual([clientId]);

    const revoked = await apiRequest(a, cluster.token, 'DELETE', `/api/v2/api-tokens/${tokenId}`);
    expect(revoked.status).toBe(204);

    // B's very next request with it, then A's.
    const refusedOnB = await apiRequest(b, secret, 'GET', `/api/v2/clients/${clientId}`);
    expect(refusedOnB.status).toBe(401);
    expect(errorsOf(refusedOnB)).toEqual([{ status: '401', code: 'unauthorized' }]);
    expect(refusedOnB.headers['www-authenticate']).toMatch(/^Bearer/);
    const refusedOnA = await apiRequest(a, secret, 'GET', `/api/v2/clients/${clientId}`);
    expect(refusedOnA.status).toBe(401);

    // The resource is gone on both, and in the database.
    for (const server of cluster.servers) {
      const gone = await apiRequest(server, cluster.token, 'GET', `/api/v2/api-tokens/${tokenId}`);
      expect(gone.status).toBe(404);
    }
    expect(await pg!.tokenCount(tokenId)).toBe(0);
  });

  it("When two root clients are made each other's parent in parallel through both instances, 50 times, then exactly one of each pair succeeds, the other gets 409 conflict, no request answers 5xx, and the database never holds a cycle", async () => {
    const tag = uniqueTag();
    const a = await makeClient(on(cluster, 0), { name: `Cross A ${tag}` });
    const b = await makeClient(on(cluster, 1), { name: `Cross B ${tag}` });
    const outcomes = { aUnderB: 0, bUnderA: 0 };

    for (let round = 0; round < 50; round++) {
      // A under B through the relationship endpoint on one instance, B under A through a resource
      // PATCH on the other; each round swaps the instances.
      const { toB, toA, context } = await crossReparentRound(cluster, a, b, round);
      expect({ context, errors: serverErrors([toB, toA]) }).toEqual({ context, errors: [] });
      const aOk = toB.status === 204;
      const bOk = toA.status === 200;
      // Both lock the roots of both trees and take turns: the first sees two roots and succeeds, the second would close a cycle.
      expect({ context, statuses: [toB.status, toA.status] }).toEqual({ context, statuses: aOk ? [204, 409] : [409, 200] });
      if (!aOk) expect({ context, errors: errorsOf(toB) }).toEqual({ context, errors: [{ status: '409', code: 'conflict', source: { pointer: '/data' } }] });
      if (!bOk) expect({ context, errors: errorsOf(toA) }).toEqual({ context, errors: [{ status: '409', code: 'conflict', source: { pointer: '/data/relationships/parent' } }] });
      if (aOk) outcomes.aUnderB++;
      else outcomes.bUnderA++;

      expect({ context, cycles: await pg!.clientsInCycles() }).toEqual({ context, cycles: [] });
      expect({ context, parents: [await pg!.parentOf(a), await pg!.parentOf(b)] }).toEqual({ context, parents: [aOk ? b : null, bOk ? a : null] });

      const resets = await Promise.all([
        clusterRequest(cluster, round, 'PATCH', `/api/v2/clients/${a}/relationships/parent`, { data: null }),
        clusterRequest(cluster, round + 1, 'PATCH', `/api/v2/clients/${b}/relationships/parent`, { data: null }),
      ]);
      expect({ context, resets: resets.map((r) => r.status) }).toEqual({ context, resets: [204, 204] });
    }
    expect(outcomes.aUnderB + outcomes.bUnderA).toBe(50);

    // Both instances agree that both are roots again.
    for (const i of [0, 1]) {
      const res = await clusterRequest(cluster, i, 'GET', `/api/v2/clients?filter[parent]=null&filter[name][endsWith]=${tag}`);
      expect(res.status).toBe(200);
      // Id order; made by two processes in the same second, they need not sort in creation order.
      expect(res.json.data.map((c: { id: string }) => c.id)).toEqual([a, b].sort());
    }
  }, 60_000);

  it('When 30 clients with one email (in two cases) are created in parallel, half through each instance, then exactly one answers 201 and the other 29 answer 409 conflict at /data/attributes/email', async () => {
    for (let round = 0; round < 3; round++) {
      const email = `pg-race-${uniqueTag()}@example.com`;
      const emails = Array.from({ length: 30 }, (_, i) => (i % 4 >= 2 ? email.toUpperCase() : email));
      const { id } = await sameEmailRound(cluster, emails, round);

      expect(await pg!.clientIdsWithEmail(email)).toEqual([id]);
      for (const i of [0, 1]) {
        const list = await clusterRequest(cluster, i, 'GET', `/api/v2/clients?filter[email]=${encodeURIComponent(email.toUpperCase())}`);
        expect(list.status).toBe(200);
        expect(list.json.data.map((c: { id: string }) => c.id)).toEqual([id]);
      }
    }
  });

  it('When 20 PATCHes of one client carry the same current If-Match in parallel across both instances, then exactly one answers 200, the other 19 answer 412 precondition_failed, and the version goes up by exactly one', async () => {
    const id = await makeClient(on(cluster, 0), { name: `If-Match target ${uniqueTag()}` });
    for (let round = 0; round < 3; round++) {
      const { version, names, winner } = await ifMatchRound(cluster, id, round);

      expect(await pg!.clientRow(id)).toEqual({ name: names[winner], version: version + 1 });
      for (const i of [0, 1]) {
        const after = await clusterRequest(cluster, i, 'GET', `/api/v2/clients/${id}`);
        expect(after.status).toBe(200);
        expect(after.headers.etag).toBe(`"client:${id}:${version + 1}"`);
      }
    }
  });

  it('When a third instance gets SIGTERM while a create is in flight (body half sent), then that request completes with 201, new connections are refused, the process exits 0, and the row is in the database', async () => {
    const server: ServerProcess = await startServer(OUT!, env);
    const name = `Created while draining ${uniqueTag()}`;
    const raw = await sigtermDuringCreate(server, cluster.token, name);
    expect(raw).toMatch(/^HTTP\/1\.1 201 /);
    const exit = await within(server.exited, 10_000, () => ({ code: -999, signal: null }));
    const stderr = server.stderr();
    expect({ exit, stderr }).toEqual({ exit: { code: 0, signal: null }, stderr });

    const ids = await pg!.clientIdsNamed(name);
    expect(ids).toHaveLength(1);
    // The other instances never noticed: they read the new row.
    const seen = await clusterRequest(cluster, 1, 'GET', `/api/v2/clients/${ids[0]}`);
    expect(seen.status).toBe(200);
    expect(seen.json.data.attributes.name).toBe(name);
  }, 30_000);
});
