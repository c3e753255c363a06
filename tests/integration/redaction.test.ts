import * as fs from 'node:fs';
import { freshDatabase, ON_POSTGRES } from '../support/harness';
import { buildService, eventually, killAll, removeDatabase, ServerProcess, spawnServer, splitLines, startServer, tempDatabase, within } from '../support/server-process';
import { apiRequest } from '../support/http-client';

/**
 * A DATABASE_URL's password never shows, neither in what the service prints
 * when it refuses or fails to start, nor in its log lines. Run as `npm start` runs it.
 */

const PASSWORD = 'hunter2-do-not-print';

async function exitOf(server: ServerProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const exit = await within(server.exited, 30_000, () => undefined);
  if (!exit) throw new Error(`the service did not exit: ${server.stdout()}${server.stderr()}`);
  return { code: exit.code, stdout: server.stdout(), stderr: server.stderr() };
}

const nonBlank = (text: string) => text.split('\n').filter((l) => l.trim() !== '');

describe('credentials in what the service prints', () => {
  let OUT: string;
  beforeAll(async () => {
    OUT = await buildService('redaction-build');
  }, 180_000);
  afterAll(async () => {
    await killAll();
    if (OUT) fs.rmSync(OUT, { recursive: true, force: true });
  });

  it('When DATABASE_URL has an unknown scheme and a password, then the service refuses to start with one line that shows the URL without the password, and exit code 1', async () => {
    const run = await exitOf(await spawnServer(OUT, { DATABASE_URL: `mysql://root:${PASSWORD}@db.internal/app?password=${PASSWORD}` }));
    expect(run.code).toBe(1);
    expect(nonBlank(run.stderr)).toEqual([`Refusing to start: DATABASE_URL must start with sqlite: or postgres://, got "mysql://root:***@db.internal/app?password=***"`]);
    expect(`${run.stdout}${run.stderr}`).not.toContain(PASSWORD);
  });

  it('When the PostgreSQL server of a DATABASE_URL with a password cannot be reached, then the service fails to start with one line without the password, and exit code 1', async () => {
    const run = await exitOf(await spawnServer(OUT, { DATABASE_URL: `postgres://app:${PASSWORD}@127.0.0.1:1/app?password=${PASSWORD}`, DB_CONNECT_TIMEOUT_MS: '2000' }));
    expect(run.code).toBe(1);
    expect(nonBlank(run.stderr)).toEqual([expect.stringMatching(/^Failed to start: /)]);
    expect(`${run.stdout}${run.stderr}`).not.toContain(PASSWORD);
  });

  it('When the service runs on a DATABASE_URL with a password, then its log lines show the URL without the password', async () => {
    let url: string;
    let drop: () => Promise<void>;
    if (ON_POSTGRES) {
      // The test server trusts local connections: the password is sent, and ignored.
      const database = await freshDatabase();
      const withPassword = new URL(database.url);
      withPassword.password = PASSWORD;
      url = withPassword.toString();
      drop = database.drop;
    } else {
      // A SQLite URL carries no credentials: the line shows it as it is.
      const file = tempDatabase();
      url = `sqlite:${file}`;
      drop = async () => removeDatabase(file);
    }
    const token = `redaction-admin-${'x'.repeat(32)}`;
    const server = await startServer(OUT, { DATABASE_URL: url, ADMIN_TOKEN: token });
    try {
      expect((await apiRequest(server, token, 'GET', '/api/v2/clients')).status).toBe(200);
      await eventually('the request log line', () => (server.stdout().includes('"msg":"request"') ? true : undefined));
      const { json } = splitLines(server.stdout());
      const listening = json.find((l) => l.msg === 'listening');
      expect(listening?.database).toBe(ON_POSTGRES ? url.replace(`:${PASSWORD}@`, ':***@') : url);
      expect(`${server.stdout()}${server.stderr()}`).not.toContain(PASSWORD);
    } finally {
      server.child.kill('SIGTERM');
      await within(server.exited, 20_000, () => undefined);
      await drop();
    }
  });
});
