import { Config } from '../config/config';
import { ERROR_CODES } from '../errors/api-error';
import { ATOMIC_EXT, JSONAPI, JSONAPI_ALIAS } from '../http/middleware/negotiation';
import { FILTER_OPERATORS } from '../query/ast';
import { HIERARCHY_FILTERS, operatorsFor } from '../query/filter.parser';
import { Registry } from '../resources/registry';
import { AttributeDef, RelationshipDef, ResourceDef } from '../resources/types';

/**
 * The OpenAPI 3.1 document, derived from the resource registry at start (never written by
 * hand, so it cannot drift from what the routers, parsers and serializers do): every path and
 * method of /api/v2 and /api/clients, each parameter family with the filter operators each
 * attribute takes, request and response schemas per type, linkage, error and atomic documents.
 */

type Obj = Record<string, unknown>;

export const ATOMIC_MEDIA_TYPE = `${JSONAPI}; ext="${ATOMIC_EXT}"`;
const ID_PATTERN = '^[0-9a-f]{24}$';
const TIMESTAMP_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$';

const ref = (name: string): Obj => ({ $ref: `#/components/schemas/${name}` });
const pascal = (s: string): string => s.replace(/(^|[-.])([a-z])/g, (_m, _sep, c: string) => c.toUpperCase());
const nullable = (schema: Obj): Obj => ({ oneOf: [schema, { type: 'null' }] });
const object = (properties: Obj, required: string[] = [], extra: Obj = {}): Obj => ({
  type: 'object',
  properties,
  ...(required.length > 0 ? { required } : {}),
  additionalProperties: false,
  ...extra,
});

/** Schema names per type, in one place so paths and components agree. */
const names = (def: ResourceDef) => {
  const T = pascal(def.type);
  return {
    identifier: `${T}Identifier`,
    requestIdentifier: `${T}RequestIdentifier`,
    attributes: `${T}Attributes`,
    relationships: `${T}Relationships`,
    resource: `${T}Resource`,
    document: `${T}Document`,
    relatedDocument: `${T}RelatedDocument`,
    collection: `${T}CollectionDocument`,
    create: `${T}CreateRequest`,
    update: `${T}UpdateRequest`,
    toOneLinkage: `${T}ToOneLinkageDocument`,
    toManyLinkage: `${T}ToManyLinkageDocument`,
    toOneLinkageRequest: `${T}ToOneLinkageRequest`,
    toManyLinkageRequest: `${T}ToManyLinkageRequest`,
  };
};

/** The JSON Schema of an attribute's value as it is stored and shown. */
function attributeSchema(a: AttributeDef): Obj {
  const base: Obj = a.kind === 'timestamp' ? { type: 'string', format: 'date-time', pattern: TIMESTAMP_PATTERN } : { ...(a.schema ?? { type: 'string' }) };
  const notes: string[] = [];
  if (typeof base.description === 'string') notes.push(base.description);
  if (a.unique) notes.push(a.foldedColumn ? 'Unique, compared case-insensitively.' : 'Unique.');
  delete base.description;
  const schema = a.nullable ? nullable(base) : base;
  if (notes.length > 0) schema.description = notes.join(' ');
  if (!a.creatable && !a.updatable) schema.readOnly = true;
  return schema;
}

function resourceSchemas(def: ResourceDef, registry: Registry, maxLinkage: number): Record<string, Obj> {
  const n = names(def);
  const linkageOf = (rel: RelationshipDef) => names(registry.get(rel.target));
  const relationships: Obj = {};
  for (const rel of def.relationships) {
    const target = linkageOf(rel);
    const data = rel.kind === 'to-one' ? (rel.nullable ? nullable(ref(target.identifier)) : ref(target.identifier)) : { type: 'array', items: ref(target.identifier) };
    const meta =
      rel.kind === 'to-one'
        ? ref('RestrictedMeta')
        : { oneOf: [object({ count: { type: 'integer', minimum: 0 } }, ['count']), ref('RestrictedMeta')] };
    const links = ref(rel.kind === 'to-one' ? 'RelationshipLinks' : 'ToManyRelationshipLinks');
    relationships[rel.name] = object({ links, data, meta }, ['links'], {
      description:
        rel.kind === 'to-one'
          ? `To-one ${rel.target}.`
          : `To-many ${rel.target}, bounded: data holds at most ${maxLinkage} identifiers (MAX_LINKAGE), the first in id order; ` +
            `meta.count is the number of members; when there are more, links.next is the next page of the relationship endpoint. ` +
            `Included resources follow the linkage shown.`,
    });
  }
  const resourceMeta: Obj = { version: { type: 'integer', minimum: 1, description: 'Goes up by one at every write; the ETag is made from it.' } };
  for (const [k, v] of Object.entries(def.createdMeta ?? {})) resourceMeta[k] = v;

  const creatable = def.attributes.filter((a) => a.creatable);
  const updatable = def.attributes.filter((a) => a.updatable);
  const requestAttrs = (list: AttributeDef[]) => Object.fromEntries(list.map((a) => [a.name, attributeSchema(a)]));
  const requestRel = (rel: RelationshipDef) => {
    const target = linkageOf(rel);
    return rel.kind === 'to-one'
      ? object({ data: rel.nullable ? nullable(ref(target.requestIdentifier)) : ref(target.requestIdentifier) }, ['data'])
      : object({ data: { type: 'array', items: ref(target.requestIdentifier) } }, ['data']);
  };
  const settable = (isCreate: boolean) => def.relationships.filter((r) => isCreate || r.kind === 'to-many' || r.updatable);
  const requestRels = (isCreate: boolean) => Object.fromEntries(settable(isCreate).map((r) => [r.name, requestRel(r)]));
  const requiredAttrs = def.attributes.filter((a) => a.required).map((a) => a.name);
  const requiredRels = def.relationships.filter((r) => r.kind === 'to-one' && r.required).map((r) => r.name);

  return {
    [n.identifier]: object({ type: { const: def.type }, id: ref('Id') }, ['type', 'id']),
    [n.requestIdentifier]: {
      type: 'object',
      properties: { type: { const: def.type }, id: ref('Id'), lid: { type: 'string', minLength: 1, description: 'A resource created earlier in the same atomic request.' } },
      required: ['type'],
      oneOf: [{ required: ['id'] }, { required: ['lid'] }],
      additionalProperties: false,
    },
    [n.attributes]: object(Object.fromEntries(def.attributes.map((a) => [a.name, attributeSchema(a)])), [], {
      description: 'All attributes, unless a sparse fieldset (fields[type]) left some out.',
    }),
    [n.relationships]: object(relationships),
    [n.resource]: object(
      {
        type: { const: def.type },
        id: ref('Id'),
        attributes: ref(n.attributes),
        relationships: ref(n.relationships),
        links: object({ self: ref('Link') }, ['self']),
        meta: object(resourceMeta),
      },
      ['type', 'id', 'links'],
    ),
    [n.document]: object({ jsonapi: ref('JsonApi'), links: object({ self: ref('Link') }, ['self']), data: ref(n.resource), included: ref('Included') }, ['jsonapi', 'links', 'data']),
    [n.relatedDocument]: object(
      { jsonapi: ref('JsonApi'), links: object({ self: ref('Link') }, ['self']), data: nullable(ref(n.resource)), included: ref('Included'), meta: ref('RestrictedMeta') },
      ['jsonapi', 'links', 'data'],
      { description: `A related ${def.type}: null when there is none, or when the caller may not see it (then meta.restricted).` },
    ),
    [n.collection]: object(
      {
        jsonapi: ref('JsonApi'),
        links: ref('PageLinks'),
        data: { type: 'array', items: ref(n.resource) },
        included: ref('Included'),
        meta: ref('PageMeta'),
      },
      ['jsonapi', 'links', 'data', 'meta'],
    ),
    [n.create]: object(
      {
        data: object(
          {
            type: { const: def.type },
            id: { ...ref('Id'), description: 'Optional: the server makes one when absent.' },
            lid: { type: 'string', minLength: 1, description: 'Atomic operations only: a local id later operations can refer to.' },
            attributes: object(requestAttrs(creatable), requiredAttrs),
            relationships: object(requestRels(true), requiredRels),
          },
          requiredAttrs.length > 0 ? ['type', 'attributes'] : ['type'],
        ),
      },
      ['data'],
    ),
    [n.update]: object(
      {
        data: object(
          { type: { const: def.type }, id: ref('Id'), attributes: object(requestAttrs(updatable)), relationships: object(requestRels(false)) },
          ['type', 'id'],
        ),
      },
      ['data'],
    ),
    [n.toOneLinkage]: object(
      { jsonapi: ref('JsonApi'), links: ref('RelationshipLinks'), data: nullable(ref(n.identifier)), meta: ref('RestrictedMeta') },
      ['jsonapi', 'links', 'data'],
    ),
    [n.toManyLinkage]: object(
      {
        jsonapi: ref('JsonApi'),
        links: ref('RelationshipPageLinks'),
        data: { type: 'array', items: ref(n.identifier) },
        meta: {
          type: 'object',
          properties: { count: { type: 'integer', minimum: 0 }, page: ref('PageMetaPage'), restricted: { const: true } },
          additionalProperties: false,
        },
      },
      ['jsonapi', 'links', 'data'],
    ),
    [n.toOneLinkageRequest]: object({ data: nullable(ref(n.requestIdentifier)) }, ['data']),
    [n.toManyLinkageRequest]: object({ data: { type: 'array', items: ref(n.requestIdentifier) } }, ['data']),
  };
}

function commonSchemas(registry: Registry): Record<string, Obj> {
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
    JsonApi: object(
      { version: { const: '1.1' }, ext: { type: 'array', items: { type: 'string', format: 'uri' } } },
      ['version'],
    ),
    RestrictedMeta: object({ restricted: { const: true } }, ['restricted'], { description: 'The caller may not see the related resource.' }),
    RelationshipLinks: object({ self: ref('Link'), related: ref('Link') }, ['self', 'related']),
    ToManyRelationshipLinks: object({ self: ref('Link'), related: ref('Link'), next: ref('Link') }, ['self', 'related'], {
      description: 'next: present when the linkage shows only the first members; it is the next page of the relationship endpoint.',
    }),
    PageLinks: object(
      { self: ref('Link'), first: ref('Link'), last: ref('Link'), prev: ref('NullableLink'), next: ref('NullableLink') },
      ['self'],
      { description: 'Pagination links keep every other query parameter. Keyset pages: next/prev carry signed cursors, null at the ends.' },
    ),
    RelationshipPageLinks: object({
      self: ref('Link'),
      related: ref('Link'),
      first: ref('Link'),
      last: ref('Link'),
      prev: ref('NullableLink'),
      next: ref('NullableLink'),
    }, ['self', 'related']),
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
    FlatClient: object(
      {
        id: { type: 'string', pattern: '^client_[0-9a-f]{24}$' },
        name: { type: 'string' },
        email: { type: ['string', 'null'] },
        projects: { type: 'array', items: { type: 'string', pattern: '^proj_[0-9a-f]{24}$' } },
        created_at: { type: 'string', format: 'date-time', pattern: TIMESTAMP_PATTERN },
        updated_at: { type: 'string', format: 'date-time', pattern: TIMESTAMP_PATTERN },
      },
      ['id', 'name', 'email', 'projects', 'created_at', 'updated_at'],
    ),
    FlatClientDocument: object({ data: ref('FlatClient') }, ['data']),
    FlatClientList: object(
      {
        data: { type: 'array', items: ref('FlatClient') },
        meta: object({ total: { type: 'integer', minimum: 0 }, limit: { type: 'integer', minimum: 1 }, offset: { type: 'integer', minimum: 0 } }, ['total', 'limit', 'offset']),
      },
      ['data', 'meta'],
    ),
    FlatClientWrite: object(
      {
        name: { type: 'string', minLength: 1, maxLength: 200 },
        email: { type: 'string', format: 'email', maxLength: 254 },
        projects: { type: 'array', items: { type: 'string', description: 'proj_<24 hex> or the bare 24 hex id.' } },
      },
      [],
      { description: 'POST needs name and email; PATCH changes what it names. projects: existing project ids, moved to this client.' },
    ),
    FlatErrorDocument: object({ errors: { type: 'array', items: ref('Error'), minItems: 1 } }, ['errors']),
    Health: object({ status: { enum: ['ok', 'unavailable'] } }, ['status']),
  };
}

// ---- parameters ----------------------------------------------------------------------------

function queryParam(name: string, schema: Obj, description: string, extra: Obj = {}): Obj {
  return { name, in: 'query', required: false, schema, description, ...extra };
}

/** Component parameters for one type: include, fields, sort, filters. Keys are `<type>.<name>`. */
function typeParameters(def: ResourceDef, registry: Registry, config: Config): Record<string, Obj> {
  const key = (k: string) => `${def.type}.${k}`;
  const out: Record<string, Obj> = {};
  const rels = def.relationships.map((r) => r.name);
  out[key('include')] = queryParam('include', { type: 'string' }, `Comma-separated relationship paths to include (${rels.join(', ')}; paths like \`${rels[0]}.${registry.get(def.relationships[0].target).relationships[0]?.name ?? ''}\` go further, at most ${config.limits.maxIncludeDepth} deep).`);
  const sortable = ['id', ...def.attributes.filter((a) => a.sortable).map((a) => a.name)];
  const toOnes = def.relationships.filter((r) => r.kind === 'to-one').map((r) => r.name);
  out[key('sort')] = queryParam(
    'sort',
    { type: 'string' },
    `Comma-separated sort keys, \`-\` for descending: ${sortable.join(', ')}${toOnes.length ? `, and attributes of to-one paths (${toOnes.map((t) => `${t}.name`).join(', ')})` : ''}. At most ${config.limits.maxSortFields} keys; id ascending is always the final tiebreaker. Strings compare by code point; NULLs first ascending.`,
  );
  const filterable: AttributeDef[] = [{ name: 'id', kind: 'string' } as AttributeDef, ...def.attributes.filter((a) => a.filterable)];
  for (const a of filterable) {
    const valueSchema: Obj = a.kind === 'timestamp' ? { type: 'string', format: 'date-time' } : { type: 'string' };
    out[key(`filter.${a.name}`)] = queryParam(`filter[${a.name}]`, { type: 'string' }, `Equality on ${a.name}; a comma-separated list means any of.`);
    for (const op of operatorsFor(a)) {
      const schema = op === 'null' ? { enum: ['true', 'false'] } : valueSchema;
      const how = op === 'in' || op === 'nin' ? 'comma-separated values' : op === 'null' ? 'true or false' : 'the value as it is, commas included';
      out[key(`filter.${a.name}.${op}`)] = queryParam(`filter[${a.name}][${op}]`, schema, `${a.name} ${op}: ${how}.`);
    }
  }
  for (const rel of def.relationships) {
    if (rel.kind !== 'to-one') continue;
    out[key(`filter.${rel.name}`)] = queryParam(`filter[${rel.name}]`, { type: 'string' }, `Rows whose ${rel.name} is one of these ids (comma-separated)${rel.nullable ? ', or `null`' : ''}.`);
  }
  if (def.hierarchy) {
    out[key('filter.descendantOf')] = queryParam('filter[descendantOf]', { type: 'string', pattern: ID_PATTERN }, 'The whole subtree below this client, any depth.');
    out[key('filter.ancestorOf')] = queryParam('filter[ancestorOf]', { type: 'string', pattern: ID_PATTERN }, 'The chain of clients above this one.');
  }
  return out;
}

function filterParameterKeys(def: ResourceDef): string[] {
  const filterable = ['id', ...def.attributes.filter((a) => a.filterable).map((a) => a.name)];
  const keys: string[] = [];
  for (const name of filterable) {
    keys.push(`filter.${name}`);
    const a = def.attributes.find((x) => x.name === name) ?? ({ kind: 'string' } as AttributeDef);
    for (const op of operatorsFor(a)) keys.push(`filter.${name}.${op}`);
  }
  for (const rel of def.relationships) if (rel.kind === 'to-one') keys.push(`filter.${rel.name}`);
  if (def.hierarchy) for (const h of HIERARCHY_FILTERS) keys.push(`filter.${h}`);
  return keys.map((k) => `${def.type}.${k}`);
}

function sharedParameters(registry: Registry, config: Config): Record<string, Obj> {
  const out: Record<string, Obj> = {
    id: { name: 'id', in: 'path', required: true, schema: ref('Id') },
    'page.number': queryParam('page[number]', { type: 'integer', minimum: 1 }, 'Page number (the default mode), from 1.'),
    'page.size': queryParam('page[size]', { type: 'integer', minimum: 1, maximum: config.limits.maxPageSize }, `Page size (default ${config.limits.defaultPageSize}, at most ${config.limits.maxPageSize}).`),
    'page.after': queryParam('page[after]', { type: 'string' }, 'Keyset pagination: empty for the first page, then the cursor from links.next.', { allowEmptyValue: true }),
    'page.before': queryParam('page[before]', { type: 'string' }, 'Keyset pagination: the cursor from links.prev; empty for the last page.', { allowEmptyValue: true }),
    'If-Match': { name: 'If-Match', in: 'header', required: false, schema: { type: 'string' }, description: 'The ETag the resource must still have (else 412 and nothing changes).' },
    'If-None-Match': { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' }, description: 'With the current ETag: 304 and no body.' },
    Prefer: { name: 'Prefer', in: 'header', required: false, schema: { type: 'string', examples: ['return=minimal'] }, description: '`return=minimal`: 204 instead of the updated document.' },
  };
  for (const def of registry.resources) {
    const fields = [...def.attributes.map((a) => a.name), ...def.relationships.map((r) => r.name)];
    out[`fields.${def.type}`] = queryParam(`fields[${def.type}]`, { type: 'string' }, `Sparse fieldset of ${def.type}: comma-separated among ${fields.join(', ')}.`);
  }
  return out;
}

const param = (key: string): Obj => ({ $ref: `#/components/parameters/${key}` });

// ---- responses -----------------------------------------------------------------------------

const ERROR_STATUS: Record<number, string> = {
  400: 'A query parameter (`source.parameter`) or the document (`source.pointer`) is malformed, or nests too deep: `invalid_query_parameter`, `invalid_document`; HTTP that cannot be parsed: `malformed_request`.',
  401: 'Missing, unknown or revoked token: `unauthorized`.',
  403: 'The role may not do this: `forbidden`.',
  404: 'The target does not exist or is out of the caller\'s scope (`not_found`), or relationship data names one (`related_not_found`).',
  406: 'Accept allows no usable JSON:API media type: `not_acceptable`.',
  408: 'The request (headers or body) did not arrive in time: `request_timeout`; the connection is closed.',
  409: 'Wrong type, id mismatch, id/email/slug in use, a cycle, or a delete refused: `conflict`.',
  412: 'If-Match (or an atomic operation\'s meta.version) does not match: `precondition_failed`.',
  413: 'Body over the limit, too many atomic operations, or more resource identifiers in one relationship\'s data than the limit (`source.pointer` at the array): `payload_too_large`.',
  415: 'Unsupported request media type: `unsupported_media_type`.',
  422: 'A value, a missing required member, an unknown or read-only member: `validation_failed`.',
  429: 'Too many failed authentications from this address in the current minute (every request with a token is refused until it ends), or, where an operator set a per-token limit, too many requests from this token: `rate_limited`, with Retry-After.',
  431: 'The request line and headers are over the limit: `header_too_large`; the connection is closed.',
  500: 'Unexpected: `internal_error`, with meta.errorId (in the log).',
  503: 'The database is unreachable or busy (`unavailable`), or the request was not answered in time (`processing_timeout`): with Retry-After.',
};

const RETRY_AFTER = { required: true, schema: { type: 'string', pattern: '^[0-9]+$' }, description: 'Seconds to wait before retrying.' };

const HEADERS: Record<number, Obj> = {
  401: { 'WWW-Authenticate': { required: true, schema: { type: 'string', const: 'Bearer' } } },
  429: {
    'Retry-After': RETRY_AFTER,
    RateLimit: { schema: { type: 'string' }, description: 'IETF RateLimit header (draft 8), on every /api response when a per-token limit is set: `"600-in-1min"; r=0; t=42` (remaining, seconds to reset).' },
    'RateLimit-Policy': { schema: { type: 'string' }, description: 'IETF RateLimit-Policy header (draft 8): `"600-in-1min"; q=600; w=60; pk=:…:`.' },
  },
  503: { 'Retry-After': RETRY_AFTER },
};

/**
 * Statuses the HTTP layer answers before any route is known (src/http/client-error.ts), on any
 * path: unparsable HTTP, headers or body too slow, chunk framing too large, headers too large.
 * Those answers are always JSON:API error documents, on the flat surface too.
 */
const HTTP_LAYER_STATUSES = [400, 408, 413, 431];
/** Statuses every /api operation may answer, whatever the endpoint: the rate limit and the request timeout. */
const API_LIMIT_STATUSES = [429, 503];

type Surface = 'jsonapi' | 'flat';

function errorResponses(surface: Surface, statuses: number[]): Obj {
  return Object.fromEntries(statuses.map((s) => [String(s), { $ref: `#/components/responses/${surface === 'jsonapi' ? 'JsonApi' : 'Flat'}${s}` }]));
}

function componentResponses(): Record<string, Obj> {
  const out: Record<string, Obj> = {};
  for (const [status, description] of Object.entries(ERROR_STATUS)) {
    const headers = HEADERS[Number(status)];
    out[`JsonApi${status}`] = { description, ...(headers ? { headers } : {}), content: jsonApiContent(ref('ErrorDocument'), true) };
    const fromHttpLayer = HTTP_LAYER_STATUSES.includes(Number(status));
    out[`Flat${status}`] = {
      description: fromHttpLayer ? `${description} Answered by the HTTP layer before the route is known, it is a JSON:API error document.` : description,
      ...(headers ? { headers } : {}),
      content: { 'application/json': { schema: ref('FlatErrorDocument') }, ...(fromHttpLayer ? { [JSONAPI]: { schema: ref('ErrorDocument') } } : {}) },
    };
  }
  return out;
}

/**
 * Adds the responses no endpoint decides on its own to every operation that does not list them
 * yet: the HTTP layer's on every path (even /healthz), the abuse limits' on every /api path.
 */
function addCrossCuttingResponses(paths: Record<string, Obj>): void {
  for (const [path, item] of Object.entries(paths)) {
    const surface: Surface = path.startsWith('/api/clients') ? 'flat' : 'jsonapi';
    const statuses = path.startsWith('/api/') ? [...HTTP_LAYER_STATUSES, ...API_LIMIT_STATUSES] : HTTP_LAYER_STATUSES;
    for (const method of ['get', 'post', 'patch', 'delete']) {
      const op = item[method] as Obj | undefined;
      // Integer-like keys enumerate in numeric order, so the statuses stay sorted.
      if (op) op.responses = { ...errorResponses(surface, statuses), ...(op.responses as Obj) };
    }
  }
}

/** The response media types: JSON:API, its alias (answered when the request asked for it), and the atomic extension. */
function jsonApiContent(schema: Obj, withAtomic = false): Obj {
  const content: Obj = { [JSONAPI]: { schema }, [JSONAPI_ALIAS]: { schema } };
  if (withAtomic) content[ATOMIC_MEDIA_TYPE] = { schema };
  return content;
}

function requestBody(schema: Obj, required = true): Obj {
  return { required, content: { [JSONAPI]: { schema } } };
}

const ETAG = { ETag: { required: true, schema: { type: 'string' }, description: 'Strong tag of type, id and version.' } };
const READ_ERRORS = [400, 401, 404, 406, 500, 503];
const WRITE_ERRORS = [400, 401, 403, 404, 406, 409, 413, 415, 422, 500, 503];

// ---- paths ---------------------------------------------------------------------------------

function typePaths(def: ResourceDef, registry: Registry): Record<string, Obj> {
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
        description: registry.deleteBlockers(def).length > 0 ? `Refused with 409 while it has ${registry.deleteBlockers(def).map((b) => b.name).join(', ')} (one error each, meta.relationship and meta.count).` : undefined,
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

function otherPaths(): Record<string, Obj> {
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

/** Drops undefined members (optional descriptions) so the document is plain JSON. */
function prune<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

export function buildOpenApi(registry: Registry, config: Config): Obj {
  const schemas: Record<string, Obj> = commonSchemas(registry);
  const parameters: Record<string, Obj> = sharedParameters(registry, config);
  const paths: Record<string, Obj> = {};
  for (const def of registry.resources) {
    Object.assign(schemas, resourceSchemas(def, registry, config.limits.maxLinkage));
    Object.assign(parameters, typeParameters(def, registry, config));
    Object.assign(paths, typePaths(def, registry));
  }
  Object.assign(paths, otherPaths());
  addCrossCuttingResponses(paths);
  const { rateLimitPerMinute, authFailuresPerMinute, requestTimeoutMs, maxHeaderBytes, maxJsonDepth } = config.protection;
  return prune({
    openapi: '3.1.0',
    info: {
      title: 'Client-hierarchy service',
      version: '2.0.0',
      description: [
        'Clients form a forest (parent/children) and own legal entities, reporting entities and projects.',
        '`/api/v2` is JSON:API 1.1; `/api/clients` is the flat shape of the earlier product over the same model.',
        'Every `/api` route needs `Authorization: Bearer <token>`. Admin tokens read and write everything; a client token sees its client\'s subtree only (anything else answers 404) and may not write (403).',
        'Methods a route does not have answer 405 `method_not_allowed` with `Allow`; unknown paths answer 404 `not_found`.',
        `Filter operators: ${FILTER_OPERATORS.join(', ')} (contains, startsWith, endsWith on text only). Filters and sorts also reach attributes of to-one paths, e.g. \`filter[parent.name][contains]=acme\`, \`sort=parent.name\`.`,
        [
          `Limits: ${rateLimitPerMinute > 0 ? `${rateLimitPerMinute} requests a minute per token, then 429 \`rate_limited\` with Retry-After` : 'valid tokens are not rate limited'};`,
          `${authFailuresPerMinute > 0 ? `after ${authFailuresPerMinute} failed authentications (unknown or revoked tokens) in a minute from one address, requests with a token from it get 429 \`rate_limited\` until the minute ends` : 'failed authentications are not limited'};`,
          `to-many linkage shows at most ${config.limits.maxLinkage} identifiers per relationship (meta.count has the total, links.next the rest); relationship data in a body holds at most ${config.limits.maxRelationshipIds} identifiers (413 \`payload_too_large\`);`,
          `${requestTimeoutMs > 0 ? `a request not answered within ${requestTimeoutMs} ms gets 503 \`processing_timeout\` (408 \`request_timeout\` when it had not even arrived)` : 'no request timeout'};`,
          `request line and headers up to ${maxHeaderBytes} bytes (431 \`header_too_large\`); bodies nested at most ${maxJsonDepth} deep (400 \`invalid_document\`).`,
          'HTTP the server cannot parse gets 400 `malformed_request`. Those answers of the HTTP layer are JSON:API error documents on every path.',
        ].join(' '),
      ].join('\n\n'),
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    tags: [...registry.resources.map((d) => ({ name: d.path })), { name: 'operations' }, { name: 'flat', description: '/api/clients' }, { name: 'meta' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'An api-token secret (npm run token -- create ...).' } },
      schemas,
      parameters,
      responses: componentResponses(),
    },
  });
}
