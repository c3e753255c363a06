import fc from 'fast-check';
import request from 'supertest';
import { registry } from '../../src/resources/registry';
import { ResourceDef } from '../../src/resources/types';
import { makeClient, makeOwned } from '../support/factories';
import { expectCleanAnswer, fingerprint, FUZZ, mutate, mutationArb } from '../support/fuzz-helpers';
import { Harness, JSONAPI, startHarness } from '../support/harness';
import { ATOMIC_MEDIA_TYPE } from '../support/media-types';

/**
 * Fuzzing every write endpoint: valid documents mutated at random (members deleted,
 * replaced by hostile values, wrapped, nulled, added), and bodies that are not JSON at all, sent
 * to every create, update and relationship endpoint of every type, the atomic endpoint and the
 * flat surface. Property: never a 5xx; an error answer is an error document with a contract
 * code; and a rejected request leaves the database exactly as it was.
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

let h: Harness;
/** An existing id of each type, made once; fuzzing may change them but never deletes clients with children. */
const existing: Record<string, string> = {};

const SAMPLE: Record<string, Json> = {
  name: 'Fuzz',
  email: 'fuzz@example.com',
  slug: 'fuzz',
  registrationNumber: 'R-1',
  country: 'FR',
  currency: 'EUR',
  role: 'client',
};

function identifier(type: string): Json {
  return { type, id: existing[type] };
}

function relationshipsOf(def: ResourceDef, isCreate: boolean): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const rel of def.relationships) {
    if (rel.kind === 'to-one' && (isCreate || rel.updatable)) out[rel.name] = { data: identifier(rel.target) };
    if (rel.kind === 'to-many') out[rel.name] = { data: [] };
  }
  return out;
}

function createDocument(def: ResourceDef): Json {
  const attributes = Object.fromEntries(def.attributes.filter((a) => a.creatable).map((a) => [a.name, SAMPLE[a.name] ?? 'x']));
  return { data: { type: def.type, attributes, relationships: relationshipsOf(def, true) } };
}

function updateDocument(def: ResourceDef): Json {
  const attributes = Object.fromEntries(def.attributes.filter((a) => a.updatable).map((a) => [a.name, SAMPLE[a.name] ?? 'x']));
  return { data: { type: def.type, id: existing[def.type], attributes, relationships: relationshipsOf(def, false) } };
}

interface Target {
  readonly label: string;
  readonly method: 'post' | 'patch' | 'delete';
  readonly url: () => string;
  readonly template: () => Json;
  readonly contentType: string;
  readonly flat?: boolean;
  /** The template names existing.project, which a successful request may move or delete. */
  readonly needsProject?: boolean;
}

function targets(): Target[] {
  const out: Target[] = [];
  for (const def of registry.resources) {
    out.push({ label: `POST /${def.path}`, method: 'post', url: () => `/api/v2/${def.path}`, template: () => createDocument(def), contentType: JSONAPI });
    out.push({ label: `PATCH /${def.path}/{id}`, method: 'patch', url: () => `/api/v2/${def.path}/${existing[def.type]}`, template: () => updateDocument(def), contentType: JSONAPI });
    for (const rel of def.relationships) {
      const linkage = (): Json => (rel.kind === 'to-one' ? { data: identifier(rel.target) } : { data: [identifier(rel.target)] });
      const url = () => `/api/v2/${def.path}/${existing[def.type]}/relationships/${rel.name}`;
      out.push({ label: `PATCH /${def.path}/{id}/relationships/${rel.name}`, method: 'patch', url, template: linkage, contentType: JSONAPI });
      if (rel.kind === 'to-many') {
        out.push({ label: `POST /${def.path}/{id}/relationships/${rel.name}`, method: 'post', url, template: linkage, contentType: JSONAPI });
        out.push({ label: `DELETE /${def.path}/{id}/relationships/${rel.name}`, method: 'delete', url, template: linkage, contentType: JSONAPI });
      }
    }
  }
  out.push({
    label: 'POST /operations',
    method: 'post',
    url: () => '/api/v2/operations',
    contentType: ATOMIC_MEDIA_TYPE,
    needsProject: true,
    template: (): Json => ({
      'atomic:operations': [
        { op: 'add', data: { type: 'client', lid: 'a', attributes: { name: 'Atomic' }, relationships: { parent: { data: identifier('client') } } } },
        { op: 'add', data: { type: 'project', attributes: { name: 'Atomic project' }, relationships: { client: { data: { type: 'client', lid: 'a' } } } } },
        { op: 'update', ref: { type: 'client', id: existing.client }, data: { type: 'client', id: existing.client, attributes: { name: 'Updated' } }, meta: { version: 1 } },
        { op: 'add', ref: { type: 'client', lid: 'a', relationship: 'legalEntities' }, data: [identifier('legal-entity')] },
        { op: 'remove', ref: { type: 'project', id: existing.project } },
      ] as Json[],
    }),
  });
  out.push({
    label: 'POST /api/clients',
    method: 'post',
    url: () => '/api/clients',
    contentType: 'application/json',
    flat: true,
    needsProject: true,
    template: () => ({ name: 'Flat', email: 'flat@example.com', projects: [`proj_${existing.project}`] }),
  });
  out.push({
    label: 'PATCH /api/clients/{id}',
    method: 'patch',
    url: () => `/api/clients/client_${existing.client}`,
    contentType: 'application/json',
    flat: true,
    template: () => ({ name: 'Flat', projects: [] }),
  });
  return out;
}

/** A body: the template mutated, or not JSON at all (cut short, or any text). */
const bodyArb = fc.oneof(
  { weight: 6, arbitrary: fc.array(mutationArb, { minLength: 1, maxLength: 4 }).map((m) => ({ kind: 'mutated' as const, m })) },
  { weight: 1, arbitrary: fc.nat().map((cut) => ({ kind: 'truncated' as const, cut })) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }).map((text) => ({ kind: 'text' as const, text })) },
);

beforeAll(async () => {
  h = await startHarness();
  existing.client = await makeClient(h, { name: 'Fuzz root' });
  existing['legal-entity'] = await makeOwned(h, 'legal-entities', existing.client);
  existing['reporting-entity'] = await makeOwned(h, 'reporting-entities', existing.client);
  existing.project = await makeOwned(h, 'projects', existing.client);
  existing['api-token'] = (
    await request(h.app)
      .post('/api/v2/api-tokens')
      .set('Authorization', `Bearer ${h.admin}`)
      .set('Content-Type', JSONAPI)
      .send(JSON.stringify({ data: { type: 'api-token', attributes: { name: 'fuzz', role: 'admin' } } }))
  ).body.data.id;
});
afterAll(() => h.close());

describe('Fuzzing the write endpoints', () => {
  it.each(targets().map((t) => [t.label, t] as const))(
    'When %s gets random and mutated documents, then it never answers 5xx, errors carry contract codes, and a rejected request changes nothing',
    async (_label, target) => {
      await fc.assert(
        fc.asyncProperty(bodyArb, async (b) => {
          // A project to lose (the atomic template removes one, flat creates move them).
          if (target.needsProject) existing.project = await makeOwned(h, 'projects', existing.client);
          const template = target.template();
          const text = b.kind === 'mutated' ? JSON.stringify(mutate(template, b.m)) : b.kind === 'truncated' ? JSON.stringify(template).slice(0, b.cut % JSON.stringify(template).length) : b.text;
          const before = await fingerprint(h);
          const res = await request(h.app)
            [target.method](target.url())
            .set('Authorization', `Bearer ${h.admin}`)
            .set('Accept', target.flat ? 'application/json' : target.contentType)
            .set('Content-Type', target.contentType)
            .send(text);
          expectCleanAnswer(res, `${target.label} ${text.slice(0, 200)}`, target.flat);
          if (res.status >= 400) {
            const after = await fingerprint(h);
            if (after !== before) throw new Error(`${target.label} answered ${res.status} but changed the database: ${text.slice(0, 300)}`);
          }
        }),
        FUZZ,
      );
    },
  );
});
