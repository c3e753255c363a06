import { ATOMIC, Doc, HttpDriver, Identifier, Reply, ResourceObject } from './soak-http';
import { Kind, Ledger, marker, OWNED_KINDS, OWNED_RELATIONSHIP, OwnedKind, PATHS, Problems, SharedClient, Side, Tracked } from './soak-model';
import { prng } from './prng';

/**
 * The soak's workers. Each one loops until the deadline, picking an operation at random by
 * weight: reads as admin and as the client token, creates, updates (with and without
 * If-Match), reparenting, moves of owned entities, atomic operations, deletes, and writes on a
 * few shared clients that every worker contends for. Every answer is checked against what the
 * worker expects (a cycle it knows it asked for must be 409, a delete of a client that still
 * owns something must be 409, a stale If-Match must be 412, a client token must never see an
 * outside resource, a worker's own resources must read back as it last wrote them), and every
 * acknowledged write is recorded for the verification at the end.
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

type Op = readonly [name: string, weight: number, run: () => Promise<void>];

const COUNTRIES = ['FR', 'DE', 'GB', 'MG', 'US', 'ES', 'IT', 'NL', 'BE', 'CH', 'SE', 'JP'];
const CURRENCIES = ['EUR', 'USD', 'GBP', 'MGA', 'CHF', 'SEK', 'JPY'];
const FLAT = 'application/json';
/** The outside marker as a query value. */
const OUT_Q = encodeURIComponent(marker('out'));

const idOf = (ref: Identifier | Identifier[] | null | undefined): string | null | undefined =>
  ref === undefined ? undefined : ref === null ? null : Array.isArray(ref) ? undefined : ref.id;

function single(doc: Doc): ResourceObject | undefined {
  const d = doc.data;
  return d !== null && typeof d === 'object' && !Array.isArray(d) ? (d as ResourceObject) : undefined;
}

function many(doc: Doc): ResourceObject[] {
  return Array.isArray(doc.data) ? (doc.data as ResourceObject[]) : [];
}

function sameSet(a: Iterable<string>, b: Iterable<string>): boolean {
  const x = new Set(a);
  const y = new Set(b);
  return x.size === y.size && [...x].every((v) => y.has(v));
}

/** The path and query of an absolute link (links.next), to send over the same agent. */
function pathOf(link: string): string {
  const url = new URL(link);
  return url.pathname + url.search;
}

export class Worker {
  private readonly random: () => number;
  readonly clients = new Map<string, Tracked>();
  readonly owned = new Map<string, Tracked>();
  private serial = 0;
  private readonly ops: readonly Op[];
  private readonly totalWeight: number;

  constructor(
    readonly index: number,
    private readonly world: World,
    seed: number,
  ) {
    this.random = prng(seed);
    this.ops = [
      // reads, admin
      ['list by page number', 5, () => this.listPageNumber()],
      ['list with include and filter', 4, () => this.listIncludeFilter()],
      ['keyset walk', 4, () => this.keysetWalk('admin')],
      ['read own client', 7, () => this.readOwnClient()],
      ['read own owned entity', 4, () => this.readOwnOwned()],
      ['descendantOf own client', 3, () => this.descendants()],
      ['related and linkage', 3, () => this.relatedAndLinkage()],
      ['If-None-Match', 2, () => this.notModified()],
      ['owned list with filters', 3, () => this.ownedList()],
      ['flat reads', 3, () => this.flatReads()],
      // reads, client token
      ['client: keyset walk', 4, () => this.keysetWalk('client')],
      ['client: list with include', 4, () => this.clientIncludeList()],
      ['client: read own resource', 4, () => this.clientReadOwn()],
      ['client: tenant and ancestry', 2, () => this.clientTenant()],
      ['client: owned lists', 3, () => this.clientOwnedList()],
      ['client: flat list', 2, () => this.clientFlat()],
      ['client: write refused', 1, () => this.clientWrite()],
      // writes
      ['create client', 8, () => this.createClient()],
      ['create owned entity', 8, () => this.createOwned()],
      ['update client', 6, () => this.updateClient()],
      ['update owned entity', 4, () => this.updateOwned()],
      ['reparent', 5, () => this.reparent()],
      ['move owned entity', 3, () => this.moveOwned()],
      ['orphaning refused', 1, () => this.orphan()],
      ['atomic add', 3, () => this.atomicAdd()],
      ['atomic refused', 1, () => this.atomicRefused()],
      ['delete', 6, () => this.remove()],
      ['duplicate email', 1, () => this.duplicateEmail()],
      ['shared: If-Match update', 5, () => this.sharedUpdate()],
      ['shared: reparent', 2, () => this.sharedReparent()],
      ['flat writes', 2, () => this.flatWrites()],
    ];
    this.totalWeight = this.ops.reduce((a, [, w]) => a + w, 0);
  }

  async run(): Promise<void> {
    while (Date.now() < this.world.deadline) {
      let r = this.random() * this.totalWeight;
      const op = this.ops.find(([, w]) => (r -= w) < 0) ?? this.ops[0];
      await op[2]();
    }
  }

  // ---------------------------------------------------------------- helpers

  private chance(p: number): boolean {
    return this.random() < p;
  }

  private pick<T>(list: readonly T[]): T | undefined {
    return list.length === 0 ? undefined : list[Math.floor(this.random() * list.length)];
  }

  private next(): number {
    return ++this.serial;
  }

  private name(side: Side, label: string, rev: number): string {
    return `soak ${this.world.tag} ${marker(side)} ${label} r${rev}`;
  }

  private email(label: string, rev: number): string {
    return `soak.${this.world.tag}.${label.replace(' ', '.')}.r${rev}@example.com`;
  }

  private slug(label: string, rev: number): string {
    return `s${this.world.tag}-${label.replace(' ', '-')}-r${rev}`;
  }

  private liveClients(side?: Side): Tracked[] {
    return [...this.clients.values()].filter((c) => !c.deleted && !c.uncertain && (side === undefined || c.side === side));
  }

  private liveOwned(): Tracked[] {
    return [...this.owned.values()].filter((o) => !o.deleted && !o.uncertain);
  }

  /** The worker's clients below `id` (nobody else puts anything under them). */
  private descendantsOf(id: string): Set<string> {
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

  private childrenOf(id: string): string[] {
    return [...this.clients.values()].filter((c) => !c.deleted && c.parent === id).map((c) => c.id);
  }

  private ownedOf(id: string, kind?: OwnedKind): string[] {
    return [...this.owned.values()].filter((o) => !o.deleted && o.owner === id && (kind === undefined || o.kind === kind)).map((o) => o.id);
  }

  /** The top of a side: the tenant inside; outside, the outside root or no parent at all. */
  private top(side: Side): string | null {
    if (side === 'in') return this.world.tenant;
    return this.chance(0.5) ? this.world.outside : null;
  }

  private send(op: string, method: string, path: string, token: 'admin' | 'client', body?: unknown, headers?: Record<string, string>, contentType?: string): Promise<Reply> {
    return this.world.http.request(op, method, path, { token: token === 'admin' ? this.world.admin : this.world.clientToken, body, headers, contentType });
  }

  /** Whether the answer has one of the expected statuses; anything else is a problem. */
  private expect(op: string, what: string, reply: Reply, allowed: readonly number[]): boolean {
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

  private checked(what: string, n = 1): void {
    this.world.checks.set(what, (this.world.checks.get(what) ?? 0) + n);
  }

  private mismatch(op: string, detail: string): void {
    this.world.problems.add('read-after-write mismatch', `w${this.index} ${op}: ${detail}`);
  }

  private ack(op: string, method: string, path: string, status: number, ids: readonly string[]): void {
    this.world.ledger.acknowledge({ worker: this.index, op, method, path, status, ids });
  }

  /** A write that got no answer (or a 5xx): what it touched can no longer be verified. */
  private uncertain(reply: Reply, ...touched: (Tracked | SharedClient | undefined)[]): void {
    if (reply.status !== 0 && reply.status < 500) return;
    for (const t of touched) if (t) t.uncertain = true;
  }

  /** Differences between what the worker last wrote and a resource object the service returned. */
  private differences(t: Tracked, obj: ResourceObject | undefined): string | undefined {
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
  private verifyObject(op: string, t: Tracked, obj: ResourceObject | undefined): boolean {
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
  private async readBack(op: string, t: Tracked | undefined): Promise<void> {
    if (!t || t.deleted || t.uncertain) return;
    const path = `/api/v2/${PATHS[t.kind]}/${t.id}`;
    const reply = await this.send(op, 'GET', path, 'admin');
    if (this.expect(op, `GET ${path}`, reply, [200])) this.verifyObject(op, t, single(reply.doc));
  }

  private track(kind: Kind, obj: ResourceObject, side: Side, label: string, attributes: Record<string, string | null>, link: string | null): Tracked {
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

  private ownedAttributes(kind: OwnedKind, side: Side, label: string, rev: number): Record<string, string | null> {
    const name = this.name(side, label, rev);
    if (kind === 'legal-entity') return { name, registrationNumber: this.chance(0.6) ? `RN-${this.world.tag}-${rev}` : null, country: this.chance(0.8) ? this.pick(COUNTRIES)! : null };
    if (kind === 'reporting-entity') return { name, currency: this.chance(0.8) ? this.pick(CURRENCIES)! : null };
    return { name };
  }

  private refuse(names: readonly string[], op: string): void {
    for (const n of names) this.world.refused.set(n, op);
  }

  // ---------------------------------------------------------------- reads, admin

  private async listPageNumber(): Promise<void> {
    const op = 'list by page number';
    const page = 1 + Math.floor(this.random() * 5);
    const sort = this.pick(['-createdAt', 'name', '-updatedAt,name', 'parent.name'])!;
    const path = `/api/v2/clients?sort=${sort}&page[number]=${page}&page[size]=20`;
    const reply = await this.send(op, 'GET', path, 'admin');
    if (!this.expect(op, path, reply, [200])) return;
    const total = (reply.doc.meta?.page as { total?: number } | undefined)?.total;
    if (typeof total !== 'number' || many(reply.doc).length > 20) this.mismatch(op, `${path}: meta.page.total ${String(total)}, ${many(reply.doc).length} rows`);
  }

  private async listIncludeFilter(): Promise<void> {
    const op = 'list with include and filter';
    const path = this.pick([
      `/api/v2/clients?include=children,legalEntities,reportingEntities,projects&filter[name][contains]=w${this.index} c&page[size]=10`,
      `/api/v2/clients?include=parent,children.projects&filter[parent]=${this.world.tenant}&sort=-createdAt&page[size]=10`,
      `/api/v2/clients?filter[email][null]=false&filter[name][startsWith]=soak ${this.world.tag}&sort=email&page[size]=25`,
      `/api/v2/clients?filter[parent.name][contains]=${OUT_Q}&fields[client]=name,parent&page[size]=25`,
    ])!;
    const reply = await this.send(op, 'GET', path.replace(/ /g, '%20'), 'admin');
    this.expect(op, path, reply, [200]);
  }

  /**
   * Follows links.next for up to four pages. With the default order (id ascending), ids must
   * increase strictly across the pages whatever is inserted or deleted meanwhile.
   */
  private async keysetWalk(who: 'admin' | 'client'): Promise<void> {
    const op = who === 'admin' ? 'keyset walk' : 'client: keyset walk';
    const byId = this.chance(0.7);
    const first = this.chance(0.15)
      ? `/api/v2/clients?page[size]=50&page[before]=`
      : `/api/v2/clients?page[size]=50${byId ? '' : '&sort=name'}&page[after]=`;
    let path: string | undefined = first;
    let last = '';
    for (let pageNo = 0; path !== undefined && pageNo < 4; pageNo++) {
      const reply = await this.send(op, 'GET', path, who);
      if (!this.expect(op, path, reply, [200])) return;
      const rows = many(reply.doc);
      if (who === 'client') this.assertInside(op, rows, path);
      if (byId && !first.includes('before')) {
        this.checked('keyset pages checked for strictly increasing ids');
        for (const r of rows) {
          if (r.id <= last) this.world.problems.add('keyset order', `${op}: ${r.id} after ${last} (${path})`);
          last = r.id;
        }
      }
      const next = reply.doc.links?.next;
      path = typeof next === 'string' && next !== '' ? pathOf(next) : undefined;
    }
  }

  private async readOwnClient(): Promise<void> {
    const op = 'read own client';
    const x = this.pick(this.liveClients());
    if (!x) return this.createClient();
    const path = `/api/v2/clients/${x.id}?include=children,legalEntities,reportingEntities,projects`;
    const reply = await this.send(op, 'GET', path, 'admin');
    if (!this.expect(op, path, reply, [200])) return;
    const obj = single(reply.doc);
    if (!this.verifyObject(op, x, obj)) return;
    const rels = obj!.relationships ?? {};
    const want: Record<string, string[]> = {
      children: this.childrenOf(x.id),
      legalEntities: this.ownedOf(x.id, 'legal-entity'),
      reportingEntities: this.ownedOf(x.id, 'reporting-entity'),
      projects: this.ownedOf(x.id, 'project'),
    };
    for (const [name, ids] of Object.entries(want)) {
      const data = rels[name]?.data;
      const got = Array.isArray(data) ? data.map((d) => d.id) : [];
      if (!sameSet(got, ids)) this.mismatch(op, `client ${x.id} (${x.label}) ${name}: [${got.join(',')}] instead of [${ids.join(',')}]`);
    }
    // Every included resource the worker tracks reads as it last wrote it.
    for (const inc of reply.doc.included ?? []) {
      const t = inc.type === 'client' ? this.clients.get(inc.id) : this.owned.get(inc.id);
      if (t && !t.uncertain) this.verifyObject(op, t, inc);
    }
  }

  private async readOwnOwned(): Promise<void> {
    const op = 'read own owned entity';
    const o = this.pick(this.liveOwned());
    if (!o) return this.createOwned();
    const path = `/api/v2/${PATHS[o.kind]}/${o.id}?include=client`;
    const reply = await this.send(op, 'GET', path, 'admin');
    if (!this.expect(op, path, reply, [200])) return;
    this.verifyObject(op, o, single(reply.doc));
    const owner = (reply.doc.included ?? []).find((r) => r.type === 'client');
    if (owner?.id !== o.owner) this.mismatch(op, `${o.kind} ${o.id}: included client ${String(owner?.id)} instead of ${String(o.owner)}`);
  }

  private async descendants(): Promise<void> {
    const op = 'descendantOf own client';
    const x = this.pick(this.liveClients());
    if (!x) return this.createClient();
    const want = this.descendantsOf(x.id);
    const path = `/api/v2/clients?filter[descendantOf]=${x.id}&fields[client]=name,parent&page[size]=100`;
    const reply = await this.send(op, 'GET', path, 'admin');
    if (!this.expect(op, path, reply, [200])) return;
    const got = many(reply.doc).map((r) => r.id);
    if (want.size <= 100 ? !sameSet(got, want) : got.length !== 100) {
      this.mismatch(op, `descendants of ${x.id} (${x.label}): ${got.length} [${got.slice(0, 8).join(',')}] instead of ${want.size} [${[...want].slice(0, 8).join(',')}]`);
    }
  }

  private async relatedAndLinkage(): Promise<void> {
    const op = 'related and linkage';
    const x = this.pick(this.liveClients());
    if (!x) return this.createClient();
    const kind = this.pick(OWNED_KINDS)!;
    const rel = OWNED_RELATIONSHIP[kind];
    const related = `/api/v2/clients/${x.id}/${rel}?page[size]=100`;
    const a = await this.send(op, 'GET', related, 'admin');
    if (this.expect(op, related, a, [200])) {
      const want = this.ownedOf(x.id, kind);
      const rows = many(a.doc);
      if (!sameSet(rows.map((r) => r.id), want)) this.mismatch(op, `${related}: [${rows.map((r) => r.id).join(',')}] instead of [${want.join(',')}]`);
      for (const r of rows) {
        const t = this.owned.get(r.id);
        if (t && !t.uncertain) this.verifyObject(op, t, r);
      }
    }
    const linkage = `/api/v2/clients/${x.id}/relationships/children?page[size]=100`;
    const b = await this.send(op, 'GET', linkage, 'admin');
    if (this.expect(op, linkage, b, [200])) {
      const got = many(b.doc).map((r) => r.id);
      const want = this.childrenOf(x.id);
      if (!sameSet(got, want)) this.mismatch(op, `${linkage}: [${got.join(',')}] instead of [${want.join(',')}]`);
    }
  }

  private async notModified(): Promise<void> {
    const op = 'If-None-Match';
    const x = this.pick([...this.liveClients(), ...this.liveOwned()].filter((t) => t.version !== undefined));
    if (!x) return this.createClient();
    const path = `/api/v2/${PATHS[x.kind]}/${x.id}`;
    const reply = await this.send(op, 'GET', path, 'admin', undefined, { 'If-None-Match': `"${x.kind}:${x.id}:${x.version}"` });
    if (this.expect(op, `${path} If-None-Match version ${x.version}`, reply, [304, 200]) && reply.status === 200) {
      // 200 means the version moved on: a write the worker does not know about.
      this.mismatch(op, `${path}: 200 instead of 304 for version ${x.version} (now ${String(single(reply.doc)?.meta?.version)})`);
    }
  }

  private async ownedList(): Promise<void> {
    const op = 'owned list with filters';
    const path = this.pick([
      `/api/v2/legal-entities?filter[country]=FR,DE,MG&filter[client.name][contains]=${this.world.tag}&sort=name&page[size]=20`,
      `/api/v2/reporting-entities?filter[currency][in]=EUR,USD&include=client&page[size]=20`,
      `/api/v2/projects?filter[name][endsWith]=r1&sort=-createdAt&page[size]=20&page[after]=`,
      `/api/v2/legal-entities?filter[registrationNumber][null]=true&include=client.parent&page[size]=10`,
    ])!;
    const reply = await this.send(op, 'GET', path, 'admin');
    this.expect(op, path, reply, [200]);
  }

  private async flatReads(): Promise<void> {
    const op = 'flat reads';
    const x = this.pick(this.liveClients());
    if (x && this.chance(0.5)) {
      const path = `/api/clients/client_${x.id}`;
      const reply = await this.send(op, 'GET', path, 'admin', undefined, { Accept: FLAT });
      if (!this.expect(op, path, reply, [200])) return;
      const flat = reply.doc.data as { id?: string; name?: string; email?: string | null } | undefined;
      if (flat?.name !== x.attributes.name || flat?.email !== x.attributes.email) {
        this.mismatch(op, `${path}: name ${JSON.stringify(flat?.name)} email ${JSON.stringify(flat?.email)} instead of ${JSON.stringify(x.attributes.name)} ${JSON.stringify(x.attributes.email)}`);
      }
      return;
    }
    const path = `/api/clients?search=w${this.index}%20c&limit=20&offset=${Math.floor(this.random() * 3) * 20}`;
    const reply = await this.send(op, 'GET', path, 'admin', undefined, { Accept: FLAT });
    this.expect(op, path, reply, [200]);
  }

  // ---------------------------------------------------------------- reads, client token

  /** Every resource a client token is shown must be inside (its name carries the marker). */
  private assertInside(op: string, rows: readonly ResourceObject[], path: string): void {
    this.checked('resources shown to the client token, each checked inside', rows.length);
    for (const r of rows) {
      const name = r.attributes?.name;
      if (typeof name !== 'string' || !name.includes(marker('in'))) {
        this.world.problems.add('scope leak', `${op}: ${path} showed ${r.type} ${r.id} named ${JSON.stringify(name)}`);
      }
    }
  }

  private async clientIncludeList(): Promise<void> {
    const op = 'client: list with include';
    const path = this.pick([
      `/api/v2/clients?include=children.legalEntities,parent&filter[name][contains]=soak&sort=-updatedAt&page[size]=10`,
      `/api/v2/clients?include=parent.parent,projects&sort=parent.name&page[size]=20`,
      `/api/v2/clients?filter[parent.name][contains]=soak&include=reportingEntities&page[size]=20&page[after]=`,
      `/api/v2/clients?filter[name][contains]=${OUT_Q}&page[size]=20`,
    ])!;
    const reply = await this.send(op, 'GET', path, 'client');
    if (!this.expect(op, path, reply, [200])) return;
    this.assertInside(op, [...many(reply.doc), ...(reply.doc.included ?? [])], path);
    if (path.includes(OUT_Q) && many(reply.doc).length > 0) this.world.problems.add('scope leak', `${op}: ${path} matched ${many(reply.doc).length} rows`);
  }

  private async clientReadOwn(): Promise<void> {
    const op = 'client: read own resource';
    const t = this.pick([...this.liveClients(), ...this.liveOwned()]);
    if (!t) return this.createClient();
    const path = `/api/v2/${PATHS[t.kind]}/${t.id}`;
    const reply = await this.send(op, 'GET', path, 'client');
    if (t.side === 'out') {
      if (reply.status === 200) this.world.problems.add('scope leak', `${op}: ${path} (${t.label}, outside) answered 200 to the client token`);
      else if (this.expect(op, path, reply, [404])) this.checked('outside resources answered 404 to the client token');
      return;
    }
    if (this.expect(op, path, reply, [200])) this.verifyObject(op, t, single(reply.doc));
  }

  private async clientTenant(): Promise<void> {
    const op = 'client: tenant and ancestry';
    const tenantPath = `/api/v2/clients/${this.world.tenant}?include=parent`;
    const a = await this.send(op, 'GET', tenantPath, 'client');
    if (this.expect(op, tenantPath, a, [200])) {
      const parent = single(a.doc)?.relationships?.parent;
      if (!parent || parent.data !== undefined || parent.meta?.restricted !== true) {
        this.world.problems.add('scope leak', `${op}: the tenant's parent is not restricted: ${JSON.stringify(parent)}`);
      }
      if ((a.doc.included ?? []).length > 0) this.world.problems.add('scope leak', `${op}: ${tenantPath} included ${JSON.stringify(a.doc.included?.map((r) => r.id))}`);
    }
    const outsidePath = this.chance(0.5) ? `/api/v2/clients/${this.world.outside}` : `/api/v2/clients?filter[descendantOf]=${this.world.outside}`;
    const b = await this.send(op, 'GET', outsidePath, 'client');
    if (b.status === 200 && (single(b.doc) || many(b.doc).length > 0)) this.world.problems.add('scope leak', `${op}: ${outsidePath} answered with data`);
    else this.expect(op, outsidePath, b, outsidePath.includes('filter') ? [200] : [404]);
    const x = this.pick(this.liveClients('in'));
    if (!x) return;
    const chain: string[] = [];
    for (let p = x.parent; p && p !== this.world.tenant; p = this.clients.get(p)?.parent) chain.push(p);
    chain.push(this.world.tenant);
    const path = `/api/v2/clients?filter[ancestorOf]=${x.id}&page[size]=100`;
    const c = await this.send(op, 'GET', path, 'client');
    if (!this.expect(op, path, c, [200])) return;
    const rows = many(c.doc);
    this.assertInside(op, rows, path);
    if (!sameSet(rows.map((r) => r.id), chain)) this.mismatch(op, `${path}: [${rows.map((r) => r.id).join(',')}] instead of [${chain.join(',')}]`);
  }

  private async clientOwnedList(): Promise<void> {
    const op = 'client: owned lists';
    const kind = this.pick(OWNED_KINDS)!;
    const path = this.pick([
      `/api/v2/${PATHS[kind]}?page[size]=50&sort=-createdAt&include=client`,
      `/api/v2/${PATHS[kind]}?page[size]=50&page[after]=&filter[name][contains]=soak`,
      `/api/v2/${PATHS[kind]}?filter[client.name][contains]=${OUT_Q}`,
    ])!;
    const reply = await this.send(op, 'GET', path, 'client');
    if (!this.expect(op, path, reply, [200])) return;
    this.assertInside(op, [...many(reply.doc), ...(reply.doc.included ?? [])], path);
  }

  private async clientFlat(): Promise<void> {
    const op = 'client: flat list';
    const x = this.pick(this.liveClients('out'));
    if (x && this.chance(0.3)) {
      const path = `/api/clients/client_${x.id}`;
      const reply = await this.send(op, 'GET', path, 'client', undefined, { Accept: FLAT });
      if (reply.status === 200) this.world.problems.add('scope leak', `${op}: ${path} (${x.label}, outside) answered 200 to the client token`);
      else if (this.expect(op, path, reply, [404])) this.checked('outside resources answered 404 to the client token');
      return;
    }
    const path = `/api/clients?search=soak&limit=50`;
    const reply = await this.send(op, 'GET', path, 'client', undefined, { Accept: FLAT });
    if (!this.expect(op, path, reply, [200])) return;
    const rows = Array.isArray(reply.doc.data) ? (reply.doc.data as { id: string; name?: string }[]) : [];
    for (const r of rows) {
      if (!r.name?.includes(marker('in'))) this.world.problems.add('scope leak', `${op}: ${path} showed ${r.id} named ${JSON.stringify(r.name)}`);
    }
  }

  private async clientWrite(): Promise<void> {
    const op = 'client: write refused';
    const x = this.pick(this.liveClients('in'));
    if (x && this.chance(0.5)) {
      const path = `/api/v2/clients/${x.id}`;
      const reply = await this.send(op, 'PATCH', path, 'client', { data: { type: 'client', id: x.id, attributes: { name: `client token was here ${this.next()}` } } });
      this.expect(op, `PATCH ${path} with the client token`, reply, [403]);
      return;
    }
    const name = this.name('in', `w${this.index} refused`, this.next());
    const reply = await this.send(op, 'POST', '/api/v2/clients', 'client', {
      data: { type: 'client', attributes: { name }, relationships: { parent: { data: { type: 'client', id: this.world.tenant } } } },
    });
    if (this.expect(op, 'POST /api/v2/clients with the client token', reply, [403])) this.refuse([name], op);
  }

  // ---------------------------------------------------------------- writes

  private async createClient(): Promise<void> {
    const op = 'create client';
    const side: Side = this.chance(0.5) ? 'in' : 'out';
    const mine = this.liveClients(side);
    const parent = mine.length === 0 || this.chance(0.2) ? this.top(side) : this.pick(mine)!.id;
    const label = `w${this.index} c${this.next()}`;
    const attributes: Record<string, string | null> = {
      name: this.name(side, label, 0),
      email: this.chance(0.5) ? this.email(label, 0) : null,
      slug: this.chance(0.3) ? this.slug(label, 0) : null,
    };
    const sent = Object.fromEntries(Object.entries(attributes).filter(([, v]) => v !== null));
    const body = { data: { type: 'client', attributes: sent, ...(parent ? { relationships: { parent: { data: { type: 'client', id: parent } } } } : {}) } };
    const reply = await this.send(op, 'POST', '/api/v2/clients', 'admin', body);
    if (!this.expect(op, `POST /api/v2/clients (${label})`, reply, [201])) return;
    const obj = single(reply.doc)!;
    const t = this.track('client', obj, side, label, attributes, parent);
    this.ack(op, 'POST', '/api/v2/clients', reply.status, [t.id]);
    this.verifyObject(op, t, obj);
  }

  private async createOwned(): Promise<void> {
    const op = 'create owned entity';
    const owner = this.pick(this.liveClients());
    if (!owner) return this.createClient();
    const kind = this.pick(OWNED_KINDS)!;
    const short = kind === 'legal-entity' ? 'le' : kind === 'reporting-entity' ? 're' : 'p';
    const label = `w${this.index} ${short}${this.next()}`;
    const attributes = this.ownedAttributes(kind, owner.side, label, 0);
    const path = `/api/v2/${PATHS[kind]}`;
    const body = { data: { type: kind, attributes, relationships: { client: { data: { type: 'client', id: owner.id } } } } };
    const reply = await this.send(op, 'POST', path, 'admin', body);
    if (!this.expect(op, `POST ${path} (${label})`, reply, [201])) return;
    const obj = single(reply.doc)!;
    const t = this.track(kind, obj, owner.side, label, attributes, owner.id);
    this.ack(op, 'POST', path, reply.status, [t.id]);
    this.verifyObject(op, t, obj);
  }

  private async updateClient(): Promise<void> {
    const op = 'update client';
    const x = this.pick(this.liveClients());
    if (!x) return this.createClient();
    const rev = this.next();
    const changes: Record<string, string | null> = { name: this.name(x.side, x.label, rev) };
    if (this.chance(0.3)) changes.email = this.chance(0.2) ? null : this.email(x.label, rev);
    if (this.chance(0.2)) changes.slug = this.chance(0.2) ? null : this.slug(x.label, rev);
    const path = `/api/v2/clients/${x.id}`;
    const mode = this.random();
    const headers: Record<string, string> = {};
    let expected = 200;
    if (mode < 0.2) {
      headers.Prefer = 'return=minimal';
      expected = 204;
    } else if (mode < 0.45 && x.version !== undefined) {
      headers['If-Match'] = `"client:${x.id}:${x.version}"`;
    } else if (mode < 0.55 && x.version !== undefined && x.version > 1) {
      headers['If-Match'] = `"client:${x.id}:${x.version - 1}"`;
      expected = 412;
    }
    const reply = await this.send(op, 'PATCH', path, 'admin', { data: { type: 'client', id: x.id, attributes: changes } }, headers);
    this.uncertain(reply, x);
    if (!this.expect(op, `PATCH ${path}${headers['If-Match'] ? ` If-Match ${headers['If-Match']}` : ''}`, reply, [expected])) return;
    if (expected === 412) return this.checked('stale If-Match refused (412)');
    Object.assign(x.attributes, changes);
    if (x.version !== undefined) x.version++;
    this.ack(op, 'PATCH', path, reply.status, [x.id]);
    if (reply.status === 200) this.verifyObject(op, x, single(reply.doc));
  }

  private async updateOwned(): Promise<void> {
    const op = 'update owned entity';
    const o = this.pick(this.liveOwned());
    if (!o) return this.createOwned();
    const all = this.ownedAttributes(o.kind as OwnedKind, o.side, o.label, this.next());
    const changes = Object.fromEntries(Object.entries(all).filter(([k]) => k === 'name' || this.chance(0.5)));
    const path = `/api/v2/${PATHS[o.kind]}/${o.id}`;
    const headers: Record<string, string> = this.chance(0.3) && o.version !== undefined ? { 'If-Match': `"${o.kind}:${o.id}:${o.version}"` } : {};
    const reply = await this.send(op, 'PATCH', path, 'admin', { data: { type: o.kind, id: o.id, attributes: changes } }, headers);
    this.uncertain(reply, o);
    if (!this.expect(op, `PATCH ${path}`, reply, [200])) return;
    Object.assign(o.attributes, changes);
    if (o.version !== undefined) o.version++;
    this.ack(op, 'PATCH', path, reply.status, [o.id]);
    this.verifyObject(op, o, single(reply.doc));
  }

  /**
   * Moves one of the worker's clients under another of its clients on the same side (or the
   * side's top), through one of four endpoints. A quarter of the time the new parent is the
   * client itself or one of its descendants: the worker knows that is a cycle and expects 409.
   */
  private async reparent(): Promise<void> {
    const op = 'reparent';
    const x = this.pick(this.liveClients());
    if (!x) return this.createClient();
    const below = this.descendantsOf(x.id);
    let target: string | null;
    if (this.chance(0.25)) {
      target = below.size === 0 || this.chance(0.3) ? x.id : this.pick([...below])!;
    } else {
      const candidates = this.liveClients(x.side).filter((c) => c.id !== x.id && !below.has(c.id));
      target = candidates.length > 0 && this.chance(0.7) ? this.pick(candidates)!.id : this.top(x.side);
    }
    const cycle = target !== null && (target === x.id || below.has(target));
    const parentNow = x.parent ? this.clients.get(x.parent) : undefined;
    const ref = target === null ? null : { type: 'client', id: target };
    const way = this.random();
    let method: string;
    let path: string;
    let body: unknown;
    let ok: number;
    let alsoBumped: Tracked | undefined;
    if (x.side === 'out' && parentNow && !parentNow.deleted && way < 0.15 && !cycle) {
      // Out of its parent's children: it becomes a root.
      method = 'DELETE';
      path = `/api/v2/clients/${parentNow.id}/relationships/children`;
      body = { data: [{ type: 'client', id: x.id }] };
      ok = 204;
      target = null;
      alsoBumped = parentNow;
    } else if (way < 0.45) {
      method = 'PATCH';
      path = `/api/v2/clients/${x.id}/relationships/parent`;
      body = { data: ref };
      ok = 204;
    } else if (way < 0.75 || target === null || !this.clients.has(target)) {
      method = 'PATCH';
      path = `/api/v2/clients/${x.id}`;
      body = { data: { type: 'client', id: x.id, relationships: { parent: { data: ref } } } };
      ok = 200;
    } else {
      method = 'POST';
      path = `/api/v2/clients/${target}/relationships/children`;
      body = { data: [{ type: 'client', id: x.id }] };
      ok = 204;
      alsoBumped = this.clients.get(target);
    }
    const reply = await this.send(op, method, path, 'admin', body);
    this.uncertain(reply, x, alsoBumped);
    const what = `${method} ${path} (${x.label} under ${target ?? 'nothing'}${cycle ? ', a cycle' : ''})`;
    if (!this.expect(op, what, reply, [cycle ? 409 : ok])) return;
    if (cycle) {
      this.checked('reparentings refused as a cycle, as predicted (409)');
      const pointer = reply.doc.errors?.[0]?.source?.pointer;
      if (reply.doc.errors?.[0]?.code !== 'conflict' || !pointer) this.mismatch(op, `${what}: 409 without a conflict pointer: ${reply.text.slice(0, 200)}`);
      return;
    }
    x.parent = target;
    this.ack(op, method, path, reply.status, [x.id, ...(alsoBumped ? [alsoBumped.id] : [])]);
    if (method === 'PATCH' && ok === 200) {
      if (x.version !== undefined) x.version++;
      this.verifyObject(op, x, single(reply.doc));
      return;
    }
    if (method === 'PATCH') {
      // A to-one relationship write is one write to the client: version + 1.
      if (x.version !== undefined) x.version++;
    } else {
      // A to-many relationship write counts for its owner (version + 1); the member moved is re-read.
      x.version = undefined;
      if (alsoBumped && alsoBumped.version !== undefined) alsoBumped.version++;
    }
    await this.readBack(op, x);
    await this.readBack(op, alsoBumped);
  }

  private async moveOwned(): Promise<void> {
    const op = 'move owned entity';
    const o = this.pick(this.liveOwned());
    if (!o) return this.createOwned();
    const to = this.pick(this.liveClients(o.side).filter((c) => c.id !== o.owner));
    if (!to) return this.createClient();
    const ref = { type: 'client', id: to.id };
    const way = this.random();
    let method: string;
    let path: string;
    let body: unknown;
    let ok = 204;
    if (way < 0.4) {
      method = 'PATCH';
      path = `/api/v2/${PATHS[o.kind]}/${o.id}/relationships/client`;
      body = { data: ref };
    } else if (way < 0.7) {
      method = 'PATCH';
      path = `/api/v2/${PATHS[o.kind]}/${o.id}`;
      body = { data: { type: o.kind, id: o.id, relationships: { client: { data: ref } } } };
      ok = 200;
    } else {
      method = 'POST';
      path = `/api/v2/clients/${to.id}/relationships/${OWNED_RELATIONSHIP[o.kind as OwnedKind]}`;
      body = { data: [{ type: o.kind, id: o.id }] };
    }
    const reply = await this.send(op, method, path, 'admin', body);
    this.uncertain(reply, o, method === 'POST' ? to : undefined);
    if (!this.expect(op, `${method} ${path} (${o.label} to ${to.label})`, reply, [ok])) return;
    o.owner = to.id;
    this.ack(op, method, path, reply.status, [o.id, ...(method === 'POST' ? [to.id] : [])]);
    if (method === 'PATCH') {
      if (o.version !== undefined) o.version++;
      if (ok === 200) return void this.verifyObject(op, o, single(reply.doc));
      return this.readBack(op, o);
    }
    o.version = undefined;
    if (to.version !== undefined) to.version++;
    await this.readBack(op, o);
    await this.readBack(op, to);
  }

  /** Owned entities cannot be orphaned: removing one from its owner is 403, a null owner 422. Nothing changes. */
  private async orphan(): Promise<void> {
    const op = 'orphaning refused';
    const o = this.pick(this.liveOwned());
    if (!o || !o.owner) return this.createOwned();
    if (this.chance(0.5)) {
      const path = `/api/v2/clients/${o.owner}/relationships/${OWNED_RELATIONSHIP[o.kind as OwnedKind]}`;
      const reply = await this.send(op, 'DELETE', path, 'admin', { data: [{ type: o.kind, id: o.id }] });
      this.uncertain(reply, o, this.clients.get(o.owner));
      this.expect(op, `DELETE ${path}`, reply, [403]);
    } else {
      const path = `/api/v2/${PATHS[o.kind]}/${o.id}/relationships/client`;
      const reply = await this.send(op, 'PATCH', path, 'admin', { data: null });
      this.uncertain(reply, o);
      this.expect(op, `PATCH ${path} to null`, reply, [422]);
    }
    await this.readBack(op, o);
  }

  /**
   * One atomic request: a client, a child of it (by lid), a legal entity of the child and a
   * project of the parent; half the time also a name change of a shared client with the
   * version just read as meta.version (412 when another worker wrote first: then none of it
   * may exist).
   */
  private async atomicAdd(): Promise<void> {
    const op = 'atomic add';
    const side: Side = this.chance(0.5) ? 'in' : 'out';
    const mine = this.liveClients(side);
    const parent = mine.length === 0 || this.chance(0.3) ? this.top(side) : this.pick(mine)!.id;
    const n = this.next();
    const labels = { a: `w${this.index} c${n}a`, b: `w${this.index} c${n}b`, le: `w${this.index} le${n}`, p: `w${this.index} p${n}` };
    const attrs = {
      a: { name: this.name(side, labels.a, 0), email: this.email(labels.a, 0), slug: null } as Record<string, string | null>,
      b: { name: this.name(side, labels.b, 0), email: null, slug: null } as Record<string, string | null>,
      le: { name: this.name(side, labels.le, 0), registrationNumber: null, country: this.pick(COUNTRIES)! } as Record<string, string | null>,
      p: { name: this.name(side, labels.p, 0) } as Record<string, string | null>,
    };
    const operations: unknown[] = [
      { op: 'add', data: { type: 'client', lid: 'a', attributes: { name: attrs.a.name, email: attrs.a.email }, ...(parent ? { relationships: { parent: { data: { type: 'client', id: parent } } } } : {}) } },
      { op: 'add', data: { type: 'client', lid: 'b', attributes: { name: attrs.b.name }, relationships: { parent: { data: { type: 'client', lid: 'a' } } } } },
      { op: 'add', data: { type: 'legal-entity', attributes: { name: attrs.le.name, country: attrs.le.country }, relationships: { client: { data: { type: 'client', lid: 'b' } } } } },
      { op: 'add', data: { type: 'project', attributes: { name: attrs.p.name }, relationships: { client: { data: { type: 'client', lid: 'a' } } } } },
    ];
    let shared: { client: SharedClient; version: number; name: string } | undefined;
    if (this.chance(0.5)) {
      const s = this.pick(this.world.shared)!;
      const path = `/api/v2/clients/${s.id}`;
      const read = await this.send(op, 'GET', path, 'admin');
      const version = single(read.doc)?.meta?.version;
      if (this.expect(op, path, read, [200]) && typeof version === 'number') {
        shared = { client: s, version, name: this.sharedName(s, n) };
        operations.push({ op: 'update', data: { type: 'client', id: s.id, attributes: { name: shared.name } }, meta: { version } });
      }
    }
    const reply = await this.send(op, 'POST', '/api/v2/operations', 'admin', { 'atomic:operations': operations }, { Accept: ATOMIC }, ATOMIC);
    this.uncertain(reply, shared?.client);
    const names = [attrs.a, attrs.b, attrs.le, attrs.p].map((x) => String(x.name));
    if (!this.expect(op, `POST /api/v2/operations (${labels.a}${shared ? ` + shared ${shared.client.index} at version ${shared.version}` : ''})`, reply, shared ? [200, 412] : [200])) return;
    if (reply.status === 412) {
      const pointer = reply.doc.errors?.[0]?.source?.pointer;
      if (pointer !== '/atomic:operations/4') this.mismatch(op, `412 with pointer ${String(pointer)} instead of /atomic:operations/4`);
      this.refuse(names, op);
      this.checked('atomic requests refused whole (412 or 422)');
      return;
    }
    const results = reply.doc['atomic:results'] ?? [];
    const objects = results.map((r) => r.data);
    if (objects.length !== operations.length || objects.slice(0, 4).some((o) => !o)) {
      this.mismatch(op, `atomic:results has ${objects.length} results for ${operations.length} operations`);
      return;
    }
    const [oa, ob, ole, op4] = objects as ResourceObject[];
    const a = this.track('client', oa, side, labels.a, attrs.a, parent);
    const b = this.track('client', ob, side, labels.b, attrs.b, a.id);
    const le = this.track('legal-entity', ole, side, labels.le, attrs.le, b.id);
    const p = this.track('project', op4, side, labels.p, attrs.p, a.id);
    // Each at version 1: creating a child or an owned entity is a write to the new row only.
    for (const [t, obj] of [[a, oa], [b, ob], [le, ole], [p, op4]] as const) this.verifyObject(op, t, obj);
    if (shared) {
      shared.client.acks.push({ version: shared.version + 1, name: shared.name, worker: this.index, op });
      this.note(objects[4], shared.version + 1);
    }
    this.ack(op, 'POST', '/api/v2/operations', reply.status, [a.id, b.id, le.id, p.id, ...(shared ? [shared.client.id] : [])]);
  }

  /** An atomic request whose second operation is invalid: 422, and its first operation must not have happened. */
  private async atomicRefused(): Promise<void> {
    const op = 'atomic refused';
    const n = this.next();
    const side: Side = this.chance(0.5) ? 'in' : 'out';
    const names = [this.name(side, `w${this.index} c${n}x`, 0), this.name(side, `w${this.index} le${n}x`, 0)];
    const operations = [
      { op: 'add', data: { type: 'client', lid: 'x', attributes: { name: names[0] }, relationships: { parent: { data: { type: 'client', id: side === 'in' ? this.world.tenant : this.world.outside } } } } },
      { op: 'add', data: { type: 'legal-entity', attributes: { name: names[1], country: 'XX' }, relationships: { client: { data: { type: 'client', lid: 'x' } } } } },
    ];
    const reply = await this.send(op, 'POST', '/api/v2/operations', 'admin', { 'atomic:operations': operations }, { Accept: ATOMIC }, ATOMIC);
    if (!this.expect(op, 'POST /api/v2/operations with country XX', reply, [422])) return;
    const pointer = reply.doc.errors?.[0]?.source?.pointer;
    if (!pointer?.startsWith('/atomic:operations/1/')) this.mismatch(op, `422 with pointer ${String(pointer)} instead of one inside /atomic:operations/1`);
    this.refuse(names, op);
    this.checked('atomic requests refused whole (412 or 422)');
  }

  /** Deletes an owned entity, a client with nothing below it (204), or one that still has something (409 naming it). */
  private async remove(): Promise<void> {
    const op = 'delete';
    const owned = this.liveOwned();
    if (owned.length > 0 && this.chance(0.45)) {
      const o = this.pick(owned)!;
      const path = `/api/v2/${PATHS[o.kind]}/${o.id}`;
      const headers: Record<string, string> = this.chance(0.3) && o.version !== undefined ? { 'If-Match': `"${o.kind}:${o.id}:${o.version}"` } : {};
      const reply = await this.send(op, 'DELETE', path, 'admin', undefined, headers);
      this.uncertain(reply, o);
      if (!this.expect(op, `DELETE ${path}`, reply, [204])) return;
      o.deleted = true;
      this.ack(op, 'DELETE', path, reply.status, [o.id]);
      return;
    }
    const clients = this.liveClients();
    const blockersOf = (c: Tracked) => {
      const list: string[] = [];
      if (this.childrenOf(c.id).length > 0) list.push('children');
      for (const kind of OWNED_KINDS) if (this.ownedOf(c.id, kind).length > 0) list.push(OWNED_RELATIONSHIP[kind]);
      return list;
    };
    const leaves = clients.filter((c) => blockersOf(c).length === 0);
    const x = leaves.length > 0 && this.chance(0.75) ? this.pick(leaves) : this.pick(clients);
    if (!x) return this.createClient();
    const blockers = blockersOf(x);
    const path = `/api/v2/clients/${x.id}`;
    const reply = await this.send(op, 'DELETE', path, 'admin');
    this.uncertain(reply, x);
    if (!this.expect(op, `DELETE ${path} (${x.label}${blockers.length ? `, has ${blockers.join(', ')}` : ''})`, reply, [blockers.length > 0 ? 409 : 204])) return;
    if (blockers.length > 0) {
      this.checked('deletes refused naming the predicted blockers (409)');
      const named = (reply.doc.errors ?? []).map((e) => e.meta?.relationship);
      if (!sameSet(named.map(String), blockers)) this.mismatch(op, `DELETE ${path}: 409 names [${named.join(',')}] instead of [${blockers.join(',')}]`);
      return;
    }
    x.deleted = true;
    this.ack(op, 'DELETE', path, reply.status, [x.id]);
  }

  /** A create, or a rename of the email, onto an email another client holds, in another case: 409, nothing changes. */
  private async duplicateEmail(): Promise<void> {
    const op = 'duplicate email';
    const holder = this.pick(this.liveClients().filter((c) => c.attributes.email));
    if (!holder) return this.createClient();
    const email = holder.attributes.email!.toUpperCase();
    const other = this.pick(this.liveClients().filter((c) => c.id !== holder.id));
    if (other && this.chance(0.5)) {
      const path = `/api/v2/clients/${other.id}`;
      const reply = await this.send(op, 'PATCH', path, 'admin', { data: { type: 'client', id: other.id, attributes: { email } } });
      this.uncertain(reply, other);
      this.expect(op, `PATCH ${path} with ${email}`, reply, [409]);
      return this.readBack(op, other);
    }
    const name = this.name('out', `w${this.index} dup${this.next()}`, 0);
    const reply = await this.send(op, 'POST', '/api/v2/clients', 'admin', { data: { type: 'client', attributes: { name, email } } });
    if (!this.expect(op, `POST /api/v2/clients with ${email}`, reply, [409])) return;
    if (reply.doc.errors?.[0]?.source?.pointer !== '/data/attributes/email') this.mismatch(op, `409 pointer ${String(reply.doc.errors?.[0]?.source?.pointer)}`);
    this.refuse([name], op);
  }

  private sharedName(s: SharedClient, n: number): string {
    return `soak ${this.world.tag} ${marker('in')} shared${s.index} w${this.index} n${n}`;
  }

  /** Notes (not a failure) when a 200 to a versioned write shows a later version than the write made. */
  private note(obj: ResourceObject | undefined, made: number): void {
    const shown = obj?.meta?.version;
    if (typeof shown === 'number' && shown !== made) {
      const key = 'a 200 to a versioned write on a shared client showed a later version than the write produced';
      this.world.notes.set(key, (this.world.notes.get(key) ?? 0) + 1);
    }
  }

  /** GET a shared client, then PATCH its name with If-Match: 200, or 412 when another worker wrote first. */
  private async sharedUpdate(): Promise<void> {
    const op = 'shared: If-Match update';
    const s = this.pick(this.world.shared)!;
    const path = `/api/v2/clients/${s.id}`;
    const read = await this.send(op, 'GET', path, 'admin');
    if (!this.expect(op, `GET ${path}`, read, [200])) return;
    const etag = read.headers.etag;
    const version = single(read.doc)?.meta?.version;
    if (typeof etag !== 'string' || typeof version !== 'number' || etag !== `"client:${s.id}:${version}"`) {
      this.mismatch(op, `GET ${path}: ETag ${String(etag)} for version ${String(version)}`);
      return;
    }
    const name = this.sharedName(s, this.next());
    const reply = await this.send(op, 'PATCH', path, 'admin', { data: { type: 'client', id: s.id, attributes: { name } } }, { 'If-Match': etag });
    this.uncertain(reply, s);
    if (!this.expect(op, `PATCH ${path} If-Match ${etag}`, reply, [200, 412])) return;
    if (reply.status === 412) return this.checked('If-Match conflicts on shared clients (412)');
    s.acks.push({ version: version + 1, name, worker: this.index, op });
    this.ack(op, 'PATCH', path, reply.status, [s.id]);
    this.note(single(reply.doc), version + 1);
  }

  /** Moves a shared client under another shared client or the tenant: 204, or 409 when that would close a cycle. */
  private async sharedReparent(): Promise<void> {
    const op = 'shared: reparent';
    const s = this.pick(this.world.shared)!;
    const to = this.chance(0.25) ? this.world.tenant : this.pick(this.world.shared)!.id;
    const viaChildren = to !== this.world.tenant && this.chance(0.4);
    const path = viaChildren ? `/api/v2/clients/${to}/relationships/children` : `/api/v2/clients/${s.id}/relationships/parent`;
    const body = viaChildren ? { data: [{ type: 'client', id: s.id }] } : { data: { type: 'client', id: to } };
    const method = viaChildren ? 'POST' : 'PATCH';
    const reply = await this.send(op, method, path, 'admin', body);
    if (!this.expect(op, `${method} ${path} (shared ${s.index} under ${to})`, reply, to === s.id ? [409] : [204, 409])) return;
    if (reply.status === 204) this.ack(op, method, path, reply.status, [s.id, ...(viaChildren ? [to] : [])]);
  }

  /** The flat surface: a create (a root, outside) or a rename of one of the worker's clients. */
  private async flatWrites(): Promise<void> {
    const op = 'flat writes';
    const x = this.pick(this.liveClients());
    if (x && this.chance(0.5)) {
      const name = this.name(x.side, x.label, this.next());
      const path = `/api/clients/client_${x.id}`;
      const reply = await this.send(op, 'PATCH', path, 'admin', { name }, { Accept: FLAT }, FLAT);
      this.uncertain(reply, x);
      if (!this.expect(op, `PATCH ${path}`, reply, [200])) return;
      x.attributes.name = name;
      if (x.version !== undefined) x.version++;
      this.ack(op, 'PATCH', path, reply.status, [x.id]);
      const flat = reply.doc.data as { name?: string } | undefined;
      if (flat?.name !== name) this.mismatch(op, `${path}: name ${JSON.stringify(flat?.name)} instead of ${JSON.stringify(name)}`);
      return;
    }
    const label = `w${this.index} c${this.next()}f`;
    const attributes = { name: this.name('out', label, 0), email: this.email(label, 0), slug: null };
    const reply = await this.send(op, 'POST', '/api/clients', 'admin', { name: attributes.name, email: attributes.email, projects: [] }, { Accept: FLAT }, FLAT);
    if (!this.expect(op, `POST /api/clients (${label})`, reply, [201])) return;
    const flat = reply.doc.data as { id?: string } | undefined;
    const id = flat?.id?.replace(/^client_/, '');
    if (!id) return this.mismatch(op, `POST /api/clients answered without an id: ${reply.text.slice(0, 200)}`);
    const t = this.track('client', { type: 'client', id }, 'out', label, attributes, null);
    this.ack(op, 'POST', '/api/clients', reply.status, [t.id]);
  }
}
