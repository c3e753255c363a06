import { MethodNotAllowedError } from '../errors/api-error';

/**
 * What both surfaces' endpoint tables share: an endpoint declares its methods once, and the
 * routing, the `Allow` header and the 405 answers are read from that declaration.
 */

export type HttpMethod = 'GET' | 'POST' | 'PATCH' | 'DELETE';

export interface MethodDeclaration {
  readonly method: HttpMethod;
}

/** The declaration of the method a request uses, if the endpoint has it. */
export function declaredMethod<M extends MethodDeclaration>(methods: readonly M[], method: string): M | undefined {
  return methods.find((m) => m.method === method);
}

/** The 405 for a method the endpoint does not declare: `Allow` lists the declared ones, in declaration order. */
export function methodNotAllowed(methods: readonly MethodDeclaration[], method: string): MethodNotAllowedError {
  return new MethodNotAllowedError(
    method,
    methods.map((m) => m.method),
  );
}
