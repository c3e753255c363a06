import * as http from 'node:http';
import Sqlite from 'better-sqlite3';
import { hashToken } from '../src/auth/tokens';
import { loadConfig } from '../src/config/config';
import { isObjectId, newObjectId, nowIso } from '../src/data/object-id';
import {
  ApiError,
  ConflictError,
  ForbiddenError,
  InvalidDocumentError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  RelatedNotFoundError,
  UnauthorizedError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../src/errors/api-error';
import { encodeRequestTarget } from '../src/http/uri';
import { ClientRecord, FloorGraph, FloorWriter } from './floor-document';
import { FloorScope, NotInFloorError, parseFloorQuery } from './floor-query';
import { ClientRow, FloorSql } from './floor-sql';

/**
 * The bench's floor: a hand-written server answering exactly the bench's scenarios from the
 * service's database file, to measure what node:http and better-sqlite3 allow for the same
 * documents. `node dist/bench/floor.js` with PORT and FLOOR_DATABASE (the SQLite file); the
 * limits (page sizes, linkage) come from the service's own configuration (src/config/config.ts).
 *
 * It does the work the documents need and nothing the service's registry machinery adds: the
 * bearer token checked against its stored hash on every request (and its last use recorded once
 * a minute, as the service does), the query string parsed, rows scoped to a client token's
 * subtree, statements prepared once, documents built as plain objects and stringified once.
 * What it does not implement (other types, sparse fieldsets, other filters and sorts, updates,
 * deletes, nested includes) it refuses with a 400.
 */

const JSONAPI = 'application/vnd.api+json';
const TOUCH_INTERVAL_MS = 60_000;

const limits = loadConfig(process.env).limits;
const file = process.env.FLOOR_DATABASE;
if (!file) throw new Error('FLOOR_DATABASE (the SQLite file) is required');
const sql = new FloorSql(new Sqlite(file), limits.maxLinkage);

type Headers = Record<string, string>;

function send(res: http.ServerResponse, status: number, doc: unknown, headers: Headers = {}): void {
  const body = JSON.stringify(doc);
  res.writeHead(status, { 'Content-Type': JSONAPI, 'Content-Length': String(Buffer.byteLength(body)), 'X-Statement-Count': String(sql.count), ...headers });
  res.end(body);
}

/** The caller's scope from `Authorization: Bearer <secret>`, by the secret's hash; 401 when unknown. */
function authenticate(req: http.IncomingMessage): { role: 'admin' | 'client'; scope: FloorScope } {
  const parts = (req.headers.authorization ?? '').split(' ');
  if (parts.length !== 2 || !/^Bearer$/i.test(parts[0]) || parts[1] === '') throw new UnauthorizedError('A bearer token is required (Authorization: Bearer <token>).');
  const token = sql.token(hashToken(parts[1]));
  if (!token) throw new UnauthorizedError('The bearer token is unknown or revoked.');
  const now = Date.now();
  if (token.last_used_at === null || Date.parse(token.last_used_at) <= now - TOUCH_INTERVAL_MS) {
    sql.touch(token.id, new Date(now).toISOString(), new Date(now - TOUCH_INTERVAL_MS).toISOString());
  }
  return { role: token.role, scope: token.role === 'admin' ? { kind: 'all' } : { kind: 'subtree', rootId: token.client_id as string } };
}

interface Call {
  readonly req: http.IncomingMessage;
  readonly res: http.ServerResponse;
  readonly path: string;
  readonly rawQuery: string;
  readonly origin: string;
  readonly role: 'admin' | 'client';
  readonly scope: FloorScope;
  readonly writer: FloorWriter;
}

function list(call: Call): void {
  const query = parseFloorQuery(call.rawQuery, false, call.scope, limits, sql.cursorSecret);
  const page = sql.page(query, call.scope);
  const graph = new FloorGraph(sql, call.scope);
  const records = page.rows.map((row) => graph.add(row));
  graph.load(records, query.include);
  const self = `${call.origin}${encodeRequestTarget(call.req.url ?? '')}`;
  send(call.res, 200, call.writer.collection(records, graph.includedRecords(records, query.include), query, { path: call.path, rawQuery: call.rawQuery, self }, page));
}

function show(call: Call, id: string): void {
  const query = parseFloorQuery(call.rawQuery, true, call.scope, limits, sql.cursorSecret);
  const row = isObjectId(id) ? sql.client(id, call.scope) : undefined;
  if (!row) throw new NotFoundError(`No client with id "${id}" exists.`);
  const graph = new FloorGraph(sql, call.scope);
  const record = graph.add(row);
  graph.load([record], query.include);
  const self = `${call.origin}${encodeRequestTarget(call.req.url ?? '')}`;
  send(call.res, 200, call.writer.single(record, graph.includedRecords([record], query.include), self), { ETag: `"client:${row.id}:${row.version}"` });
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The service's name rule: trimmed, 1 to 200 characters, no NUL. */
function parseName(value: unknown): string {
  const pointer = '/data/attributes/name';
  if (typeof value !== 'string') throw new ValidationError('"name" must be a string.', pointer);
  if (value.includes('\u0000')) throw new ValidationError('"name" must not contain NUL characters.', pointer);
  const trimmed = value.trim();
  if (trimmed.length < 1) throw new ValidationError('"name" must not be blank.', pointer);
  if ([...trimmed].length > 200) throw new ValidationError('"name" must be at most 200 characters.', pointer);
  return trimmed;
}

/** POST /api/v2/clients with a name and a parent: checked, inserted in one transaction, answered from what was written. */
function create(call: Call, body: Buffer): void {
  if (call.role !== 'admin') throw new ForbiddenError('A client token may read but not change client resources.');
  if (call.rawQuery !== '') throw new NotInFloorError('a query string on create');
  let doc: unknown;
  try {
    doc = JSON.parse(body.toString('utf8'));
  } catch {
    throw new InvalidDocumentError('The request body is not valid JSON.');
  }
  if (!isObject(doc) || !isObject(doc.data)) throw new InvalidDocumentError('data must be a resource object.', '/data');
  const data = doc.data;
  if (typeof data.type !== 'string') throw new InvalidDocumentError('data.type must be a string.', '/data/type');
  if (data.type !== 'client') throw new ConflictError(`This collection takes client resources, not "${data.type}".`, { pointer: '/data/type' });
  for (const member of Object.keys(data)) if (!['type', 'attributes', 'relationships'].includes(member)) throw new NotInFloorError(`data.${member} on create`);
  const attributes = isObject(data.attributes) ? data.attributes : {};
  const relationships = isObject(data.relationships) ? data.relationships : {};
  for (const name of Object.keys(attributes)) if (name !== 'name') throw new NotInFloorError(`the attribute ${name} on create`);
  for (const name of Object.keys(relationships)) if (name !== 'parent') throw new NotInFloorError(`the relationship ${name} on create`);
  if (!('name' in attributes)) throw new ValidationError('"name" is required.', '/data/attributes/name');
  const name = parseName(attributes.name);
  const parent = isObject(relationships.parent) ? relationships.parent.data : undefined;
  if (!isObject(parent) || typeof parent.id !== 'string') throw new NotInFloorError('a create without a parent');
  if (parent.type !== 'client') throw new ConflictError(`"parent" takes client resources, not "${String(parent.type)}".`, { pointer: '/data/relationships/parent/data/type' });
  const notFound = () => new RelatedNotFoundError(`No client with id "${String(parent.id)}" exists.`, '/data/relationships/parent/data');
  if (!isObjectId(parent.id)) throw notFound();
  const id = newObjectId();
  const now = nowIso();
  if (!sql.insertClient({ id, name, parentId: parent.id, now })) throw notFound();
  // A new client has no members yet: its document is what was just written.
  const row: ClientRow = { id, name, email: null, slug: null, parent_id: parent.id, version: 1, created_at: now, updated_at: now };
  const none = { ids: [], total: 0 };
  const record: ClientRecord = { type: 'client', row, parent: { id: parent.id }, children: none, legalEntities: none, reportingEntities: none, projects: none };
  const location = `${call.origin}/api/v2/clients/${id}`;
  send(call.res, 201, call.writer.single(record, undefined, location), { Location: location, ETag: `"client:${id}:1"` });
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limits.maxBodyBytes) {
        req.removeAllListeners('data');
        reject(new PayloadTooLargeError(`Request bodies are limited to ${limits.maxBodyBytes} bytes.`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  // The body first: from here on a request runs to its answer without yielding, so the statement count is its own.
  const body = req.method === 'POST' ? await readBody(req) : undefined;
  sql.count = 0;
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  const rawQuery = q === -1 ? '' : url.slice(q + 1);
  if (path === '/readyz' || path === '/healthz') return send(res, 200, { status: 'ok' });
  const segments = path.split('/').filter((s) => s !== '');
  if (segments[0] !== 'api' || segments[1] !== 'v2') throw new NotFoundError(`No endpoint at ${path}.`);
  const { role, scope } = authenticate(req);
  if (segments[2] !== 'clients' || segments.length > 4) throw new NotInFloorError(path);
  const origin = `http://${req.headers.host ?? ''}`;
  const call: Call = { req, res, path, rawQuery, origin, role, scope, writer: new FloorWriter(origin, scope, sql.cursorSecret, limits) };
  if (segments.length === 4) {
    if (req.method !== 'GET') throw new NotInFloorError(`${req.method} ${path}`);
    return show(call, segments[3]);
  }
  if (req.method === 'GET') return list(call);
  if (req.method !== 'POST' || body === undefined) throw new MethodNotAllowedError(req.method ?? '', ['GET', 'POST']);
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== JSONAPI) throw new UnsupportedMediaTypeError(`Request bodies must be sent as ${JSONAPI}.`, { header: 'Content-Type' });
  create(call, body);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((e: unknown) => {
    if (res.headersSent) return res.destroy();
    if (e instanceof ApiError) return send(res, e.status, { jsonapi: { version: '1.1' }, errors: e.toObjects() }, e.headers);
    process.stderr.write(`floor: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    send(res, 500, { errors: [{ status: '500', code: 'internal_error', title: 'Internal error' }] });
  });
});
server.keepAliveTimeout = 5000;
server.listen(Number(process.env.PORT ?? 0), '127.0.0.1');

process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  sql.db.close();
  process.exit(0);
});
