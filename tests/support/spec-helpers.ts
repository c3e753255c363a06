/**
 * Helpers for the contract tests under tests/spec: error-document assertions shared by every
 * file. Requests supertest cannot express (no Content-Type at all, exact bytes, odd paths) go
 * through http-client.ts to the harness's listen().
 */

export interface ErrorSourceExpectation {
  pointer?: string;
  parameter?: string;
  header?: string;
}

interface ResponseLike {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text?: string;
  body?: unknown;
}

/** Titles seen per code in this test file: SPEC §2 says a code always has the same title. */
export const titlesByCode = new Map<string, string>();

/** Markers of a leaked stack trace, SQL statement or file path. */
const LEAKS: RegExp[] = [
  /\bat [\w.<>$]+ \(/, // stack frame "at fn ("
  /\n\s+at /,
  /\.(ts|js):\d+/,
  /\/(work|home|usr|tmp|src|node_modules)\//,
  /node_modules/,
  /\bSELECT\b[\s\S]*\bFROM\b/i,
  /\bINSERT INTO\b/i,
  /\bUPDATE\b\s+["`\w]+\s+SET\b/i,
  /\bDELETE FROM\b/i,
  /SQLITE_/,
  /sqlite/i,
  /QueryFailedError|TypeError|ReferenceError|SyntaxError|RangeError|URIError/,
];

export function expectNoInternalsLeaked(text: string): void {
  for (const re of LEAKS) {
    if (re.test(text)) throw new Error(`response body leaks internals (${re}): ${text.slice(0, 500)}`);
  }
}

function bodyOf(res: ResponseLike): Record<string, unknown> {
  if (res.body && typeof res.body === 'object' && Object.keys(res.body as object).length > 0) return res.body as Record<string, unknown>;
  return JSON.parse(res.text ?? '') as Record<string, unknown>;
}

/**
 * Asserts an error response: the status, one error object per expected entry (in order) with
 * that status as a string, the code, the exact source (or none), a title that is the same for
 * every error of the code, `jsonapi: {version: "1.1"}` on JSON:API documents, and no leaked
 * internals. Returns the error objects for further checks.
 */
export function expectErrors(
  res: ResponseLike,
  status: number,
  expected: { code: string; source?: ErrorSourceExpectation | null; meta?: Record<string, unknown> }[],
  surface: 'jsonapi' | 'flat' = 'jsonapi',
): Record<string, unknown>[] {
  const text = res.text ?? JSON.stringify(res.body);
  if (res.status !== status) throw new Error(`expected status ${status}, got ${res.status}: ${text}`);
  const body = bodyOf(res);
  expectNoInternalsLeaked(text);
  if (surface === 'jsonapi') {
    expect(body.jsonapi).toEqual({ version: '1.1' });
    expect(String(res.headers['content-type'])).toMatch(/^application\/(vnd\.api\+json|vnd\.json\+api)$/);
  } else {
    expect(String(res.headers['content-type'])).toMatch(/^application\/json\b/);
  }
  expect(body.data).toBeUndefined();
  const errors = body.errors as Record<string, unknown>[];
  expect(Array.isArray(errors)).toBe(true);
  expect(errors.map((e) => e.code)).toEqual(expected.map((e) => e.code));
  errors.forEach((err, i) => {
    const want = expected[i];
    expect(err.status).toBe(String(status));
    expect(typeof err.title).toBe('string');
    expect((err.title as string).length).toBeGreaterThan(0);
    const seen = titlesByCode.get(want.code);
    if (seen === undefined) titlesByCode.set(want.code, err.title as string);
    else expect(err.title).toBe(seen);
    if (want.source === undefined || want.source === null) expect(err.source).toBeUndefined();
    else expect(err.source).toEqual(want.source);
    if (want.meta !== undefined) expect(err.meta).toEqual(want.meta);
    if (err.detail !== undefined) expect(typeof err.detail).toBe('string');
  });
  return errors;
}

/** One error: see expectErrors. `source` null or omitted means the error has no source. */
export function expectError(res: ResponseLike, status: number, code: string, source?: ErrorSourceExpectation | null, surface: 'jsonapi' | 'flat' = 'jsonapi'): Record<string, unknown> {
  return expectErrors(res, status, [{ code, source }], surface)[0];
}

/** The set of methods in an Allow header. */
export function allowed(res: { headers: Record<string, unknown> }): string[] {
  return String(res.headers['allow'] ?? '')
    .split(',')
    .map((m) => m.trim().toUpperCase())
    .filter((m) => m !== '')
    .sort();
}

/** The same response with its errors sorted by a key (for checks where the order is not part of the contract). */
export function sortErrors<T extends ResponseLike>(res: T, key: (e: Record<string, any>) => string): T {
  const body = bodyOf(res) as { errors?: Record<string, any>[] };
  if (!Array.isArray(body.errors)) return res;
  const errors = [...body.errors].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
  return { ...res, body: { ...body, errors } };
}
