import { OWNED_KINDS, OWNED_RELATIONSHIP, PATHS, marker } from './soak-model';
import { ResourceObject } from './soak-http';
import { FLAT, many, OUT_Q, pathOf, sameSet, single, WorkerCore } from './soak-worker-core';

/**
 * The soak's reads: as the admin (lists, keyset walks, the worker's own resources read back as
 * it last wrote them, descendants, related and linkage, If-None-Match, the flat surface) and as
 * the client token (every resource shown must be inside; outside ones answer 404; writes 403).
 */
export abstract class ReadingWorker extends WorkerCore {
  // ---------------------------------------------------------------- reads, admin

  protected async listPageNumber(): Promise<void> {
    const op = 'list by page number';
    const page = 1 + Math.floor(this.random() * 5);
    const sort = this.pick(['-createdAt', 'name', '-updatedAt,name', 'parent.name'])!;
    const path = `/api/v2/clients?sort=${sort}&page[number]=${page}&page[size]=20`;
    const reply = await this.send(op, 'GET', path, 'admin');
    if (!this.expect(op, path, reply, [200])) return;
    const total = (reply.doc.meta?.page as { total?: number } | undefined)?.total;
    if (typeof total !== 'number' || many(reply.doc).length > 20) this.mismatch(op, `${path}: meta.page.total ${String(total)}, ${many(reply.doc).length} rows`);
  }

  protected async listIncludeFilter(): Promise<void> {
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
  protected async keysetWalk(who: 'admin' | 'client'): Promise<void> {
    const op = who === 'admin' ? 'keyset walk' : 'client: keyset walk';
    const byId = this.chance(0.7);
    const first = this.chance(0.15) ? `/api/v2/clients?page[size]=50&page[before]=` : `/api/v2/clients?page[size]=50${byId ? '' : '&sort=name'}&page[after]=`;
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

  protected async readOwnClient(): Promise<void> {
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

  protected async readOwnOwned(): Promise<void> {
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

  protected async descendants(): Promise<void> {
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

  protected async relatedAndLinkage(): Promise<void> {
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
      if (
        !sameSet(
          rows.map((r) => r.id),
          want,
        )
      )
        this.mismatch(op, `${related}: [${rows.map((r) => r.id).join(',')}] instead of [${want.join(',')}]`);
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

  protected async notModified(): Promise<void> {
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

  protected async ownedList(): Promise<void> {
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

  protected async flatReads(): Promise<void> {
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
  protected assertInside(op: string, rows: readonly ResourceObject[], path: string): void {
    this.checked('resources shown to the client token, each checked inside', rows.length);
    for (const r of rows) {
      const name = r.attributes?.name;
      if (typeof name !== 'string' || !name.includes(marker('in'))) {
        this.world.problems.add('scope leak', `${op}: ${path} showed ${r.type} ${r.id} named ${JSON.stringify(name)}`);
      }
    }
  }

  protected async clientIncludeList(): Promise<void> {
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

  protected async clientReadOwn(): Promise<void> {
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

  protected async clientTenant(): Promise<void> {
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
    if (
      !sameSet(
        rows.map((r) => r.id),
        chain,
      )
    )
      this.mismatch(op, `${path}: [${rows.map((r) => r.id).join(',')}] instead of [${chain.join(',')}]`);
  }

  protected async clientOwnedList(): Promise<void> {
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

  protected async clientFlat(): Promise<void> {
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

  protected async clientWrite(): Promise<void> {
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
}
