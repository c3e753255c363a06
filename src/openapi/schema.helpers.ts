import { ResourceDef } from '../resources/types';

/** The small builders every part of the OpenAPI document uses, and the schema names per type. */

export type Obj = Record<string, unknown>;

export const ID_PATTERN = '^[0-9a-f]{24}$';
export const TIMESTAMP_PATTERN = '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z$';

export const ref = (name: string): Obj => ({ $ref: `#/components/schemas/${name}` });
export const pascal = (s: string): string => s.replace(/(^|[-.])([a-z])/g, (_m, _sep, c: string) => c.toUpperCase());
export const nullable = (schema: Obj): Obj => ({ oneOf: [schema, { type: 'null' }] });
export const object = (properties: Obj, required: string[] = [], extra: Obj = {}): Obj => ({
  type: 'object',
  properties,
  ...(required.length > 0 ? { required } : {}),
  additionalProperties: false,
  ...extra,
});

/** Schema names per type, in one place so paths and components agree. */
export const names = (def: ResourceDef) => {
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
