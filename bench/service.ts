import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';

/**
 * The built service (dist/src/server.js) as a child process on a free loopback port, the way
 * it runs in production: its own process, its own event loop, talking to the bench over TCP.
 * The bench's floor (dist/bench/floor.js) runs the same way beside it.
 */
export interface Service {
  readonly baseUrl: string;
  readonly pid: number;
  /** SIGTERM (the service drains and exits, writing its CPU profile if asked), then waits. */
  stop(): Promise<void>;
}

export const HOST = '127.0.0.1';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, HOST, () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

export interface Response {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
}

/** One request over loopback (a GET unless `method` says otherwise). */
export function request(url: string, options: { method?: string; headers?: Record<string, string>; body?: string; timeoutMs?: number } = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? 'GET', headers: options.headers ?? {}, timeout: options.timeoutMs ?? 60_000 }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`${options.method ?? 'GET'} ${url} timed out`)));
    req.on('error', reject);
    req.end(options.body);
  });
}

/** One GET over loopback. */
export function get(url: string, headers: Record<string, string> = {}, timeoutMs = 60_000): Promise<Response> {
  return request(url, { headers, timeoutMs });
}

export interface StartOptions {
  readonly root: string;
  readonly databaseUrl: string;
  readonly adminToken: string;
  /** Extra node flags for the service (e.g. --cpu-prof --cpu-prof-dir=DIR). */
  readonly nodeArgs?: readonly string[];
}

export async function startService(options: StartOptions): Promise<Service> {
  return startChild('service', path.join(options.root, 'dist', 'src', 'server.js'), options.root, options.nodeArgs ?? [], {
    DATABASE_URL: options.databaseUrl,
    ADMIN_TOKEN: options.adminToken,
    EXPOSE_STATEMENT_COUNT: '1',
    LOG_LEVEL: 'warn',
    NODE_ENV: 'production',
  });
}

/** The bench's hand-written floor (bench/floor.ts) on the same SQLite file, as a child process of its own. */
export async function startFloor(root: string, file: string): Promise<Service> {
  return startChild('floor', path.join(root, 'dist', 'bench', 'floor.js'), root, [], { FLOOR_DATABASE: file, NODE_ENV: 'production' });
}

/** `node entry` on a free loopback port (PORT), ready once GET /readyz answers 200. */
async function startChild(name: string, entry: string, root: string, nodeArgs: readonly string[], env: Record<string, string>): Promise<Service> {
  if (!fs.existsSync(entry)) throw new Error(`${entry} is missing: build first (npm run bench builds it)`);
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, entry], {
    cwd: root,
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let exited: number | null | undefined;
  const exit = new Promise<void>((resolve) =>
    child.once('exit', (code) => {
      exited = code;
      resolve();
    }),
  );
  const baseUrl = `http://${HOST}:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (exited !== undefined) throw new Error(`the ${name} exited with code ${exited} before it was ready:\n${output}`);
    try {
      const res = await get(`${baseUrl}/readyz`, {}, 2000);
      if (res.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the ${name} was not ready within 60 s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    baseUrl,
    pid: child.pid ?? 0,
    async stop() {
      if (exited !== undefined) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exit;
      clearTimeout(timer);
      if (exited !== 0 && output.trim() !== '') process.stderr.write(`${name} output:\n${output}\n`);
    },
  };
}
