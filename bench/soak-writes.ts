import { OWNED_KINDS, OWNED_RELATIONSHIP, OwnedKind, PATHS, Side, Tracked } from './soak-model';
import { ReadingWorker } from './soak-reads';
import { single } from './soak-worker-core';

/**
 * The soak's writes on a worker's own resources: creates, updates (with and without If-Match,
 * stale ones 412), reparenting through four endpoints (a cycle the worker asked for is 409),
 * moves of owned entities, and orphaning refused (403, 422).
 */
export abstract class WritingWorker extends ReadingWorker {
  // ---------------------------------------------------------------- writes

  protected async createClient(): Promise<void> {
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

  protected async createOwned(): Promise<void> {
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

  protected async updateClient(): Promise<void> {
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

  protected async updateOwned(): Promise<void> {
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
  protected async reparent(): Promise<void> {
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

  protected async moveOwned(): Promise<void> {
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
  protected async orphan(): Promise<void> {
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
}
