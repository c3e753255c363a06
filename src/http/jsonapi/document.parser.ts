import { InvalidDocumentError, PayloadTooLargeError, ValidationError } from '../../errors/api-error';
import { Identifier, MemberInput, WriteInput } from '../../operations/context';
import { relationship } from '../../resources/registry';
import { RelationshipDef, ResourceDef } from '../../resources/types';
import { checkLinks, checkMeta, checkTopLevel, fail, has, isObject, Json, membersOf, segment, StructureOptions, typeName } from './document.rules';

/**
 * Structural parsing of a JSON:API request document (JSON:API 1.1 "Document Structure"; the
 * general rules are in document.rules.ts). What breaks the structure is a 400 invalid_document,
 * and a relationship's data longer than the limit a 413, both thrown here, before any database
 * work. Whether names and values are right is for the operations (422), which see the same
 * WriteInput whichever surface the request came from.
 */
export interface DocumentOptions extends StructureOptions {
  /** Most resource identifiers one relationship's data may hold (MAX_RELATIONSHIP_IDS); more → 413. */
  readonly maxRelationshipIds: number;
  /** Local ids of resources created earlier in the same atomic request: lid-only identifiers resolve through them. */
  readonly lids?: LocalIds;
  /** Check the structure only (an atomic operation before it runs): lids are accepted unresolved. */
  readonly structureOnly?: boolean;
}

const RESOURCE_MEMBERS = new Set(['type', 'id', 'lid', 'attributes', 'relationships', 'meta', 'links']);

/** Local ids (`lid`) of resources created earlier in the same atomic request, by type. */
export type LocalIds = ReadonlyMap<string, string>;

export function localIdKey(type: string, lid: string): string {
  return `${type}\u0000${lid}`;
}

function localId(type: string, lid: string, pointer: string, opts: DocumentOptions): string {
  if (opts.structureOnly) return '';
  const id = opts.lids?.get(localIdKey(type, lid));
  if (id === undefined) fail(`No earlier operation created a ${type} with lid "${lid}".`, `${pointer}/lid`);
  return id;
}

/** 413 for relationship data with more identifiers than the limit, pointing at the array. */
export function checkIdCount(value: unknown, pointer: string, max: number): void {
  if (Array.isArray(value) && value.length > max) {
    throw new PayloadTooLargeError(`A relationship's data may hold at most ${max} resource identifiers; this one has ${value.length}.`, { pointer });
  }
}

/** The 413 checks of a resource object's relationships, made before any 400 (413 wins). */
export function checkResourceIdCounts(data: unknown, pointer: string, max: number): void {
  if (!isObject(data) || !isObject(data.relationships)) return;
  for (const [name, value] of Object.entries(data.relationships)) {
    if (isObject(value)) checkIdCount(value.data, `${pointer}/relationships/${segment(name)}/data`, max);
  }
}

/** A resource identifier object: type, and id (or a lid where lids apply), strings; meta an object. */
function identifier(value: unknown, pointer: string, opts: DocumentOptions): Identifier {
  if (!isObject(value)) fail('A resource identifier must be an object with type and id.', pointer);
  membersOf(value, pointer, opts, false);
  const type = typeName(value.type, `${pointer}/type`, 'A resource identifier needs a string type.');
  if (value.id !== undefined && typeof value.id !== 'string') fail("A resource identifier's id must be a string.", `${pointer}/id`);
  if (value.lid !== undefined && typeof value.lid !== 'string') fail("A resource identifier's lid must be a string.", `${pointer}/lid`);
  checkMeta(value.meta, `${pointer}/meta`);
  if (value.id === undefined && typeof value.lid === 'string' && (opts.lids || opts.structureOnly)) {
    return { type, id: localId(type, value.lid, pointer, opts), pointer };
  }
  if (typeof value.id !== 'string') fail('A resource identifier needs a string id.', `${pointer}/id`);
  return { type, id: value.id, pointer };
}

/**
 * Relationship data (resource linkage): null or one identifier for a to-one relationship, an
 * array of identifiers for a to-many one. When the relationship is not known (an unknown name,
 * a 422 for the operations) any of those shapes passes.
 */
export function parseLinkage(value: unknown, pointer: string, rel: RelationshipDef | undefined, opts: DocumentOptions): Identifier | null | Identifier[] {
  if (Array.isArray(value)) {
    checkIdCount(value, pointer, opts.maxRelationshipIds);
    if (rel?.kind === 'to-one') fail(`"${rel.name}" is a to-one relationship: its data is one resource identifier or null, not an array.`, pointer);
    return value.map((v, i) => identifier(v, `${pointer}/${i}`, opts));
  }
  if (rel?.kind === 'to-many') fail(`"${rel.name}" is a to-many relationship: its data is an array of resource identifiers.`, pointer);
  if (value === null) return null;
  return identifier(value, pointer, opts);
}

/** An attributes or relationships object: absent (no fields) or an object. */
function fieldsObject(value: unknown, pointer: string): Json {
  if (value === undefined) return {};
  if (!isObject(value)) fail(`${pointer.slice(pointer.lastIndexOf('/') + 1)} must be an object.`, pointer);
  return value;
}

/** The names of an attributes or relationships object: member names, none called type or id. */
function fieldNames(fields: Json, pointer: string, opts: DocumentOptions): string[] {
  const names = membersOf(fields, pointer, opts, true);
  for (const name of names) {
    if (name === 'type' || name === 'id') fail(`No field may be named "${name}": fields share one namespace with type and id.`, `${pointer}/${name}`);
  }
  return names;
}

/**
 * A resource object sent to create (`id` optional, `lid` allowed) or update (`id` required, or a
 * `lid` where lids apply) a resource of type `def` (when known: relationship data must then have
 * its relationship's shape).
 */
export function parseResourceObject(data: unknown, pointer: string, def: ResourceDef | undefined, mode: 'create' | 'update', opts: DocumentOptions): WriteInput {
  if (!isObject(data)) fail('data must be a resource object.', pointer);
  const members = membersOf(data, pointer, opts, true);
  const type = typeName(data.type, `${pointer}/type`, 'data.type must be a string.');
  if (data.id !== undefined && typeof data.id !== 'string') fail('data.id must be a string.', `${pointer}/id`);
  if (data.lid !== undefined && typeof data.lid !== 'string') fail('data.lid must be a string.', `${pointer}/lid`);
  let id = data.id;
  if (mode === 'update' && id === undefined && typeof data.lid === 'string' && (opts.lids || opts.structureOnly)) id = localId(type, data.lid, pointer, opts);
  if (mode === 'update' && id === undefined) fail('data.id is required when updating a resource.', pointer);
  const attributesObject = fieldsObject(data.attributes, `${pointer}/attributes`);
  const relationshipsObject = fieldsObject(data.relationships, `${pointer}/relationships`);
  checkMeta(data.meta, `${pointer}/meta`);
  checkLinks(data.links, `${pointer}/links`, opts);

  const attributeNames = fieldNames(attributesObject, `${pointer}/attributes`, opts);
  const relationshipNames = fieldNames(relationshipsObject, `${pointer}/relationships`, opts);
  for (const name of relationshipNames) {
    if (attributeNames.includes(name)) fail(`"${name}" is both an attribute and a relationship: fields share one namespace.`, `${pointer}/relationships/${name}`);
  }

  const attributes = new Map<string, MemberInput<unknown>>();
  for (const name of attributeNames) attributes.set(name, { value: attributesObject[name], pointer: `${pointer}/attributes/${name}` });
  const relationships = new Map<string, MemberInput<Identifier | null | Identifier[]>>();
  for (const name of relationshipNames) {
    const at = `${pointer}/relationships/${name}`;
    const value = relationshipsObject[name];
    if (!isObject(value) || !has(value, 'data')) fail(`Relationship "${name}" must be an object with a data member.`, at);
    membersOf(value, at, opts, false);
    checkMeta(value.meta, `${at}/meta`);
    checkLinks(value.links, `${at}/links`, opts);
    relationships.set(name, { value: parseLinkage(value.data, `${at}/data`, def && relationship(def, name), opts), pointer: at });
  }
  return {
    type: { value: type, pointer: `${pointer}/type` },
    id: id === undefined ? undefined : { value: id, pointer: `${pointer}/id` },
    attributes,
    relationships,
    invalid: members.filter((k) => !RESOURCE_MEMBERS.has(k)).map((k) => new ValidationError(`"${k}" is not a member of a resource object.`, `${pointer}/${k}`)),
  };
}

/**
 * The top level of a request document with primary data: an object with `data` and without
 * `errors`, `included` only beside `data`, and the top-level members every document shares.
 */
function dataDocument(body: unknown, opts: DocumentOptions): Json {
  if (body === undefined) throw new InvalidDocumentError('A request document with a data member is required.');
  if (!isObject(body)) fail('The request document must be a JSON object.', '');
  checkTopLevel(body, opts);
  if (has(body, 'included') && !has(body, 'data')) fail('included may only be present beside data.', '/included');
  if (!has(body, 'data')) fail('The request document has no data member.', '');
  if (has(body, 'errors')) fail('data and errors must not be in the same document.', '/errors');
  if (body.included !== undefined && !Array.isArray(body.included)) fail('included must be an array of resource objects.', '/included');
  return body;
}

/** A POST or PATCH body for a resource of type `def`. */
export function parseResourceDocument(body: unknown, def: ResourceDef, mode: 'create' | 'update', opts: DocumentOptions): WriteInput {
  if (isObject(body)) checkResourceIdCounts(body.data, '/data', opts.maxRelationshipIds);
  const doc = dataDocument(body, opts);
  return parseResourceObject(doc.data, '/data', def, mode, opts);
}

/** A relationship endpoint's body, `{"data": null | identifier | [identifiers]}`, of `rel`'s shape. */
export function parseLinkageDocument(body: unknown, rel: RelationshipDef, opts: DocumentOptions): Identifier | null | Identifier[] {
  if (isObject(body)) checkIdCount(body.data, '/data', opts.maxRelationshipIds);
  const doc = dataDocument(body, opts);
  return parseLinkage(doc.data, '/data', rel, opts);
}
