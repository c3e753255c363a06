import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { classifyFrame, CpuProfile, frameLocation, Layer, layerTable, newestProfile, profileByLayer, ProfileNode, sampleDurations } from '../../bench/profile-layers';

/** The bench's busy time by layer (bench/profile-layers.ts), on small hand-made profiles. */

const APP = 'file:///srv/app/dist/';
const NM = 'file:///srv/app/node_modules/';

/** A call tree written as nested [functionName, url, children] and a list of samples (leaf names, one millisecond each). */
type Tree = [string, string, Tree[]?];

function profileOf(tree: Tree[], samples: string[]): CpuProfile {
  const nodes: ProfileNode[] = [];
  const byName = new Map<string, number>();
  const add = ([functionName, url, children = []]: Tree): number => {
    const id = nodes.length + 1;
    const node = { id, callFrame: { functionName, url, lineNumber: url === '' ? -1 : 9, columnNumber: 0 }, children: [] as number[] };
    nodes.push(node);
    if (byName.has(functionName)) throw new Error(`duplicate name ${functionName} in the test tree`);
    byName.set(functionName, id);
    for (const child of children) node.children.push(add(child));
    return id;
  };
  add(['(root)', '', tree]);
  const ids = samples.map((name) => {
    const id = byName.get(name);
    if (id === undefined) throw new Error(`no node ${name}`);
    return id;
  });
  return { nodes, startTime: 0, endTime: 1000 * (samples.length + 1), samples: ids, timeDeltas: samples.map(() => 1000) };
}

const TREE: Tree[] = [
  ['(program)', ''],
  ['(garbage collector)', ''],
  ['(idle)', ''],
  ['Module._load', 'node:internal/modules/cjs/loader', [['appModule', `${APP}src/app.js`, [['require', 'node:internal/modules/helpers', [['compileFunctionForCJSLoader', '']]]]]]],
  [
    'processTicksAndRejections',
    'node:internal/process/task_queues',
    [
      ['runMicrotasks', ''],
      ['createResource', `${NM}ts-japi/lib/classes/serializer.js`, [['stringify', '']]],
      ['query', `${NM}typeorm/driver/better-sqlite3/BetterSqlite3QueryRunner.js`, [['all', '']]],
      ['loadToMany', `${APP}src/data/graph-loader.js`, [['promiseInitHook', 'node:internal/async_hooks']]],
      ['send', `${APP}src/http/jsonapi/responder.js`, [['fromString', 'node:buffer', [['createFromString', '']]]]],
      ['unknownHelper', `${NM}some-helper/index.js`],
    ],
  ],
  [
    'parserOnIncoming',
    'node:_http_server',
    [
      [
        'handle',
        `${NM}express/lib/application.js`,
        [
          [
            'authMiddleware',
            `${APP}src/http/middleware/auth.js`,
            [['authenticate', `${NM}passport/lib/middleware/authenticate.js`, [['byToken', `${APP}src/data/token-store.js`, [['hash', 'node:internal/crypto/hash', [['digest', '']]]]]]]],
          ],
          ['logRequest', `${APP}src/http/middleware/request-context.js`, [['pinoWrite', `${NM}pino/lib/proto.js`]]],
          ['parseQuery', `${APP}src/query/query.parser.js`],
        ],
      ],
    ],
  ],
];

function layerMs(profile: CpuProfile): Record<Layer, number> {
  const result = profileByLayer(profile);
  return Object.fromEntries(result.layers.map((l) => [l.layer, l.ms])) as Record<Layer, number>;
}

describe('profile by layer', () => {
  it('When a native leaf (no URL) runs under ts-japi, typeorm, the responder or the token lookup, then the innermost known frame decides its layer', () => {
    expect(layerMs(profileOf(TREE, ['stringify']))).toMatchObject({ serialization: 1, other: 0 });
    expect(layerMs(profileOf(TREE, ['all']))).toMatchObject({ sql: 1 });
    expect(layerMs(profileOf(TREE, ['createFromString']))).toMatchObject({ serialization: 1 });
    // digest < node:internal/crypto (unclassified) < token-store (auth) < passport < the auth middleware < express < node:_http_server
    expect(layerMs(profileOf(TREE, ['digest']))).toMatchObject({ auth: 1, http: 0 });
    expect(layerMs(profileOf(TREE, ['promiseInitHook']))).toMatchObject({ loading: 1 });
    expect(layerMs(profileOf(TREE, ['pinoWrite', 'logRequest']))).toMatchObject({ logging: 2 });
    expect(layerMs(profileOf(TREE, ['parseQuery']))).toMatchObject({ parsing: 1 });
    expect(layerMs(profileOf(TREE, ['handle', 'parserOnIncoming']))).toMatchObject({ http: 2 });
  });

  it('When samples are GC, idle and unclassified code, then GC is its own layer, idle is left out of busy time and the rest is other', () => {
    const profile = profileOf(TREE, ['(garbage collector)', '(garbage collector)', '(idle)', '(idle)', '(idle)', '(program)', 'runMicrotasks', 'unknownHelper', 'stringify']);
    const result = profileByLayer(profile);
    expect(result.samples).toBe(9);
    expect(result.idleMs).toBe(3);
    expect(result.busyMs).toBe(6);
    expect(layerMs(profile)).toEqual({ http: 0, auth: 0, parsing: 0, sql: 0, loading: 0, serialization: 1, logging: 0, gc: 2, other: 3 });
    expect(result.layers.reduce((sum, l) => sum + l.share, 0)).toBeCloseTo(100);
    expect(result.layers.find((l) => l.layer === 'gc')!.share).toBeCloseTo(100 / 3);
  });

  it('When a sample is in module loading, even below the app module, then it is other and counted as startup', () => {
    const profile = profileOf(TREE, ['compileFunctionForCJSLoader', 'appModule', 'unknownHelper']);
    const result = profileByLayer(profile);
    expect(layerMs(profile)).toMatchObject({ other: 2, http: 1 });
    expect(result.startupMs).toBe(1);
    expect(layerTable(result)).toContain('| *in other: loading modules at startup* | 1 | 33.3 |');
  });

  it('When the top self-time functions are listed, then they are ordered by time, native code is named by its caller and async_hooks time is reported', () => {
    const result = profileByLayer(profileOf(TREE, ['stringify', 'stringify', 'stringify', 'all', 'all', 'promiseInitHook', '(idle)']));
    expect(result.top.map((f) => [f.name, f.where, f.layer, f.ms])).toEqual([
      ['stringify', 'native, from npm:ts-japi/lib/classes/serializer.js:10', 'serialization', 3],
      ['all', 'native, from npm:typeorm/driver/better-sqlite3/BetterSqlite3QueryRunner.js:10', 'sql', 2],
      ['promiseInitHook', 'node:internal/async_hooks:10', 'loading', 1],
    ]);
    expect(result.asyncHooksMs).toBe(1);
  });

  it('When sample gaps vary, then each sample lasts until the next one (the last until endTime) and a negative gap counts as 0', () => {
    const profile: CpuProfile = { nodes: [], startTime: 100, endTime: 5100, samples: [1, 1, 1, 1], timeDeltas: [1000, 2000, -500, 1000] };
    // stamps 1100, 3100, 2600, 3600; end 5100
    expect(sampleDurations(profile)).toEqual([2, 0, 1, 1.5]);
  });

  it('When frames come from Node, node_modules, dist or the TypeScript sources, then their locations and layers read the same way', () => {
    expect(frameLocation({ functionName: 'x', url: 'file:///a/node_modules/pkg/node_modules/typeorm/index.js', lineNumber: 0 })).toBe('npm:typeorm/index.js');
    expect(frameLocation({ functionName: 'x', url: 'file:///a/dist/src/data/sql.js', lineNumber: 0 })).toBe('src/data/sql.js');
    expect(frameLocation({ functionName: '(garbage collector)', url: '', lineNumber: -1 })).toBe('v8:(garbage collector)');
    expect(frameLocation({ functionName: 'writev', url: '', lineNumber: -1 })).toBe('');
    expect(classifyFrame({ functionName: 'x', url: '/work/app/src/data/sql.ts', lineNumber: 0 })).toBe('sql');
    expect(classifyFrame({ functionName: 'x', url: 'file:///a/dist/src/data/token-store.js', lineNumber: 0 })).toBe('auth');
    expect(classifyFrame({ functionName: 'x', url: 'file:///a/node_modules/foo/src/query/x.js', lineNumber: 0 })).toBeUndefined();
    expect(classifyFrame({ functionName: 'x', url: 'node:internal/streams/writable', lineNumber: 0 })).toBeUndefined();
    expect(classifyFrame({ functionName: 'x', url: 'node:_http_outgoing', lineNumber: 0 })).toBe('http');
    expect(classifyFrame({ functionName: 'x', url: 'file:///a/dist/src/http/jsonapi/router.js', lineNumber: 0 })).toBe('http');
    expect(classifyFrame({ functionName: 'x', url: 'file:///a/dist/src/http/uri.js', lineNumber: 0 })).toBeUndefined();
  });

  it('When two profiles are given, then the table shows before and after side by side', () => {
    const before = profileByLayer(profileOf(TREE, ['all', 'all', 'stringify']));
    const after = profileByLayer(profileOf(TREE, ['all', 'stringify', 'stringify', '(garbage collector)']));
    const table = layerTable(before, after);
    expect(table).toContain('| layer | before ms | before % | after ms | after % |');
    expect(table).toContain('| SQL | 2 | 66.7 | 1 | 25.0 |');
    expect(table).toContain('| **busy** | **3** | **100.0** | **4** | **100.0** |');
  });

  it('When a profile directory holds several profiles, then the newest written since the run began is picked', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'profile-layers-'));
    try {
      const since = Date.now() - 60_000;
      const write = (name: string, ageMs: number) => {
        const file = path.join(dir, name);
        fs.writeFileSync(file, '{}');
        const when = new Date(Date.now() - ageMs);
        fs.utimesSync(file, when, when);
      };
      write('old.cpuprofile', 3_600_000);
      expect(newestProfile(dir, since)).toBeUndefined();
      write('a.cpuprofile', 20_000);
      write('b.cpuprofile', 10_000);
      write('c.txt', 0);
      expect(newestProfile(dir, since)).toBe(path.join(dir, 'b.cpuprofile'));
      expect(newestProfile(path.join(dir, 'missing'), since)).toBeUndefined();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
