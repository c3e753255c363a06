import { registry } from '../../../src/resources/registry';
import type { HttpResponse } from '../http-client';

/**
 * The crash test's model: what the database must hold. Every acknowledged write is applied the
 * moment its answer arrives; each worker owns a territory (the clients, legal entities and
 * projects it created) and writes only inside it, so the state of each territory is the
 * sequential result of its worker's requests however the workers interleave.
 */

export type Kind = 'client' | 'legal-entity' | 'project';
export const KINDS: readonly Kind[] = ['client', 'legal-entity', 'project'];
/** Path segment of each kind, from the registry. */
export const PATH = Object.fromEntries(KINDS.map((k) => [k, registry.get(k).path])) as Record<Kind, string>;
/** The to-one of each kind: a client's parent, an owned entity's owner. */
export const REF: Record<Kind, string> = { client: registry.get('client').hierarchy!.parent, 'legal-entity': 'client', project: 'client' };

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

export interface Entry extends Stored {
  readonly kind: Kind;
  readonly worker: number;
  /** The last write that set this row (for failure messages). */
  lastWrite: string;
}

export type Snapshot = Record<Kind, Map<string, Stored>> & { reportingEntities: number };

export class Model {
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
export type Ref = { id: string } | { created: number } | null;

export interface CreateEffect {
  kind: Kind;
  name: string;
  ref: Ref;
  email?: string | null;
  country?: string | null;
  registrationNumber?: string | null;
  /** Atomic requests: the index of the operation whose result carries the new id. */
  resultIndex?: number;
}

export interface UpdateEffect {
  kind: Kind;
  id: string;
  name?: string;
  ref?: Ref;
}

export interface DeleteEffect {
  kind: Kind;
  id: string;
}

export type Surface = 'jsonapi' | 'atomic' | 'flat';

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

function resolveRef(ref: Ref, ids: readonly string[]): string | null {
  if (ref === null) return null;
  return 'id' in ref ? ref.id : ids[ref.created];
}

/** Applies a write that took effect; `ids` are the ids of its creates. Returns the rows it touched. */
export function applyWrite(model: Model, write: Write, ids: readonly string[], how: string): { kind: Kind; id: string }[] {
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
export function answerProblem(model: Model, write: Write, res: HttpResponse): string | undefined {
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

export type Resolution = { applied: boolean; ids: string[] } | { violation: string };

export function resolveUnknown(model: Model, write: Write, snapshot: Snapshot, byName: Record<Kind, Map<string, Stored[]>>): Resolution {
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
export function compare(model: Model, snapshot: Snapshot, owners: Map<string, string>, limit = 40): string[] {
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
      if (!model.rows[kind].has(id))
        problems.push(`unexpected: ${kind} ${id} "${row.name}" is in the database though no write that took effect made it${owners.has(row.name) ? ` (from ${owners.get(row.name)})` : ''}`);
    }
  }
  if (snapshot.reportingEntities !== 0) problems.push(`unexpected: ${snapshot.reportingEntities} reporting entities (no write makes any)`);
  return problems.length > limit ? [...problems.slice(0, limit), `… and ${problems.length - limit} more`] : problems;
}
