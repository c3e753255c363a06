import { isObjectId } from '../../data/object-id';
import { ScopedWriter } from '../../data/session';
import { ApiError, ConflictError, RelatedNotFoundError, ValidationError } from '../../errors/api-error';
import { attribute, relationship } from '../../resources/registry';
import { ID_COLUMN, RelationshipDef, ResourceDef, ValueError } from '../../resources/types';
import { Identifier, WriteInput } from '../context';
import { Problems, throwAll } from './problems';

/** A relationship member of a write, its identifiers checked: the caller can see every one. */
export interface ResolvedRelationship {
  readonly rel: RelationshipDef;
  readonly pointer: string;
  /** To-one: an id or null. To-many: the ids. */
  readonly value: string | null | string[];
}

/** Checks identifiers against the registry and the database: 404 (thrown at once) for ids the caller cannot see. */
export async function resolveRelationships(w: ScopedWriter, def: ResourceDef, input: WriteInput, isCreate: boolean, problems: Problems): Promise<ResolvedRelationship[]> {
  const resolved: ResolvedRelationship[] = [];
  const notFound: ApiError[] = [];
  for (const [name, member] of input.relationships) {
    const rel = relationship(def, name);
    if (!rel) {
      problems.invalid.push(new ValidationError(`${def.type} has no relationship "${name}".`, member.pointer));
      continue;
    }
    if (!isCreate && rel.kind === 'to-one' && !rel.updatable) {
      problems.invalid.push(new ValidationError(`The relationship "${name}" cannot be changed after creation.`, member.pointer));
      continue;
    }
    const identifiers: Identifier[] = member.value === null ? [] : Array.isArray(member.value) ? member.value : [member.value];
    const target = w.registry.get(rel.target);
    for (const i of identifiers.filter((i) => i.type !== target.type)) {
      problems.conflicts.push(new ConflictError(`"${name}" takes ${target.type} resources, not "${i.type}".`, { pointer: `${i.pointer}/type` }));
    }
    const wanted = identifiers.filter((i) => i.type === target.type);
    const wellFormed = wanted.filter((i) => isObjectId(i.id));
    const rows = await w.byIds(target, [...new Set(wellFormed.map((i) => i.id))], [ID_COLUMN]);
    const visible = new Set(rows.map((r) => r.id));
    for (const i of wanted) {
      if (!visible.has(i.id)) notFound.push(new RelatedNotFoundError(`No ${target.type} with id "${i.id}" exists.`, i.pointer));
    }
    if (rel.kind === 'to-one' && member.value === null && !rel.nullable) {
      problems.invalid.push(new ValidationError(`"${name}" is required and cannot be null.`, member.dataPointer ?? `${member.pointer}/data`));
    }
    const ids = [...new Set(wanted.map((i) => i.id))];
    resolved.push({ rel, pointer: member.pointer, value: rel.kind === 'to-one' ? (ids[0] ?? null) : ids });
  }
  throwAll(notFound);
  return resolved;
}

/** Parses attribute values; collects 422s for unknown, read-only, invalid or missing members. */
export function parseAttributes(def: ResourceDef, input: WriteInput, isCreate: boolean, problems: Problems, requiredPointer: (name: string) => string): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  const invalid = (detail: string, pointer: string) => problems.invalid.push(new ValidationError(detail, pointer));
  for (const [name, member] of input.attributes) {
    const attr = attribute(def, name);
    if (!attr) {
      invalid(`${def.type} has no attribute "${name}".`, member.pointer);
    } else if (!(isCreate ? attr.creatable : attr.updatable)) {
      invalid(`"${name}" is read-only${attr.creatable ? ' after creation' : ''}.`, member.pointer);
    } else if (member.value === null && !attr.nullable) {
      invalid(`"${name}" must not be null.`, member.pointer);
    } else if (typeof member.value === 'string' && member.value.includes('\u0000')) {
      invalid(`"${name}" must not contain NUL characters.`, member.pointer);
    } else {
      try {
        values[name] = attr.parse ? attr.parse(member.value) : member.value;
      } catch (e) {
        if (!(e instanceof ValueError)) throw e;
        invalid(`"${name}" ${e.message}.`, member.pointer);
      }
    }
  }
  if (isCreate) {
    for (const attr of def.attributes) {
      if (attr.required && !input.attributes.has(attr.name)) invalid(`"${attr.name}" is required.`, requiredPointer(attr.name));
    }
  }
  return values;
}

/** A client-generated id from the body, if it is one (otherwise a 422). */
export function clientGeneratedId(input: WriteInput, problems: Problems): string | undefined {
  if (!input.id) return undefined;
  const value = input.id.value;
  if (!isObjectId(value)) {
    problems.invalid.push(new ValidationError(`A client-generated id must be 24 lowercase hex characters.`, input.id.pointer));
    return undefined;
  }
  return value;
}

/** The relationship of a write, by name. */
export function resolvedOf(rels: readonly ResolvedRelationship[], name: string | undefined): ResolvedRelationship | undefined {
  return name === undefined ? undefined : rels.find((r) => r.rel.name === name);
}
