import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import Table from 'cli-table3';
import { newTokenSecret } from '../src/auth/tokens';
import { describeMachine, loadWarning, Machine, machineLine } from './machine';
import { startService } from './service';
import { HttpDriver, Reply, ResourceObject, Stats, StatsSummary } from './soak-http';
import { Ledger, marker, Problems, SharedClient, Tracked } from './soak-model';
import { Verification, verify } from './soak-verify';
import { Worker, World } from './soak-workload';
import { ms } from './timing';
import { exitWithUsage, readCommandLine, UsageError } from '../src/cli/args';
import { positive } from './options';

/**
 * npm run soak: starts the built service on a fresh SQLite file under
 * data/soak/ (or DATABASE_URL), drives a mixed read/write workload from a fixed number of
 * workers over keep-alive HTTP for a set time, stops it, then checks the database directly:
 * every acknowledged write is there with its last acknowledged values, refused ones left
 * nothing, and the invariants hold. Prints the figures, writes bench/results/soak-<db>.json,
 * and exits 1 on any 5xx, lost write, broken invariant or failed check.
 */

/** The soak's command line (`--name value` or `--name=value`; a flag it does not know is an error). */
const SOAK_COMMAND = {
  program: 'soak',
  usage: `usage: npm run soak -- [--seconds N] [--workers N] [--seed N]
  env: SOAK_SECONDS (default 60), SOAK_WORKERS (default 8), SOAK_SEED (default random),
       DATABASE_URL (default: a fresh sqlite:data/soak/soak.sqlite; a postgres:// database must exist)`,
  flags: { seconds: { type: 'string' }, workers: { type: 'string' }, seed: { type: 'string' } },
} as const;

interface SoakOptions {
  readonly seconds: number;
  readonly workers: number;
  readonly seed: number;
  readonly databaseUrl: string;
  readonly kind: 'sqlite' | 'postgres';
  readonly root: string;
}

function parseOptions(argv: readonly string[], env: NodeJS.ProcessEnv, root: string): SoakOptions {
  const { values } = readCommandLine(argv, SOAK_COMMAND);
  const given = env.DATABASE_URL;
  const databaseUrl = given && given !== '' ? given : `sqlite:${path.join(root, 'data', 'soak', 'soak.sqlite')}`;
  if (!/^(sqlite:|postgres:\/\/|postgresql:\/\/)/.test(databaseUrl)) throw new Error(`DATABASE_URL must be sqlite:PATH or postgres://…, got "${databaseUrl}"`);
  return {
    seconds: positive('--seconds / SOAK_SECONDS', values.seconds ?? env.SOAK_SECONDS, 60),
    workers: positive('--workers / SOAK_WORKERS', values.workers ?? env.SOAK_WORKERS, 8, true),
    seed: positive('--seed / SOAK_SEED', values.seed ?? env.SOAK_SEED, 1 + Math.floor(Math.random() * 1e9), true),
    databaseUrl,
    kind: databaseUrl.startsWith('sqlite:') ? 'sqlite' : 'postgres',
    root,
  };
}

const out = (line = '') => process.stdout.write(`${line}\n`);
const plain = { head: [] as string[], border: [] as string[] };
const chars = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };
/** Milliseconds to the microsecond, for the JSON. */
const round = (v: number) => Math.round(v * 1000) / 1000;
const redact = (url: string, root: string) => url.replace(/\/\/[^@]*@/, '//***@').replace(root + path.sep, '');

function need(reply: Reply, status: number, what: string): ResourceObject {
  if (reply.status !== status) throw new Error(`set-up: ${what} answered ${reply.status} ${reply.error ?? reply.text.slice(0, 500)}`);
  return reply.doc.data as ResourceObject;
}

/** The fixed part of the data: the outside root, the tenant below it (the client token's client), the shared clients. */
async function setUp(
  http: HttpDriver,
  admin: string,
  tag: string,
  sharedCount: number,
): Promise<{ outside: string; tenant: string; shared: SharedClient[]; clientToken: string; clientTokenId: string }> {
  const post = (p: string, body: unknown) => http.request('set-up', 'POST', p, { token: admin, body });
  const outside = need(await post('/api/v2/clients', { data: { type: 'client', attributes: { name: `soak ${tag} ${marker('out')} outside root` } } }), 201, 'the outside root').id;
  const tenant = need(
    await post('/api/v2/clients', {
      data: { type: 'client', attributes: { name: `soak ${tag} ${marker('in')} tenant`, slug: `soak-${tag}-tenant` }, relationships: { parent: { data: { type: 'client', id: outside } } } },
    }),
    201,
    'the tenant',
  ).id;
  const shared: SharedClient[] = [];
  for (let i = 0; i < sharedCount; i++) {
    const id = need(
      await post('/api/v2/clients', { data: { type: 'client', attributes: { name: `soak ${tag} ${marker('in')} shared${i}` }, relationships: { parent: { data: { type: 'client', id: tenant } } } } }),
      201,
      `shared client ${i}`,
    ).id;
    shared.push({ id, index: i, acks: [], uncertain: false });
  }
  const token = need(
    await post('/api/v2/api-tokens', {
      data: { type: 'api-token', attributes: { name: `soak ${tag} client token`, role: 'client' }, relationships: { client: { data: { type: 'client', id: tenant } } } },
    }),
    201,
    'the client token',
  );
  const secret = token.meta?.secret;
  if (typeof secret !== 'string') throw new Error('set-up: the client token came back without meta.secret');
  return { outside, tenant, shared, clientToken: secret, clientTokenId: token.id };
}

interface SoakReport {
  readonly generatedAt: string;
  readonly machine: Machine & { loadAverageEnd: number };
  readonly database: { readonly kind: string; readonly url: string; readonly version: string };
  readonly options: { readonly seconds: number; readonly workers: number; readonly seed: number; readonly sharedClients: number };
  readonly durationSeconds: number;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly mean: number; readonly max: number };
  readonly statuses: Record<string, number>;
  readonly errorCodes4xx: Record<string, number>;
  readonly serverErrors: number;
  readonly serverErrorSamples: string[];
  readonly transportErrors: number;
  readonly writesAcknowledged: number;
  readonly writesByOperation: Record<string, number>;
  readonly operations: StatsSummary['operations'];
  readonly problems: ReturnType<Problems['toJSON']>;
  readonly notes: Record<string, number>;
  readonly checks: Record<string, number>;
  readonly verification: Verification;
  readonly failures: string[];
  readonly passed: boolean;
}

async function main(): Promise<number> {
  const root = path.resolve(__dirname, '..', '..');
  const options = parseOptions(process.argv.slice(2), process.env, root);
  const machine = describeMachine();
  out(machineLine(machine));
  const busy = loadWarning(machine);
  if (busy) out(busy);

  const soakDir = path.join(root, 'data', 'soak');
  fs.mkdirSync(soakDir, { recursive: true });
  if (options.kind === 'sqlite') {
    const file = options.databaseUrl.slice('sqlite:'.length);
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
  }
  const tag = randomBytes(3).toString('hex');
  const adminSecret = newTokenSecret();
  const service = await startService({ root, databaseUrl: options.databaseUrl, adminToken: adminSecret });
  out(`Service pid ${service.pid} at ${service.baseUrl} on ${redact(options.databaseUrl, root)}; run tag ${tag}, seed ${options.seed}`);

  const stats = new Stats();
  const http = new HttpDriver(service.baseUrl, stats, options.workers + 1);
  const ledgerFile = path.join(soakDir, `ledger-${options.kind}.jsonl`);
  const ledger = new Ledger(ledgerFile);
  const problems = new Problems();
  let world: World | undefined;
  let workers: Worker[];
  let loadSeconds: number;
  let setup: Awaited<ReturnType<typeof setUp>> | undefined;
  try {
    setup = await setUp(http, adminSecret, tag, 6);
    world = {
      http,
      admin: adminSecret,
      clientToken: setup.clientToken,
      tenant: setup.tenant,
      outside: setup.outside,
      shared: setup.shared,
      ledger,
      problems,
      refused: new Map(),
      deadline: Date.now() + options.seconds * 1000,
      tag,
      notes: new Map(),
      checks: new Map(),
    };
    out(`Load: ${options.workers} workers for ${options.seconds} s (tenant ${setup.tenant} below outside root ${setup.outside}, ${setup.shared.length} shared clients)`);
    stats.recording = true;
    const started = Date.now();
    const ticker = setInterval(() => {
      const s = stats.summary();
      out(`  ${((Date.now() - started) / 1000).toFixed(0)} s: ${s.requests} requests, ${ledger.count} writes acknowledged, ${s.serverErrors} 5xx, ${problems.total()} problems`);
    }, 10_000);
    const w = world;
    workers = Array.from({ length: options.workers }, (_, i) => new Worker(i, w, options.seed + i));
    try {
      await Promise.all(workers.map((worker) => worker.run()));
    } finally {
      clearInterval(ticker);
      stats.recording = false;
      loadSeconds = (Date.now() - started) / 1000;
    }
    // The client token goes through the API (the admin token's row is removed after verification).
    const revoked = await http.request('clean-up', 'DELETE', `/api/v2/api-tokens/${setup.clientTokenId}`, { token: adminSecret });
    if (revoked.status !== 204) out(`Warning: revoking the client token answered ${revoked.status}`);
  } finally {
    http.close();
    ledger.close();
    await service.stop();
  }

  out(`Load stopped after ${loadSeconds.toFixed(1)} s; service stopped. Verifying from the database...`);
  const tracked: Tracked[] = workers.flatMap((w) => [...w.clients.values(), ...w.owned.values()]);
  const verification = await verify({
    databaseUrl: options.databaseUrl,
    tracked,
    shared: world!.shared,
    refused: world!.refused,
    tenant: setup!.tenant,
    outside: setup!.outside,
    secrets: [adminSecret, setup!.clientToken],
  });

  const s = stats.summary();
  const failures: string[] = [];
  if (s.serverErrors > 0) failures.push(`${s.serverErrors} 5xx answers`);
  if (s.transportErrors > 0) failures.push(`${s.transportErrors} requests without an answer`);
  if (verification.lostWrites > 0) failures.push(`${verification.lostWrites} lost writes`);
  for (const i of verification.invariants) if (!i.ok) failures.push(`invariant broken: ${i.name}`);
  for (const [kind, n] of problems.counts) if (kind !== 'server error' && kind !== 'no response') failures.push(`${n} × ${kind}`);

  const report: SoakReport = {
    generatedAt: new Date().toISOString(),
    machine: { ...machine, database: verification.databaseVersion, loadAverageEnd: Math.round(os.loadavg()[0] * 100) / 100 },
    database: { kind: options.kind, url: redact(options.databaseUrl, root), version: verification.databaseVersion },
    options: { seconds: options.seconds, workers: options.workers, seed: options.seed, sharedClients: world!.shared.length },
    durationSeconds: Math.round(loadSeconds * 10) / 10,
    requests: s.requests,
    requestsPerSecond: Math.round(s.requests / loadSeconds),
    latencyMs: { p50: round(s.p50), p99: round(s.p99), mean: round(s.mean), max: round(s.max) },
    statuses: s.byStatus,
    errorCodes4xx: s.byErrorCode,
    serverErrors: s.serverErrors,
    serverErrorSamples: stats.serverErrorSamples,
    transportErrors: s.transportErrors,
    writesAcknowledged: ledger.count,
    writesByOperation: Object.fromEntries([...ledger.byOp.entries()].sort((a, b) => b[1] - a[1])),
    operations: s.operations.map((o) => ({ ...o, p50: round(o.p50), p99: round(o.p99) })),
    problems: problems.toJSON(),
    notes: Object.fromEntries(world!.notes),
    checks: Object.fromEntries([...world!.checks.entries()].sort((a, b) => b[1] - a[1])),
    verification,
    failures,
    passed: failures.length === 0,
  };
  print(report, busy);
  const resultsDir = path.join(root, 'bench', 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const target = path.join(resultsDir, `soak-${options.kind}.json`);
  fs.writeFileSync(target, `${JSON.stringify(report, null, 2)}\n`);
  out(`Written ${path.relative(root, target)} (acknowledged writes, one a line: ${path.relative(root, ledgerFile)}).`);
  return report.passed ? 0 : 1;
}

function print(r: SoakReport, busy: string | undefined): void {
  const n = (v: number) => v.toLocaleString('en-US');
  out();
  out(machineLine(r.machine));
  out(`Load average ${r.machine.loadAverage} at the start, ${r.machine.loadAverageEnd} at the end (${r.machine.cores} cores)`);
  if (busy) out(busy);
  out(`Database: ${r.database.version} (${r.database.url})`);
  out(`Duration: ${r.durationSeconds} s, ${r.options.workers} workers over keep-alive HTTP, seed ${r.options.seed}`);
  out(
    `Requests served: ${n(r.requests)}, ${n(r.requestsPerSecond)} req/s; latency p50 ${ms(r.latencyMs.p50)} ms, p99 ${ms(r.latencyMs.p99)} ms (mean ${ms(r.latencyMs.mean)}, max ${ms(r.latencyMs.max)})`,
  );
  out(
    `By status: ${Object.entries(r.statuses)
      .map(([k, v]) => `${k}: ${n(v)}`)
      .join(', ')}`,
  );
  out(
    `4xx by code: ${
      Object.entries(r.errorCodes4xx)
        .map(([k, v]) => `${k}: ${n(v)}`)
        .join(', ') || 'none'
    }`,
  );
  out(`5xx: ${r.serverErrors} (the bar is zero)${r.transportErrors ? `; no answer: ${r.transportErrors}` : ''}`);
  for (const sample of r.serverErrorSamples.slice(0, 5)) out(`  ${sample}`);
  out(`Writes acknowledged: ${n(r.writesAcknowledged)}`);
  const ops = new Table({ head: ['operation', 'requests', 'p50 ms', 'p99 ms', 'statuses'], style: plain, chars, colAligns: ['left', 'right', 'right', 'right', 'left'] });
  for (const o of r.operations)
    ops.push([
      o.op,
      n(o.count),
      ms(o.p50),
      ms(o.p99),
      Object.entries(o.statuses)
        .map(([k, v]) => `${k}×${v}`)
        .join(' '),
    ]);
  out(ops.toString());
  const v = r.verification;
  out(
    `Database after the run: ${Object.entries(v.rows)
      .map(([k, c]) => `${n(c)} ${k}`)
      .join(', ')}`,
  );
  out(
    `Lost writes: ${v.lostWrites} (checked ${n(v.resourcesChecked)} resources with their last acknowledged values, ${n(v.deletesChecked)} of them deleted, ${n(v.versionsChecked)} versions; ` +
      `${v.sharedChecked} shared clients with ${n(v.sharedAcks)} acknowledged If-Match writes; ${v.uncertainSkipped} uncertain skipped)`,
  );
  for (const sample of v.lostWriteSamples) out(`  ${sample}`);
  const inv = new Table({ head: ['invariant', 'result', 'detail'], style: plain, chars });
  for (const i of v.invariants) inv.push([i.name, i.ok ? 'ok' : 'BROKEN', i.detail]);
  out(inv.toString());
  const problemKinds = Object.entries(r.problems);
  out(problemKinds.length === 0 ? 'Checks during the run: all answers as expected (statuses, read-after-write, scope, keyset order).' : 'Checks during the run:');
  for (const [kind, p] of problemKinds) {
    out(`  ${kind}: ${p.count}`);
    for (const sample of p.samples.slice(0, 5)) out(`    ${sample}`);
  }
  out(
    `Checks made: ${Object.entries(r.checks)
      .map(([k, c]) => `${k}: ${n(c)}`)
      .join('; ')}`,
  );
  for (const [note, count] of Object.entries(r.notes)) out(`Note: ${note}: ${count} times`);
  out(r.passed ? 'PASSED' : `FAILED: ${r.failures.join('; ')}`);
}

main().then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof UsageError) exitWithUsage(SOAK_COMMAND, e);
    process.stderr.write(`soak: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
