import { Doc, HttpDriver, Identifier, Reply, ResourceObject } from './soak-http';
import { Kind, Ledger, marker, OwnedKind, PATHS, Problems, SharedClient, Side, Tracked } from './soak-model';
import { prng } from './prng';

/**
 * What every soak worker stands on: the world it shares with the others, its own tracked
 * resources, and the helpers its operations use (random choices, names, requests, the check of
 * each answer's status, read-after-write comparison, the ledger of acknowledged writes). The
 * operations themselves: soak-reads.ts, soak-writes.ts and soak-workload.ts.
 */

export interface World {
  readonly http: HttpDriver;
  readonly admin: string;
  readonly clientToken: string;
  /** The client token's client: every inside resource is below it. */
  readonly tenant: string;
  /** The tenant's parent, a root the client token must not see; outside trees hang below it or are roots. */
  readonly outside: string;
  readonly shared: readonly SharedClient[];
  readonly ledger: Ledger;
  readonly problems: Problems;
  /** Names of creates the service refused (4xx): no row may carry them at the end. */
  readonly refused: Map<string, string>;
  readonly deadline: number;
  /** Unique per run, in every name, email and slug (a PostgreSQL database may hold earlier runs). */
  readonly tag: string;
  /** Observations that are not failures (counted): e.g. a 200 to an If-Match PATCH showing a later writer's state. */
  readonly notes: Map<string, number>;
  /** How many times each check was made (so a report shows the checks were not vacuous). */
  readonly checks: Map<string, number>;
}

export type Op = readonly [name: string, weight: number, run: () => Promise<void>];

export const COUNTRIES = ['FR', 'DE', 'GB', 'MG', 'US', 'ES', 'IT', 'NL', 'BE', 'CH', 'SE', 'JP'];
const CURRENCIES = ['EUR', 'USD', 'GBP', 'MGA', 'CHF', 'SEK', 'JPY'];
export const FLAT = 'application/json';
/** The outside marker as a query value. */
export const OUT_Q = encodeURIComponent(marker('out'));

const idOf = (ref: Identifier | Identifier[] | null | undefined): string | null | undefined => (ref === undefined ? undefined : ref === null ? null : Array.isArray(ref) ? undefined : ref.id);

export function single(doc: Doc): ResourceObject | undefined {
  const d = doc.data;
  return d !== null && typeof d === 'object' && !Array.isArray(d) ? (d as ResourceObject) : undefined;
}

export function many(doc: Doc): ResourceObject[] {
  return Array.isArray(doc.data) ? (doc.data as ResourceObject[]) : [];
}

export function sameSet(a: Iterable<string>, b: Iterable<string>): boolean {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((v) => y.has(v));
}

/** The path and query of an absolute link (links.next), to send over the same agent. */
export function pathOf(link: string): string {
  const url = new URL(link);
  return url.pathname + url.search;
}

export abstract class WorkerCore {
  protected readonly random: () => number;
  readonly clients = new Map<string, Tracked>();
  readonly owned = new Map<string, Tracked>();
  private serial = 0;

  constructor(
    readonly index: number,
    protected readonly world: World,
    seed: number,
  ) {
    this.random = prng(seed);
  }

  /** The fallbacks of an operation that finds nothing to work on. */
  protected abstract createClient(): Promise<void>;
  protected abstract createOwned(): Promise<void>;

  // ---------------------------------------------------------------- helpers

  protected chance(p: number): boolean {
    return this.random() < p;
  }

  protected pick<T>(list: readonly T[]): T | undefined {
    return list.length === 0 ? undefined : list[Math.floor(this.random() * list.length)];
  }

  protected next(): number {
    return ++this.serial;
  }

  protected name(side: Side, label: string, rev: number): string {
    return `soak ${this.world.tag} ${marker(side)} ${label} r${rev}`;
  }

  protected email(label: string, rev: number): string {
    return `soak.${this.world.tag}.${label.replace(' ', '.')}.r${rev}@example.com`;
  }

  protected slug(label: string, rev: number): string {
    return `s${this.world.tag}-${label.replace(' ', '-')}-r${rev}`;
  }

  protected liveClients(side?: Side): Tracked[] {
    return [...this.clients.values()].filter((c) => !c.deleted && !c.uncertain && (side === undefined || c.side === side));
  }

  protected liveOwned(): Tracked[] {
    return [...this.owned.values()].filter((o) => !o.deleted && !o.uncertain);
  }

  /** The worker's clients below `id` (nobody else puts anything under them). */
  protected descendantsOf(id: string): Set<string> {
    const children = new Map<string, string[]>();
    for (const c of this.clients.values()) {
      if (c.deleted || c.parent === null || c.parent === undefined) continue;
      const list = children.get(c.parent) ?? [];
      list.push(c.id);
      children.set(c.parent, list);
    }
    const out = new Set<string>();
    const stack = [...(children.get(id) ?? [])];
    while (stack.length > 0) {
      const next = stack.pop()!;
      if (out.has(next)) continue;
      out.add(next);
      stack.push(...(children.get(next) ?? []));
    }
    return out;
  }

  protected childrenOf(id: string): string[] {
    return [...this.clients.values()].filter((c) => !c.deleted && c.parent === id).map((c) => c.id);
  }

  protected ownedOf(id: string, kind?: OwnedKind): string[] {
    return [...this.owned.values()].filter((o) => !o.deleted && o.owner === id && (kind === undefined || o.kind === kind)).map((o) => o.id);
  }

  /** The top of a side: the tenant inside; outside, the outside root or no parent at all. */
  protected top(side: Side): string | null {
    if (side === 'in') return this.world.tenant;
    return this.chance(0.5) ? this.world.outside : null;
  }

  protected send(op: string, method: string, path: string, token: 'admin' | 'client', body?: unknown, headers?: Record<string, string>, contentType?: string): Promise<Reply> {
    return this.world.http.request(op, method, path, { token: token === 'admin' ? this.world.admin : this.world.clientToken, body, headers, contentType });
  }

  /** Whether the answer has one of the expected statuses; anything else is a problem. */
  protected expect(op: string, what: string, reply: Reply, allowed: readonly number[]): boolean {
    if (reply.status === 0) {
      this.world.problems.add('no response', `${op}: ${what}: ${reply.error ?? 'no answer'}`);
      return false;
    }
    if (reply.status >= 500) {
      this.world.problems.add('server error', `${op}: ${what} → ${reply.status} ${reply.text.slice(0, 300)}`);
      return false;
    }
    if (!allowed.includes(reply.status)) {
      this.world.problems.add('unexpected status', `${op}: ${what} → ${reply.status}, expected ${allowed.join(' or ')}: ${reply.text.slice(0, 300)}`);
      return false;
    }
    return true;
  }

  protected checked(what: string, n = 1): void {
    this.world.checks.set(what, (this.world.checks.get(what) ?? 0) + n);
  }

  protected mismatch(op: string, detail: string): void {
    this.world.problems.add('read-after-write mismatch', `w${this.index} ${op}: ${detail}`);
  }

  protected ack(op: string, method: string, path: string, status: number, ids: readonly string[]): void {
    this.world.ledger.acknowledge({ worker: this.index, op, method, path, status, ids });
  }

  /** A write that got no answer (or a 5xx): what it touched can no longer be verified. */
  protected uncertain(reply: Reply, ...touched: (Tracked | SharedClient | undefined)[]): void {
    if (reply.status !== 0 && reply.status < 500) return;
    for (const t of touched) if (t) t.uncertain = true;
  }

  /** Differences between what the worker last wrote and a resource object the service returned. */
  protected differences(t: Tracked, obj: ResourceObject | undefined): string | undefined {
    if (!obj || obj.id !== t.id || obj.type !== t.kind) return `${t.kind} ${t.id} (${t.label}): got ${obj ? `${obj.type} ${obj.id}` : 'no resource'}`;
    const diffs: string[] = [];
    for (const [k, v] of Object.entries(t.attributes)) {
      const got = obj.attributes?.[k];
      if (got !== v) diffs.push(`${k} ${JSON.stringify(got)} instead of ${JSON.stringify(v)}`);
    }
    const version = obj.meta?.version;
    if (t.version !== undefined && version !== t.version) diffs.push(`version ${String(version)} instead of ${t.version}`);
    const relName = t.kind === 'client' ? 'parent' : 'client';
    const rel = obj.relationships?.[relName];
    if (rel && 'data' in rel) {
      const got = idOf(rel.data);
      const want = t.kind === 'client' ? t.parent : t.owner;
      if (got !== want) diffs.push(`${relName} ${String(got)} instead of ${String(want)}`);
    }
    return diffs.length > 0 ? `${t.kind} ${t.id} (${t.label}): ${diffs.join('; ')}` : undefined;
  }

  /** Compares; on agreement, learns the version when the worker did not know it. */
  protected verifyObject(op: string, t: Tracked, obj: ResourceObject | undefined): boolean {
    const diff = this.differences(t, obj);
    if (diff) {
      this.mismatch(op, diff);
      return false;
    }
    if (t.version === undefined && typeof obj?.meta?.version === 'number') t.version = obj.meta.version;
    this.checked('resources read back as last written');
    return true;
  }

  /** GET a tracked resource as admin and compare (read-after-write). */
  protected async readBack(op: string, t: Tracked | undefined): Promise<void> {
    if (!t || t.deleted || t.uncertain) return;
    const path = `/api/v2/${PATHS[t.kind]}/${t.id}`;
    const reply = await this.send(op, 'GET', path, 'admin');
    if (this.expect(op, `GET ${path}`, reply, [200])) this.verifyObject(op, t, single(reply.doc));
  }

  protected track(kind: Kind, obj: ResourceObject, side: Side, label: string, attributes: Record<string, string | null>, link: string | null): Tracked {
    const t: Tracked = {
      kind,
      id: obj.id,
      side,
      worker: this.index,
      label,
      attributes,
      ...(kind === 'client' ? { parent: link } : { owner: link ?? undefined }),
      version: 1,
      deleted: false,
      uncertain: false,
    };
    (kind === 'client' ? this.clients : this.owned).set(t.id, t);
    return t;
  }

  protected ownedAttributes(kind: OwnedKind, side: Side, label: string, rev: number): Record<string, string | null> {
    const name = this.name(side, label, rev);
    if (kind === 'legal-entity') return { name, registrationNumber: this.chance(0.6) ? `RN-${this.world.tag}-${rev}` : null, country: this.chance(0.8) ? this.pick(COUNTRIES)! : null };
    if (kind === 'reporting-entity') return { name, currency: this.chance(0.8) ? this.pick(CURRENCIES)! : null };
    return { name };
  }

  protected refuse(names: readonly string[], op: string): void {
    for (const n of names) this.world.refused.set(n, op);
  }
}
