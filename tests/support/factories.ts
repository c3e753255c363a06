import { randomBytes } from 'node:crypto';
import { api, Harness } from './harness';

/** Small factories that create data through the API itself, as an admin. */
let seq = 0;

/** What a factory POSTs a document to: the in-process harness, or a listening service (http-client.ts viaHttp). */
export type Target = Harness | ((url: string, document: unknown) => Promise<{ status: number; body: any }>);

function post(target: Target, url: string, document: unknown): Promise<{ status: number; body: any }> {
  return typeof target === 'function'
    ? target(url, document)
    : api(target)
        .post(url, document)
        .then((res) => res);
}

export async function makeClient(h: Target, attrs: Record<string, unknown> = {}, parentId?: string | null): Promise<string> {
  seq++;
  const body = {
    data: {
      type: 'client',
      attributes: { name: `Client ${seq}`, ...attrs },
      ...(parentId ? { relationships: { parent: { data: { type: 'client', id: parentId } } } } : {}),
    },
  };
  const res = await post(h, '/api/v2/clients', body);
  if (res.status !== 201) throw new Error(`makeClient failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data.id as string;
}

export async function makeOwned(h: Target, path: 'legal-entities' | 'reporting-entities' | 'projects', clientId: string, attrs: Record<string, unknown> = {}): Promise<string> {
  seq++;
  const type = { 'legal-entities': 'legal-entity', 'reporting-entities': 'reporting-entity', projects: 'project' }[path];
  const res = await post(h, `/api/v2/${path}`, {
    data: { type, attributes: { name: `${type} ${seq}`, ...attrs }, relationships: { client: { data: { type: 'client', id: clientId } } } },
  });
  if (res.status !== 201) throw new Error(`makeOwned failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data.id as string;
}

/**
 * A small forest used by tenancy tests:
 *   rootA ── childA1 ── grandA
 *        └─ childA2
 *   rootB ── childB1
 * each client with one legal entity, one reporting entity and one project.
 */
export interface Forest {
  rootA: string;
  childA1: string;
  childA2: string;
  grandA: string;
  rootB: string;
  childB1: string;
  owned: Record<string, { legalEntity: string; reportingEntity: string; project: string }>;
}

export async function makeForest(h: Harness): Promise<Forest> {
  const rootA = await makeClient(h, { name: 'Root A' });
  const childA1 = await makeClient(h, { name: 'Child A1' }, rootA);
  const childA2 = await makeClient(h, { name: 'Child A2' }, rootA);
  const grandA = await makeClient(h, { name: 'Grand A' }, childA1);
  const rootB = await makeClient(h, { name: 'Root B' });
  const childB1 = await makeClient(h, { name: 'Child B1' }, rootB);
  const owned: Forest['owned'] = {};
  for (const id of [rootA, childA1, childA2, grandA, rootB, childB1]) {
    owned[id] = {
      legalEntity: await makeOwned(h, 'legal-entities', id),
      reportingEntity: await makeOwned(h, 'reporting-entities', id),
      project: await makeOwned(h, 'projects', id),
    };
  }
  return { rootA, childA1, childA2, grandA, rootB, childB1, owned };
}

/**
 * A well-formed id that names nothing: with a `seed`, the same id every call (a test can name it
 * twice); without, 12 random bytes (a clash with a real id is negligible). Real ids start with a
 * timestamp, never with `f` before the year 2100.
 */
export function unusedId(seed?: number): string {
  if (seed === undefined) return randomBytes(12).toString('hex');
  return `${'0'.repeat(23)}${seed}`.slice(-24).replace(/^0/, 'f');
}
