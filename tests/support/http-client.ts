import * as http from 'node:http';
import * as net from 'node:net';
import { JSONAPI } from './media-types';
import { openApiMismatch } from './validate-responses';

/**
 * The one HTTP client of the tests that talk to a listening server (a service process, or a
 * harness's `listen()`): exactly the headers and bytes given, a fresh connection per request,
 * and every answer checked against the OpenAPI document like supertest's (a mismatch rejects).
 * `exchange` goes below HTTP, onto the socket, for what no HTTP client sends.
 */

/** A listening server: a service process (`{ port }`) or an http.Server on a loopback port. */
export type Listening = { readonly port: number } | net.Server;

export function portOf(server: Listening): number {
  return server instanceof net.Server ? (server.address() as net.AddressInfo).port : server.port;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any;
}

/**
 * Reads a whole response: the body as text and, when it parses, as JSON. Resolves once it has
 * been checked against the OpenAPI document (a mismatch rejects, failing the test).
 */
function collectResponse(method: string, url: string, res: http.IncomingMessage, resolve: (r: HttpResponse) => void, reject: (e: Error) => void): void {
  let text = '';
  res.setEncoding('utf8');
  res.on('data', (d: string) => (text += d));
  res.on('end', () => {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    const response = { status: res.statusCode ?? 0, headers: res.headers, text, json };
    const mismatch = openApiMismatch(method, url, response);
    if (mismatch) reject(mismatch);
    else resolve(response);
  });
  res.on('error', reject);
}

/**
 * Opens a request and sends its headers (Connection: close, and Content-Length when there is a
 * payload, unless `headers` say otherwise); the caller writes the payload and ends it.
 */
export function openRequest(server: Listening, method: string, url: string, headers: Record<string, string>, payload?: Buffer): { req: http.ClientRequest; response: Promise<HttpResponse> } {
  let req!: http.ClientRequest;
  const response = new Promise<HttpResponse>((resolve, reject) => {
    req = http.request(
      {
        host: '127.0.0.1',
        port: portOf(server),
        method,
        path: url,
        agent: false,
        headers: { Connection: 'close', ...(payload ? { 'Content-Length': String(payload.length) } : {}), ...headers },
      },
      (res) => collectResponse(method, url, res, resolve, reject),
    );
    req.on('error', reject);
    req.setTimeout(20_000, () => req.destroy(new Error(`${method} ${url} timed out`)));
  });
  return { req, response };
}

/** One request with exactly these headers (no Content-Type unless named) and body. */
export function httpRequest(server: Listening, method: string, url: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<HttpResponse> {
  const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
  const { req, response } = openRequest(server, method, url, headers, payload);
  req.end(payload);
  return response;
}

/** A JSON:API request with a bearer token. */
export function apiRequest(server: Listening, token: string, method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpResponse> {
  const h: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: JSONAPI, ...headers };
  if (body !== undefined) h['Content-Type'] = JSONAPI;
  return httpRequest(server, method, url, h, body === undefined ? undefined : JSON.stringify(body));
}

/** A factory target (factories.ts): POSTs to a listening service with this token. */
export function viaHttp(server: Listening, token: string): (url: string, document: unknown) => Promise<{ status: number; body: unknown }> {
  return async (url, document) => {
    const res = await apiRequest(server, token, 'POST', url, document);
    return { status: res.status, body: res.json };
  };
}

// ---- below HTTP: raw bytes on a socket ------------------------------------------------------

export interface RawAnswer {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  text: string;
  body: any;
  /** Milliseconds from connecting to the end of the answer. */
  ms: number;
}

/** Parses one HTTP/1.1 response (Content-Length framed, as every answer of this service is). */
export function parseResponse(raw: string): Omit<RawAnswer, 'ms'> {
  const split = raw.indexOf('\r\n\r\n');
  if (split === -1) throw new Error(`no complete response head in: ${JSON.stringify(raw.slice(0, 300))}`);
  const [statusLine, ...lines] = raw.slice(0, split).split('\r\n');
  const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const text = raw.slice(split + 4);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status, headers, text, body };
}

/**
 * Connects, writes each piece in turn (a number is a pause in ms), and reads until the server
 * closes the connection: for a request line the parser cannot read, headers that never
 * finish, a body that stalls. `method` and `path` name the operation the answer is validated as.
 */
export function exchange(server: Listening, pieces: (string | Buffer | number)[], operation: { method: string; path: string }): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const socket = net.connect(portOf(server), '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => {
      try {
        const answer = { ...parseResponse(Buffer.concat(chunks).toString('utf8')), ms: Date.now() - started };
        const mismatch = openApiMismatch(operation.method, operation.path, answer);
        if (mismatch) reject(mismatch);
        else resolve(answer);
      } catch (e) {
        reject(e as Error);
      }
    });
    socket.once('connect', async () => {
      for (const piece of pieces) {
        if (socket.destroyed) return;
        if (typeof piece === 'number') await new Promise((r) => setTimeout(r, piece));
        else socket.write(piece);
      }
    });
  });
}
