import Ajv2020, { ValidateFunction } from 'ajv/dist/2020';
import addFormats from 'ajv-formats';

/**
 * Checks an HTTP exchange against the generated OpenAPI document: the path and method must be
 * documented (else the answer must be a 404/405 error document), the status must be one the
 * operation lists, documented required headers must be there, the Content-Type must be one of
 * the response's media types, and the body must match its schema. Schemas are checked by Ajv
 * (JSON Schema 2020-12, the dialect of OpenAPI 3.1).
 */

type Obj = Record<string, any>;

export interface Exchange {
  readonly method: string;
  /** Path without the query string. */
  readonly path: string;
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  /** The body as text ('' when there is none). */
  readonly body: string;
}

interface Route {
  readonly template: string;
  readonly pattern: RegExp;
  readonly item: Obj;
}

/** `application/vnd.api+json; ext="…"` with spacing and case normalised, for comparison. */
function normaliseMediaType(value: string): string {
  return value
    .split(';')
    .map((p) => p.trim())
    .filter((p) => p !== '' && !/^charset=/i.test(p))
    .map((p, i) => (i === 0 ? p.toLowerCase() : p.replace(/^([^=]+)=/, (_m, k: string) => `${k.toLowerCase()}=`)))
    .join('; ');
}

export class ResponseValidator {
  private readonly ajv: Ajv2020;
  private readonly routes: Route[];
  private readonly compiled = new Map<string, ValidateFunction>();

  constructor(private readonly doc: Obj) {
    this.ajv = new Ajv2020({ allErrors: true, strict: true, strictTypes: false, strictTuples: false, strictRequired: false });
    addFormats(this.ajv, ['date-time', 'uri']);
    // The service checks email addresses with validator.js (UTF-8 local parts allowed); the
    // document's format is an annotation here.
    this.ajv.addFormat('email', true);
    this.ajv.addSchema({ $id: 'openapi', $defs: this.rewrite(doc.components.schemas) });
    this.routes = Object.entries(doc.paths as Obj).map(([template, item]) => ({
      template,
      pattern: new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
      item: item as Obj,
    }));
  }

  private rewrite<T>(schema: T): T {
    return JSON.parse(JSON.stringify(schema).replace(/"#\/components\/schemas\//g, '"openapi#/$defs/')) as T;
  }

  private schemaCheck(schema: Obj): ValidateFunction {
    const key = JSON.stringify(schema);
    let fn = this.compiled.get(key);
    if (!fn) {
      fn = this.ajv.compile(this.rewrite(schema));
      this.compiled.set(key, fn);
    }
    return fn;
  }

  private resolve(response: Obj): Obj {
    const r = response.$ref as string | undefined;
    if (!r) return response;
    const name = r.replace('#/components/responses/', '');
    return this.doc.components.responses[name] as Obj;
  }

  private header(ex: Exchange, name: string): string | undefined {
    const v = ex.headers[name.toLowerCase()];
    return Array.isArray(v) ? v.join(', ') : v;
  }

  private checkBody(ex: Exchange, schema: Obj, where: string): string[] {
    let json: unknown;
    try {
      json = JSON.parse(ex.body);
    } catch {
      return [`${where}: the body is not JSON: ${ex.body.slice(0, 200)}`];
    }
    const check = this.schemaCheck(schema);
    if (check(json)) return [];
    return (check.errors ?? []).slice(0, 8).map((e) => `${where}: body${e.instancePath || ''} ${e.message ?? ''} ${e.params ? JSON.stringify(e.params) : ''}`.trim());
  }

  /** Problems with this exchange; empty when it matches the document. */
  validate(ex: Exchange): string[] {
    const method = ex.method.toLowerCase();
    if (method === 'head' || method === 'options') return [];
    const route = this.routes.find((r) => r.pattern.test(ex.path));
    // Pages outside the API (the /docs page and its assets) are not described by the document.
    if (!route && !ex.path.startsWith('/api/')) return [];
    const op = route?.item[method] as Obj | undefined;
    const where = `${ex.method.toUpperCase()} ${route?.template ?? ex.path} → ${ex.status}`;
    if (!route || !op) {
      // Not an operation of the document: the answer must be an error (unknown route or method).
      if (ex.status < 400 || ex.status >= 500) return [`${where}: not an operation of the OpenAPI document, yet answered ${ex.status}`];
      if (ex.status === 405 && route && !this.header(ex, 'allow')) return [`${where}: 405 without Allow`];
      const schema = ex.path.startsWith('/api/clients') ? { $ref: '#/components/schemas/FlatErrorDocument' } : { $ref: '#/components/schemas/ErrorDocument' };
      return this.checkBody(ex, schema, where);
    }
    const documented = (op.responses ?? {}) as Obj;
    const raw = documented[String(ex.status)] ?? documented.default;
    if (!raw) return [`${where}: status ${ex.status} is not documented (documented: ${Object.keys(documented).join(', ')})`];
    const response = this.resolve(raw as Obj);
    const problems: string[] = [];
    for (const [name, h] of Object.entries((response.headers ?? {}) as Obj)) {
      if ((h as Obj).required && this.header(ex, name) === undefined) problems.push(`${where}: required header ${name} is missing`);
    }
    const content = response.content as Obj | undefined;
    if (!content) {
      if (ex.body !== '') problems.push(`${where}: the document says no body, but one came: ${ex.body.slice(0, 200)}`);
      return problems;
    }
    const contentType = this.header(ex, 'content-type');
    if (!contentType) return [...problems, `${where}: no Content-Type`];
    const wanted = normaliseMediaType(contentType);
    const media = Object.entries(content).find(([k]) => normaliseMediaType(k) === wanted);
    if (!media) return [...problems, `${where}: Content-Type ${contentType} is not documented (documented: ${Object.keys(content).join(' | ')})`];
    const schema = (media[1] as Obj).schema as Obj | undefined;
    if (schema) problems.push(...this.checkBody(ex, schema, where));
    return problems;
  }
}
