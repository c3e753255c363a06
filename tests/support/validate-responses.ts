import { Test } from 'supertest';
import { loadConfig } from '../../src/config/config';
import { buildOpenApi } from '../../src/openapi';
import { registry } from '../../src/resources/registry';
import { Exchange, ResponseValidator } from './openapi-validator';

/**
 * Installed for every test file (jest setupFilesAfterEnv): every response a supertest request
 * (or the HTTP client of the tests that talk to a listening server, http-client.ts)
 * receives is checked against the OpenAPI document the service generates, so the description
 * and the behaviour cannot diverge. A mismatch fails the request's promise (and so the test)
 * with the problems listed. `responseValidation.use(doc)` swaps the document, for the test that
 * proves a broken schema is caught.
 */

let validator: ResponseValidator | undefined;

export const responseValidation = {
  /** Responses checked so far in this test file. */
  checked: 0,
  current(): ResponseValidator {
    validator ??= new ResponseValidator(buildOpenApi(registry, loadConfig({ LOG_LEVEL: 'silent' })));
    return validator;
  },
  /** Validates against `doc` from now on; `undefined` goes back to the generated document. */
  use(doc: Record<string, unknown> | undefined): void {
    validator = doc === undefined ? undefined : new ResponseValidator(doc);
  },
};

export class OpenApiMismatchError extends Error {}

export function exchangeOf(method: string, url: string, res: { status: number; headers: Record<string, string | string[] | undefined>; text?: string }): Exchange {
  return { method, path: new URL(url, 'http://localhost').pathname, status: res.status, headers: res.headers, body: res.text ?? '' };
}

/** The mismatch between a response and the document, as an error, or undefined when it matches. */
export function openApiMismatch(method: string, url: string, res: { status: number; headers: Record<string, string | string[] | undefined>; text?: string }): OpenApiMismatchError | undefined {
  responseValidation.checked++;
  let problems: string[];
  try {
    problems = responseValidation.current().validate(exchangeOf(method, url, res));
  } catch (e) {
    problems = [`the validator failed: ${(e as Error).message}`];
  }
  return problems.length > 0 ? new OpenApiMismatchError(`The response does not match the OpenAPI document:\n${problems.join('\n')}`) : undefined;
}

type AssertFn = (resError: Error | null, res: any, fn: (err: Error | null, res: any) => void) => void;
const proto = Test.prototype as unknown as { assert: AssertFn; method: string; url: string };
const original = proto.assert;
proto.assert = function (this: typeof proto, resError, res, fn) {
  if (res && typeof res.status === 'number') {
    const mismatch = openApiMismatch(this.method, this.url, res);
    if (mismatch) return fn.call(this, mismatch, res);
  }
  return original.call(this, resError, res, fn);
};
