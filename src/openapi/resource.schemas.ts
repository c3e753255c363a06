import { Registry } from '../resources/registry';
import { AttributeDef, RelationshipDef, ResourceDef } from '../resources/types';
import { names, nullable, object, Obj, ref, TIMESTAMP_PATTERN } from './schema.helpers';

/** The schemas of one resource type: identifiers, attributes, resource objects, documents, requests, linkage. */

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

export function resourceSchemas(def: ResourceDef, registry: Registry, maxLinkage: number): Record<string, Obj> {
  const n = names(def);
  const linkageOf = (rel: RelationshipDef) => names(registry.get(rel.target));
  const relationships: Obj = {};
  for (const rel of def.relationships) {
    const target = linkageOf(rel);
    const data = rel.kind === 'to-one' ? (rel.nullable ? nullable(ref(target.identifier)) : ref(target.identifier)) : { type: 'array', items: ref(target.identifier) };
    const meta = rel.kind === 'to-one' ? ref('RestrictedMeta') : { oneOf: [object({ count: { type: 'integer', minimum: 0 } }, ['count']), ref('RestrictedMeta')] };
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
        data: object({ type: { const: def.type }, id: ref('Id'), attributes: object(requestAttrs(updatable)), relationships: object(requestRels(false)) }, ['type', 'id']),
      },
      ['data'],
    ),
    [n.toOneLinkage]: object({ jsonapi: ref('JsonApi'), links: ref('RelationshipLinks'), data: nullable(ref(n.identifier)), meta: ref('RestrictedMeta') }, ['jsonapi', 'links', 'data']),
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
