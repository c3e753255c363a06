import { ChildProcess, execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { TMP } from './harness';
import { httpRequest } from './http-client';
import { JSONAPI } from './media-types';

/**
 * The service run as a user runs it (SPEC §7): compiled with the same compiler and
 * tsconfig.build.json as `npm run build`, into a private folder under tests/.tmp, then started
 * as `node <out>/src/server.js` on a free loopback port. Every process started here is tracked
 * so that a test file can kill whatever is left in afterEach/afterAll, even when a test failed.
 */

export const ROOT = path.join(__dirname, '..', '..');

export interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const live = new Set<ChildProcess>();

/** Kills every child process still running (SIGKILL) and waits until each has exited. */
export async function killAll(): Promise<void> {
  const waits: Promise<unknown>[] = [];
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) {
      waits.push(new Promise((resolve) => child.once('exit', resolve)));
      child.kill('SIGKILL');
    }
  }
  live.clear();
  await Promise.all(waits);
}

/** Runs a node script to completion. */
export function runNode(file: string, args: string[], env: Record<string, string> = {}, timeoutMs = 60_000): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [file, ...args], { cwd: ROOT, env: { ...process.env, ...env }, timeout: timeoutMs }, (error, stdout, stderr) => {
      live.delete(child);
      resolve({ code: child.exitCode, signal: child.signalCode, stdout: String(stdout), stderr: String(stderr) });
      void error;
    });
    live.add(child);
  });
}

/** Compiles the service into `out` (like `npm run build`) and returns the folder. */
export async function buildService(name: string): Promise<string> {
  fs.mkdirSync(TMP, { recursive: true });
  const out = path.join(TMP, `${name}-${process.pid}`);
  const tsc = require.resolve('typescript/bin/tsc', { paths: [ROOT] });
  const build = await runNode(tsc, ['-p', path.join(ROOT, 'tsconfig.build.json'), '--outDir', out], {}, 120_000);
  if (!fs.existsSync(path.join(out, 'src', 'server.js'))) throw new Error(`the build produced no server.js: ${build.stdout}${build.stderr}`);
  return out;
}

/** A port nobody listens on right now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as net.AddressInfo;
      probe.close(() => resolve(port));
    });
  });
}

/** A fresh SQLite file name under tests/.tmp (not created). */
export function tempDatabase(): string {
  fs.mkdirSync(TMP, { recursive: true });
  return path.join(TMP, `server-${process.pid}-${randomBytes(4).toString('hex')}.sqlite`);
}

export function removeDatabase(file: string): void {
  for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
}

export interface ServerProcess {
  readonly child: ChildProcess;
  readonly port: number;
  readonly base: string;
  /** Everything written to stdout / stderr so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code and signal once the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts `node <out>/src/server.js` with this environment on a free port (PORT is set here). */
export async function spawnServer(out: string, env: Record<string, string>): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.join(out, 'src', 'server.js')], {
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: 'info', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, port, base: `http://127.0.0.1:${port}`, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Waits until GET /healthz answers (or the process exits, which throws with its output). */
export async function waitUntilUp(server: ServerProcess, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let gone = false;
  void server.exited.then(() => (gone = true));
  while (Date.now() < deadline) {
    if (gone) throw new Error(`the server exited before answering: ${server.stdout()}${server.stderr()}`);
    try {
      const res = await httpRequest(server, 'GET', '/healthz');
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`the server did not answer within ${timeoutMs} ms: ${server.stdout()}${server.stderr()}`);
}

export async function startServer(out: string, env: Record<string, string>): Promise<ServerProcess> {
  const server = await spawnServer(out, env);
  await waitUntilUp(server);
  // The port can answer before the child's stdout has reached us; the "listening" line is
  // written after everything start-up prints (the first admin token among it).
  await eventually('the "listening" log line', () => (server.stdout().includes('"msg":"listening"') ? true : undefined), 10_000);
  return server;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `promise`, or `fallback()` once `ms` have passed; the timer never outlives the race. */
export async function within<T, F>(promise: Promise<T>, ms: number, fallback: () => F): Promise<T | F> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<F>((resolve) => {
    timer = setTimeout(() => resolve(fallback()), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether a connection to the port is refused (nobody listens any more). */
export function connectionRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', () => resolve(true));
  });
}

/**
 * SIGTERM while a create of a client named `name` is in flight: its headers and half its body
 * sent, the signal, then (once the service logs that it drains) a check that new connections
 * are refused while the process still runs, and the rest of the body. Returns the raw answer to
 * the create, read until the service closed the connection.
 */
export async function sigtermDuringCreate(server: ServerProcess, token: string, name: string): Promise<string> {
  const body = Buffer.from(JSON.stringify({ data: { type: 'client', attributes: { name } } }));
  const half = Math.floor(body.length / 2);
  const socket = net.connect({ host: '127.0.0.1', port: server.port });
  let raw = '';
  socket.setEncoding('utf8').on('data', (d: string) => (raw += d));
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(
    'POST /api/v2/clients HTTP/1.1\r\n' +
      `Host: 127.0.0.1:${server.port}\r\n` +
      `Authorization: Bearer ${token}\r\n` +
      `Content-Type: ${JSONAPI}\r\nAccept: ${JSONAPI}\r\n` +
      `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`,
  );
  socket.write(body.subarray(0, half));
  await sleep(300);

  server.child.kill('SIGTERM');
  await eventually('the draining log line', () => splitLines(server.stdout()).json.find((l) => /drain/i.test(String(l.msg))), 5_000);
  expect(await connectionRefused(server.port)).toBe(true);
  expect(server.child.exitCode).toBeNull();

  // write, not end: a client that half-closes its side before the answer would have the
  // request aborted by node's http server (httpAllowHalfOpen is off); Connection: close ends it.
  socket.write(body.subarray(half));
  await within(ended, 10_000, () => undefined);
  return raw;
}

/** The lines of an output that parse as JSON objects, and those that do not (blank lines dropped). */
export function splitLines(output: string): { json: Record<string, unknown>[]; plain: string[] } {
  const json: Record<string, unknown>[] = [];
  const plain: string[] = [];
  for (const line of output.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const value: unknown = JSON.parse(line);
      if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
        json.push(value as Record<string, unknown>);
        continue;
      }
    } catch {
      // plain
    }
    plain.push(line);
  }
  return { json, plain };
}

/** Polls until `predicate` holds (log lines are written asynchronously), or fails with `what`. */
export async function eventually<T>(what: string, probe: () => T | undefined, timeoutMs = 3_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(25);
  }
}
