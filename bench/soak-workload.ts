import { ATOMIC, ResourceObject } from './soak-http';
import { marker, OWNED_KINDS, OWNED_RELATIONSHIP, PATHS, SharedClient, Side, Tracked } from './soak-model';
import { COUNTRIES, FLAT, Op, sameSet, single, World } from './soak-worker-core';
import { WritingWorker } from './soak-writes';

export type { World };

/**
 * The soak's workers. Each one loops until the deadline, picking an operation at random by
 * weight: reads as admin and as the client token, creates, updates (with and without
 * If-Match), reparenting, moves of owned entities, atomic operations, deletes, and writes on a
 * few shared clients that every worker contends for. Every answer is checked against what the
 * worker expects (a cycle it knows it asked for must be 409, a delete of a client that still
 * owns something must be 409, a stale If-Match must be 412, a client token must never see an
 * outside resource, a worker's own resources must read back as it last wrote them), and every
 * acknowledged write is recorded for the verification at the end.
 *
 * This file holds the operation table, the atomic requests, deletes, contended writes on the
 * shared clients and flat writes; the other operations are in soak-reads.ts and soak-writes.ts,
 * the helpers they share in soak-worker-core.ts.
 */

export class Worker extends WritingWorker {
  private readonly ops: readonly Op[];
  private readonly totalWeight: number;

  constructor(index: number, world: World, seed: number) {
    super(index, world, seed);
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
      {
        op: 'add',
        data: { type: 'client', lid: 'a', attributes: { name: attrs.a.name, email: attrs.a.email }, ...(parent ? { relationships: { parent: { data: { type: 'client', id: parent } } } } : {}) },
      },
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
    for (const [t, obj] of [
      [a, oa],
      [b, ob],
      [le, ole],
      [p, op4],
    ] as const)
      this.verifyObject(op, t, obj);
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
      {
        op: 'add',
        data: { type: 'client', lid: 'x', attributes: { name: names[0] }, relationships: { parent: { data: { type: 'client', id: side === 'in' ? this.world.tenant : this.world.outside } } } },
      },
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
