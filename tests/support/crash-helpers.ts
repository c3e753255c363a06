import BetterSqlite3 from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { ServerProcess, sleep, splitLines, startServer } from './server-process';
import { httpRequest, HttpResponse } from './http-client';
import { PgInspector } from './postgres-helpers';
import { OpenApiMismatchError } from './validate-responses';
import { prng, Rng } from '../../bench/prng';

/**
 * Crash safety (issue 8, item 4): the service is SIGKILLed while concurrent writes are in
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
 * no error log line, /readyz 200), structural checks in SQL (orphans, cycles, foreign keys;
 * SQLite: PRAGMA integrity_check and foreign_key_check), the unknowns resolved, the rows
 * compared, and a GET of every resource the round touched (200 with the promised values and
 * ETag, or 404 when deleted). After the last round every collection is read whole through the
 * API, and SIGTERM must end the service with 0.
 *
 * Environment: CRASH_ROUNDS (20), CRASH_WORKERS (12), CRASH_SEED (random; printed), and
 * CRASH_VERBOSE=1 for a line per round.
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



function int(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)];
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

// ---------------------------------------------------------------------------------------------
// The model: what the database must hold

export type Kind = 'client' | 'legal-entity' | 'project';
export const KINDS: readonly Kind[] = ['client', 'legal-entity', 'project'];
const TABLE: Record<Kind, string> = { client: 'clients', 'legal-entity': 'legal_entities', project: 'projects' };
const PATH: Record<Kind, string> = { client: 'clients', 'legal-entity': 'legal-entities', project: 'projects' };
/** The to-one of each kind: a client's parent, an owned entity's owner. */
const REF: Record<Kind, string> = { client: 'parent', 'legal-entity': 'client', project: 'client' };

/** One row as the checks see it, on either database. */
export interface Stored {
  id: string;
  name: string;
  /** parent_id (client) or client_id (owned). */
  ref: string | null;
  version: number;
  email: string | null;
  country: string | null;
  registrationNumber: string | null;
}

interface Entry extends Stored {
  readonly kind: Kind;
  readonly worker: number;
  /** The last write that set this row (for failure messages). */
  lastWrite: string;
}

export type Snapshot = Record<Kind, Map<string, Stored>> & { reportingEntities: number };

class Model {
  readonly rows: Record<Kind, Map<string, Entry>> = { client: new Map(), 'legal-entity': new Map(), project: new Map() };
  private readonly territories = new Map<number, { clients: Set<string>; owned: Set<string> }>();

  territory(worker: number): { clients: Set<string>; owned: Set<string> } {
    let t = this.territories.get(worker);
    if (!t) this.territories.set(worker, (t = { clients: new Set(), owned: new Set() }));
    return t;
  }

  get(kind: Kind, id: string): Entry | undefined {
    return this.rows[kind].get(id);
  }

  put(entry: Entry): void {
    this.rows[entry.kind].set(entry.id, entry);
    const t = this.territory(entry.worker);
    (entry.kind === 'client' ? t.clients : t.owned).add(`${entry.kind}:${entry.id}`);
  }

  remove(kind: Kind, id: string): void {
    const entry = this.rows[kind].get(id);
    if (!entry) return;
    this.rows[kind].delete(id);
    const t = this.territory(entry.worker);
    (kind === 'client' ? t.clients : t.owned).delete(`${kind}:${id}`);
  }

  clientsOf(worker: number): Entry[] {
    return [...this.territory(worker).clients].map((k) => this.rows.client.get(k.slice('client:'.length))!);
  }

  ownedOf(worker: number, kind?: Kind): Entry[] {
    return [...this.territory(worker).owned]
      .map((k) => {
        const at = k.indexOf(':');
        return this.rows[k.slice(0, at) as Kind].get(k.slice(at + 1))!;
      })
      .filter((e) => kind === undefined || e.kind === kind);
  }

  /** Whether `candidate` is `of` itself or one of its ancestors. */
  isSelfOrAncestor(candidate: string, of: string): boolean {
    let at: string | null = of;
    for (let steps = 0; at !== null && steps < 100_000; steps++) {
      if (at === candidate) return true;
      at = this.rows.client.get(at)?.ref ?? null;
    }
    return false;
  }

  /** Whether anything blocks deleting this client: children or owned entities. */
  blocked(worker: number, clientId: string): boolean {
    return this.clientsOf(worker).some((c) => c.ref === clientId) || this.ownedOf(worker).some((o) => o.ref === clientId);
  }

  count(kind: Kind): number {
    return this.rows[kind].size;
  }
}

// ---------------------------------------------------------------------------------------------
// Writes and their effects

/** A to-one target: an existing id, a row created by the same request (index into creates), or none. */
type Ref = { id: string } | { created: number } | null;

interface CreateEffect {
  kind: Kind;
  name: string;
  ref: Ref;
  email?: string | null;
  country?: string | null;
  registrationNumber?: string | null;
  /** Atomic requests: the index of the operation whose result carries the new id. */
  resultIndex?: number;
}

interface UpdateEffect {
  kind: Kind;
  id: string;
  name?: string;
  ref?: Ref;
}

interface DeleteEffect {
  kind: Kind;
  id: string;
}

type Surface = 'jsonapi' | 'atomic' | 'flat';

export interface Write {
  readonly label: string;
  readonly action: string;
  readonly worker: number;
  readonly surface: Surface;
  readonly method: string;
  readonly url: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  /** The status the model predicts; any other fails the test. */
  readonly expect: number;
  /** What the request does when it succeeds (each update bumps the version by one). */
  readonly creates: CreateEffect[];
  readonly updates: UpdateEffect[];
  readonly deletes: DeleteEffect[];
}

const ATOMIC_MEDIA_TYPE = 'application/vnd.api+json; ext="https://jsonapi.org/ext/atomic"';
const COUNTRIES = ['FR', 'DE', 'SE', 'MG', 'US', 'JP', 'BR'];

function describeWrite(write: Write): string {
  const body = write.body === undefined ? '' : ` ${JSON.stringify(write.body)}`;
  return `${write.label} [${write.action}] ${write.method} ${write.url}${body.length > 900 ? body.slice(0, 900) + '…' : body} (expected ${write.expect})`;
}

interface Planner {
  readonly model: Model;
  readonly worker: number;
  readonly tag: string;
  rng: Rng;
  round: number;
  seq: number;
}

/** The next write of a worker: chosen at random among those its territory allows. */
function planWrite(p: Planner): Write {
  const { model, worker, rng } = p;
  const n = ++p.seq;
  const label = `r${p.round} w${worker} #${n}`;
  const name = (suffix = '') => `${p.tag} ${label}${suffix}`;
  const clients = model.clientsOf(worker);
  const owned = model.ownedOf(worker);
  const projects = owned.filter((o) => o.kind === 'project');

  const choices: [string, number][] = [
    ['create client', 20],
    ['atomic', 20],
    ...(clients.length > 0
      ? ([
          ['create owned', 15],
          ['reparent', 15],
          ['delete', 12],
        ] as [string, number][])
      : []),
    ...(owned.length > 0 ? ([['update owned', 10]] as [string, number][]) : []),
    ...(projects.length > 0 ? ([['flat create', 6]] as [string, number][]) : []),
  ];
  let roll = rng() * choices.reduce((s, [, w]) => s + w, 0);
  let action = choices[0][0];
  for (const [a, w] of choices) {
    if ((roll -= w) < 0) {
      action = a;
      break;
    }
  }
  // Half of the answers include related resources: more work between COMMIT and the answer,
  // so more kills land on a write that is committed but not yet acknowledged.
  const include = (paths: string) => (rng() < 0.5 ? `?include=${paths}` : '');
  const base = { label, action, worker, creates: [] as CreateEffect[], updates: [] as UpdateEffect[], deletes: [] as DeleteEffect[] };

  switch (action) {
    case 'create client': {
      const parent = clients.length > 0 && rng() < 0.8 ? pick(rng, clients).id : null;
      const email = rng() < 0.4 ? `${p.tag.replace(/\s+/g, '-')}-w${worker}-${n}@crash.test` : null;
      const attributes: Record<string, unknown> = { name: name() };
      if (email !== null) attributes.email = email;
      return {
        ...base,
        surface: 'jsonapi',
        method: 'POST',
        url: `/api/v2/clients${include('parent,children,legalEntities,projects')}`,
        body: { data: { type: 'client', attributes, relationships: { parent: { data: parent === null ? null : { type: 'client', id: parent } } } } },
        expect: 201,
        creates: [{ kind: 'client', name: name(), ref: parent === null ? null : { id: parent }, email }],
      };
    }
    case 'create owned': {
      const owner = pick(rng, clients).id;
      if (rng() < 0.6) {
        const country = pick(rng, COUNTRIES);
        const registrationNumber = rng() < 0.5 ? `RN-${worker}-${n}` : null;
        return {
          ...base,
          surface: 'jsonapi',
          method: 'POST',
          url: `/api/v2/legal-entities${include('client.parent')}`,
          body: { data: { type: 'legal-entity', attributes: { name: name(), country, registrationNumber }, relationships: { client: { data: { type: 'client', id: owner } } } } },
          expect: 201,
          creates: [{ kind: 'legal-entity', name: name(), ref: { id: owner }, country, registrationNumber }],
        };
      }
      return {
        ...base,
        surface: 'jsonapi',
        method: 'POST',
        url: `/api/v2/projects${include('client.children')}`,
        body: { data: { type: 'project', attributes: { name: name() }, relationships: { client: { data: { type: 'client', id: owner } } } } },
        expect: 201,
        creates: [{ kind: 'project', name: name(), ref: { id: owner } }],
      };
    }
    case 'reparent': {
      const child = pick(rng, clients);
      const target = rng() < 0.2 ? null : pick(rng, clients).id;
      const cycle = target !== null && model.isSelfOrAncestor(child.id, target);
      const parentData = target === null ? null : { type: 'client', id: target };
      if (rng() < 0.5) {
        // Through the relationship endpoint: 204, or 409 on a cycle.
        return {
          ...base,
          action: 'reparent (relationship endpoint)',
          surface: 'jsonapi',
          method: 'PATCH',
          url: `/api/v2/clients/${child.id}/relationships/parent`,
          body: { data: parentData },
          expect: cycle ? 409 : 204,
          updates: [{ kind: 'client', id: child.id, ref: target === null ? null : { id: target } }],
        };
      }
      // Through the resource, renamed in the same request (both or neither), sometimes with If-Match.
      const renamed = rng() < 0.5 ? name(' renamed') : undefined;
      const headers: Record<string, string> = rng() < 0.3 ? { 'If-Match': `"client:${child.id}:${child.version}"` } : {};
      return {
        ...base,
        action: `reparent (resource PATCH${renamed ? ' + rename' : ''}${headers['If-Match'] ? ' + If-Match' : ''})`,
        surface: 'jsonapi',
        method: 'PATCH',
        url: `/api/v2/clients/${child.id}${include('parent,children.projects')}`,
        body: { data: { type: 'client', id: child.id, ...(renamed ? { attributes: { name: renamed } } : {}), relationships: { parent: { data: parentData } } } },
        headers,
        expect: cycle ? 409 : 200,
        updates: [{ kind: 'client', id: child.id, ref: target === null ? null : { id: target }, ...(renamed ? { name: renamed } : {}) }],
      };
    }
    case 'atomic': {
      // a (under P or a root) ← b ← legal entity; a ← project; then maybe: an existing client X
      // moved under b (409 when X is P or above it), an existing legal entity moved to a, and
      // a last operation that fails validation (422). All of it, or none of it.
      const parent = clients.length > 0 && rng() < 0.7 ? pick(rng, clients).id : null;
      const country = pick(rng, COUNTRIES);
      const ops: unknown[] = [
        { op: 'add', data: { type: 'client', lid: 'a', attributes: { name: name(' a') }, relationships: { parent: { data: parent === null ? null : { type: 'client', id: parent } } } } },
        { op: 'add', data: { type: 'client', lid: 'b', attributes: { name: name(' b') }, relationships: { parent: { data: { type: 'client', lid: 'a' } } } } },
        { op: 'add', data: { type: 'legal-entity', attributes: { name: name(' le'), country }, relationships: { client: { data: { type: 'client', lid: 'b' } } } } },
        { op: 'add', data: { type: 'project', attributes: { name: name(' project') }, relationships: { client: { data: { type: 'client', lid: 'a' } } } } },
      ];
      const creates: CreateEffect[] = [
        { kind: 'client', name: name(' a'), ref: parent === null ? null : { id: parent }, resultIndex: 0 },
        { kind: 'client', name: name(' b'), ref: { created: 0 }, resultIndex: 1 },
        { kind: 'legal-entity', name: name(' le'), ref: { created: 1 }, country, registrationNumber: null, resultIndex: 2 },
        { kind: 'project', name: name(' project'), ref: { created: 0 }, resultIndex: 3 },
      ];
      const updates: UpdateEffect[] = [];
      let expect = 200;
      const parts: string[] = ['4 adds'];
      if (clients.length > 0 && rng() < 0.5) {
        const moved = pick(rng, clients);
        ops.push({ op: 'update', data: { type: 'client', id: moved.id, attributes: { name: name(' moved') }, relationships: { parent: { data: { type: 'client', lid: 'b' } } } } });
        updates.push({ kind: 'client', id: moved.id, name: name(' moved'), ref: { created: 1 } });
        if (parent !== null && model.isSelfOrAncestor(moved.id, parent)) expect = 409;
        parts.push(expect === 409 ? 'a reparent that makes a cycle' : 'a reparent');
      }
      const entities = owned.filter((o) => o.kind === 'legal-entity');
      if (entities.length > 0 && rng() < 0.3) {
        const entity = pick(rng, entities);
        ops.push({ op: 'update', ref: { type: 'legal-entity', id: entity.id, relationship: 'client' }, data: { type: 'client', lid: 'a' } });
        updates.push({ kind: 'legal-entity', id: entity.id, ref: { created: 0 } });
        parts.push('a move of a legal entity');
      }
      if (rng() < 0.2) {
        ops.push({ op: 'add', data: { type: 'legal-entity', attributes: { name: name(' bad'), country: 'XX' }, relationships: { client: { data: { type: 'client', lid: 'a' } } } } });
        creates.push({ kind: 'legal-entity', name: name(' bad'), ref: { created: 0 }, country: 'XX', registrationNumber: null, resultIndex: ops.length - 1 });
        if (expect === 200) expect = 422;
        parts.push('a last add with country XX');
      }
      return {
        ...base,
        action: `atomic (${parts.join(', ')})`,
        surface: 'atomic',
        method: 'POST',
        url: '/api/v2/operations',
        body: { 'atomic:operations': ops },
        expect,
        creates,
        updates,
      };
    }
    case 'update owned': {
      const entity = pick(rng, owned);
      const others = clients.filter((c) => c.id !== entity.ref);
      if (others.length > 0 && rng() < 0.5) {
        const owner = pick(rng, others).id;
        return {
          ...base,
          action: `move ${entity.kind} (relationship endpoint)`,
          surface: 'jsonapi',
          method: 'PATCH',
          url: `/api/v2/${PATH[entity.kind]}/${entity.id}/relationships/client`,
          body: { data: { type: 'client', id: owner } },
          expect: 204,
          updates: [{ kind: entity.kind, id: entity.id, ref: { id: owner } }],
        };
      }
      const renamed = name(' renamed');
      return {
        ...base,
        action: `rename ${entity.kind}`,
        surface: 'jsonapi',
        method: 'PATCH',
        url: `/api/v2/${PATH[entity.kind]}/${entity.id}`,
        body: { data: { type: entity.kind, id: entity.id, attributes: { name: renamed } } },
        headers: rng() < 0.3 ? { 'If-Match': `"${entity.kind}:${entity.id}:${entity.version}"` } : {},
        expect: 200,
        updates: [{ kind: entity.kind, id: entity.id, name: renamed }],
      };
    }
    case 'delete': {
      if (owned.length > 0 && rng() < 0.5) {
        const entity = pick(rng, owned);
        return {
          ...base,
          action: `delete ${entity.kind}`,
          surface: 'jsonapi',
          method: 'DELETE',
          url: `/api/v2/${PATH[entity.kind]}/${entity.id}`,
          expect: 204,
          deletes: [{ kind: entity.kind, id: entity.id }],
        };
      }
      const client = pick(rng, clients);
      const blocked = model.blocked(worker, client.id);
      return {
        ...base,
        action: blocked ? 'delete client (refused: it has children or owns something)' : 'delete client',
        surface: 'jsonapi',
        method: 'DELETE',
        url: `/api/v2/clients/${client.id}`,
        expect: blocked ? 409 : 204,
        deletes: [{ kind: 'client', id: client.id }],
      };
    }
    default: {
      // flat create: a new client (flat surface, email required) takes over some projects.
      const taken = [...new Set([pick(rng, projects), pick(rng, projects)])];
      const email = `${p.tag.replace(/\s+/g, '-')}-flat-w${worker}-${n}@crash.test`;
      return {
        ...base,
        action: `flat create taking ${taken.length} project(s)`,
        surface: 'flat',
        method: 'POST',
        url: '/api/clients',
        body: { name: name(' flat'), email, projects: taken.map((t) => `proj_${t.id}`) },
        expect: 201,
        creates: [{ kind: 'client', name: name(' flat'), ref: null, email }],
        updates: taken.map((t) => ({ kind: 'project' as Kind, id: t.id, ref: { created: 0 } })),
      };
    }
  }
}

function send(server: ServerProcess, token: string, write: Write): Promise<HttpResponse> {
  const auth = { Authorization: `Bearer ${token}` };
  const body = write.body === undefined ? undefined : JSON.stringify(write.body);
  switch (write.surface) {
    case 'atomic':
      return httpRequest(server, write.method, write.url, { ...auth, Accept: ATOMIC_MEDIA_TYPE, 'Content-Type': ATOMIC_MEDIA_TYPE }, body);
    case 'flat':
      return httpRequest(server, write.method, write.url, { ...auth, Accept: 'application/json', 'Content-Type': 'application/json' }, body);
    default:
      return httpRequest(server, write.method, write.url, {
        ...auth,
        Accept: 'application/vnd.api+json',
        ...(body === undefined ? {} : { 'Content-Type': 'application/vnd.api+json' }),
        ...(write.headers ?? {}),
      }, body);
  }
}

/** The ids the answer of an acknowledged write gives its creates, checked against their names. */
function createdIds(write: Write, res: HttpResponse): string[] {
  return write.creates.map((c) => {
    let data: { id?: unknown; attributes?: { name?: unknown }; name?: unknown } | undefined;
    if (write.surface === 'atomic') data = res.json?.['atomic:results']?.[c.resultIndex!]?.data;
    else data = res.json?.data;
    const id = typeof data?.id === 'string' ? data.id.replace(/^client_/, '') : undefined;
    const name = write.surface === 'flat' ? data?.name : data?.attributes?.name;
    if (!id || name !== c.name) throw new Error(`${write.label}: the ${res.status} answer does not show the created ${c.kind} "${c.name}": ${res.text.slice(0, 500)}`);
    return id;
  });
}

function resolveRef(ref: Ref, ids: readonly string[]): string | null {
  if (ref === null) return null;
  return 'id' in ref ? ref.id : ids[ref.created];
}

/** Applies a write that took effect; `ids` are the ids of its creates. Returns the rows it touched. */
function applyWrite(model: Model, write: Write, ids: readonly string[], how: string): { kind: Kind; id: string }[] {
  const touched: { kind: Kind; id: string }[] = [];
  const lastWrite = `${write.label} (${write.action}, ${how})`;
  write.creates.forEach((c, i) => {
    model.put({
      kind: c.kind,
      worker: write.worker,
      id: ids[i],
      name: c.name,
      ref: resolveRef(c.ref, ids),
      version: 1,
      email: c.kind === 'client' ? (c.email ?? null) : null,
      country: c.kind === 'legal-entity' ? (c.country ?? null) : null,
      registrationNumber: c.kind === 'legal-entity' ? (c.registrationNumber ?? null) : null,
      lastWrite,
    });
    touched.push({ kind: c.kind, id: ids[i] });
  });
  for (const u of write.updates) {
    const entry = model.get(u.kind, u.id);
    if (!entry) throw new Error(`model: ${write.label} updates ${u.kind} ${u.id}, which the model does not hold`);
    if (u.name !== undefined) entry.name = u.name;
    if (u.ref !== undefined) entry.ref = resolveRef(u.ref, ids);
    entry.version += 1;
    entry.lastWrite = lastWrite;
    touched.push({ kind: u.kind, id: u.id });
  }
  for (const d of write.deletes) {
    model.remove(d.kind, d.id);
    touched.push({ kind: d.kind, id: d.id });
  }
  return touched;
}

/** What the answer itself must say beyond its status (the model's view of versions and values). */
function answerProblem(model: Model, write: Write, res: HttpResponse): string | undefined {
  if (write.surface !== 'jsonapi' || res.status !== 200 || write.updates.length !== 1) return undefined;
  const u = write.updates[0];
  const entry = model.get(u.kind, u.id)!;
  const data = res.json?.data;
  if (data?.meta?.version !== entry.version + 1) return `${write.label}: the 200 answer shows version ${data?.meta?.version}, the model expects ${entry.version + 1}`;
  if (u.name !== undefined && data?.attributes?.name !== u.name) return `${write.label}: the 200 answer shows name ${JSON.stringify(data?.attributes?.name)}`;
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Resolving unknown outcomes against the database

type Resolution = { applied: boolean; ids: string[] } | { violation: string };

function resolveUnknown(model: Model, write: Write, snapshot: Snapshot, byName: Record<Kind, Map<string, Stored[]>>): Resolution {
  const present = write.creates.map((c) => byName[c.kind].get(c.name) ?? []);
  const twice = write.creates.filter((_, i) => present[i].length > 1);
  if (twice.length > 0) return { violation: `created more than once: ${twice.map((c) => `${c.kind} "${c.name}"`).join(', ')}` };
  const ids = present.map((rows) => rows[0]?.id ?? '');
  const states: string[] = [];
  let after = true;
  let before = true;

  write.creates.forEach((c, i) => {
    const row = present[i][0];
    if (!row) {
      after = false;
      states.push(`${c.kind} "${c.name}": absent`);
      return;
    }
    before = false;
    const expected = { ref: resolveRef(c.ref, ids), version: 1, email: c.kind === 'client' ? (c.email ?? null) : null, country: c.kind === 'legal-entity' ? (c.country ?? null) : null };
    const actual = { ref: row.ref, version: row.version, email: row.email, country: row.country };
    const whole = JSON.stringify(expected) === JSON.stringify(actual);
    if (!whole) after = false;
    states.push(`${c.kind} "${c.name}": present as ${row.id}${whole ? '' : ` but ${JSON.stringify(actual)} instead of ${JSON.stringify(expected)}`}`);
  });
  for (const u of write.updates) {
    const entry = model.get(u.kind, u.id)!;
    const row = snapshot[u.kind].get(u.id);
    const isAfter = row !== undefined && row.version === entry.version + 1 && (u.name === undefined || row.name === u.name) && (u.ref === undefined || row.ref === resolveRef(u.ref, ids));
    const isBefore = row !== undefined && row.version === entry.version && row.name === entry.name && row.ref === entry.ref;
    if (!isAfter) after = false;
    if (!isBefore) before = false;
    states.push(`${u.kind} ${u.id}: ${isAfter ? 'updated' : isBefore ? 'unchanged' : row ? `neither (${JSON.stringify(row)})` : 'gone'}`);
  }
  for (const d of write.deletes) {
    const gone = !snapshot[d.kind].has(d.id);
    if (gone) before = false;
    else after = false;
    states.push(`${d.kind} ${d.id}: ${gone ? 'deleted' : 'still there'}`);
  }
  // A request the model predicts to be refused can only have had no effect.
  if (write.expect >= 300) after = false;
  if (before) return { applied: false, ids };
  if (after) return { applied: true, ids };
  return { violation: `half-written: ${states.join('; ')}` };
}

/** Rows of the database against the model: lost, unexpected and changed rows. */
function compare(model: Model, snapshot: Snapshot, owners: Map<string, string>, limit = 40): string[] {
  const problems: string[] = [];
  for (const kind of KINDS) {
    for (const [id, entry] of model.rows[kind]) {
      const row = snapshot[kind].get(id);
      if (!row) {
        problems.push(`lost: ${kind} ${id} "${entry.name}" is not in the database (promised by ${entry.lastWrite})`);
        continue;
      }
      const want = { name: entry.name, ref: entry.ref, version: entry.version, email: entry.email, country: entry.country, registrationNumber: entry.registrationNumber };
      const got = { name: row.name, ref: row.ref, version: row.version, email: row.email, country: row.country, registrationNumber: row.registrationNumber };
      if (JSON.stringify(want) !== JSON.stringify(got)) problems.push(`changed: ${kind} ${id} is ${JSON.stringify(got)} in the database, promised ${JSON.stringify(want)} by ${entry.lastWrite}`);
    }
    for (const [id, row] of snapshot[kind]) {
      if (!model.rows[kind].has(id)) problems.push(`unexpected: ${kind} ${id} "${row.name}" is in the database though no write that took effect made it${owners.has(row.name) ? ` (from ${owners.get(row.name)})` : ''}`);
    }
  }
  if (snapshot.reportingEntities !== 0) problems.push(`unexpected: ${snapshot.reportingEntities} reporting entities (no write makes any)`);
  return problems.length > limit ? [...problems.slice(0, limit), `… and ${problems.length - limit} more`] : problems;
}

// ---------------------------------------------------------------------------------------------
// Looking at the database directly

export interface CrashDatabase {
  readonly label: string;
  /** DATABASE_URL for the service. */
  readonly url: string;
  /**
   * Called right after the kill, before the restart: waits until nothing the killed process
   * started can still change the database (PostgreSQL: until its sessions are gone, so that a
   * COMMIT already on its way cannot land after the checks). Returns problems.
   */
  settle(): Promise<string[]>;
  /** One consistent read of every row the checks compare. */
  snapshot(): Promise<Snapshot>;
  /** Orphans, cycles, foreign keys, and (SQLite) the file's integrity: each problem as a line. */
  structuralProblems(): Promise<string[]>;
  close(): Promise<void>;
}

const SNAPSHOT_SQL: Record<Kind, string> = {
  client: 'SELECT id, name, parent_id AS ref, version, email, NULL AS country, NULL AS registration_number FROM clients',
  'legal-entity': 'SELECT id, name, client_id AS ref, version, NULL AS email, country, registration_number FROM legal_entities',
  project: 'SELECT id, name, client_id AS ref, version, NULL AS email, NULL AS country, NULL AS registration_number FROM projects',
};

const ORPHANS_SQL = `
  SELECT 'client ' || c.id || ' has parent_id ' || c.parent_id || ', which does not exist' AS problem
    FROM clients c LEFT JOIN clients p ON p.id = c.parent_id WHERE c.parent_id IS NOT NULL AND p.id IS NULL
  UNION ALL SELECT 'legal entity ' || e.id || ' has client_id ' || COALESCE(e.client_id, 'NULL') || ', which does not exist'
    FROM legal_entities e LEFT JOIN clients c ON c.id = e.client_id WHERE c.id IS NULL
  UNION ALL SELECT 'project ' || e.id || ' has client_id ' || COALESCE(e.client_id, 'NULL') || ', which does not exist'
    FROM projects e LEFT JOIN clients c ON c.id = e.client_id WHERE c.id IS NULL
  UNION ALL SELECT 'reporting entity ' || e.id || ' has client_id ' || COALESCE(e.client_id, 'NULL') || ', which does not exist'
    FROM reporting_entities e LEFT JOIN clients c ON c.id = e.client_id WHERE c.id IS NULL
  UNION ALL SELECT 'api token ' || t.id || ' has client_id ' || t.client_id || ', which does not exist'
    FROM api_tokens t LEFT JOIN clients c ON c.id = t.client_id WHERE t.client_id IS NOT NULL AND c.id IS NULL`;

/** Clients that are their own ancestor. UNION (not UNION ALL) makes the walk finite even around a cycle. */
const CYCLES_SQL = `
  WITH RECURSIVE up(start, id) AS (
    SELECT id, parent_id FROM clients WHERE parent_id IS NOT NULL
    UNION
    SELECT up.start, c.parent_id FROM up JOIN clients c ON c.id = up.id WHERE c.parent_id IS NOT NULL
  )
  SELECT DISTINCT start FROM up WHERE id = start ORDER BY start`;

function toStored(r: Record<string, unknown>): Stored {
  return {
    id: String(r.id),
    name: String(r.name),
    ref: r.ref === null || r.ref === undefined ? null : String(r.ref),
    version: Number(r.version),
    email: (r.email as string | null) ?? null,
    country: (r.country as string | null) ?? null,
    registrationNumber: (r.registration_number as string | null) ?? null,
  };
}

function emptySnapshot(): Snapshot {
  return Object.assign({ client: new Map(), 'legal-entity': new Map(), project: new Map() } as Record<Kind, Map<string, Stored>>, { reportingEntities: 0 });
}

/**
 * The SQLite file, read with a connection of the test's own, opened only while checking: it is
 * closed again before the next kill, so every restart has to recover the file (the WAL and its
 * index) on its own, as after a real crash.
 */
export function sqliteDatabase(file: string): CrashDatabase {
  const withFile = <T>(fn: (db: BetterSqlite3.Database) => T): T => {
    const db = new BetterSqlite3(file, { readonly: true, fileMustExist: true });
    try {
      db.pragma('busy_timeout = 5000');
      return fn(db);
    } finally {
      db.close();
    }
  };
  return {
    label: 'SQLite',
    url: `sqlite:${file}`,
    // A dead process holds no lock and writes nothing more: the file is as it left it.
    settle: async () => [],
    async snapshot() {
      return withFile((db) =>
        db.transaction(() => {
          const snap = emptySnapshot();
          for (const kind of KINDS) for (const r of db.prepare(SNAPSHOT_SQL[kind]).all() as Record<string, unknown>[]) snap[kind].set(String(r.id), toStored(r));
          snap.reportingEntities = Number((db.prepare('SELECT COUNT(*) AS n FROM reporting_entities').get() as { n: number }).n);
          return snap;
        })(),
      );
    },
    async structuralProblems() {
      return withFile((db) => {
        const problems: string[] = [];
        const integrity = (db.pragma('integrity_check') as { integrity_check: string }[]).map((r) => r.integrity_check);
        if (integrity.join() !== 'ok') problems.push(`PRAGMA integrity_check: ${integrity.slice(0, 10).join(' | ')}`);
        const fk = db.pragma('foreign_key_check') as { table: string; rowid: number; parent: string; fkid: number }[];
        for (const v of fk.slice(0, 20)) problems.push(`PRAGMA foreign_key_check: ${v.table} rowid ${v.rowid} points at a missing ${v.parent} row`);
        for (const table of ['clients', 'legal_entities', 'projects', 'reporting_entities', 'api_tokens']) {
          if ((db.pragma(`foreign_key_list(${table})`) as unknown[]).length === 0) problems.push(`${table} has no foreign key in the schema`);
        }
        for (const r of db.prepare(ORPHANS_SQL).all() as { problem: string }[]) problems.push(`orphan: ${r.problem}`);
        const cycles = (db.prepare(CYCLES_SQL).all() as { start: string }[]).map((r) => r.start);
        if (cycles.length > 0) problems.push(`cycle: clients that are their own ancestor: ${cycles.slice(0, 20).join(', ')}`);
        return problems;
      });
    },
    async close() {},
  };
}

const FOREIGN_KEYS = ['fk_clients_parent_id', 'fk_legal_entities_client_id', 'fk_reporting_entities_client_id', 'fk_projects_client_id', 'fk_api_tokens_client_id'];

/** A PostgreSQL database, read over one connection of the test's own (the server itself never goes down). */
export async function postgresDatabase(url: string): Promise<CrashDatabase> {
  const pg = await PgInspector.connect(url);
  const sessions = async () =>
    (await pg.query<{ pid: number; state: string | null; query: string }>(`SELECT pid, state, query FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`));
  return {
    label: 'PostgreSQL',
    url,
    async settle() {
      // Every other session on this database belongs to the killed process (the next one is not started yet).
      const dead = new Set((await sessions()).map((s) => s.pid));
      const deadline = Date.now() + 10_000;
      for (;;) {
        const left = (await sessions()).filter((s) => dead.has(s.pid));
        if (left.length === 0) return [];
        if (Date.now() > deadline) return left.map((s) => `a session of the killed process is still open after 10 s: pid ${s.pid}, ${s.state}, ${s.query.slice(0, 200)}`);
        await sleep(20);
      }
    },
    async snapshot() {
      await pg.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      try {
        const snap = emptySnapshot();
        for (const kind of KINDS) for (const r of await pg.query(SNAPSHOT_SQL[kind])) snap[kind].set(String(r.id), toStored(r));
        snap.reportingEntities = Number((await pg.query<{ n: string }>('SELECT COUNT(*) AS n FROM reporting_entities'))[0].n);
        return snap;
      } finally {
        await pg.query('COMMIT');
      }
    },
    async structuralProblems() {
      const problems: string[] = [];
      const fks = await pg.query<{ conname: string; convalidated: boolean }>(
        `SELECT conname, convalidated FROM pg_constraint WHERE contype = 'f' AND connamespace = current_schema()::regnamespace`,
      );
      for (const name of FOREIGN_KEYS) {
        const fk = fks.find((f) => f.conname === name);
        if (!fk) problems.push(`foreign key ${name} is missing`);
        else if (!fk.convalidated) problems.push(`foreign key ${name} is not validated`);
      }
      for (const r of await pg.query<{ problem: string }>(ORPHANS_SQL)) problems.push(`orphan: ${r.problem}`);
      const cycles = (await pg.query<{ start: string }>(CYCLES_SQL)).map((r) => r.start);
      if (cycles.length > 0) problems.push(`cycle: clients that are their own ancestor: ${cycles.slice(0, 20).join(', ')}`);
      return problems;
    },
    async close() {
      await pg.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Checks through the API

async function pool<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/** The resource object of a row as the API must show it, reduced to what the model knows. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function apiView(kind: Kind, data: any): Record<string, unknown> {
  const a = data?.attributes ?? {};
  const view: Record<string, unknown> = { name: a.name, ref: data?.relationships?.[REF[kind]]?.data?.id ?? null, version: data?.meta?.version };
  if (kind === 'client') view.email = a.email;
  if (kind === 'legal-entity') Object.assign(view, { country: a.country, registrationNumber: a.registrationNumber });
  return view;
}

function modelView(entry: Entry): Record<string, unknown> {
  const view: Record<string, unknown> = { name: entry.name, ref: entry.ref, version: entry.version };
  if (entry.kind === 'client') view.email = entry.email;
  if (entry.kind === 'legal-entity') Object.assign(view, { country: entry.country, registrationNumber: entry.registrationNumber });
  return view;
}

/** GET of each touched resource: 200 with the promised values and ETag, or 404 when it is gone. */
async function checkThroughApi(server: ServerProcess, token: string, model: Model, touched: readonly { kind: Kind; id: string }[]): Promise<string[]> {
  const problems: string[] = [];
  await pool(touched, 8, async ({ kind, id }) => {
    const res = await httpRequest(server, 'GET', `/api/v2/${PATH[kind]}/${id}`, { Authorization: `Bearer ${token}`, Accept: 'application/vnd.api+json' });
    const entry = model.get(kind, id);
    if (!entry) {
      if (res.status !== 404) problems.push(`API: GET ${kind} ${id} answers ${res.status}, but it was deleted`);
      return;
    }
    if (res.status !== 200) {
      problems.push(`API: GET ${kind} ${id} answers ${res.status} (promised by ${entry.lastWrite}): ${res.text.slice(0, 300)}`);
      return;
    }
    const got = apiView(kind, res.json.data);
    const want = modelView(entry);
    if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`API: GET ${kind} ${id} shows ${JSON.stringify(got)}, promised ${JSON.stringify(want)} by ${entry.lastWrite}`);
    if (res.headers.etag !== `"${kind}:${id}:${entry.version}"`) problems.push(`API: GET ${kind} ${id} has ETag ${res.headers.etag}`);
  });
  return problems;
}

/** Every collection read whole through the API (keyset pages of 100) against the model. */
async function sweepThroughApi(server: ServerProcess, token: string, model: Model): Promise<{ problems: string[]; requests: number }> {
  const problems: string[] = [];
  let requests = 0;
  for (const kind of KINDS) {
    const seen = new Map<string, Record<string, unknown>>();
    let url: string | null = `/api/v2/${PATH[kind]}?page[size]=100&page[after]=`;
    while (url) {
      requests++;
      const res = await httpRequest(server, 'GET', url, { Authorization: `Bearer ${token}`, Accept: 'application/vnd.api+json' });
      if (res.status !== 200) {
        problems.push(`API: GET ${url} answers ${res.status}: ${res.text.slice(0, 300)}`);
        break;
      }
      for (const data of res.json.data as { id: string }[]) seen.set(data.id, apiView(kind, data));
      const next: string | null | undefined = res.json.links?.next;
      url = next ? new URL(next).pathname + new URL(next).search : null;
    }
    for (const [id, entry] of model.rows[kind]) {
      const got = seen.get(id);
      if (!got) problems.push(`API sweep: ${kind} ${id} is not listed (promised by ${entry.lastWrite})`);
      else if (JSON.stringify(got) !== JSON.stringify(modelView(entry))) problems.push(`API sweep: ${kind} ${id} is listed as ${JSON.stringify(got)}, promised ${JSON.stringify(modelView(entry))}`);
    }
    for (const id of seen.keys()) if (!model.rows[kind].has(id)) problems.push(`API sweep: ${kind} ${id} is listed, but nobody made it`);
  }
  return { problems: problems.slice(0, 40), requests };
}

// ---------------------------------------------------------------------------------------------
// The rounds

async function warmUp(server: ServerProcess, token: string, width: number): Promise<void> {
  const urls = ['/api/v2/clients?page[size]=5&include=parent,children', '/api/v2/legal-entities?page[size]=5&include=client', '/api/v2/projects?page[size]=5'];
  await pool(Array.from({ length: width * 2 }, (_, i) => urls[i % urls.length]), width, async (url) => {
    const res = await httpRequest(server, 'GET', url, { Authorization: `Bearer ${token}`, Accept: 'application/vnd.api+json' });
    if (res.status !== 200) throw new CrashCheckError(`warm-up: GET ${url} answered ${res.status}: ${res.text.slice(0, 300)}`);
  });
}

/** A clean start: no output on stderr, no error or fatal log line, no plain line (ADMIN_TOKEN is set, so no token is printed), and ready. */
async function startProblems(server: ServerProcess): Promise<string[]> {
  const problems: string[] = [];
  const ready = await httpRequest(server, 'GET', '/readyz');
  if (ready.status !== 200) problems.push(`/readyz answers ${ready.status} ${ready.text}`);
  if (server.stderr().trim() !== '') problems.push(`stderr: ${server.stderr().slice(0, 1000)}`);
  const { json, plain } = splitLines(server.stdout());
  for (const line of json.filter((l) => Number(l.level) >= 50)) problems.push(`log: ${JSON.stringify(line).slice(0, 600)}`);
  if (plain.length > 0) problems.push(`plain output: ${plain.slice(0, 5).join(' | ').slice(0, 600)}`);
  return problems;
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
export class CrashCheckError extends Error {}

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
        res = await send(server, token, write);
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
  if (setup.pending.length > 0) throw new CrashCheckError(`${database.label}: ${setup.pending.length} setup request(s) got no answer from a live service: ${setup.pending.map(describeWrite).join('\n')}`);

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
    if (loggedErrors.length > 0) throw new CrashCheckError(`${context}: the service logged errors during the load:\n${loggedErrors.slice(0, 10).map((l) => JSON.stringify(l).slice(0, 600)).join('\n')}`);
    const latencies = logLines.filter((l) => l.msg === 'request' && l.method !== 'GET').map((l) => Number(l.ms)).sort((a, b) => a - b);
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
