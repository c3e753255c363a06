import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Busy time by layer from a V8 CPU profile (`node --cpu-prof`, as `npm run bench -- --profile`
 * writes it): every sample's time goes to one layer of the service, so a run says where the
 * CPU went (HTTP, auth, parsing, SQL, loading, serialization, logging, GC) without opening a
 * flame chart. Also the top self-time functions, for drilling down.
 *
 * `node dist/bench/profile-layers.js A.cpuprofile [B.cpuprofile]` prints the table (two files:
 * before and after side by side); `npm run bench -- --profile` prints it after the service stops.
 */

/** The .cpuprofile format (only what is read here). */
export interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  /** 0-based; -1 when unknown. */
  readonly lineNumber: number;
  readonly columnNumber?: number;
}
export interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}
export interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  /** Microseconds. */
  readonly startTime: number;
  readonly endTime: number;
  /** The node on top of the stack at each sample. */
  readonly samples: readonly number[];
  /** Microseconds between a sample and the one before it (the first: since startTime). */
  readonly timeDeltas: readonly number[];
}

export const LAYERS = ['http', 'auth', 'parsing', 'sql', 'loading', 'serialization', 'logging', 'gc', 'other'] as const;
export type Layer = (typeof LAYERS)[number];

export const LAYER_LABELS: Record<Layer, string> = {
  http: 'HTTP and middleware',
  auth: 'auth',
  parsing: 'parsing',
  sql: 'SQL',
  loading: 'loading',
  serialization: 'serialization',
  logging: 'logging',
  gc: 'GC',
  other: 'other',
};

/**
 * Where a frame's code lives, the string the rules below match:
 * - `node:_http_server`, `node:internal/...`: Node's own modules, as V8 names them;
 * - `npm:<package>/<file>`: a file under node_modules (the innermost node_modules, scoped names kept);
 * - `src/data/sql.js`, `serializers/...`: the project's own code, from the built `dist/` (or as
 *   given, for a profile of the TypeScript sources);
 * - `v8:(garbage collector)`, `v8:(idle)`, `v8:(program)`: V8's pseudo-frames;
 * - `` (empty): native code and builtins without a script (JSON.stringify, a driver's C++,
 *   `writev`, a RegExp); these never match, so their caller decides.
 */
export function frameLocation(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === '') return /^\(.*\)$/.test(functionName) ? `v8:${functionName}` : '';
  if (url.startsWith('node:')) return url;
  const file = url.replace(/^file:\/\//, '');
  const npm = file.lastIndexOf('/node_modules/');
  if (npm >= 0) return `npm:${file.slice(npm + '/node_modules/'.length)}`;
  const dist = file.lastIndexOf('/dist/');
  return dist >= 0 ? file.slice(dist + '/dist/'.length) : file;
}

/**
 * The classification, one row a pattern over `frameLocation`; the first row that matches a frame
 * decides that frame's layer. OWN(p) matches the project's own file p (.js or .ts, at the start or
 * after a `/`, so a profile of the TypeScript sources with absolute paths reads like one of dist/),
 * never a same-named file inside a package.
 */
const OWN = (p: string): RegExp => new RegExp(`^(?!npm:|node:|v8:)(.*/)?${p}\\.[jt]s$`);
export const RULES: ReadonlyArray<readonly [RegExp, Layer | 'idle' | 'startup']> = [
  // V8's pseudo-frames. (idle) is not busy time; (program) is V8 itself (compiling, the event loop's native part).
  [/^v8:\(idle\)$/, 'idle'],
  [/^v8:\(garbage collector\)$/, 'gc'],
  [/^v8:/, 'other'],
  // Loading modules at startup belongs to no request (otherwise src/app.js would claim it): counted
  // in other, and shown on its own line since it weighs heavily in a short run.
  [/^node:internal\/modules\//, 'startup'],

  [/^npm:(pino|pino-std-serializers|sonic-boom|thread-stream|on-exit-leak-free)\//, 'logging'],
  [OWN('src/(logger|http/middleware/request-context)'), 'logging'],

  [/^npm:(passport|passport-strategy|passport-http-bearer)\//, 'auth'],
  [OWN('src/(auth/[^/]+|scope/scope|data/(token-store|callers|tenancy)|http/middleware/(auth|tenancy))'), 'auth'],

  [/^npm:(body-parser|raw-body|content-type|type-is|iconv-lite|qs)\//, 'parsing'],
  [OWN('src/(query/[^/]+|http/jsonapi/(document\\.parser|document\\.rules|atomic)|http/middleware/body|http/flat/flat\\.query)'), 'parsing'],

  [/^npm:(typeorm|better-sqlite3|pg|pg-[^/]+|postgres-[^/]+)\//, 'sql'],
  [OWN('src/data/(driver|database|sql|query-composer|graph\\.sql|scope\\.sql|writer|unscoped)'), 'sql'],

  [OWN('src/(data/(graph-loader|session|store)|operations/.+)'), 'loading'],

  [/^npm:ts-japi\//, 'serialization'],
  [OWN('serializers/.+'), 'serialization'],
  [OWN('src/http/(jsonapi/responder|jsonapi/document\\.writer|flat/flat\\.presenter)'), 'serialization'],

  // HTTP last among the service's own paths: the more specific rows above win.
  [/^node:(_http_\w+|http|https|net|internal\/http|internal\/stream_base_commons)$/, 'http'],
  // The web framework and its own dependencies. Helper libraries the service calls itself (validator,
  // ip-address through express-rate-limit's key generator in the auth middleware) are left out: their caller decides.
  [
    /^npm:(express|router|cors|helmet|finalhandler|on-finished|parseurl|path-to-regexp|proxy-addr|forwarded|accepts|negotiator|fresh|etag|send|serve-static|vary|statuses|http-errors|encodeurl)\//,
    'http',
  ],
  // src/http/uri.ts is a helper of the responder (links) and of the document parser: its caller decides.
  [OWN('src/(app|server|http/(?!uri\\.).+)'), 'http'],
];

/** The layer a frame's own code belongs to, or undefined when its caller must decide ('startup' is part of other). */
export function classifyFrame(frame: CallFrame): Layer | 'idle' | 'startup' | undefined {
  const location = frameLocation(frame);
  if (location === '') return undefined;
  for (const [pattern, layer] of RULES) if (pattern.test(location)) return layer;
  return undefined;
}

export interface LayerTime {
  readonly layer: Layer;
  readonly label: string;
  readonly ms: number;
  /** Percent of busy time. */
  readonly share: number;
}

export interface HotFunction {
  readonly name: string;
  /** `location:line` (1-based line of the built JS); for native code, `native, from <its caller's location:line>`. */
  readonly where: string;
  readonly layer: Layer;
  readonly ms: number;
  readonly share: number;
}

export interface LayerProfile {
  readonly file?: string;
  readonly samples: number;
  readonly busyMs: number;
  readonly idleMs: number;
  /** Loading modules at startup (part of other). */
  readonly startupMs: number;
  /** Self time in Node's async_hooks (promise hooks, AsyncLocalStorage), already counted in the layers that made the promises. */
  readonly asyncHooksMs: number;
  readonly layers: readonly LayerTime[];
  readonly top: readonly HotFunction[];
}

/**
 * How long each sample stands for: from its own time stamp to the next sample's (the way
 * Chrome's DevTools draws a profile), the last one until endTime. Negative gaps (V8 can record
 * samples slightly out of order) count as 0.
 */
export function sampleDurations(profile: CpuProfile): number[] {
  const stamps: number[] = [];
  let t = profile.startTime;
  for (const delta of profile.timeDeltas) stamps.push((t += delta));
  return stamps.map((stamp, i) => Math.max(0, (i + 1 < stamps.length ? stamps[i + 1] : Math.max(profile.endTime, stamp)) - stamp) / 1000);
}

/**
 * Attributes every sample to one layer. A frame is classified by RULES when its own code matches
 * a row; a frame that matches none (native code, builtins such as JSON.stringify, Node internals
 * shared by every layer such as streams, buffers, promises and async_hooks, and project files no
 * row names) takes the layer of its caller, walking from the sampled leaf towards the root: the
 * innermost frame that is the service's own code, a known library or an unambiguous Node module
 * decides. A stack with no such frame is `other`.
 */
export function profileByLayer(profile: CpuProfile, topN = 10): LayerProfile {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  type Verdict = Layer | 'idle' | 'startup';
  const layerOf = new Map<number, Verdict>();
  const resolve = (id: number): Verdict => {
    // Walks up to the first classified frame (or a node already resolved), then fills in the path.
    const path: number[] = [];
    let layer: Verdict = 'other';
    for (let at: number | undefined = id; at !== undefined; at = parent.get(at)) {
      const known = layerOf.get(at);
      if (known !== undefined) {
        layer = known;
        break;
      }
      path.push(at);
      const own = classifyFrame(byId.get(at)!.callFrame);
      if (own !== undefined) {
        layer = own;
        break;
      }
    }
    for (const at of path) layerOf.set(at, layer);
    return layer;
  };

  const durations = sampleDurations(profile);
  const perLayer = new Map<Layer, number>(LAYERS.map((l) => [l, 0]));
  const perFunction = new Map<string, { frame: CallFrame; caller?: CallFrame; layer: Layer; ms: number }>();
  let busyMs = 0;
  let idleMs = 0;
  let asyncHooksMs = 0;
  let startupMs = 0;
  profile.samples.forEach((id, i) => {
    const ms = durations[i] ?? 0;
    const verdict = resolve(id);
    if (verdict === 'idle') {
      idleMs += ms;
      return;
    }
    busyMs += ms;
    if (verdict === 'startup') startupMs += ms;
    const layer = verdict === 'startup' ? 'other' : verdict;
    perLayer.set(layer, perLayer.get(layer)! + ms);
    const frame = byId.get(id)!.callFrame;
    // Native code is told apart by its caller: `writev` under HTTP and under logging are two rows.
    let caller: CallFrame | undefined;
    if (frameLocation(frame) === '') for (let at = parent.get(id); at !== undefined && !caller; at = parent.get(at)) if (byId.get(at)!.callFrame.url !== '') caller = byId.get(at)!.callFrame;
    const key = [layer, frame.functionName, frame.url, frame.lineNumber, frame.columnNumber, caller?.url, caller?.lineNumber, caller?.columnNumber].join('\0');
    if (/^node:(internal\/)?async_hooks$/.test(frameLocation(frame) || (caller ? frameLocation(caller) : ''))) asyncHooksMs += ms;
    const entry = perFunction.get(key) ?? { frame, caller, layer, ms: 0 };
    entry.ms += ms;
    perFunction.set(key, entry);
  });

  const share = (ms: number) => (busyMs > 0 ? (100 * ms) / busyMs : 0);
  const layers = LAYERS.map((layer) => ({ layer, label: LAYER_LABELS[layer], ms: perLayer.get(layer)!, share: share(perLayer.get(layer)!) }));
  const top = [...perFunction.values()]
    .sort((a, b) => b.ms - a.ms)
    .slice(0, topN)
    .map(({ frame, caller, layer, ms }) => {
      const where = (f: CallFrame) => `${frameLocation(f)}${f.lineNumber >= 0 ? `:${f.lineNumber + 1}` : ''}`;
      const location = frameLocation(frame) !== '' ? where(frame) : `native, from ${caller ? where(caller) : '(root)'}`;
      return { name: frame.functionName || '(anonymous)', where: location, layer, ms, share: share(ms) };
    });
  return { samples: profile.samples.length, busyMs, idleMs, startupMs, asyncHooksMs, layers, top };
}

export function readProfile(file: string): LayerProfile {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  return { file, ...profileByLayer(profile) };
}

const pct = (part: number, whole: number) => (whole > 0 ? (100 * part) / whole : 0);
const fixed = (n: number, digits: number) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The layer table in markdown; with `after`, before and after side by side. */
export function layerTable(before: LayerProfile, after?: LayerProfile): string {
  const runs = after ? [before, after] : [before];
  const head = after ? ['before ms', 'before %', 'after ms', 'after %'] : ['ms', '% of busy'];
  const row = (label: string, ms: (p: LayerProfile) => number) => `| ${label} | ${runs.map((p) => `${fixed(ms(p), 0)} | ${fixed(pct(ms(p), p.busyMs), 1)}`).join(' | ')} |`;
  const lines = [`| layer | ${head.join(' | ')} |`, `| --- |${head.map(() => ' ---: |').join('')}`];
  LAYERS.forEach((layer, i) => lines.push(row(LAYER_LABELS[layer], (p) => p.layers[i].ms)));
  lines.push(`| **busy** | ${runs.map((p) => `**${fixed(p.busyMs, 0)}** | **100.0**`).join(' | ')} |`);
  lines.push(row('*in other: loading modules at startup*', (p) => p.startupMs));
  lines.push(row('*in the layers: async_hooks self time*', (p) => p.asyncHooksMs));
  const count = (p: LayerProfile) => `${p.samples.toLocaleString('en-US')} samples, ${fixed(p.idleMs, 0)} ms idle (not counted)`;
  lines.push('', after ? `Before: ${count(before)}. After: ${count(after)}.` : `${count(before)}.`);
  return lines.join('\n');
}

/** The top self-time functions in markdown. */
export function topTable(profile: LayerProfile): string {
  const lines = ['| function | file:line | layer | ms | % of busy |', '| --- | --- | --- | ---: | ---: |'];
  const cell = (s: string) => s.replace(/\|/g, '\\|').slice(0, 80);
  for (const f of profile.top) lines.push(`| ${cell(f.name)} | ${cell(f.where)} | ${LAYER_LABELS[f.layer]} | ${fixed(f.ms, 0)} | ${fixed(f.share, 1)} |`);
  return lines.join('\n');
}

/** The newest .cpuprofile in `dir` written at or after `sinceMs` (epoch ms), if any. */
export function newestProfile(dir: string, sinceMs: number): string | undefined {
  if (!fs.existsSync(dir)) return undefined;
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => ({ file: path.join(dir, name), mtime: fs.statSync(path.join(dir, name)).mtimeMs }))
    .filter((f) => f.mtime >= sinceMs)
    .sort((a, b) => b.mtime - a.mtime)[0]?.file;
}

/** For the bench: the profile its service just wrote, printed by layer; undefined when there is none. */
export function reportNewestProfile(dir: string, sinceMs: number, out: (line?: string) => void): LayerProfile | undefined {
  const file = newestProfile(dir, sinceMs);
  if (!file) {
    out(`No .cpuprofile written under ${dir} by this run.`);
    return undefined;
  }
  const result = readProfile(file);
  out(`\nBusy time by layer (${path.basename(file)}):\n`);
  out(layerTable(result));
  out(`\nTop ${result.top.length} functions by self time:\n`);
  out(topTable(result));
  return { ...result, file: path.basename(file) };
}

function main(args: string[]): void {
  if (args.length < 1 || args.length > 2 || args.some((a) => a.startsWith('-'))) {
    process.stderr.write('usage: node dist/bench/profile-layers.js BEFORE.cpuprofile [AFTER.cpuprofile]\n');
    process.exit(2);
  }
  const [before, after] = args.map(readProfile);
  const lines: string[] = [];
  const out = (line = '') => lines.push(line);
  out(after ? `Busy time by layer: before ${args[0]}, after ${args[1]}\n` : `Busy time by layer: ${args[0]}\n`);
  out(layerTable(before, after));
  for (const p of after ? [before, after] : [before]) {
    out(`\nTop ${p.top.length} functions by self time${after ? ` (${p === before ? 'before' : 'after'})` : ''}:\n`);
    out(topTable(p));
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

if (require.main === module) main(process.argv.slice(2));
