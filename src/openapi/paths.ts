import { ATOMIC_EXT } from '../http/middleware/negotiation';
import { Registry } from '../resources/registry';
import { ResourceDef } from '../resources/types';
import { filterParameterKeys, param, queryParam } from './parameters';
import { ATOMIC_MEDIA_TYPE, errorResponses, ETAG, jsonApiContent, READ_ERRORS, requestBody, WRITE_ERRORS } from './responses';
import { names, Obj, pascal, ref } from './schema.helpers';

/** The paths: every method of /api/v2 per type, the atomic endpoint, the flat surface, health. */

export function typePaths(def: ResourceDef, registry: Registry): Record<string, Obj> {
  const n = names(def);
  const T = pascal(def.type);
  const Ts = pascal(def.path);
  const base = `/api/v2/${def.path}`;
  const tag = def.path;
  const adminOnly = def.scope.kind === 'admin-only';
  const readErrors = adminOnly ? [...READ_ERRORS, 403].sort() : READ_ERRORS;
  const note = adminOnly
    ? ' Admin tokens only (a client token gets 403). On a client subdomain, only those of clients in that subtree (others are 404); one that belongs to no client cannot be made there (403).'
    : '';
  const single = (d: ResourceDef) => [param(`${d.type}.include`), ...registry.resources.map((r) => param(`fields.${r.type}`))];
  const collection = (d: ResourceDef) => [
    ...single(d),
    param(`${d.type}.sort`),
    param('page.number'),
    param('page.size'),
    param('page.after'),
    param('page.before'),
    ...filterParameterKeys(d).map(param),
  ];
  const ok = (schema: string, description: string, headers?: Obj) => ({ description, ...(headers ? { headers } : {}), content: jsonApiContent(ref(schema)) });

  const paths: Record<string, Obj> = {
    [base]: {
      get: {
        operationId: `list${Ts}`,
        tags: [tag],
        summary: `List ${def.path}`,
        description: `A page of ${def.path} the caller may see, with filters, sorting, includes and pagination.${note}`,
        parameters: collection(def),
        responses: { '200': ok(n.collection, `A page of ${def.path}.`), ...errorResponses('jsonapi', readErrors) },
      },
      post: {
        operationId: `create${T}`,
        tags: [tag],
        summary: `Create a ${def.type}`,
        description: `Admin tokens only.${def.createdMeta ? ` The response's data.meta carries ${Object.keys(def.createdMeta).join(', ')}, shown this once.` : ''}`,
        parameters: single(def),
        requestBody: requestBody(ref(n.create)),
        responses: {
          '201': ok(n.document, 'Created.', { Location: { required: true, schema: ref('Link') }, ...ETAG }),
          ...errorResponses('jsonapi', WRITE_ERRORS),
        },
      },
    },
    [`${base}/{id}`]: {
      parameters: [param('id')],
      get: {
        operationId: `get${T}`,
        tags: [tag],
        summary: `Get one ${def.type}`,
        description: note.trim() || undefined,
        parameters: [...single(def), param('If-None-Match')],
        responses: { '200': ok(n.document, `The ${def.type}.`, ETAG), '304': { description: 'Not modified (If-None-Match matched).' }, ...errorResponses('jsonapi', readErrors) },
      },
      patch: {
        operationId: `update${T}`,
        tags: [tag],
        summary: `Update a ${def.type}`,
        description: 'Admin tokens only. Changes only the members sent.',
        parameters: [...single(def), param('If-Match'), param('Prefer')],
        requestBody: requestBody(ref(n.update)),
        responses: {
          '200': ok(n.document, 'Updated.', ETAG),
          '204': { description: 'Updated (Prefer: return=minimal).' },
          ...errorResponses('jsonapi', [...WRITE_ERRORS, 412].sort()),
        },
      },
      delete: {
        operationId: `delete${T}`,
        tags: [tag],
        summary: `Delete a ${def.type}`,
        description: def.deleteBlockers.length > 0 ? `Refused with 409 while it has ${def.deleteBlockers.map((b) => b.name).join(', ')} (one error each, meta.relationship and meta.count).` : undefined,
        parameters: [param('If-Match')],
        responses: { '204': { description: 'Deleted.' }, ...errorResponses('jsonapi', [...WRITE_ERRORS, 412].sort()) },
      },
    },
  };
  for (const rel of def.relationships) {
    const target = registry.get(rel.target);
    const tn = names(target);
    const R = pascal(rel.name);
    const toOne = rel.kind === 'to-one';
    paths[`${base}/{id}/${rel.name}`] = {
      parameters: [param('id')],
      get: {
        operationId: `get${T}${R}`,
        tags: [tag],
        summary: `The ${rel.name} of a ${def.type}`,
        parameters: toOne ? [...single(target), param('If-None-Match')] : collection(target),
        responses: {
          '200': toOne ? ok(tn.relatedDocument, `The related ${target.type} (null when none or not visible).`) : ok(tn.collection, `A page of the related ${target.path}.`),
          ...(toOne ? { '304': { description: 'Not modified.' } } : {}),
          ...errorResponses('jsonapi', readErrors),
        },
      },
    };
    const linkageWrite = (method: string, summary: string) => ({
      operationId: `${method}${T}${R}Relationship`,
      tags: [tag],
      summary,
      description: 'Admin tokens only. Checked against the owner\'s If-Match. 204 on success.',
      parameters: [param('If-Match')],
      requestBody: requestBody(ref(toOne ? tn.toOneLinkageRequest : tn.toManyLinkageRequest)),
      responses: { '204': { description: 'Done.' }, ...errorResponses('jsonapi', [...WRITE_ERRORS, 412].sort()) },
    });
    const linkage: Obj = {
      parameters: [param('id')],
      get: {
        operationId: `get${T}${R}Relationship`,
        tags: [tag],
        summary: `Linkage of ${def.type}.${rel.name}`,
        parameters: toOne ? [] : [param(`${target.type}.sort`), param('page.number'), param('page.size'), param('page.after'), param('page.before'), ...filterParameterKeys(target).map(param)],
        responses: { '200': ok(toOne ? tn.toOneLinkage : tn.toManyLinkage, 'The linkage.'), ...errorResponses('jsonapi', readErrors) },
      },
    };
    linkage.patch = linkageWrite('replace', toOne ? `Set ${rel.name}` : `Replace all ${rel.name}`);
    if (toOne && !rel.updatable) (linkage.patch as Obj).description = `${def.type}.${rel.name} cannot change after creation: 422.`;
    if (!toOne) {
      linkage.post = linkageWrite('add', `Add to ${rel.name}`);
      linkage.delete = linkageWrite('remove', `Remove from ${rel.name}`);
    }
    paths[`${base}/{id}/relationships/${rel.name}`] = linkage;
  }
  return paths;
}

export function otherPaths(): Record<string, Obj> {
  const flatId = { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: '^(client_)?[0-9a-f]{24}$' }, description: 'client_<24 hex>, or the bare 24 hex id.' };
  const flatOk = (schema: string, description: string, headers?: Obj) => ({ description, ...(headers ? { headers } : {}), content: { 'application/json': { schema: ref(schema) } } });
  const flatBody = { required: true, content: { 'application/json': { schema: ref('FlatClientWrite') } } };
  const health = (description: string) => ({ description, content: { 'application/json': { schema: ref('Health') } } });
  return {
    '/api/v2/operations': {
      post: {
        operationId: 'atomicOperations',
        tags: ['operations'],
        summary: 'Atomic operations',
        description: `The atomic extension (${ATOMIC_EXT}): add, update and remove on resources and relationships, lid for resources made earlier in the request, all in one transaction. Admin tokens only. Error pointers start with /atomic:operations/N.`,
        requestBody: { required: true, content: { [ATOMIC_MEDIA_TYPE]: { schema: ref('AtomicRequest') } } },
        responses: {
          '200': { description: 'Every operation done; one result each.', content: { [ATOMIC_MEDIA_TYPE]: { schema: ref('AtomicResponse') } } },
          '204': { description: 'Every operation done; none has a result.' },
          ...errorResponses('jsonapi', [...WRITE_ERRORS, 412].sort()),
        },
      },
    },
    '/api/v2/openapi.json': {
      get: {
        operationId: 'openapi',
        tags: ['meta'],
        summary: 'This document',
        security: [],
        responses: { '200': { description: 'The OpenAPI 3.1 document, generated from the resource registry.', content: { 'application/json': { schema: { type: 'object' } } } } },
      },
    },
    '/api/clients': {
      get: {
        operationId: 'flatListClients',
        tags: ['flat'],
        summary: 'List clients (flat)',
        parameters: [
          queryParam('email', { type: 'string' }, 'Exact email, compared case-insensitively.'),
          queryParam('search', { type: 'string' }, 'Part of the name, case-insensitive; % and _ are literal.'),
          queryParam('limit', { type: 'integer', minimum: 1, maximum: 1000 }, 'Page size (default 100).'),
          queryParam('offset', { type: 'integer', minimum: 0 }, 'Rows to skip.'),
        ],
        responses: { '200': flatOk('FlatClientList', 'Clients in id order.'), ...errorResponses('flat', [400, 401, 404, 500, 503]) },
      },
      post: {
        operationId: 'flatCreateClient',
        tags: ['flat'],
        summary: 'Create a client (flat)',
        description: 'name and email are required; projects (existing ids) move to the new client.',
        requestBody: flatBody,
        responses: { '201': flatOk('FlatClientDocument', 'Created.', { Location: { required: true, schema: ref('Link') } }), ...errorResponses('flat', [400, 401, 403, 404, 409, 413, 415, 422, 500, 503]) },
      },
    },
    '/api/clients/{id}': {
      parameters: [flatId],
      get: { operationId: 'flatGetClient', tags: ['flat'], summary: 'Get a client (flat)', responses: { '200': flatOk('FlatClientDocument', 'The client.'), ...errorResponses('flat', [400, 401, 404, 500, 503]) } },
      patch: {
        operationId: 'flatUpdateClient',
        tags: ['flat'],
        summary: 'Update a client (flat)',
        description: 'Partial. projects replaces the set: leaving out a project the client owns is 403 (it would be orphaned).',
        requestBody: flatBody,
        responses: { '200': flatOk('FlatClientDocument', 'Updated.'), ...errorResponses('flat', [400, 401, 403, 404, 409, 413, 415, 422, 500, 503]) },
      },
      delete: { operationId: 'flatDeleteClient', tags: ['flat'], summary: 'Delete a client (flat)', responses: { '204': { description: 'Deleted.' }, ...errorResponses('flat', [400, 401, 403, 404, 409, 415, 500, 503]) } },
    },
    '/healthz': { get: { operationId: 'healthz', tags: ['meta'], summary: 'Process up', security: [], responses: { '200': health('Up.') } } },
    '/readyz': { get: { operationId: 'readyz', tags: ['meta'], summary: 'Database answers', security: [], responses: { '200': health('Ready.'), '503': health('The database does not answer.') } } },
  };
}
