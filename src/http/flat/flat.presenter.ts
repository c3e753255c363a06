import { ResourceRecord } from '../../data/graph-loader';
import { InvalidDocumentError, PayloadTooLargeError, ValidationError } from '../../errors/api-error';
import { Identifier, MemberInput, WriteInput } from '../../operations/context';
import { Fieldsets } from '../../query/ast';
import { FlatMapping, unprefix } from './flat.mapping';

/**
 * The flat wire shape, both ways, read from the mapping (flat.mapping.ts): a loaded record of the
 * resource → a flat resource, and a flat body → the operations' WriteInput with pointers into
 * the flat body.
 */

/** The fields a flat resource shows, as a sparse fieldset of the resource: only those are loaded. */
export function flatFieldsets(mapping: FlatMapping): Fieldsets {
  return new Map([[mapping.resource.type, new Set(mapping.members.map((m) => ('attribute' in m ? m.attribute.name : m.relationship.name)))]]);
}

/** A loaded record as a flat resource: the prefixed id, then each member, attributes read through the registry's definitions. */
export function presentFlat(mapping: FlatMapping, rec: ResourceRecord): Record<string, unknown> {
  const flat: Record<string, unknown> = { id: mapping.idPrefix + rec.id };
  for (const m of mapping.members) {
    if ('attribute' in m) {
      flat[m.member] = rec.row[m.attribute.column] ?? null;
      continue;
    }
    const link = rec.linkage.get(m.relationship.name);
    flat[m.member] = link?.kind === 'to-many' ? link.ids.map((id) => m.idPrefix + id) : [];
  }
  return flat;
}

/** The flat member an attribute or relationship of the resource is shown as: the pointer of its errors. */
export function flatPointer(mapping: FlatMapping): (field: string) => string {
  const members = new Map(mapping.members.map((m) => ['attribute' in m ? m.attribute.name : m.relationship.name, m.member]));
  return (field) => `/${members.get(field) ?? field}`;
}

/** A flat body → the operations' WriteInput, with pointers into the flat body. */
export function parseFlatBody(mapping: FlatMapping, body: unknown, isCreate: boolean, maxIds: number): WriteInput {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidDocumentError('The request body must be a JSON object.', '');
  }
  const obj = body as Record<string, unknown>;
  const writable = mapping.members.filter((m) => m.writable);
  const invalid: ValidationError[] = [];
  const attributes = new Map<string, MemberInput<unknown>>();
  const relationships = new Map<string, MemberInput<Identifier | null | Identifier[]>>();
  for (const [key, value] of Object.entries(obj)) {
    const m = writable.find((w) => w.member === key);
    const pointer = `/${key}`;
    if (!m) {
      invalid.push(new ValidationError(`"${key}" is not a member of a ${mapping.resource.type} (${writable.map((w) => w.member).join(', ')}).`, pointer));
    } else if ('relationship' in m) {
      const target = m.relationship.target;
      if (Array.isArray(value) && value.length > maxIds) {
        throw new PayloadTooLargeError(`${key} may list at most ${maxIds} ${target} ids; this one lists ${value.length}.`, { pointer });
      }
      if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
        invalid.push(new ValidationError(`${key} must be an array of ${target} ids.`, pointer));
        continue;
      }
      relationships.set(m.relationship.name, {
        value: (value as string[]).map((v, i) => ({ type: target, id: unprefix(v, m.idPrefix), pointer: `${pointer}/${i}` })),
        pointer,
      });
    } else if (m.required && value === null) {
      invalid.push(new ValidationError(`${key} is required on this surface and cannot be null.`, pointer));
    } else {
      attributes.set(m.attribute.name, { value, pointer });
    }
  }
  if (isCreate) {
    for (const m of writable) if ('required' in m && m.required && !(m.member in obj)) invalid.push(new ValidationError(`"${m.member}" is required.`, `/${m.member}`));
  }
  return { attributes, relationships, invalid };
}
