import { httpRequest } from '../http-client';
import { JSONAPI } from '../media-types';
import { ServerProcess, splitLines } from '../server-process';
import { Entry, Kind, KINDS, Model, PATH, REF } from './model';

/**
 * The crash test's checks through the API: every resource a round touched read back (the
 * promised values and ETag, or 404), every collection read whole after the last round, the
 * warm-up reads before each load, and what a clean start looks like.
 */

/** A failure with the context needed to reproduce it (seed, round, kill delay). */
export class CrashCheckError extends Error {}

export async function pool<T>(items: readonly T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

/** The resource object of a row as the API must show it, reduced to what the model knows. */

function apiView(kind: Kind, data: any): Record<string, unknown> {
  const a = data?.attributes ?? {};
  const view: Record<string, unknown> = { name: a.name, ref: data?.relationships?.[REF[kind]]?.data?.id ?? null, version: data?.meta?.version };
  if (kind === 'client') view.email = a.email;
  if (kind === 'legal-entity') Object.assign(view, { country: a.country, registrationNumber: a.registrationNumber });
  return view;
}

function modelView(entry: Entry): Record<string, unknown> {
  const view: Record<string, unknown> = { name: entry.name, ref: entry.ref, version: entry.version };
  if (entry.kind === 'client') view.email = entry.email;
  if (entry.kind === 'legal-entity') Object.assign(view, { country: entry.country, registrationNumber: entry.registrationNumber });
  return view;
}

/** GET of each touched resource: 200 with the promised values and ETag, or 404 when it is gone. */
export async function checkThroughApi(server: ServerProcess, token: string, model: Model, touched: readonly { kind: Kind; id: string }[]): Promise<string[]> {
  const problems: string[] = [];
  await pool(touched, 8, async ({ kind, id }) => {
    const res = await httpRequest(server, 'GET', `/api/v2/${PATH[kind]}/${id}`, { Authorization: `Bearer ${token}`, Accept: JSONAPI });
    const entry = model.get(kind, id);
    if (!entry) {
      if (res.status !== 404) problems.push(`API: GET ${kind} ${id} answers ${res.status}, but it was deleted`);
      return;
    }
    if (res.status !== 200) {
      problems.push(`API: GET ${kind} ${id} answers ${res.status} (promised by ${entry.lastWrite}): ${res.text.slice(0, 300)}`);
      return;
    }
    const got = apiView(kind, res.json.data);
    const want = modelView(entry);
    if (JSON.stringify(got) !== JSON.stringify(want)) problems.push(`API: GET ${kind} ${id} shows ${JSON.stringify(got)}, promised ${JSON.stringify(want)} by ${entry.lastWrite}`);
    if (res.headers.etag !== `"${kind}:${id}:${entry.version}"`) problems.push(`API: GET ${kind} ${id} has ETag ${res.headers.etag}`);
  });
  return problems;
}

/** Every collection read whole through the API (keyset pages of 100) against the model. */
export async function sweepThroughApi(server: ServerProcess, token: string, model: Model): Promise<{ problems: string[]; requests: number }> {
  const problems: string[] = [];
  let requests = 0;
  for (const kind of KINDS) {
    const seen = new Map<string, Record<string, unknown>>();
    let url: string | null = `/api/v2/${PATH[kind]}?page[size]=100&page[after]=`;
    while (url) {
      requests++;
      const res = await httpRequest(server, 'GET', url, { Authorization: `Bearer ${token}`, Accept: JSONAPI });
      if (res.status !== 200) {
        problems.push(`API: GET ${url} answers ${res.status}: ${res.text.slice(0, 300)}`);
        break;
      }
      for (const data of res.json.data as { id: string }[]) seen.set(data.id, apiView(kind, data));
      const next: string | null | undefined = res.json.links?.next;
      url = next ? new URL(next).pathname + new URL(next).search : null;
    }
    for (const [id, entry] of model.rows[kind]) {
      const got = seen.get(id);
      if (!got) problems.push(`API sweep: ${kind} ${id} is not listed (promised by ${entry.lastWrite})`);
      else if (JSON.stringify(got) !== JSON.stringify(modelView(entry))) problems.push(`API sweep: ${kind} ${id} is listed as ${JSON.stringify(got)}, promised ${JSON.stringify(modelView(entry))}`);
    }
    for (const id of seen.keys()) if (!model.rows[kind].has(id)) problems.push(`API sweep: ${kind} ${id} is listed, but nobody made it`);
  }
  return { problems: problems.slice(0, 40), requests };
}

// ---------------------------------------------------------------------------------------------
// The rounds

export async function warmUp(server: ServerProcess, token: string, width: number): Promise<void> {
  const urls = ['/api/v2/clients?page[size]=5&include=parent,children', '/api/v2/legal-entities?page[size]=5&include=client', '/api/v2/projects?page[size]=5'];
  await pool(
    Array.from({ length: width * 2 }, (_, i) => urls[i % urls.length]),
    width,
    async (url) => {
      const res = await httpRequest(server, 'GET', url, { Authorization: `Bearer ${token}`, Accept: JSONAPI });
      if (res.status !== 200) throw new CrashCheckError(`warm-up: GET ${url} answered ${res.status}: ${res.text.slice(0, 300)}`);
    },
  );
}

/** A clean start: no output on stderr, no error or fatal log line, no plain line (ADMIN_TOKEN is set, so no token is printed), and ready. */
export async function startProblems(server: ServerProcess): Promise<string[]> {
  const problems: string[] = [];
  const ready = await httpRequest(server, 'GET', '/readyz');
  if (ready.status !== 200) problems.push(`/readyz answers ${ready.status} ${ready.text}`);
  if (server.stderr().trim() !== '') problems.push(`stderr: ${server.stderr().slice(0, 1000)}`);
  const { json, plain } = splitLines(server.stdout());
  for (const line of json.filter((l) => Number(l.level) >= 50)) problems.push(`log: ${JSON.stringify(line).slice(0, 600)}`);
  if (plain.length > 0) problems.push(`plain output: ${plain.slice(0, 5).join(' | ').slice(0, 600)}`);
  return problems;
}
