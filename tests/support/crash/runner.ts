import { randomBytes } from 'node:crypto';
import { prng } from '../../../bench/prng';
import { HttpResponse } from '../http-client';
import { ServerProcess, sleep, splitLines, startServer } from '../server-process';
import { OpenApiMismatchError } from '../validate-responses';
import { checkThroughApi, CrashCheckError, startProblems, sweepThroughApi, warmUp } from './api-checks';
import { CrashDatabase } from './database';
import { answerProblem, applyWrite, compare, Kind, KINDS, Model, resolveUnknown, Stored, Write } from './model';
import { createdIds, describeWrite, int, Planner, planWrite, sendWrite } from './planner';

/**
 * Crash safety: the service is SIGKILLed while concurrent writes are in
 * flight, restarted on the same database, and the database must then hold exactly what the
 * acknowledged writes promised, each unknown-outcome request applied whole or not at all,
 * and nothing else.
 *
 * How the promises are kept exact under concurrency: each worker owns a territory (the
 * clients, legal entities and projects it created) and writes only inside it, one request at
 * a time. The workers run side by side against one service and one database, so their
 * transactions interleave freely, but the state of each territory is the sequential result of
 * its worker's requests. A model applies every acknowledged (2xx) write the moment its answer
 * arrives, and predicts every answer (a reparent that would make a cycle is 409, an atomic
 * request with a bad country is 422, …): any other status fails the test. A request that got
 * no answer (the connection died with the process) has an unknown outcome; each worker has at
 * most one, since it stops at the first connection error. After the restart, each unknown is
 * resolved against the database: either every one of its effects is there, or none is
 * (anything in between is a half-written request). Then the database must equal the model:
 * every row the model promises with exactly its values and version, and no row nobody promised.
 *
 * One run: start the service; a setup phase (each worker makes a few answered writes, no
 * kill); then CRASH_ROUNDS rounds of: warm-up reads, the load, SIGKILL at a seeded random
 * moment 50–400 ms into it, wait for the exit (and, on PostgreSQL, for the dead process's
 * sessions to end), restart on the same database (it must start cleanly: nothing on stderr,
 * no error log line, /readyz 200), the invariants of src/data/invariants.ts (no orphan, no
 * cycle, foreign keys, unique and folded columns; SQLite: PRAGMA integrity_check and
 * foreign_key_check), the unknowns resolved, the rows
 * compared, and a GET of every resource the round touched (200 with the promised values and
 * ETag, or 404 when deleted). After the last round every collection is read whole through the
 * API, and SIGTERM must end the service with 0.
 *
 * Environment: CRASH_ROUNDS (20), CRASH_WORKERS (12), CRASH_SEED (random; printed), and
 * CRASH_VERBOSE=1 for a line per round.
 *
 * The pieces: model.ts (what the database must hold), planner.ts (each worker's next write and
 * the answer it predicts), database.ts with sqlite-adapter.ts and postgres-adapter.ts (reading
 * the database and checking src/data/invariants.ts on it), api-checks.ts (reading back through
 * the API); this file runs the rounds.
 */

// ---------------------------------------------------------------------------------------------
// Knobs and randomness

/** CRASH_ROUNDS (default 20): kill-and-restart rounds per database. */
export function crashRounds(): number {
  const raw = process.env.CRASH_ROUNDS;
  const n = raw && /^\d+$/.test(raw) ? Number(raw) : 20;
  return Math.max(1, n);
}

/** CRASH_WORKERS (default 12): concurrent writers, one request in flight each. */
export function crashWorkers(): number {
  const raw = process.env.CRASH_WORKERS;
  const n = raw && /^\d+$/.test(raw) ? Number(raw) : 12;
  return Math.min(64, Math.max(1, n));
}

/**
 * CRASH_SEED (decimal or 0x-hex), else a random seed. It fixes the kill moments and each
 * worker's random choices; what is written still depends on timing (how far each worker gets).
 */
export function crashSeed(): number {
  const raw = process.env.CRASH_SEED;
  if (raw && /^(0x[0-9a-f]+|\d+)$/i.test(raw)) return Number(raw) >>> 0;
  return randomBytes(4).readUInt32BE(0);
}

export function hex(seed: number): string {
  return `0x${seed.toString(16).padStart(8, '0')}`;
}

/**
 * A request that died with the process: refused connection, reset, broken pipe, or a response
 * cut short. Its outcome is unknown. Anything else (an OpenAPI mismatch above all, or a
 * timeout, which a killed process cannot cause) is a real failure.
 */
export function isConnectionError(e: unknown): boolean {
  if (e instanceof OpenApiMismatchError) return false;
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ECONNABORTED'].includes(code);
}

export interface CrashOptions {
  /** The compiled service (buildService). */
  readonly out: string;
  readonly database: CrashDatabase;
  readonly rounds: number;
  readonly workers: number;
  readonly seed: number;
  /** Extra environment for the service. */
  readonly env?: Record<string, string>;
  /** A line of progress (the summary is returned). */
  readonly log?: (line: string) => void;
}

export interface CrashSummary {
  readonly rounds: number;
  /** 2xx answers; each one's promise was checked in the database and through the API. */
  readonly acknowledged: number;
  /** Answered writes (acknowledged or refused as predicted) by action. */
  readonly byAction: Record<string, number>;
  /** Requests the model predicted to be refused (409, 422) and that were. */
  readonly refused: number;
  readonly unknown: number;
  readonly unknownApplied: number;
  readonly finalRows: Record<Kind, number>;
  /** GETs that read resources back through the API (single resources and list pages). */
  readonly apiReads: number;
  readonly killDelays: number[];
  readonly seconds: number;
}

/** A failure with the context needed to reproduce it (seed, round, kill delay). */
export { CrashCheckError };

/** Counts shared by the setup phase and the rounds. */
interface Tally {
  acknowledged: number;
  refused: number;
  byAction: Record<string, number>;
}

interface LoadResult {
  /** Writes whose request died with the process (outcome unknown). */
  readonly pending: Write[];
  /** Rows touched by acknowledged writes. */
  readonly touched: { kind: Kind; id: string }[];
  readonly failures: string[];
  readonly mismatch?: OpenApiMismatchError;
  /** Answers read after the kill was decided (they were complete: acknowledged). */
  readonly lateAnswers: number;
}

/**
 * Runs every worker against `server`, one request at a time each, until `stopped()` or until
 * each has sent `limit` requests. Acknowledged writes go into the model at once; a connection
 * error ends that worker with the write pending (unknown outcome); an OpenAPI mismatch, an
 * unexpected status or an answer that contradicts the model ends it with a failure.
 */
async function runLoad(
  server: ServerProcess,
  token: string,
  model: Model,
  planners: readonly Planner[],
  owners: Map<string, string>,
  tally: Tally,
  stopped: () => boolean,
  limit = Infinity,
): Promise<LoadResult> {
  const pending: Write[] = [];
  const touched: { kind: Kind; id: string }[] = [];
  const failures: string[] = [];
  let mismatch: OpenApiMismatchError | undefined;
  let lateAnswers = 0;
  const runWorker = async (p: Planner): Promise<void> => {
    for (let sent = 0; sent < limit && !stopped() && failures.length === 0; sent++) {
      const write = planWrite(p);
      for (const c of write.creates) owners.set(c.name, `${write.label} (${write.action})`);
      let res: HttpResponse;
      try {
        res = await sendWrite(server, token, write);
      } catch (e) {
        if (e instanceof OpenApiMismatchError) {
          mismatch ??= e;
          failures.push(`${describeWrite(write)}: ${e.message}`);
        } else if (isConnectionError(e)) {
          pending.push(write);
        } else {
          failures.push(`${describeWrite(write)}: ${(e as Error).message}`);
        }
        return;
      }
      if (stopped()) lateAnswers++;
      if (res.status !== write.expect) {
        failures.push(`${describeWrite(write)} answered ${res.status}: ${res.text.slice(0, 600)}`);
        return;
      }
      const action = write.action.replace(/ \(.*$/, '');
      tally.byAction[action] = (tally.byAction[action] ?? 0) + 1;
      if (res.status >= 300) {
        tally.refused++;
        continue;
      }
      try {
        const problem = answerProblem(model, write, res);
        if (problem) throw new Error(problem);
        touched.push(...applyWrite(model, write, createdIds(write, res), `acknowledged ${res.status}`));
        tally.acknowledged++;
      } catch (e) {
        failures.push(`${describeWrite(write)}: ${(e as Error).message}`);
        return;
      }
    }
  };
  await Promise.all(planners.map(runWorker));
  return { pending, touched, failures, mismatch, lateAnswers };
}

/** Throws for a load that failed: an OpenAPI mismatch as such, anything else as a CrashCheckError. */
function assertLoad(context: string, load: LoadResult): void {
  if (load.mismatch) {
    // Not an unknown outcome: the service answered, and the answer breaks the contract.
    const failure = new OpenApiMismatchError(`${context}: a response did not match the OpenAPI document:\n${load.failures.join('\n')}`);
    failure.stack = `${failure.stack}\ncaused by: ${load.mismatch.stack}`;
    throw failure;
  }
  if (load.failures.length > 0) throw new CrashCheckError(`${context}:\n${load.failures.join('\n')}`);
}

/** Writes each worker makes before the first round, answered in full: every territory starts with something to reparent, move and delete. */
const SETUP_WRITES_PER_WORKER = 6;

export async function runCrashRounds(options: CrashOptions): Promise<CrashSummary> {
  const started = Date.now();
  const { out, database, rounds, workers, seed } = options;
  const log = options.log ?? (() => undefined);
  const token = randomBytes(24).toString('hex');
  const env = { DATABASE_URL: database.url, ADMIN_TOKEN: token, ...(options.env ?? {}) };
  const rng = prng(seed);
  const tag = `crash ${hex(seed)}`;
  const model = new Model();
  const owners = new Map<string, string>();
  const tally: Tally = { acknowledged: 0, refused: 0, byAction: {} };
  const killDelays: number[] = [];
  let unknown = 0;
  let unknownApplied = 0;
  let apiReads = 0;
  const planners: Planner[] = Array.from({ length: workers }, (_, w) => ({ model, worker: w, rng: prng(0), tag, round: 0, seq: 0 }));
  const reseed = (round: number) => {
    for (const p of planners) {
      p.rng = prng(Math.floor(rng() * 2 ** 32));
      p.round = round;
    }
  };

  let server = await startServer(out, env);
  const firstStart = await startProblems(server);
  if (firstStart.length > 0) throw new CrashCheckError(`${database.label}: the first start was not clean:\n${firstStart.join('\n')}`);

  // Setup (round 0, no kill): the same workers, a few answered writes each.
  reseed(0);
  const setup = await runLoad(server, token, model, planners, owners, tally, () => false, SETUP_WRITES_PER_WORKER);
  assertLoad(`${database.label}, seed ${hex(seed)}, setup before the first kill`, setup);
  if (setup.pending.length > 0)
    throw new CrashCheckError(`${database.label}: ${setup.pending.length} setup request(s) got no answer from a live service: ${setup.pending.map(describeWrite).join('\n')}`);

  for (let round = 1; round <= rounds; round++) {
    const delay = int(rng, 50, 400);
    killDelays.push(delay);
    const context = `${database.label}, seed ${hex(seed)} (CRASH_SEED=${hex(seed)}), round ${round}/${rounds}, SIGKILL ${delay} ms after the load started`;
    reseed(round);
    const acknowledgedBefore = tally.acknowledged;
    const appliedBefore = unknownApplied;

    // Warm-up reads first (as many at once as there are workers): a fresh process has cold code
    // paths and, on PostgreSQL, an empty pool; the load then starts at full speed.
    await warmUp(server, token, workers);

    // Load: every worker writes in its territory, one request at a time, until the kill.
    let stopped = false;
    const running = runLoad(server, token, model, planners, owners, tally, () => stopped);
    await sleep(delay);
    stopped = true;
    server.child.kill('SIGKILL');
    const exit = await server.exited;
    const load = await running;
    assertLoad(`${context}: during the load`, load);
    if (exit.signal !== 'SIGKILL') throw new CrashCheckError(`${context}: the service ended with ${JSON.stringify(exit)} before it was killed:\n${server.stderr()}`);
    const logLines = splitLines(server.stdout()).json;
    const loggedErrors = logLines.filter((l) => Number(l.level) >= 50);
    if (loggedErrors.length > 0)
      throw new CrashCheckError(
        `${context}: the service logged errors during the load:\n${loggedErrors
          .slice(0, 10)
          .map((l) => JSON.stringify(l).slice(0, 600))
          .join('\n')}`,
      );
    const latencies = logLines
      .filter((l) => l.msg === 'request' && l.method !== 'GET')
      .map((l) => Number(l.ms))
      .sort((a, b) => a - b);
    unknown += load.pending.length;
    const unsettled = await database.settle();
    if (unsettled.length > 0) throw new CrashCheckError(`${context}: after the kill:\n${unsettled.join('\n')}`);

    // Restart on the same database: it must come up cleanly.
    try {
      server = await startServer(out, env);
    } catch (e) {
      throw new CrashCheckError(`${context}: the service did not start again: ${(e as Error).message}`);
    }
    const start = await startProblems(server);
    if (start.length > 0) throw new CrashCheckError(`${context}: the restart was not clean:\n${start.join('\n')}`);

    // The database: structure first, then each unknown whole or not at all, then every row.
    const problems = (await database.structuralProblems()).map((p) => `structure: ${p}`);
    const snapshot = await database.snapshot();
    const byName = Object.fromEntries(KINDS.map((k) => [k, new Map<string, Stored[]>()])) as Record<Kind, Map<string, Stored[]>>;
    for (const kind of KINDS) for (const row of snapshot[kind].values()) byName[kind].set(row.name, [...(byName[kind].get(row.name) ?? []), row]);
    const touched = [...(round === 1 ? setup.touched : []), ...load.touched];
    for (const write of load.pending) {
      const resolution = resolveUnknown(model, write, snapshot, byName);
      if ('violation' in resolution) {
        problems.push(`${describeWrite(write)} got no answer, and is ${resolution.violation}`);
      } else if (resolution.applied) {
        touched.push(...applyWrite(model, write, resolution.ids, 'no answer, found applied after the restart'));
        unknownApplied++;
      }
    }
    problems.push(...compare(model, snapshot, owners));

    // Through the API: every resource this round's writes touched.
    const unique = [...new Map(touched.map((t) => [`${t.kind}:${t.id}`, t])).values()];
    problems.push(...(await checkThroughApi(server, token, model, unique)));
    apiReads += unique.length;
    if (problems.length > 0) {
      throw new CrashCheckError(`${context}: after the restart (${load.pending.length} request(s) had no answer):\n${problems.join('\n')}`);
    }
    log(
      `${database.label} round ${round}: kill after ${delay} ms; writes answered in ${latencies[Math.floor(latencies.length / 2)] ?? '-'} ms (median) / ` +
        `${latencies[latencies.length - 1] ?? '-'} ms (max) by the service; ${tally.acknowledged - acknowledgedBefore} acknowledged (${load.lateAnswers} read after the kill); ` +
        `${load.pending.length} without answer (${unknownApplied - appliedBefore} took effect); ${KINDS.map((k) => `${model.count(k)} ${k}`).join(', ')}`,
    );
  }

  // The whole accumulated state through the API, then a graceful stop.
  const sweep = await sweepThroughApi(server, token, model);
  if (sweep.problems.length > 0) throw new CrashCheckError(`${database.label}, seed ${hex(seed)}: the final read through the API:\n${sweep.problems.join('\n')}`);
  server.child.kill('SIGTERM');
  const end = await server.exited;
  if (end.code !== 0) throw new CrashCheckError(`${database.label}: SIGTERM after the last round ended the service with ${JSON.stringify(end)}: ${server.stderr()}`);

  return {
    rounds,
    acknowledged: tally.acknowledged,
    byAction: tally.byAction,
    refused: tally.refused,
    unknown,
    unknownApplied,
    finalRows: { client: model.count('client'), 'legal-entity': model.count('legal-entity'), project: model.count('project') },
    apiReads: apiReads + sweep.requests,
    killDelays,
    seconds: (Date.now() - started) / 1000,
  };
}

/** The one summary line per database. */
export function summaryLine(label: string, seed: number, workers: number, s: CrashSummary): string {
  return (
    `[crash ${label}] ${s.rounds} SIGKILL rounds in ${s.seconds.toFixed(1)} s (seed ${hex(seed)}, ${workers} workers): ` +
    `${s.acknowledged} acknowledged writes checked (in the database, and by ${s.apiReads} reads through the API), ` +
    `${s.unknown} unknown outcomes (${s.unknownApplied} took effect whole, ${s.unknown - s.unknownApplied} not at all), ${s.refused} refused as predicted; ` +
    `final state ${s.finalRows.client} clients, ${s.finalRows['legal-entity']} legal entities, ${s.finalRows.project} projects`
  );
}

/** The answered writes by action, for the verbose output. */
export function actionsLine(s: CrashSummary): string {
  return Object.entries(s.byAction)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([action, n]) => `${action} ${n}`)
    .join(', ');
}

/**
 * The crash test as both database files run it: the rounds, the summary line (and per-action
 * counts with CRASH_VERBOSE), and the checks that the kills landed on a load that wrote.
 */
export async function crashTest(label: string, out: string, database: CrashDatabase, rounds: number, workers: number, seed: number): Promise<CrashSummary> {
  process.stdout.write(`[crash ${label}] seed ${hex(seed)} (rerun with CRASH_SEED=${hex(seed)}), ${rounds} rounds, ${workers} workers\n`);
  const summary = await runCrashRounds({
    out,
    database,
    rounds,
    workers,
    seed,
    log: process.env.CRASH_VERBOSE ? (line) => process.stdout.write(`  ${line}\n`) : undefined,
  });
  process.stdout.write(`${summaryLine(label, seed, workers, summary)}\n`);
  if (process.env.CRASH_VERBOSE) process.stdout.write(`  answered writes by action: ${actionsLine(summary)}\n`);
  expect(summary.acknowledged).toBeGreaterThan(0);
  expect(summary.unknown).toBeGreaterThan(0);
  return summary;
}
