import fc from 'fast-check';
import { insertToken } from '../../src/data/token-store';
import type { Response } from 'supertest';
import { api, flat, Harness } from './harness';
import { Forest, makeClient, makeOwned } from './factories';
import { registry } from '../../src/resources/registry';
import { ResourceDef } from '../../src/resources/types';

/** Helpers shared by the tenancy tests (matrix, property, subdomain). */

const HEX24 = /[0-9a-f]{24}/g;

/** Every 24-hex substring of a text (ids, bare or `client_`/`proj_` prefixed, in URLs and bodies). */
export function hexIdsIn(text: string): Set<string> {
  return new Set(text.toLowerCase().match(HEX24) ?? []);
}

export type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface Sent {
  readonly method: Method;
  readonly url: string;
  readonly body?: unknown;
  readonly res: Response;
}

/** One request on /api/v2 (JSON:API) or /api/clients (flat), by URL prefix. */
export async function send(h: Harness, token: string, method: Method, url: string, body?: unknown, host?: string): Promise<Sent> {
  const surface = url.startsWith('/api/clients') ? flat(h, token) : api(h, token);
  let t;
  if (method === 'GET') t = surface.get(url);
  else if (method === 'DELETE') t = surface.delete(url);
  else if (method === 'POST') t = surface.post(url, body as never);
  else t = surface.patch(url, body as never);
  if (host !== undefined) t = t.set('Host', host);
  const res = await t;
  return { method, url, body, res };
}

/**
 * Asserts the raw body text names no id of `all` outside `visible`, other than ids the request
 * itself named (in its URL or body); a failure lists the leaked ids.
 */
export function expectNoHiddenIdLeaked(sent: Sent, all: ReadonlySet<string>, visible: ReadonlySet<string>): void {
  const named = new Set([...hexIdsIn(sent.url), ...hexIdsIn(sent.body === undefined ? '' : JSON.stringify(sent.body))]);
  const text = sent.res.text ?? '';
  const leaked = [...all].filter((id) => !visible.has(id) && !named.has(id) && text.toLowerCase().includes(id));
  expect({ request: `${sent.method} ${sent.url}`, leaked }).toEqual({ request: `${sent.method} ${sent.url}`, leaked: [] });
}

/**
 * Asserts that the request naming the hidden id `hidden` answered exactly as the same request
 * naming `missing` (an id that never existed): same status, content type, and body apart from
 * the id itself.
 */
export function expectSameAsMissing(hiddenSent: Sent, missingSent: Sent, hidden: string, missing: string): void {
  const label = `${hiddenSent.method} ${hiddenSent.url}`;
  const normalise = (s: Sent, id: string) => ({
    request: label,
    status: s.res.status,
    contentType: s.res.headers['content-type'],
    // supertest serves each request on a fresh port: links differ only by it.
    body: (s.res.text ?? '')
      .split(id)
      .join('<ID>')
      .replace(/\/\/127\.0\.0\.1:\d+\//g, '//<HOST>/'),
  });
  expect(normalise(hiddenSent, hidden)).toEqual(normalise(missingSent, missing));
}

/** Every id a value (URL, body) mentions, swapped for another: to replay a request on a missing id. */
export function swapId<T>(value: T, from: string, to: string): T {
  if (value === undefined) return value;
  return JSON.parse(JSON.stringify(value).split(from).join(to)) as T;
}

/** The owned entity id of `type` in makeForest's `owned` map (`legal-entity` → `legalEntity`). */
export function ownedKey(type: string): string {
  return type.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
}

export function forestClients(f: Forest): string[] {
  return [f.rootA, f.childA1, f.childA2, f.grandA, f.rootB, f.childB1];
}

/** Ids of `def` owned by (or being) the given clients, from the forest. */
export function forestIdsOf(f: Forest, def: ResourceDef, clients: readonly string[]): string[] {
  if (def.scope.kind === 'client-self') return [...clients];
  if (def.scope.kind === 'owner') {
    return clients.map((c) => {
      const id = (f.owned[c] as Record<string, string> | undefined)?.[ownedKey(def.type)];
      if (!id) throw new Error(`makeForest has no ${def.type} for client ${c}: extend the forest for this registry type`);
      return id;
    });
  }
  return [];
}

/** Every forest id (clients and everything they own). */
export function allForestIds(f: Forest): Set<string> {
  const all = new Set<string>();
  for (const def of registry.resources) for (const id of forestIdsOf(f, def, forestClients(f))) all.add(id);
  return all;
}

export function ids(data: unknown): string[] {
  if (data === null || data === undefined) return [];
  if (Array.isArray(data)) return data.map((d: { id: string }) => d.id);
  return [(data as { id: string }).id];
}

// ---- random forests for the property tests -------------------------------------------------

/** A forest: parent choices (null: a root), owned entities, and which client the token belongs to. */
export const forestArb = fc.record({
  parents: fc.array(fc.option(fc.nat(), { nil: null, freq: 4 }), { minLength: 5, maxLength: 25 }),
  ownedEntities: fc.array(fc.record({ client: fc.nat(), type: fc.nat() }), { maxLength: 12 }),
  tokenClient: fc.nat(),
});
export type ForestSpec = typeof forestArb extends fc.Arbitrary<infer T> ? T : never;

export interface ForestModel {
  /** Clients in creation order (parents first). */
  clients: string[];
  parent: Map<string, string | null>;
  /** type → id → owner client (clients own themselves). */
  owner: Map<string, Map<string, string>>;
  /** Every id the token may see. */
  visible: Set<string>;
  tokenClient: string;
  token: { id: string; secret: string };
}

/** Builds the forest through the API as the admin, and a client token for one of its clients. */
export async function buildRandomForest(h: Harness, forest: ForestSpec): Promise<ForestModel> {
  const owned = registry.resources.filter((d) => d.scope.kind === 'owner');
  const clients: string[] = [];
  const parent = new Map<string, string | null>();
  const owner = new Map<string, Map<string, string>>([['client', new Map()]]);
  for (const d of owned) owner.set(d.type, new Map());
  for (let i = 0; i < forest.parents.length; i++) {
    const choice = forest.parents[i];
    const p = i === 0 || choice === null ? null : clients[choice % i];
    const id = await makeClient(h, { name: `P${i}` }, p);
    clients.push(id);
    parent.set(id, p);
    owner.get('client')!.set(id, id);
  }
  for (const o of forest.ownedEntities) {
    const def = owned[o.type % owned.length];
    const ownerId = clients[o.client % clients.length];
    owner.get(def.type)!.set(await makeOwned(h, def.path as 'projects', ownerId), ownerId);
  }
  const tokenClient = clients[forest.tokenClient % clients.length];
  const subtree = new Set([tokenClient]);
  // Clients are created parents-first, so one pass in creation order finds the subtree.
  for (const c of clients) {
    const p = parent.get(c);
    if (p && subtree.has(p)) subtree.add(c);
  }
  const visible = new Set<string>();
  for (const [, byId] of owner) for (const [id, ownerId] of byId) if (subtree.has(ownerId)) visible.add(id);
  const token = await insertToken(h.db, 'property token', 'client', tokenClient);
  return { clients, parent, owner, visible, tokenClient, token };
}
