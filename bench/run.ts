import 'reflect-metadata';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Database } from '../src/data/database';
import { deleteToken, insertToken } from '../src/data/token-store';
import { DatasetInfo, openDataset, removeCreated } from './dataset';
import { compareAnswers, Difference, shown } from './equality';
import { HierarchyResult, measureHierarchy } from './hierarchy';
import { load, LoadRun, Target } from './load';
import { LayerProfile, reportNewestProfile } from './profile-layers';
import { describeMachine, loadWarning, Machine, machineLine } from './machine';
import { exitWithUsage, readCommandLine, UsageError } from '../src/cli/args';
import { BENCH_COMMAND, BenchOptions, benchOptions } from './options';
import { BenchReport, compare, differenceLines, FloorRun, hierarchyTable, ScenarioResult, scenarioTable, sqlTable, targets, targetTable } from './report';
import { Document, Scenario, scenarios } from './scenarios';
import { request, Response, Service, startFloor, startService } from './service';
import { measureSql, SqlPair } from './sql-timings';
import { ms } from './timing';

/**
 * npm run bench: builds or reuses a database of N clients, measures the
 * hierarchy designs and `contains` in SQL, then drives the built service over loopback with
 * autocannon (latency with 1 connection, throughput with 10), and after it, scenario by
 * scenario, the hand-written floor (bench/floor.ts) on the same file, after checking that both
 * answer the same document; prints the tables and writes them to
 * bench/results/<sqlite|postgres>-<N>.json.
 */

const LATENCY_CONNECTIONS = 1;
const THROUGHPUT_CONNECTIONS = 10;

const out = (line = '') => process.stdout.write(`${line}\n`);

function sqliteFile(url: string): string | undefined {
  return url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : undefined;
}

async function databaseVersion(db: Database, kind: BenchOptions['kind']): Promise<string> {
  if (kind === 'sqlite') {
    const rows = await db.read((ex) => ex.query<{ v: string }>('SELECT sqlite_version() AS v'));
    return `SQLite ${rows[0].v}`;
  }
  const rows = await db.read((ex) => ex.query<{ v: string }>('SELECT version() AS v'));
  return rows[0].v.split(' ').slice(0, 2).join(' ');
}

function parse(body: string): Document {
  try {
    return JSON.parse(body) as Document;
  } catch {
    return {};
  }
}

function ids(doc: Document): string[] {
  return Array.isArray(doc.data) ? doc.data.map((r) => r.id) : [];
}

function statementCount(responses: readonly Response[]): number | undefined {
  const counted = responses
    .map((r) => r.headers['x-statement-count'])
    .filter((h): h is string => typeof h === 'string')
    .map(Number);
  return counted.length > 0 ? Math.min(...counted) : undefined;
}

const ok = (status: number) => status >= 200 && status < 300;

/** The median run: throughput from the run with the median req/s, latency from the one with the median p50. */
function median(runs: readonly { latency: LoadRun; throughput: LoadRun }[]): { latency: LoadRun; throughput: LoadRun } {
  const middle = <T>(list: T[], key: (x: T) => number) => [...list].sort((a, b) => key(a) - key(b))[Math.floor(list.length / 2)];
  return { latency: middle([...runs], (r) => r.latency.p50).latency, throughput: middle([...runs], (r) => r.throughput.rps).throughput };
}

/** Warm-up (not recorded), then latency with 1 connection and throughput with 10. */
async function measure(target: Target, seconds: number): Promise<{ latency: LoadRun; throughput: LoadRun }> {
  await load(target, LATENCY_CONNECTIONS, Math.min(1, seconds / 2));
  const latency = await load(target, LATENCY_CONNECTIONS, seconds);
  const throughput = await load(target, THROUGHPUT_CONNECTIONS, seconds);
  return { latency, throughput };
}

async function runScenarios(options: BenchOptions, db: Database, info: DatasetInfo): Promise<ScenarioResult[]> {
  const admin = await insertToken(db, 'bench admin token', 'admin', null);
  const client = await insertToken(db, 'bench client token', 'client', info.rootId);
  const profileDir = path.join(options.root, 'data', 'bench', 'profiles');
  if (options.profile) fs.mkdirSync(profileDir, { recursive: true });
  const service = await startService({
    root: options.root,
    databaseUrl: options.databaseUrl,
    adminToken: admin.secret,
    nodeArgs: options.profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : [],
  });
  out(
    `Service pid ${service.pid} at ${service.baseUrl}; ${options.seconds} s per run, ${options.rounds} alternating rounds (medians), latency with ${LATENCY_CONNECTIONS} connection, throughput with ${THROUGHPUT_CONNECTIONS}`,
  );
  const results: ScenarioResult[] = [];
  const bodies = new Map<string, Document>();
  // Writes grow the data: the clients a write scenario created go after each turn.
  const tidy = async (scenario: Scenario) => {
    if (scenario.creates) await removeCreated(db);
  };
  let floor: Service | undefined;
  try {
    // The floor answers from the same SQLite file; on PostgreSQL there is none (its columns read "not measured").
    const file = sqliteFile(options.databaseUrl);
    floor = file ? await startFloor(options.root, file) : undefined;
    out(
      floor
        ? `Floor pid ${floor.pid} at ${floor.baseUrl}: each scenario runs on the service, then on the floor`
        : 'No floor on PostgreSQL (it is written for SQLite): the floor columns are not measured.',
    );
    const list: Scenario[] = scenarios(info).filter((s) => !options.only || options.only.includes(s.name));
    for (const scenario of list) {
      const method = scenario.method ?? 'GET';
      const headers: Record<string, string> = {
        Authorization: `Bearer ${scenario.token === 'admin' ? admin.secret : client.secret}`,
        Accept: 'application/vnd.api+json',
        ...(scenario.body !== undefined ? { 'Content-Type': 'application/vnd.api+json' } : {}),
      };
      const send = (baseUrl: string, extra: Record<string, string> = {}) => request(baseUrl + scenario.path, { method, headers: { ...headers, ...extra }, body: scenario.body });
      // Two requests: a token's first use in a minute also records its use (3 more statements).
      const first = await send(service.baseUrl);
      const second = await send(service.baseUrl);
      const doc = parse(first.body);
      bodies.set(scenario.name, doc);
      const base = { name: scenario.name, title: scenario.title, method, path: scenario.path, token: scenario.token, status: first.status, statements: statementCount([first, second]) };
      if (!ok(first.status)) {
        await tidy(scenario);
        const error = doc.errors?.[0];
        results.push({ ...base, errorCode: error?.code, errorDetail: error?.detail, documents: 'not compared' });
        out(`  ${scenario.name}: not run, the service answered ${first.status} ${error?.code ?? ''} ${error?.detail ?? ''}`.trimEnd());
        continue;
      }
      let problem = scenario.check?.(doc, info);
      if (scenario.name === 'last-page-keyset' && bodies.has('last-page-number')) {
        // The same page both ways: the page-number page is the end of the keyset page.
        const byNumber = ids(bodies.get('last-page-number')!);
        const byKeyset = ids(doc);
        if (byKeyset.slice(byKeyset.length - byNumber.length).join() !== byNumber.join()) problem = problem ?? 'not the same rows as the last page by number';
      }
      // The same request to the floor, Host included (links are built from it), before anything is measured.
      let difference: Difference | undefined;
      let floorFirst: Response | undefined;
      let floorStatements: number | undefined;
      if (floor) {
        floorFirst = await send(floor.baseUrl, { Host: new URL(service.baseUrl).host });
        floorStatements = statementCount([floorFirst, await send(floor.baseUrl)]);
        difference = compareAnswers(first, floorFirst, scenario.creates === true);
        if (difference) {
          out(`  ${scenario.name}: DOCUMENTS DIFFER at ${difference.path}`);
          out(`    service: ${shown(difference.service, 400)}`);
          out(`    floor:   ${shown(difference.floor, 400)}`);
        }
      }
      await tidy(scenario);
      // Turns alternate (service, floor, service, floor, ...) and each side keeps its median:
      // the machine's noise then falls on both alike.
      const serviceRuns: { latency: LoadRun; throughput: LoadRun }[] = [];
      const floorRuns: { latency: LoadRun; throughput: LoadRun }[] = [];
      const floorMeasured = floor !== undefined && floorFirst !== undefined && ok(floorFirst.status);
      for (let round = 0; round < options.rounds; round++) {
        serviceRuns.push(await measure({ url: service.baseUrl + scenario.path, headers, method, body: scenario.body }, options.seconds));
        await tidy(scenario);
        if (floor && floorMeasured) {
          floorRuns.push(await measure({ url: floor.baseUrl + scenario.path, headers, method, body: scenario.body }, options.seconds));
          await tidy(scenario);
        }
      }
      const serviceRun = median(serviceRuns);
      let floorRun: FloorRun | undefined;
      if (floor && floorFirst) {
        floorRun = { status: floorFirst.status, statements: floorStatements, ...(floorMeasured ? median(floorRuns) : {}) };
      }
      const ratio = !difference && floorRun?.throughput ? serviceRun.throughput.rps / floorRun.throughput.rps : undefined;
      results.push({
        ...base,
        problem,
        ...serviceRun,
        floor: floorRun,
        documents: !floor ? 'not compared' : difference ? 'different' : 'equal',
        difference,
        ratio,
      });
      const floorPart = floorRun?.throughput
        ? `; floor ${floorRun.throughput.rps.toFixed(0)} req/s, p50 ${ms(floorRun.latency!.p50)} ms, ${floorStatements ?? '?'} statements; service/floor ${ratio === undefined ? 'invalid (documents differ)' : ratio.toFixed(2)}`
        : floor
          ? `; floor answered ${floorRun?.status}`
          : '';
      out(
        `  ${scenario.name}: ${serviceRun.throughput.rps.toFixed(0)} req/s, p50 ${ms(serviceRun.latency.p50)} ms, p99 ${ms(serviceRun.latency.p99)} ms, ${base.statements ?? '?'} statements` +
          floorPart +
          (problem ? ` (${problem})` : ''),
      );
    }
  } finally {
    await floor?.stop();
    await service.stop();
    await removeCreated(db);
    await deleteToken(db, admin.id);
    await deleteToken(db, client.id);
  }
  if (options.profile) out(`CPU profile of the service written under ${profileDir}`);
  return results;
}

async function main(): Promise<void> {
  const root = path.resolve(__dirname, '..', '..');
  const options = benchOptions(readCommandLine(process.argv.slice(2), BENCH_COMMAND).values, process.env, root);
  const started = Date.now();
  const machine: Machine = describeMachine();
  out(machineLine(machine));
  const busy = loadWarning(machine);
  if (busy) out(busy);
  const { db, info } = await openDataset(options.databaseUrl, options.clients, options.fresh, out);
  let sql: SqlPair[] | undefined;
  let hierarchy: HierarchyResult | undefined;
  let results: ScenarioResult[] = [];
  let profile: LayerProfile | undefined;
  try {
    machine.database = await databaseVersion(db, options.kind);
    out(`Database: ${machine.database}`);
    out(
      `Data: ${info.clients} clients in ${info.roots} trees (first root ${info.rootId}: ${info.rootDescendants} descendants), ` +
        `${info.legalEntities} legal entities, ${info.reportingEntities} reporting entities; "${info.marker}" in ${info.markerMatches} names ` +
        `(${((100 * info.markerMatches) / info.clients).toFixed(1)}%)`,
    );
    const file = sqliteFile(options.databaseUrl);
    if (options.hierarchy && file) {
      out('Measuring in SQL alone (better-sqlite3): contains, last page, hierarchy designs...');
      // Each SQL timing runs for about this long (a smoke run keeps them short).
      const budgetMs = info.clients < 10_000 ? 300 : 2000;
      sql = measureSql(file, info, budgetMs);
      hierarchy = measureHierarchy(file, info, budgetMs, out);
    } else if (options.hierarchy) {
      out('The SQL-only measurements (contains, last page, hierarchy) are written for SQLite only: skipped.');
    }
    if (options.http) results = await runScenarios(options, db, info);
    if (options.http && options.profile) profile = reportNewestProfile(path.join(options.root, 'data', 'bench', 'profiles'), started, out);
  } finally {
    await db.close();
  }

  const comparisons = compare(results);
  const targetList = targets(results, comparisons, sql);
  const report: BenchReport & { profile?: LayerProfile } = {
    generatedAt: new Date().toISOString(),
    machine,
    database: { kind: options.kind, url: options.databaseUrl.replace(/\/\/[^@]*@/, '//***@').replace(options.root + path.sep, '') },
    secondsPerRun: options.seconds,
    rounds: options.rounds,
    dataset: info,
    scenarios: results,
    comparisons,
    sql,
    hierarchy,
    targets: targetList,
    profile,
  };

  out();
  out(machineLine(machine));
  out(`${info.clients} clients, ${options.seconds} s per run, ${options.rounds} rounds (medians), load average ${machine.loadAverage} at the start`);
  if (busy) out(busy);
  const differences = differenceLines(results);
  if (results.length > 0) {
    out(scenarioTable(results));
    for (const line of differences) out(line);
    for (const c of comparisons) {
      out(`${c.name}: ${c.p50Ratio === undefined ? 'not measured' : `${c.p50Ratio.toFixed(1)}× faster at p50, ${c.rpsRatio?.toFixed(1)}× the req/s`} (wanted ≥ ${c.wanted}×)`);
    }
  }
  if (sql) {
    out();
    out(sqlTable(sql));
  }
  if (hierarchy) {
    out();
    out(`Hierarchy: recursive CTE vs materialized path (path column filled in ${ms(hierarchy.pathFillMs)} ms, indexed in ${ms(hierarchy.pathIndexMs)} ms)`);
    out(hierarchyTable(hierarchy));
    for (const line of hierarchy.summary) out(`  ${line}`);
  }
  out();
  out(targetTable(targetList));
  const resultsDir = path.join(root, 'bench', 'results');
  fs.mkdirSync(resultsDir, { recursive: true });
  const target = path.join(resultsDir, `${options.kind}-${info.clients}.json`);
  fs.writeFileSync(target, `${JSON.stringify(report, null, 2)}\n`);
  out(`Written ${path.relative(root, target)} in ${((Date.now() - started) / 1000).toFixed(0)} s.`);
  if (differences.length > 0) {
    out(`${differences.length} scenario(s) where the floor's documents differ from the service's: their ratios are not valid.`);
    process.exitCode = 1;
  }
}

main().catch((e) => {
  if (e instanceof UsageError) exitWithUsage(BENCH_COMMAND, e);
  process.stderr.write(`bench: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
