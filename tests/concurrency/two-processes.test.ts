import * as fs from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import { buildService, killAll, removeDatabase, ServerProcess, startServer, tempDatabase } from '../support/server-process';
import { apiRequest, HttpResponse } from '../support/http-client';
import {
  Cluster,
  clusterRequest,
  concurrencyAdminToken,
  errorsOf,
  ifMatchRound,
  on,
  sameEmailRound,
  printedTokens,
  crossReparentRound,
  serverErrors,
  SharedFile,
  stopServers,
  uniqueTag,
} from '../support/concurrency-helpers';
import { makeClient } from '../support/factories';

/**
 * Concurrency safety on SQLite (SPEC §6): two service processes, built and started
 * as `npm start` runs them, share one SQLite file, so the races below are between two
 * connections and two event loops, not just two requests in one process. Requests alternate
 * between the processes and are sent together: tests 1–3 hold every request at the last byte of
 * its body and release them all at once (`race`), test 4 fires a plain Promise.all; test 5 holds
 * the file's write lock from this process past the service's 5 s busy timeout. Outcomes are
 * checked through the API and on the file itself. The last two tests start two processes at
 * the same moment on a fresh file (migrations and the first admin token race there).
 */

let OUT: string | undefined;
let FILE: string | undefined;
/** Databases of the start-up tests (removed in afterAll). */
const startupFiles: string[] = [];
let shared: SharedFile | undefined;
let cluster: Cluster;
const timings: string[] = [];

function timed<T>(label: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  return fn().finally(() => timings.push(`${label}: ${Date.now() - started} ms`));
}

function file(): SharedFile {
  if (!shared) shared = new SharedFile(FILE!);
  return shared;
}

/** The error objects of a response, reduced to what the contract fixes. */
beforeAll(async () => {
  await timed('setup (build + two processes)', async () => {
    OUT = await buildService('concurrency-build');
    FILE = tempDatabase();
    const token = concurrencyAdminToken();
    const env = { DATABASE_URL: `sqlite:${FILE}`, ADMIN_TOKEN: token };
    // One after the other: the first applies the migrations, the second finds them applied
    // (starting both at once is the subject of the last describe block).
    const first = await startServer(OUT, env);
    const second = await startServer(OUT, env);
    cluster = { servers: [first, second], token };
    // Both processes answer with the same data: a write through one is read through the other.
    const probe = await makeClient(on(cluster, 0), { name: `Probe ${uniqueTag()}` });
    const seen = await clusterRequest(cluster, 1, 'GET', `/api/v2/clients/${probe}`);
    if (seen.status !== 200) throw new Error(`the second process does not see the first one's write: ${seen.status} ${seen.text}`);
  });
}, 120_000);

afterAll(async () => {
  try {
    shared?.close();
  } finally {
    await killAll();
    if (FILE) removeDatabase(FILE);
    for (const f of startupFiles) removeDatabase(f);
    if (OUT) fs.rmSync(OUT, { recursive: true, force: true });
    process.stdout.write(`\n[concurrency timings]\n  ${timings.join('\n  ')}\n`);
  }
});

describe('Two service processes on one SQLite file', () => {
  it('When 20 PATCHes of one client carry the same current If-Match in parallel across both processes, then exactly one answers 200, the other 19 answer 412 precondition_failed, and the version goes up by exactly one', async () => {
    await timed('test 1 (10 rounds × 20 PATCHes with If-Match)', async () => {
      const id = await makeClient(on(cluster, 0), { name: `If-Match target ${uniqueTag()}` });
      for (let round = 0; round < 10; round++) {
        const { version, names, responses, winner } = await ifMatchRound(cluster, id, round);
        expect(responses[winner].headers.etag).toBe(`"client:${id}:${version + 1}"`);

        // Both processes read the winner's write, and the file agrees.
        for (const i of [0, 1]) {
          const after = await clusterRequest(cluster, i, 'GET', `/api/v2/clients/${id}`);
          expect(after.status).toBe(200);
          expect(after.json.data.meta.version).toBe(version + 1);
          expect(after.json.data.attributes.name).toBe(names[winner]);
          expect(after.headers.etag).toBe(`"client:${id}:${version + 1}"`);
        }
        expect(file().clientRow(id)).toEqual({ name: names[winner], version: version + 1 });
      }
    });
  });

  it("When two root clients are made each other's parent in parallel through both processes, 100 times, then the hierarchy never has a cycle, no request answers 5xx, and at most one of each pair succeeds while the other gets 409 conflict", async () => {
    await timed('test 2 (100 rounds of crossed reparenting)', async () => {
      const tag = uniqueTag();
      const a = await makeClient(on(cluster, 0), { name: `Cycle A ${tag}` });
      const b = await makeClient(on(cluster, 1), { name: `Cycle B ${tag}` });
      const outcomes = { aUnderB: 0, bUnderA: 0, bothRefused: 0 };

      for (let round = 0; round < 100; round++) {
        // A's parent → B through the relationship endpoint; B's parent → A through a resource
        // PATCH. Each round swaps which process gets which request.
        const { toB, toA, context } = await crossReparentRound(cluster, a, b, round);
        expect({ context, errors: serverErrors([toB, toA]) }).toEqual({ context, errors: [] });
        expect({ context, allowed: [204, 409].includes(toB.status) && [200, 409].includes(toA.status) }).toEqual({ context, allowed: true });
        const aOk = toB.status === 204;
        const bOk = toA.status === 200;
        expect({ context, bothSucceeded: aOk && bOk }).toEqual({ context, bothSucceeded: false });
        if (!aOk) {
          expect({ context, status: toB.status, errors: errorsOf(toB) }).toEqual({ context, status: 409, errors: [{ status: '409', code: 'conflict', source: { pointer: '/data' } }] });
        }
        if (!bOk) {
          expect({ context, status: toA.status, errors: errorsOf(toA) }).toEqual({
            context,
            status: 409,
            errors: [{ status: '409', code: 'conflict', source: { pointer: '/data/relationships/parent' } }],
          });
        }
        if (aOk) outcomes.aUnderB++;
        else if (bOk) outcomes.bUnderA++;
        else outcomes.bothRefused++;

        // The file: no cycle anywhere, and the parents are exactly what the winner wrote.
        expect({ context, cycles: await file().clientsInCycles() }).toEqual({ context, cycles: [] });
        expect({ context, parents: [file().parentOf(a), file().parentOf(b)] }).toEqual({ context, parents: [aOk ? b : null, bOk ? a : null] });

        // Back to two roots for the next round.
        const resets = await Promise.all([
          clusterRequest(cluster, round, 'PATCH', `/api/v2/clients/${a}/relationships/parent`, { data: null }),
          clusterRequest(cluster, round + 1, 'PATCH', `/api/v2/clients/${b}/relationships/parent`, { data: null }),
        ]);
        expect({ context, resets: resets.map((r) => r.status) }).toEqual({ context, resets: [204, 204] });
      }

      // Through the API too: both roots again, and each process says so.
      for (const i of [0, 1]) {
        for (const id of [a, b]) {
          const res = await clusterRequest(cluster, i, 'GET', `/api/v2/clients/${id}`);
          expect(res.status).toBe(200);
          expect(res.json.data.relationships.parent.data).toBeNull();
        }
      }
      timings.push(`test 2 outcomes: A under B ${outcomes.aUnderB}, B under A ${outcomes.bUnderA}, both refused ${outcomes.bothRefused}`);
      expect(outcomes.aUnderB + outcomes.bUnderA + outcomes.bothRefused).toBe(100);
    });
  });

  it('When 50 clients with the same email are created in parallel, half through each process, then exactly one answers 201 and the other 49 answer 409 conflict at /data/attributes/email', async () => {
    await timed('test 3 (20 rounds × 50 parallel creates, one email)', async () => {
      for (let round = 0; round < 20; round++) {
        // Odd rounds spell the email in two cases: uniqueness is case-insensitive (SPEC §1).
        const email = `race-${uniqueTag()}@example.com`;
        const emails = Array.from({ length: 50 }, (_, i) => (round % 2 === 1 && i % 4 >= 2 ? email.toUpperCase() : email));
        const { responses, winner, id } = await sameEmailRound(cluster, emails, round);
        expect(responses[winner].headers.location).toMatch(new RegExp(`/api/v2/clients/${id}$`));

        expect(file().clientIdsWithEmail(email)).toEqual([id]);
        for (const i of [0, 1]) {
          const list = await clusterRequest(cluster, i, 'GET', `/api/v2/clients?filter[email]=${encodeURIComponent(email)}`);
          expect(list.status).toBe(200);
          expect(list.json.data.map((c: { id: string }) => c.id)).toEqual([id]);
        }
      }
    });
  });

  it('When a few hundred mixed reads and writes run in parallel across both processes, then none answers 5xx, every one succeeds, and no write is lost', async () => {
    await timed('test 4 (360 mixed requests)', async () => {
      const tag = uniqueTag();
      const root = await makeClient(on(cluster, 0), { name: `Mixed root ${tag}` });
      const targets: string[] = [];
      for (let i = 0; i < 6; i++) targets.push(await makeClient(on(cluster, i), { name: `Mixed ${tag} ${i}` }, root));
      const startVersions = targets.map((id) => file().version('clients', id));

      type Step = { label: string; expect: number; run: () => Promise<HttpResponse> };
      const steps: Step[] = [];
      const patches = new Array<number>(targets.length).fill(0);
      let creates = 0;
      for (let i = 0; i < 360; i++) {
        const target = targets[i % targets.length];
        switch (i % 6) {
          case 0:
            steps.push({ label: `GET list #${i}`, expect: 200, run: () => clusterRequest(cluster, i, 'GET', `/api/v2/clients?filter[parent]=${root}&include=parent&page[size]=50`) });
            break;
          case 1:
            steps.push({ label: `GET one #${i}`, expect: 200, run: () => clusterRequest(cluster, i, 'GET', `/api/v2/clients/${target}?include=children,parent`) });
            break;
          case 2:
          case 4: {
            patches[i % targets.length]++;
            steps.push({
              label: `PATCH #${i}`,
              expect: 200,
              run: () => clusterRequest(cluster, i, 'PATCH', `/api/v2/clients/${target}`, { data: { type: 'client', id: target, attributes: { name: `Mixed ${tag} patched ${i}` } } }),
            });
            break;
          }
          case 3:
            creates++;
            steps.push({
              label: `POST #${i}`,
              expect: 201,
              run: () =>
                clusterRequest(cluster, i, 'POST', '/api/v2/clients', {
                  data: { type: 'client', attributes: { name: `Mixed new ${tag} ${i}`, email: `mixed-${tag}-${i}@example.com` }, relationships: { parent: { data: { type: 'client', id: root } } } },
                }),
            });
            break;
          default:
            steps.push({ label: `GET descendants #${i}`, expect: 200, run: () => clusterRequest(cluster, i, 'GET', `/api/v2/clients?filter[descendantOf]=${root}&sort=-createdAt&page[size]=100`) });
        }
      }

      const responses = await Promise.all(steps.map((s) => s.run()));
      const labels = steps.map((s) => s.label);
      expect(serverErrors(responses, labels)).toEqual([]);
      const unexpected = responses.map((r, i) => (r.status === steps[i].expect ? undefined : `${labels[i]} → ${r.status} ${r.text.slice(0, 200)}`)).filter((x) => x !== undefined);
      expect(unexpected).toEqual([]);

      // No lost update: each PATCH added exactly one to its target's version.
      expect(targets.map((id) => file().version('clients', id))).toEqual(startVersions.map((v, i) => v + patches[i]));
      // Every create is there, once, under the root.
      expect(file().countClientsNamed(`Mixed new ${tag} `)).toBe(creates);
      const children = await clusterRequest(cluster, 1, 'GET', `/api/v2/clients?filter[parent]=${root}&page[size]=100`);
      expect(children.status).toBe(200);
      expect(children.json.meta.page.total).toBe(targets.length + creates);
      expect(await file().clientsInCycles()).toEqual([]);
    });
  });

  it('When another connection holds the write lock on the file longer than the 5 s busy timeout, then a PATCH answers 503 with Retry-After (not 500) and changes nothing, reads through the other process still answer 200, and the same PATCH succeeds once the lock is gone', async () => {
    await timed('test 5 (write lock held past the busy timeout)', async () => {
      const id = await makeClient(on(cluster, 0), { name: `Locked out ${uniqueTag()}` });
      const before = await clusterRequest(cluster, 1, 'GET', `/api/v2/clients/${id}`);
      expect(before.status).toBe(200);
      const version = before.json.data.meta.version as number;
      const patch = { data: { type: 'client', id, attributes: { name: 'Written after the lock' } } };

      const holder = new BetterSqlite3(FILE!);
      try {
        holder.exec('BEGIN IMMEDIATE');
        const started = Date.now();
        const blocked = clusterRequest(cluster, 0, 'PATCH', `/api/v2/clients/${id}`, patch, { 'If-Match': before.headers.etag as string });
        // WAL: readers are not blocked by a writer, so the other process keeps answering reads.
        const read = await clusterRequest(cluster, 1, 'GET', `/api/v2/clients/${id}`);
        expect(read.status).toBe(200);
        expect(read.json.data.meta.version).toBe(version);
        const refused = await blocked;
        const waited = Date.now() - started;
        timings.push(`test 5: the PATCH waited ${waited} ms for the lock before answering ${refused.status}`);
        expect(refused.status).toBe(503);
        expect(refused.headers['retry-after']).toMatch(/^[1-9][0-9]*$/);
        expect(errorsOf(refused).map((e) => e.status)).toEqual(['503']);
        expect(waited).toBeGreaterThanOrEqual(4_500);
      } finally {
        if (holder.inTransaction) holder.exec('ROLLBACK');
        holder.close();
      }
      expect(file().clientRow(id).version).toBe(version);

      const retried = await clusterRequest(cluster, 0, 'PATCH', `/api/v2/clients/${id}`, patch, { 'If-Match': before.headers.etag as string });
      expect(retried.status).toBe(200);
      expect(retried.json.data.meta.version).toBe(version + 1);
      expect(file().clientRow(id)).toEqual({ name: 'Written after the lock', version: version + 1 });
    });
  }, 20_000);
});

describe('Two service processes starting together on one fresh SQLite file', () => {
  /** Starts two processes at the same moment on a new file; each outcome is "up" or the reason it is not. */
  async function startPair(env: Record<string, string>): Promise<{ servers: ServerProcess[]; outcomes: string[] }> {
    const file = tempDatabase();
    startupFiles.push(file);
    const full = { DATABASE_URL: `sqlite:${file}`, ...env };
    const settled = await Promise.allSettled([startServer(OUT!, full), startServer(OUT!, full)]);
    const servers = settled.filter((r): r is PromiseFulfilledResult<ServerProcess> => r.status === 'fulfilled').map((r) => r.value);
    const outcomes = settled.map((r) => (r.status === 'fulfilled' ? 'up' : String(r.reason).replace(/\s+/g, ' ').slice(0, 200)));
    return { servers, outcomes };
  }

  it('When two processes with the same ADMIN_TOKEN start at the same moment on a new file (5 times), then both come up, both accept that token, and it is stored once', async () => {
    await timed('test 6 (5 simultaneous starts with ADMIN_TOKEN)', async () => {
      const token = concurrencyAdminToken();
      const report: string[] = [];
      for (let trial = 0; trial < 5; trial++) {
        const { servers, outcomes } = await startPair({ ADMIN_TOKEN: token });
        try {
          report.push(outcomes.join(' | '));
          if (servers.length !== 2) continue;
          const lists = await Promise.all(servers.map((s) => apiRequest(s, token, 'GET', '/api/v2/api-tokens')));
          report[trial] += ` → api-tokens ${lists.map((l) => `${l.status}:${l.json?.data?.length}`).join(', ')}`;
        } finally {
          await stopServers(servers);
        }
      }
      timings.push(`test 6 trials: ${report.join(' ; ')}`);
      expect(report).toEqual(Array.from({ length: 5 }, () => 'up | up → api-tokens 200:1, 200:1'));
    });
  }, 40_000);

  it('When two processes without ADMIN_TOKEN start at the same moment on a new file (5 times), then both come up and exactly one first admin token is printed and stored', async () => {
    await timed('test 7 (5 simultaneous starts without ADMIN_TOKEN)', async () => {
      const report: string[] = [];
      for (let trial = 0; trial < 5; trial++) {
        const { servers, outcomes } = await startPair({ ADMIN_TOKEN: '' });
        try {
          report.push(outcomes.join(' | '));
          if (servers.length !== 2) continue;
          const printed = servers.flatMap((s) => printedTokens(s.stdout()));
          report[trial] += ` → printed ${printed.length}`;
          if (printed.length === 0) continue;
          const lists = await Promise.all(servers.map((s) => apiRequest(s, printed[0], 'GET', '/api/v2/api-tokens')));
          report[trial] += `, api-tokens ${lists.map((l) => `${l.status}:${l.json?.data?.length}`).join(', ')}`;
        } finally {
          await stopServers(servers);
        }
      }
      timings.push(`test 7 trials: ${report.join(' ; ')}`);
      expect(report).toEqual(Array.from({ length: 5 }, () => 'up | up → printed 1, api-tokens 200:1, 200:1'));
    });
  }, 40_000);
});
