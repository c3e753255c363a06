import { createHash } from 'node:crypto';
import fc from 'fast-check';
import type { Response } from 'supertest';
import { ERROR_CODES } from '../../src/errors/api-error';
import { q } from '../../src/data/sql';
import { registry } from '../../src/resources/registry';
import { Harness } from './harness';

/**
 * Shared pieces of the fuzz tests (tests/fuzz): a fingerprint of everything the API stores, the
 * mutations applied to valid documents, and the property every answer must have.
 */

/**
 * Bounds for every property: up to FUZZ_RUNS runs (default 100), and never more than
 * FUZZ_SECONDS (default 3) each, so the whole fuzz suite stays within a couple of minutes.
 * FUZZ_RUNS=2000 FUZZ_SECONDS=120 npx jest tests/fuzz is a long local session.
 */
export const FUZZ = {
  numRuns: Number(process.env.FUZZ_RUNS ?? 100),
  interruptAfterTimeLimit: Number(process.env.FUZZ_SECONDS ?? 3) * 1000,
  markInterruptAsFailure: false,
} as const;

/**
 * A hash of every row of every registry table, ordered by id. `last_used_at` of tokens is left
 * out: authentication itself writes it (at most once a minute), which is not the request's doing.
 */
export async function fingerprint(h: Harness): Promise<string> {
  const hash = createHash('sha256');
  await h.db.read(async (ex) => {
    for (const def of registry.resources) {
      const rows = await ex.query<Record<string, unknown>>(`SELECT * FROM ${q(def.table)} ORDER BY ${q('id')}`);
      for (const row of rows) {
        delete row.last_used_at;
        hash.update(`${def.table}:${JSON.stringify(row)}\n`);
      }
    }
  });
  return hash.digest('hex');
}

const CODES: ReadonlySet<string> = new Set(ERROR_CODES);

/**
 * The property of every answer to hostile input: no 5xx; an error answer is an error document of
 * the surface (JSON:API `{jsonapi, errors}` or flat `{errors}`) whose codes are among the
 * contract's. (Each response is also validated against the OpenAPI document by the suite.)
 */
export function expectCleanAnswer(res: Response, label: string, flat = false): void {
  const summary = `${label} → ${res.status} ${String(res.text ?? '').slice(0, 300)}`;
  if (res.status >= 500) throw new Error(`5xx: ${summary}`);
  if (res.status < 400) return;
  let body: { jsonapi?: unknown; errors?: { code?: string; status?: string }[] };
  try {
    body = JSON.parse(res.text ?? '');
  } catch {
    throw new Error(`error answer that is not JSON: ${summary}`);
  }
  if (!Array.isArray(body.errors) || body.errors.length === 0) throw new Error(`error answer without errors: ${summary}`);
  if (!flat && body.jsonapi === undefined) throw new Error(`JSON:API error answer without jsonapi: ${summary}`);
  for (const e of body.errors) {
    if (!CODES.has(String(e.code))) throw new Error(`unknown error code ${String(e.code)}: ${summary}`);
    if (e.status !== String(res.status)) throw new Error(`error status ${String(e.status)} differs from HTTP ${res.status}: ${summary}`);
  }
}

// ---- mutations of valid documents ------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Hostile leaves: wrong types, empty and huge strings, NUL, lone surrogates, odd numbers. */
export const hostileLeaf: fc.Arbitrary<Json> = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('', ' ', '\u0000', '\ud800', 'x'.repeat(300), 'client', 'legal-entity', 'null', '0'.repeat(24), 'zzzzzzzzzzzzzzzzzzzzzzzz', '__proto__', 'constructor'),
  fc.integer(),
  fc.constantFrom(0, -1, 1e308, -0, 2 ** 53 + 1, 0.5),
  fc.boolean(),
  fc.constant(null),
);

export const hostileJson: fc.Arbitrary<Json> = fc.letrec<{ value: Json }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileLeaf,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom('type', 'id', 'lid', 'data', 'attributes', 'relationships', 'meta', 'links', '__proto__')), tie('value'), { maxKeys: 3 }),
  ),
})).value;

export interface Mutation {
  readonly at: number;
  readonly op: 'delete' | 'replace' | 'wrap' | 'null' | 'add';
  readonly value: Json;
  readonly key: string;
}

export const mutationArb: fc.Arbitrary<Mutation> = fc.record({
  at: fc.nat(),
  op: fc.constantFrom('delete', 'replace', 'wrap', 'null', 'add'),
  value: hostileJson,
  key: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom('id', 'type', 'lid', 'meta', 'data', 'attributes', 'relationships', 'name', 'email', 'parent', 'client')),
});

/** Every path into a JSON value ([] is the root). */
function paths(value: Json, prefix: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  return out;
}

/** Applies mutations to a copy of `doc`, each at a path picked among the current ones. */
export function mutate(doc: Json, mutations: readonly Mutation[]): Json {
  let root = structuredClone(doc);
  for (const m of mutations) {
    const all = paths(root);
    const path = all[m.at % all.length];
    if (path.length === 0) {
      root = m.op === 'wrap' ? [root] : m.op === 'null' ? null : m.op === 'replace' ? m.value : root;
      continue;
    }
    let parent: any = root;
    for (const k of path.slice(0, -1)) parent = parent[k];
    const last = path[path.length - 1];
    const target = parent[last] as Json;
    if (m.op === 'delete') {
      if (Array.isArray(parent)) parent.splice(Number(last), 1);
      else delete parent[last];
    } else if (m.op === 'replace') parent[last] = m.value;
    else if (m.op === 'wrap') parent[last] = [target];
    else if (m.op === 'null') parent[last] = null;
    else if (target !== null && typeof target === 'object' && !Array.isArray(target)) (target as Record<string, Json>)[m.key] = m.value;
    else parent[last] = { [m.key]: m.value };
  }
  return root;
}
