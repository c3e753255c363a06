import type { AxiosError, AxiosInstance, AxiosResponse, AxiosResponseTransformer, InternalAxiosRequestConfig } from 'axios';
import { loadConfig } from '../../src/config/config';
import { buildOpenApi } from '../../src/openapi';
import { registry } from '../../src/resources/registry';
import { makeClient, makeOwned } from './factories';
import { Harness, startHarness } from './harness';
import { Exchange, ResponseValidator } from './openapi-validator';
import { portOf } from './http-client';

/**
 * Shared plumbing for the interop tests (tests/interop): a real service listening on a loopback
 * port, and an OpenAPI check of every response a client library receives, hooked where the
 * library's HTTP goes (an axios instance, or a fetch wrapper).
 */

export interface LiveServer {
  readonly h: Harness;
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  /** `http://127.0.0.1:PORT/api/v2` */
  readonly baseUrl: string;
  close(): Promise<void>;
}

/** A fresh service (its own database) listening on an ephemeral loopback port (the harness's production HTTP server). */
export async function startLiveServer(env: Record<string, string> = {}): Promise<LiveServer> {
  const h = await startHarness(env);
  // h.close() also cuts the keep-alive sockets of the client libraries, which would otherwise hold the server open.
  const origin = `http://127.0.0.1:${portOf(await h.listen())}`;
  return { h, origin, baseUrl: `${origin}/api/v2`, close: () => h.close() };
}

/**
 * The hooks every interop file registers: before all, a live server and `connect` (the
 * library's setup, which returns what undoes its hooks, if anything); after each test, no
 * OpenAPI problem left in `recorder()`; after all, the undo and the server's stop.
 */
export function withLiveServer(recorder: () => ResponseRecorder, connect: (live: LiveServer) => (() => void) | void): void {
  let live: LiveServer | undefined;
  let undo: (() => void) | void;
  beforeAll(async () => {
    live = await startLiveServer();
    undo = connect(live);
  });
  afterEach(() => {
    expect(recorder().take()).toEqual([]);
  });
  afterAll(async () => {
    if (undo) undo();
    await live?.close();
  });
}

/** An error object of the service, as a client library hands it over. */
export interface JsonApiError {
  status: string;
  code: string;
  title: string;
  detail?: string;
  source?: { pointer?: string; parameter?: string };
  meta?: Record<string, unknown>;
}

/** A resource identifier as the libraries return it. */
export interface Ref {
  id: string;
  type: string;
}

/** What every library shows of a client besides its relationships (whose shape is the library's own). */
export interface ClientFields extends Ref {
  name: string;
  email: string | null;
  slug: string | null;
  createdAt: string;
  updatedAt: string;
  meta: { version: number };
  links: { self: string };
}

/**
 * The service's OpenAPI document with the client's `name` limited to 3 characters: a document
 * that contradicts the service, to prove that a hook reports a mismatch.
 */
export function contradictingDocument(): Record<string, unknown> {
  const doc = JSON.parse(JSON.stringify(buildOpenApi(registry, loadConfig({ LOG_LEVEL: 'silent' })))) as {
    components: { schemas: { ClientAttributes: { properties: { name: { maxLength: number } } } } };
  };
  doc.components.schemas.ClientAttributes.properties.name.maxLength = 3;
  return doc;
}

/** Every response checked against the service's own OpenAPI document; problems are kept, not thrown. */
export class ResponseRecorder {
  private readonly validator: ResponseValidator;
  private problems: string[] = [];
  /** Responses validated so far (the whole file). */
  validated = 0;
  /** The latest response seen (for libraries that do not surface the HTTP status). */
  last: Exchange | undefined;

  /** `doc` replaces the service's generated document (only to prove that a mismatch is caught). */
  constructor(doc?: Record<string, unknown>) {
    this.validator = new ResponseValidator(doc ?? buildOpenApi(registry, loadConfig({ LOG_LEVEL: 'silent' })));
  }

  record(ex: Exchange): void {
    this.validated++;
    this.last = ex;
    let found: string[];
    try {
      found = this.validator.validate(ex);
    } catch (e) {
      found = [`the validator failed: ${(e as Error).message}`];
    }
    this.problems.push(...found); // each names the method, path template and status
  }

  /** The problems recorded since the last call, and forgets them. */
  take(): string[] {
    const out = this.problems;
    this.problems = [];
    return out;
  }
}

/** Node lower-cases received header names already; this makes sure and flattens AxiosHeaders. */
export function lowerCaseHeaders(entries: Iterable<[string, unknown]>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of entries) {
    if (v === undefined || v === null) continue;
    out[k.toLowerCase()] = Array.isArray(v) ? v.map(String) : String(v);
  }
  return out;
}

const RAW_BODY = Symbol('raw response body');
type RawCarrier = InternalAxiosRequestConfig & { [RAW_BODY]?: string };

function exchangeFromAxios(response: AxiosResponse): Exchange {
  const config = response.config as RawCarrier;
  // The raw text, kept by the transformer below before axios parses it; failing that (a
  // library that replaced the transformers), the parsed body again, which is enough for a
  // schema check.
  const raw = config[RAW_BODY];
  const body = raw !== undefined ? raw : typeof response.data === 'string' ? response.data : response.data === undefined ? '' : JSON.stringify(response.data);
  // The path actually requested (Node's ClientRequest), else the URL axios was given.
  const requested = (response.request as { path?: unknown } | undefined)?.path;
  const url = typeof requested === 'string' ? requested : (config.url ?? '');
  const path = new URL(url, config.baseURL ?? 'http://127.0.0.1').pathname;
  const headers = lowerCaseHeaders(Object.entries(response.headers ?? {}));
  return { method: (config.method ?? 'get').toUpperCase(), path, status: response.status, headers, body };
}

/**
 * Validates every response `instance` receives, successes and errors alike. Returns a function
 * that removes the hooks again (devour uses the global axios object).
 */
export function validateAxiosResponses(instance: AxiosInstance, recorder: ResponseRecorder): () => void {
  const keepRaw: AxiosResponseTransformer = function (this: RawCarrier, data: unknown) {
    if (typeof data === 'string') this[RAW_BODY] = data;
    return data;
  };
  const previous = instance.defaults.transformResponse;
  const rest = previous === undefined ? [] : Array.isArray(previous) ? previous : [previous];
  instance.defaults.transformResponse = [keepRaw, ...rest];
  const id = instance.interceptors.response.use(
    (response) => {
      recorder.record(exchangeFromAxios(response));
      return response;
    },
    (error: AxiosError) => {
      if (error.response) recorder.record(exchangeFromAxios(error.response));
      return Promise.reject(error);
    },
  );
  return () => {
    instance.interceptors.response.eject(id);
    instance.defaults.transformResponse = previous;
  };
}

/** What a promise was rejected with; fails when it resolves instead. */
export async function rejectionOf<E = unknown>(promise: Promise<unknown>): Promise<E> {
  let value: unknown;
  try {
    value = await promise;
  } catch (e) {
    return e as E;
  }
  throw new Error(`expected the request to fail, but it succeeded with ${JSON.stringify(value)?.slice(0, 300)}`);
}

/** The list every library reads: a root with two children (Alpha, Beta), created Beta first. */
export async function makeListFixture(h: Harness): Promise<{ root: string; alpha: string; beta: string }> {
  const root = await makeClient(h, { name: 'List Root' });
  const beta = await makeClient(h, { name: 'Beta', email: 'beta@list.test', slug: 'beta-list' }, root);
  const alpha = await makeClient(h, { name: 'Alpha', email: 'alpha@list.test' }, root);
  return { root, alpha, beta };
}

/** What every library pages through: a parent (`parentName`) with 23 children named `prefix 00` … `prefix 22`, ids in creation order. */
export async function makePagedFixture(h: Harness, parentName: string, prefix: string): Promise<{ parent: string; expected: string[] }> {
  const parent = await makeClient(h, { name: parentName });
  const expected: string[] = [];
  for (let i = 0; i < 23; i++) expected.push(await makeClient(h, { name: `${prefix} ${String(i).padStart(2, '0')}` }, parent));
  return { parent, expected };
}

/** The graph every library rebuilds: a root, two children (FR, DE) and their legal entities. */
export async function makeGraphFixture(h: Harness): Promise<{ root: string; fr: string; de: string; frSas: string; frSarl: string; deGmbh: string }> {
  const root = await makeClient(h, { name: 'Graph Root' });
  const fr = await makeClient(h, { name: 'Graph FR' }, root);
  const de = await makeClient(h, { name: 'Graph DE' }, root);
  const frSas = await makeOwned(h, 'legal-entities', fr, { name: 'Graph SAS', country: 'FR' });
  const frSarl = await makeOwned(h, 'legal-entities', fr, { name: 'Graph SARL', country: 'FR' });
  const deGmbh = await makeOwned(h, 'legal-entities', de, { name: 'Graph GmbH', country: 'DE' });
  return { root, fr, de, frSas, frSarl, deGmbh };
}
