import { registry } from '../../resources/registry';
import { ATOMIC_EXT } from '../middleware/negotiation';
import { pascal } from '../../openapi/schema.helpers';
import { ResourceDef } from '../../resources/types';
import { endpoint, Endpoint, EndpointMethod, RelationshipTarget, ResourceTarget, TypeTarget } from './endpoint.kind';
import { createResource, deleteResource, listResources, runOperations, serveOpenApi, showLinkage, showRelated, showResource, updateResource, writeLinkage } from './handlers';

/**
 * Every endpoint of /api/v2, declared once: its path shape, its methods, what each reads from the
 * query string, its handler and its OpenAPI summary. The router (router.ts), the `Allow`
 * header and 405s, and the OpenAPI paths (src/openapi/paths.ts) are read from this table.
 */

/** What the OpenAPI descriptions add for an admin-only type. */
/** What stops a delete of `def`, for its DELETE description (derived by the registry from the to-ones pointing at it). */
function blockersNote(def: ResourceDef): string | undefined {
  const names = registry.deleteBlockers(def).map((b) => b.name);
  return names.length > 0 ? `Refused with 409 while it has ${names.join(', ')} (one error each, meta.relationship and meta.count).` : undefined;
}

function adminNote(def: ResourceDef): string {
  return def.scope.kind === 'admin-only'
    ? ' Admin tokens only (a client token gets 403). On a client subdomain, only those of clients in that subtree (others are 404); one that belongs to no client cannot be made there (403).'
    : '';
}

const operations = endpoint({
  shape: ['operations'],
  subject: 'none',
  tag: 'operations',
  methods: () => [
    {
      method: 'POST',
      operationId: 'atomicOperations',
      summary: 'Atomic operations',
      description: `The atomic extension (${ATOMIC_EXT}): add, update and remove on resources and relationships, lid for resources made earlier in the request, all in one transaction. Admin tokens only. Error pointers start with /atomic:operations/N.`,
      query: 'none',
      body: 'atomic',
      answers: [
        { status: 200, description: 'Every operation done; one result each.', document: 'atomic' },
        { status: 204, description: 'Every operation done; none has a result.' },
      ],
      errors: 'versioned-write',
      handle: runOperations,
    },
  ],
});

const openapi = endpoint({
  shape: ['openapi.json'],
  subject: 'none',
  tag: 'meta',
  public: true,
  methods: () => [
    {
      method: 'GET',
      operationId: 'openapi',
      summary: 'This document',
      query: 'unread',
      answers: [{ status: 200, description: 'The OpenAPI 3.1 document, generated from the resource registry.', document: 'openapi' }],
      handle: serveOpenApi,
    },
  ],
});

const collection = endpoint<TypeTarget>({
  shape: [':type'],
  subject: 'type',
  methods: ({ def }) => [
    {
      method: 'GET',
      operationId: `list${pascal(def.path)}`,
      summary: `List ${def.path}`,
      description: `A page of ${def.path} the caller may see, with filters, sorting, includes and pagination.${adminNote(def)}`,
      query: 'collection',
      answers: [{ status: 200, description: `A page of ${def.path}.`, document: 'collection' }],
      errors: 'read',
      handle: listResources,
    },
    {
      method: 'POST',
      operationId: `create${pascal(def.type)}`,
      summary: `Create a ${def.type}`,
      description: `Admin tokens only.${def.createdMeta ? ` The response's data.meta carries ${Object.keys(def.createdMeta).join(', ')}, shown this once.` : ''}`,
      query: 'single',
      body: 'create',
      answers: [{ status: 201, description: 'Created.', document: 'resource', location: true, etag: true }],
      errors: 'write',
      handle: createResource,
    },
  ],
});

const resource = endpoint<ResourceTarget>({
  shape: [':type', ':id'],
  subject: 'type',
  beforeNotAllowed: { target: true },
  methods: ({ def }) => [
    {
      method: 'GET',
      operationId: `get${pascal(def.type)}`,
      summary: `Get one ${def.type}`,
      description: adminNote(def).trim() || undefined,
      query: 'single',
      conditional: 'If-None-Match',
      errors: 'read',
      handle: showResource,
      answers: [
        { status: 200, description: `The ${def.type}.`, document: 'resource', etag: true },
        { status: 304, description: 'Not modified (If-None-Match matched).' },
      ],
    },
    {
      method: 'PATCH',
      operationId: `update${pascal(def.type)}`,
      summary: `Update a ${def.type}`,
      description: 'Admin tokens only. Changes only the members sent.',
      query: 'single',
      conditional: 'If-Match',
      prefer: true,
      body: 'update',
      errors: 'versioned-write',
      handle: updateResource,
      answers: [
        { status: 200, description: 'Updated.', document: 'resource', etag: true },
        { status: 204, description: 'Updated (Prefer: return=minimal).' },
      ],
    },
    {
      method: 'DELETE',
      operationId: `delete${pascal(def.type)}`,
      summary: `Delete a ${def.type}`,
      description: blockersNote(def),
      query: 'single',
      conditional: 'If-Match',
      answers: [{ status: 204, description: 'Deleted.' }],
      errors: 'versioned-write',
      handle: deleteResource,
    },
  ],
});

const related = endpoint<RelationshipTarget>({
  shape: [':type', ':id', ':rel'],
  subject: 'target',
  beforeNotAllowed: { queryAs: 'GET', target: true },
  methods: ({ def, rel, target }) => {
    const toOne = rel.kind === 'to-one';
    return [
      {
        method: 'GET',
        operationId: `get${pascal(def.type)}${pascal(rel.name)}`,
        summary: `The ${rel.name} of a ${def.type}`,
        query: toOne ? 'single' : 'collection',
        conditional: toOne ? 'If-None-Match' : undefined,
        answers: toOne
          ? [
              { status: 200, description: `The related ${target.type} (null when none or not visible).`, document: 'related' },
              { status: 304, description: 'Not modified.' },
            ]
          : [{ status: 200, description: `A page of the related ${target.path}.`, document: 'collection' }],
        errors: 'read',
        handle: showRelated,
      },
    ];
  },
});

const relationship = endpoint<RelationshipTarget>({
  shape: [':type', ':id', 'relationships', ':rel'],
  subject: 'target',
  beforeNotAllowed: { queryAs: 'PATCH', target: true },
  methods: ({ def, rel }) => {
    const toOne = rel.kind === 'to-one';
    const linkageWrite = (method: 'PATCH' | 'POST' | 'DELETE', verb: string, summary: string): EndpointMethod<RelationshipTarget> => ({
      method,
      operationId: `${verb}${pascal(def.type)}${pascal(rel.name)}Relationship`,
      summary,
      description:
        method === 'PATCH' && rel.kind === 'to-one' && !rel.updatable
          ? `${def.type}.${rel.name} cannot change after creation: 422.`
          : "Admin tokens only. Checked against the owner's If-Match. 204 on success.",
      query: 'linkage',
      conditional: 'If-Match',
      body: toOne ? 'to-one-linkage' : 'to-many-linkage',
      answers: [{ status: 204, description: 'Done.' }],
      errors: 'versioned-write',
      handle: writeLinkage,
    });
    const read: EndpointMethod<RelationshipTarget> = {
      method: 'GET',
      operationId: `get${pascal(def.type)}${pascal(rel.name)}Relationship`,
      summary: `Linkage of ${def.type}.${rel.name}`,
      query: toOne ? 'single' : 'linkage',
      answers: [{ status: 200, description: 'The linkage.', document: toOne ? 'to-one-linkage' : 'to-many-linkage' }],
      errors: 'read',
      handle: showLinkage,
    };
    const replace = linkageWrite('PATCH', 'replace', toOne ? `Set ${rel.name}` : `Replace all ${rel.name}`);
    if (toOne) return [read, replace];
    return [read, replace, linkageWrite('POST', 'add', `Add to ${rel.name}`), linkageWrite('DELETE', 'remove', `Remove from ${rel.name}`)];
  },
});

/** The table, in the order the OpenAPI document lists a type's paths: collection, resource, then per relationship. */
export const JSONAPI_ENDPOINTS: readonly Endpoint[] = [collection, resource, related, relationship, operations, openapi];
