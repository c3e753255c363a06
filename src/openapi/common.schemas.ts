import { ERROR_CODES } from '../errors/api-error';
import { resolveFlatMapping } from '../http/flat/flat.mapping';
import { Registry } from '../resources/registry';
import { flatSchemas } from './flat';
import { ID_PATTERN, names, object, Obj, ref } from './schema.helpers';

/** The schemas every type shares: ids, links, pagination, errors, atomic documents; then the flat surface's and health. */

export function commonSchemas(registry: Registry): Record<string, Obj> {
  const resources = registry.resources.map((d) => ref(names(d).resource));
  return {
    Id: { type: 'string', pattern: ID_PATTERN, description: '24 lowercase hex characters laid out like a MongoDB ObjectId.' },
    // Absolute URLs built from the request's scheme and host, valid RFC 3986 URIs: the brackets
    // of parameter families are percent-encoded (page%5Bnumber%5D=2).
    Link: {
      type: 'string',
      pattern: "^https?://[^\\s/?#]+(?:/(?:[A-Za-z0-9\\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*)?$",
      description: 'An absolute URL and an RFC 3986 URI: brackets in a query, and any other character a path or query may not hold, are percent-encoded.',
    },
    NullableLink: { oneOf: [{ $ref: '#/components/schemas/Link' }, { type: 'null' }] },
    JsonApi: object({ version: { const: '1.1' }, ext: { type: 'array', items: { type: 'string', format: 'uri' } } }, ['version']),
    RestrictedMeta: object({ restricted: { const: true } }, ['restricted'], { description: 'The caller may not see the related resource.' }),
    RelationshipLinks: object({ self: ref('Link'), related: ref('Link') }, ['self', 'related']),
    ToManyRelationshipLinks: object({ self: ref('Link'), related: ref('Link'), next: ref('Link') }, ['self', 'related'], {
      description: 'next: present when the linkage shows only the first members; it is the next page of the relationship endpoint.',
    }),
    PageLinks: object({ self: ref('Link'), first: ref('Link'), last: ref('Link'), prev: ref('NullableLink'), next: ref('NullableLink') }, ['self'], {
      description: 'Pagination links keep every other query parameter. Keyset pages: next/prev carry signed cursors, null at the ends.',
    }),
    RelationshipPageLinks: object(
      {
        self: ref('Link'),
        related: ref('Link'),
        first: ref('Link'),
        last: ref('Link'),
        prev: ref('NullableLink'),
        next: ref('NullableLink'),
      },
      ['self', 'related'],
    ),
    PageMetaPage: {
      type: 'object',
      properties: {
        number: { type: 'integer', minimum: 1 },
        size: { type: 'integer', minimum: 1 },
        total: { type: 'integer', minimum: 0 },
        totalPages: { type: 'integer', minimum: 0 },
      },
      required: ['size'],
      additionalProperties: false,
      description: 'Page numbers: number, size, total, totalPages. Keyset pagination: size only (no COUNT).',
    },
    PageMeta: object({ page: ref('PageMetaPage') }, ['page']),
    Included: { type: 'array', items: { oneOf: resources }, description: 'Each included resource appears once.' },
    Error: object(
      {
        status: { type: 'string', pattern: '^[1-5][0-9]{2}$' },
        code: { enum: [...ERROR_CODES] },
        title: { type: 'string', description: 'The same for every error of a code.' },
        detail: { type: 'string', description: 'This case.' },
        source: object({ pointer: { type: 'string' }, parameter: { type: 'string' }, header: { type: 'string' } }),
        meta: { type: 'object', description: 'errorId (500), relationship and count (delete refused).' },
      },
      ['status', 'code', 'title'],
    ),
    ErrorDocument: object({ jsonapi: ref('JsonApi'), errors: { type: 'array', items: ref('Error'), minItems: 1 } }, ['jsonapi', 'errors']),
    AtomicRequest: object(
      {
        'atomic:operations': {
          type: 'array',
          minItems: 1,
          items: object(
            {
              op: { enum: ['add', 'update', 'remove'] },
              ref: object({ type: { type: 'string' }, id: ref('Id'), lid: { type: 'string' }, relationship: { type: 'string' } }, ['type']),
              data: { description: 'A resource object (add, update), or relationship data (to-one: an identifier or null; to-many: an array).' },
              meta: object({ version: { type: 'integer', minimum: 1, description: 'The version the target must have (else 412).' } }),
            },
            ['op'],
          ),
        },
      },
      ['atomic:operations'],
    ),
    AtomicResponse: object(
      {
        jsonapi: ref('JsonApi'),
        'atomic:results': { type: 'array', items: object({ data: { oneOf: resources } }) },
      },
      ['jsonapi', 'atomic:results'],
    ),
    ...flatSchemas(resolveFlatMapping(registry)),
    Health: object({ status: { enum: ['ok', 'unavailable'] } }, ['status']),
  };
}
