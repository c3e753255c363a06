import Table from 'cli-table3';
import { DatasetInfo } from './dataset';
import { Difference, shown } from './equality';
import { HierarchyResult } from './hierarchy';
import { LoadRun } from './load';
import { Machine } from './machine';
import { COMPARISONS } from './scenarios';
import { SqlPair } from './sql-timings';
import { ms } from './timing';

/** The floor's side of a scenario (bench/floor.ts), measured right after the service's. */
export interface FloorRun {
  /** Status of its answer to the checked request. */
  readonly status: number;
  /** Its X-Statement-Count (the lower of two requests, as for the service). */
  readonly statements?: number;
  readonly latency?: LoadRun;
  readonly throughput?: LoadRun;
}

export interface ScenarioResult {
  readonly name: string;
  readonly title: string;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly token: 'admin' | 'client';
  /** Status of the single checked request. */
  readonly status: number;
  /** errors[0].code when the service refused it. */
  readonly errorCode?: string;
  readonly errorDetail?: string;
  /** X-Statement-Count of the single checked request. */
  readonly statements?: number;
  /** Why the answer does not look like what the scenario means (the scenario is still timed). */
  readonly problem?: string;
  /** 1 connection. */
  readonly latency?: LoadRun;
  /** 10 connections. */
  readonly throughput?: LoadRun;
  /** The floor's side; absent when the floor does not run (PostgreSQL) or the service refused the scenario. */
  readonly floor?: FloorRun;
  /** Whether the service's and the floor's answers to the same request were the same document. */
  readonly documents: 'equal' | 'different' | 'not compared';
  /** Where they first differ. */
  readonly difference?: Difference;
  /** Service req/s over floor req/s (10 connections each); only when the documents are equal. */
  readonly ratio?: number;
}

export interface Target {
  readonly target: string;
  readonly status: 'met' | 'missed' | 'not run';
  readonly measured: string;
}

export interface BenchReport {
  readonly generatedAt: string;
  readonly machine: Machine;
  readonly database: { readonly kind: string; readonly url: string };
  readonly secondsPerRun: number;
  readonly rounds?: number;
  readonly dataset: DatasetInfo;
  readonly scenarios: ScenarioResult[];
  readonly comparisons: { name: string; fast: string; slow: string; p50Ratio?: number; rpsRatio?: number; wanted: number }[];
  /** The same comparisons in SQL alone (SQLite). */
  readonly sql?: SqlPair[];
  readonly hierarchy?: HierarchyResult;
  readonly targets: Target[];
}

const plain = { head: [] as string[], border: [] as string[] };
/** No rule between rows. */
const chars = { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' };

function num(value: number | undefined, digits = 0): string {
  return value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);
}

export function scenarioTable(results: readonly ScenarioResult[]): string {
  const table = new Table({
    head: ['scenario', 'service req/s', 'floor req/s', 'service / floor', 'p50 ms service', 'p50 ms floor', 'SQL/req service', 'SQL/req floor', 'note'],
    style: plain,
    chars,
    colAligns: ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
  });
  for (const r of results) {
    const notes: string[] = [];
    if (!r.latency) notes.push(`not run: ${r.status}${r.errorCode ? ` ${r.errorCode}` : ''}`);
    if (r.problem) notes.push(r.problem);
    if (r.latency && r.latency.non2xx + (r.throughput?.non2xx ?? 0) > 0) notes.push('non-2xx answers from the service during the run');
    if (r.floor?.latency && r.floor.latency.non2xx + (r.floor.throughput?.non2xx ?? 0) > 0) notes.push('non-2xx answers from the floor during the run');
    if (r.documents === 'different') notes.push(`documents differ at ${r.difference?.path}`);
    const ratio = r.documents === 'different' ? 'invalid' : r.ratio === undefined ? '-' : r.ratio.toFixed(2);
    const floorMeasured = r.floor !== undefined;
    table.push([
      r.title,
      num(r.throughput?.rps),
      floorMeasured ? num(r.floor?.throughput?.rps) : 'not measured',
      ratio,
      r.latency ? ms(r.latency.p50) : '-',
      r.floor?.latency ? ms(r.floor.latency.p50) : '-',
      r.statements === undefined ? '-' : String(r.statements),
      r.floor?.statements === undefined ? '-' : String(r.floor.statements),
      notes.join('; '),
    ]);
  }
  return table.toString();
}

/** Each scenario whose documents differ: where, and both values. */
export function differenceLines(results: readonly ScenarioResult[]): string[] {
  return results
    .filter((r) => r.documents === 'different' && r.difference)
    .map((r) => `${r.name}: the service's and the floor's documents differ at ${r.difference!.path}: service ${shown(r.difference!.service)}, floor ${shown(r.difference!.floor)}`);
}

export function compare(results: readonly ScenarioResult[]): BenchReport['comparisons'] {
  return COMPARISONS.map((c) => {
    const fast = results.find((r) => r.name === c.fast);
    const slow = results.find((r) => r.name === c.slow);
    const p50Ratio = fast?.latency && slow?.latency ? slow.latency.p50 / fast.latency.p50 : undefined;
    const rpsRatio = fast?.throughput && slow?.throughput ? fast.throughput.rps / slow.throughput.rps : undefined;
    return { name: c.name, fast: c.fast, slow: c.slow, p50Ratio, rpsRatio, wanted: c.factor };
  });
}

/** The performance targets at 100,000 clients on a 2-core machine, each met, missed or not run. */
export function targets(results: readonly ScenarioResult[], comparisons: BenchReport['comparisons'], sql: readonly SqlPair[] = []): Target[] {
  const by = (name: string) => results.find((r) => r.name === name);
  const out: Target[] = [];
  const ratio = (label: string, name: string) => {
    const c = comparisons.find((x) => x.name === name)!;
    if (c.p50Ratio === undefined) out.push({ target: label, status: 'not run', measured: '-' });
    else out.push({ target: label, status: c.p50Ratio >= c.wanted ? 'met' : 'missed', measured: `${c.p50Ratio.toFixed(1)}× (p50), ${num(c.rpsRatio, 1)}× (req/s)` });
  };
  const inSql = (label: string, index: number) => {
    const pair = sql[index];
    if (pair)
      out.push({
        target: `${label} (SQL only)`,
        status: pair.ratio >= pair.wanted ? 'met' : 'missed',
        measured: `${pair.ratio.toFixed(1)}× (median ${ms(pair.fast.timing.median)} vs ${ms(pair.slow.timing.median)} ms)`,
      });
  };
  ratio('keyset last page ≥ 10× faster than page-number last page', 'keyset vs page number (last page)');
  inSql('keyset last page ≥ 10× faster than page-number last page', 1);
  const include = by('list-include')?.latency;
  out.push(
    include
      ? { target: 'list with include p50 < 25 ms', status: include.p50 < 25 ? 'met' : 'missed', measured: `${ms(include.p50)} ms` }
      : { target: 'list with include p50 < 25 ms', status: 'not run', measured: '-' },
  );
  const one = by('get-one')?.throughput;
  out.push(
    one ? { target: 'get one > 1,500 req/s', status: one.rps > 1500 ? 'met' : 'missed', measured: `${num(one.rps)} req/s` } : { target: 'get one > 1,500 req/s', status: 'not run', measured: '-' },
  );
  ratio('contains on names ≥ 3× faster than a full scan', 'contains vs full scan');
  inSql('contains on names ≥ 3× faster than a full scan', 0);
  // Issue 14: every scenario at least half the floor's req/s, the list with include three quarters.
  const rated = results.filter((r) => r.ratio !== undefined);
  const invalid = results.filter((r) => r.documents === 'different').map((r) => r.name);
  if (rated.length === 0)
    out.push({
      target: "every scenario ≥ 0.5 of the floor's req/s",
      status: invalid.length > 0 ? 'missed' : 'not run',
      measured: invalid.length > 0 ? `documents differ: ${invalid.join(', ')}` : '-',
    });
  else {
    const lowest = rated.reduce((a, b) => (b.ratio! < a.ratio! ? b : a));
    const missed = invalid.length > 0 || lowest.ratio! < 0.5;
    out.push({
      target: "every scenario ≥ 0.5 of the floor's req/s",
      status: missed ? 'missed' : 'met',
      measured: `lowest ${lowest.ratio!.toFixed(2)} (${lowest.name})${invalid.length > 0 ? `; documents differ: ${invalid.join(', ')}` : ''}`,
    });
  }
  const withInclude = by('list-include');
  out.push(
    withInclude?.ratio !== undefined
      ? { target: "list with include ≥ 0.75 of the floor's req/s", status: withInclude.ratio >= 0.75 ? 'met' : 'missed', measured: withInclude.ratio.toFixed(2) }
      : {
          target: "list with include ≥ 0.75 of the floor's req/s",
          status: withInclude?.documents === 'different' ? 'missed' : 'not run',
          measured: withInclude?.documents === 'different' ? 'documents differ' : '-',
        },
  );
  return out;
}

export function targetTable(list: readonly Target[]): string {
  const table = new Table({ head: ['target', 'status', 'measured'], style: plain, chars });
  for (const t of list) table.push([t.target, t.status, t.measured]);
  return table.toString();
}

export function hierarchyTable(h: HierarchyResult): string {
  const table = new Table({
    head: ['case', 'method', 'statements', 'median ms', 'p99 ms', 'reps'],
    style: plain,
    chars,
    colAligns: ['left', 'left', 'right', 'right', 'right', 'right'],
  });
  for (const c of h.cases) table.push([c.case, c.method, String(c.statements), ms(c.timing.median), ms(c.timing.p99), String(c.timing.reps)]);
  return table.toString();
}

export function sqlTable(pairs: readonly SqlPair[]): string {
  const table = new Table({ head: ['in SQL alone', 'query', 'median ms', 'p99 ms', 'reps', 'ratio'], style: plain, chars, colAligns: ['left', 'left', 'right', 'right', 'right', 'right'] });
  for (const p of pairs) {
    table.push([p.name, p.fast.label, ms(p.fast.timing.median), ms(p.fast.timing.p99), String(p.fast.timing.reps), `${p.ratio.toFixed(1)}× (want ≥ ${p.wanted}×)`]);
    table.push(['', p.slow.label, ms(p.slow.timing.median), ms(p.slow.timing.p99), String(p.slow.timing.reps), '']);
  }
  return table.toString();
}
