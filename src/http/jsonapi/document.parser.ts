import { InvalidDocumentError, ValidationError } from '../../errors/api-error';
import { Identifier, MemberInput, WriteInput } from '../../operations/context';

/**
 * Structural parsing of a JSON:API resource document (400 for what breaks JSON:API's
 * structure). Whether names and values are right is for the operations (422), which see the
 * same WriteInput whichever surface the request came from.
 */
type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const DATA_MEMBERS = new Set(['type', 'id', 'lid', 'attributes', 'relationships', 'meta', 'links']);

/** Local ids (`lid`) of resources created earlier in the same atomic request, by type. */
export type LocalIds = ReadonlyMap<string, string>;

export function localIdKey(type: string, lid: string): string {
  return `${type}\u0000${lid}`;
}

function identifier(value: unknown, pointer: string, lids?: LocalIds): Identifier {
  if (!isObject(value)) throw new InvalidDocumentError('A resource identifier must be an object with type and id.', pointer);
  if (typeof value.type !== 'string') throw new InvalidDocumentError('A resource identifier needs a string type.', `${pointer}/type`);
  if (lids && value.id === undefined && typeof value.lid === 'string') {
    const id = lids.get(localIdKey(value.type, value.lid));
    if (id === undefined) throw new InvalidDocumentError(`No earlier operation created a ${value.type} with lid "${value.lid}".`, `${pointer}/lid`);
    return { type: value.type, id, pointer };
  }
  if (typeof value.id !== 'string') throw new InvalidDocumentError('A resource identifier needs a string id.', `${pointer}/id`);
  return { type: value.type, id: value.id, pointer };
}

/** Relationship data: null, one identifier, or an array of them. */
export function parseLinkage(value: unknown, pointer: string, lids?: LocalIds): Identifier | null | Identifier[] {
  if (value === null) return null;
  if (Array.isArray(value)) return value.map((v, i) => identifier(v, `${pointer}/${i}`, lids));
  return identifier(value, pointer, lids);
}

export function parseResourceDocument(body: unknown, mode: 'create' | 'update', lids?: LocalIds): WriteInput {
  if (body === undefined) throw new InvalidDocumentError('A request document with a data member is required.');
  if (!isObject(body)) throw new InvalidDocumentError('The request document must be a JSON object.', '');
  if (!('data' in body)) throw new InvalidDocumentError('The request document has no data member.', '');
  const data = body.data;
  if (!isObject(data)) throw new InvalidDocumentError('data must be a resource object.', '/data');
  if (typeof data.type !== 'string') throw new InvalidDocumentError('data.type must be a string.', '/data/type');
  let id: unknown = data.id;
  if (lids && id === undefined && typeof data.lid === 'string' && mode === 'update') {
    id = lids.get(localIdKey(data.type, data.lid));
    if (id === undefined) throw new InvalidDocumentError(`No earlier operation created a ${data.type} with lid "${data.lid}".`, '/data/lid');
  }
  if (mode === 'update' && id === undefined) throw new InvalidDocumentError('data.id is required when updating a resource.', '/data');
  if (mode === 'update' && typeof id !== 'string') throw new InvalidDocumentError('data.id must be a string.', '/data/id');
  if (data.attributes !== undefined && !isObject(data.attributes)) throw new InvalidDocumentError('data.attributes must be an object.', '/data/attributes');
  if (data.relationships !== undefined && !isObject(data.relationships)) throw new InvalidDocumentError('data.relationships must be an object.', '/data/relationships');

  const unknownMembers = Object.keys(data)
    .filter((k) => !DATA_MEMBERS.has(k))
    .map((k) => new ValidationError(`"${k}" is not a member of a resource object.`, `/data/${k}`));

  const attributes = new Map<string, MemberInput<unknown>>();
  for (const [name, value] of Object.entries((data.attributes as Json | undefined) ?? {})) {
    attributes.set(name, { value, pointer: `/data/attributes/${name}` });
  }
  const relationships = new Map<string, MemberInput<Identifier | null | Identifier[]>>();
  for (const [name, value] of Object.entries((data.relationships as Json | undefined) ?? {})) {
    const pointer = `/data/relationships/${name}`;
    if (!isObject(value) || !('data' in value)) throw new InvalidDocumentError(`Relationship "${name}" must be an object with a data member.`, pointer);
    relationships.set(name, { value: parseLinkage(value.data, `${pointer}/data`, lids), pointer });
  }
  return {
    type: { value: data.type, pointer: '/data/type' },
    id: id === undefined ? undefined : { value: id, pointer: '/data/id' },
    attributes,
    relationships,
    invalid: unknownMembers,
  };
}

/** A relationship endpoint's body: `{"data": null | identifier | [identifiers]}`. */
export function parseLinkageDocument(body: unknown, lids?: LocalIds): Identifier | null | Identifier[] {
  if (body === undefined) throw new InvalidDocumentError('A request document with a data member is required.');
  if (!isObject(body)) throw new InvalidDocumentError('The request document must be a JSON object.', '');
  if (!('data' in body)) throw new InvalidDocumentError('The request document has no data member.', '');
  return parseLinkage(body.data, '/data', lids);
}
