import { Config } from '../config/config';
import { FLAT_ENDPOINTS, FlatMethod } from '../http/flat/flat.endpoints';
import { flatPageBounds, FlatMapping } from '../http/flat/flat.mapping';
import { queryParam } from './parameters';
import { errorResponses } from './responses';
import { ID_PATTERN, object, Obj, pascal, ref, TIMESTAMP_PATTERN } from './schema.helpers';

/**
 * The flat surface in the OpenAPI document, generated from its mapping (flat.mapping.ts) and
 * its endpoint table (flat.endpoints.ts): the flat resource, list and write schemas, and its paths.
 */

const prefixedId = (prefix: string, optional = false) => `^${optional ? `(${prefix})?` : prefix}${ID_PATTERN.slice(1)}`;

const schemaNames = (mapping: FlatMapping) => {
  const T = `Flat${pascal(mapping.resource.type)}`;
  return { resource: T, document: `${T}Document`, list: `${T}List`, write: `${T}Write` };
};

/** Drops the notes meant for /api/v2 from an attribute's value schema. */
function valueSchema(schema: Obj | undefined): Obj {
  const { description: _notes, ...rest } = schema ?? { type: 'string' };
  return rest;
}

export function flatSchemas(mapping: FlatMapping): Record<string, Obj> {
  const n = schemaNames(mapping);
  const shown: Obj = { id: { type: 'string', pattern: prefixedId(mapping.idPrefix) } };
  const written: Obj = {};
  const requiredOnCreate: string[] = [];
  const notes: string[] = [];
  for (const m of mapping.members) {
    if ('attribute' in m) {
      const a = m.attribute;
      shown[m.member] = a.kind === 'timestamp' ? { type: 'string', format: 'date-time', pattern: TIMESTAMP_PATTERN } : { type: a.nullable ? ['string', 'null'] : 'string' };
      if (m.writable) written[m.member] = valueSchema(a.schema);
      if (m.writable && (a.required || m.required)) requiredOnCreate.push(m.member);
      continue;
    }
    shown[m.member] = { type: 'array', items: { type: 'string', pattern: prefixedId(m.idPrefix) } };
    if (m.writable) {
      written[m.member] = { type: 'array', items: { type: 'string', description: `${m.idPrefix}<24 hex> or the bare 24 hex id.` } };
      notes.push(`${m.member}: ${m.note}.`);
    }
  }
  return {
    [n.resource]: object(shown, Object.keys(shown)),
    [n.document]: object({ data: ref(n.resource) }, ['data']),
    [n.list]: object(
      {
        data: { type: 'array', items: ref(n.resource) },
        meta: object({ total: { type: 'integer', minimum: 0 }, limit: { type: 'integer', minimum: 1 }, offset: { type: 'integer', minimum: 0 } }, ['total', 'limit', 'offset']),
      },
      ['data', 'meta'],
    ),
    [n.write]: object(written, [], { description: [`POST needs ${requiredOnCreate.join(' and ')}; PATCH changes what it names.`, ...notes].join(' ') }),
    FlatErrorDocument: object({ errors: { type: 'array', items: ref('Error'), minItems: 1 } }, ['errors']),
  };
}

const FLAT_ERRORS: Record<FlatMethod['errors'], number[]> = {
  read: [400, 401, 404, 500, 503],
  write: [400, 401, 403, 404, 409, 413, 415, 422, 500, 503],
  delete: [400, 401, 403, 404, 409, 415, 500, 503],
};

function listParameters(mapping: FlatMapping, config: Config): Obj[] {
  const bounds = flatPageBounds(config.limits);
  return mapping.parameters.map((p) => {
    if ('filter' in p) return queryParam(p.name, { type: 'string' }, p.description);
    const { min, max } = bounds[p.name];
    return queryParam(p.name, { type: 'integer', minimum: min, maximum: max }, p.description(config.limits));
  });
}

export function flatPaths(mapping: FlatMapping, config: Config): Record<string, Obj> {
  const n = schemaNames(mapping);
  const content = (schema: string) => ({ 'application/json': { schema: ref(schema) } });
  const flatId = {
    name: 'id',
    in: 'path',
    required: true,
    schema: { type: 'string', pattern: prefixedId(mapping.idPrefix, true) },
    description: `${mapping.idPrefix}<24 hex>, or the bare 24 hex id.`,
  };
  const paths: Record<string, Obj> = {};
  for (const e of FLAT_ENDPOINTS) {
    const item: Obj = e.shape === 'resource' ? { parameters: [flatId] } : {};
    for (const m of e.methods) {
      const { status, description, document, location } = m.answer;
      const answer = document
        ? { description, ...(location ? { headers: { Location: { required: true, schema: ref('Link') } } } : {}), content: content(document === 'list' ? n.list : n.document) }
        : { description };
      item[m.method.toLowerCase()] = {
        operationId: m.operationId,
        tags: ['flat'],
        summary: m.summary,
        description: m.description,
        parameters: m.query === 'list' ? listParameters(mapping, config) : undefined,
        requestBody: m.body ? { required: true, content: content(n.write) } : undefined,
        responses: { [String(status)]: answer, ...errorResponses('flat', FLAT_ERRORS[m.errors]) },
      };
    }
    paths[e.shape === 'resource' ? `${mapping.path}/{id}` : mapping.path] = item;
  }
  return paths;
}
