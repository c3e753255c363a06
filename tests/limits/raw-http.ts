import type { Server } from 'node:http';
import * as net from 'node:net';
import { openApiMismatch } from '../support/validate-responses';

/**
 * Raw HTTP/1.1 over a socket, for what no HTTP client sends: a request line the parser cannot
 * read, headers that never finish, a body that stalls. Every answer is checked against the
 * OpenAPI document like supertest's (a mismatch rejects).
 */

export interface RawAnswer {
  status: number;
  /** Header names in lower case. */
  headers: Record<string, string>;
  text: string;
  body: any;
  /** Milliseconds from connecting to the end of the answer. */
  ms: number;
}

export function portOf(server: Server): number {
  return (server.address() as net.AddressInfo).port;
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
 * closes the connection. `method` and `path` name the operation the answer is validated as.
 */
export function exchange(server: Server, pieces: (string | Buffer | number)[], operation: { method: string; path: string }): Promise<RawAnswer> {
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
