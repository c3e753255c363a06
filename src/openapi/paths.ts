import { AnyTarget, Answer, Endpoint, endpointInstances, EndpointMethod, RequestDocument } from '../http/jsonapi/endpoint.kind';
import { JSONAPI_ENDPOINTS } from '../http/jsonapi/endpoints';
import { Registry } from '../resources/registry';
import { ResourceDef } from '../resources/types';
import { filterParameterKeys, param } from './parameters';
import { ATOMIC_MEDIA_TYPE, errorResponses, ETAG, jsonApiContent, READ_ERRORS, requestBody, WRITE_ERRORS } from './responses';
import { names, Obj, ref } from './schema.helpers';

/**
 * The paths. Those of /api/v2 are read from the endpoint table (src/http/jsonapi/endpoints.ts):
 * each endpoint per type and relationship, its methods, their parameters (from the query
 * context: only the families that shape the answer), bodies, answers and errors.
 */

type Names = ReturnType<typeof names>;

/** The query parameters a method documents: the families its query context accepts that shape its answer. */
function queryParameters(registry: Registry, subject: ResourceDef, m: EndpointMethod<AnyTarget>): Obj[] {
  const context = m.query;
  const document = m.answers.find((a) => a.document)?.document;
  const shapesResources = document === 'collection' || document === 'resource' || document === 'related';
  const shapesPaging = document === 'collection' || document === 'to-many-linkage';
  const out: Obj[] = [];
  if ((context === 'collection' || context === 'single') && shapesResources) {
    out.push(param(`${subject.type}.include`), ...registry.resources.map((r) => param(`fields.${r.type}`)));
  }
  if ((context === 'collection' || context === 'linkage') && shapesPaging) {
    out.push(param(`${subject.type}.sort`), param('page.number'), param('page.size'), param('page.after'), param('page.before'), ...filterParameterKeys(subject).map(param));
  }
  if (m.conditional) out.push(param(m.conditional));
  if (m.prefer) out.push(param('Prefer'));
  return out;
}

function answer(a: Answer, n: Names | undefined): Obj {
  if (!a.document) return { description: a.description };
  const headers = a.location ? { Location: { required: true, schema: ref('Link') }, ...ETAG } : a.etag ? ETAG : undefined;
  const schema = (name: keyof Names) => jsonApiContent(ref(n![name]));
  const content = {
    collection: () => schema('collection'),
    resource: () => schema('document'),
    related: () => schema('relatedDocument'),
    'to-one-linkage': () => schema('toOneLinkage'),
    'to-many-linkage': () => schema('toManyLinkage'),
    atomic: () => ({ [ATOMIC_MEDIA_TYPE]: { schema: ref('AtomicResponse') } }),
    openapi: () => ({ 'application/json': { schema: { type: 'object' } } }),
  }[a.document]();
  return { description: a.description, ...(headers ? { headers } : {}), content };
}

function body(document: RequestDocument, n: Names | undefined): Obj {
  if (document === 'atomic') return { required: true, content: { [ATOMIC_MEDIA_TYPE]: { schema: ref('AtomicRequest') } } };
  const name = ({ create: 'create', update: 'update', 'to-one-linkage': 'toOneLinkageRequest', 'to-many-linkage': 'toManyLinkageRequest' } as const)[document];
  return requestBody(ref(n![name]));
}

function errors(m: EndpointMethod<AnyTarget>, def: ResourceDef | undefined): Obj {
  if (m.errors === undefined) return {};
  if (m.errors === 'read') return errorResponses('jsonapi', def?.scope.kind === 'admin-only' ? [...READ_ERRORS, 403].sort() : READ_ERRORS);
  return errorResponses('jsonapi', m.errors === 'write' ? WRITE_ERRORS : [...WRITE_ERRORS, 412].sort());
}

function operation(registry: Registry, e: Endpoint, t: AnyTarget, m: EndpointMethod<AnyTarget>): Obj {
  const subject = e.subject === 'type' ? t.def : e.subject === 'target' ? t.target : undefined;
  const n = subject ? names(subject) : undefined;
  const reads = m.query !== 'none' && m.query !== 'unread';
  return {
    operationId: m.operationId,
    tags: [e.tag ?? t.def!.path],
    summary: m.summary,
    description: m.description,
    security: e.public ? [] : undefined,
    parameters: reads ? queryParameters(registry, subject!, m) : undefined,
    requestBody: m.body ? body(m.body, n) : undefined,
    responses: { ...Object.fromEntries(m.answers.map((a) => [String(a.status), answer(a, n)])), ...errors(m, t.def) },
  };
}

/** Every path of /api/v2, from the endpoint table. */
export function jsonApiPaths(registry: Registry): Record<string, Obj> {
  const paths: Record<string, Obj> = {};
  for (const { template, endpoint, target } of endpointInstances(JSONAPI_ENDPOINTS, registry)) {
    const item: Obj = template.includes('{id}') ? { parameters: [param('id')] } : {};
    for (const m of endpoint.methods(target)) item[m.method.toLowerCase()] = operation(registry, endpoint, target, m);
    paths[template] = item;
  }
  return paths;
}

/** The health checks, outside the API. */
export function healthPaths(): Record<string, Obj> {
  const health = (description: string) => ({ description, content: { 'application/json': { schema: ref('Health') } } });
  return {
    '/healthz': { get: { operationId: 'healthz', tags: ['meta'], summary: 'Process up', security: [], responses: { '200': health('Up.') } } },
    '/readyz': { get: { operationId: 'readyz', tags: ['meta'], summary: 'Database answers', security: [], responses: { '200': health('Ready.'), '503': health('The database does not answer.') } } },
  };
}
