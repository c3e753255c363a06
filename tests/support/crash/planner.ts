import type { Rng } from '../../../bench/prng';
import { httpRequest, HttpResponse } from '../http-client';
import { ATOMIC_MEDIA_TYPE, FLAT_JSON, JSONAPI } from '../media-types';
import type { ServerProcess } from '../server-process';
import { CreateEffect, DeleteEffect, Kind, Model, PATH, UpdateEffect, Write } from './model';

/**
 * The crash test's planner: each worker's next write, chosen at random among those its
 * territory allows, with the status the model predicts (a reparent that would make a cycle is
 * 409, an atomic request with a bad country 422, a delete of a client that still has something
 * 409), and how it is sent and read back.
 */

export function int(rng: Rng, min: number, max: number): number {
  return min + Math.floor(rng() * (max - min + 1));
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[Math.floor(rng() * items.length)];
}

const COUNTRIES = ['FR', 'DE', 'SE', 'MG', 'US', 'JP', 'BR'];

export function describeWrite(write: Write): string {
  const body = write.body === undefined ? '' : ` ${JSON.stringify(write.body)}`;
  return `${write.label} [${write.action}] ${write.method} ${write.url}${body.length > 900 ? body.slice(0, 900) + '…' : body} (expected ${write.expect})`;
}

export interface Planner {
  readonly model: Model;
  readonly worker: number;
  readonly tag: string;
  rng: Rng;
  round: number;
  seq: number;
}

/** The next write of a worker: chosen at random among those its territory allows. */
export function planWrite(p: Planner): Write {
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

export function sendWrite(server: ServerProcess, token: string, write: Write): Promise<HttpResponse> {
  const auth = { Authorization: `Bearer ${token}` };
  const body = write.body === undefined ? undefined : JSON.stringify(write.body);
  switch (write.surface) {
    case 'atomic':
      return httpRequest(server, write.method, write.url, { ...auth, Accept: ATOMIC_MEDIA_TYPE, 'Content-Type': ATOMIC_MEDIA_TYPE }, body);
    case 'flat':
      return httpRequest(server, write.method, write.url, { ...auth, Accept: FLAT_JSON, 'Content-Type': FLAT_JSON }, body);
    default:
      return httpRequest(
        server,
        write.method,
        write.url,
        {
          ...auth,
          Accept: JSONAPI,
          ...(body === undefined ? {} : { 'Content-Type': JSONAPI }),
          ...(write.headers ?? {}),
        },
        body,
      );
  }
}

/** The ids the answer of an acknowledged write gives its creates, checked against their names. */
export function createdIds(write: Write, res: HttpResponse): string[] {
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
