import { isForeignKeyViolation, isUniqueViolation, uniqueViolationColumn } from '../../data/errors';
import { isObjectId } from '../../data/object-id';
import { Row, ScopedWriter } from '../../data/session';
import { ApiError, ConflictError, NotFoundError, PreconditionFailedError } from '../../errors/api-error';
import { ResourceDef, VERSION_COLUMN } from '../../resources/types';
import { casefold } from '../../resources/values';
import { WriteInput } from '../context';
import { ResolvedRelationship } from './input';

/** A value of a write that must be unique: the column holding it, and the 409 it gets when taken. */
export interface UniqueValue {
  readonly column: string;
  readonly value: unknown;
  readonly conflict: () => ConflictError;
}

/** The unique attribute values a write sets (emails by their folded column). */
export function uniqueValues(def: ResourceDef, values: Record<string, unknown>, input: WriteInput): UniqueValue[] {
  const out: UniqueValue[] = [];
  for (const attr of def.attributes) {
    const value = values[attr.name];
    if (!attr.unique || value === undefined || value === null) continue;
    const folded = attr.caseInsensitiveEquality && attr.foldedColumn;
    const pointer = input.attributes.get(attr.name)!.pointer;
    out.push({
      column: folded ? attr.foldedColumn! : attr.column,
      value: folded ? casefold(String(value)) : value,
      conflict: () => new ConflictError(`Another ${def.type} already has this ${attr.name}.`, { pointer }),
    });
  }
  return out;
}

/** 409s for unique attributes already held by another row (anywhere: uniqueness is global). */
export async function uniqueConflicts(w: ScopedWriter, def: ResourceDef, values: Record<string, unknown>, input: WriteInput, exceptId: string | undefined): Promise<ApiError[]> {
  const errors: ApiError[] = [];
  for (const unique of uniqueValues(def, values, input)) {
    if (await w.valueTaken(def, unique.column, unique.value, exceptId)) errors.push(unique.conflict());
  }
  return errors;
}

/**
 * The clients whose trees a write reshapes, to lock before it reads anything it checks
 * (ScopedWriter.lockTrees; PostgreSQL, where writers run side by side): for a write of the
 * hierarchy's type that sets a parent or takes or lets go children, the row itself and every
 * client named there, as sent (not yet checked: an id of no client locks nothing). Two such
 * writes on a common tree take turns, so two reparentings can never each pass the cycle check
 * and together close a cycle.
 *
 * No tree lock, by design: a new client with a parent and no children (a new leaf lies on no
 * other row's path, so it cannot close a cycle, and create-then-move and move-then-create both
 * end with the leaf under its parent wherever that went; the foreign key check refuses a parent
 * deleted meanwhile), and an owned entity (legal entity, ...) moving to another client (it
 * reshapes no tree: its own row's lock and the foreign key check are all it needs).
 */
export function reshapedClients(def: ResourceDef, id: string | undefined, relationships: WriteInput['relationships']): string[] {
  if (!def.hierarchy) return [];
  const { parent, children } = def.hierarchy;
  const taken = relationships.get(children);
  const takesChildren = taken !== undefined && Array.isArray(taken.value) && taken.value.length > 0;
  if (id === undefined ? !takesChildren : !relationships.has(parent) && !taken) return [];
  const named = [relationships.get(parent)?.value, taken?.value].flatMap((v) => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]));
  const ids = named.filter((i) => i.type === def.type && isObjectId(i.id)).map((i) => i.id);
  return [...new Set(id !== undefined && isObjectId(id) ? [id, ...ids] : ids)];
}

/**
 * Cycle check for the hierarchy: the row's ancestors after the write (from its new parent up)
 * must contain neither the row itself nor any child it takes in.
 */
export async function cycleConflicts(
  w: ScopedWriter,
  id: string,
  parent: ResolvedRelationship | undefined,
  children: ResolvedRelationship | undefined,
  currentParent: string | null,
): Promise<ApiError[]> {
  const parentId = parent ? (parent.value as string | null) : currentParent;
  let above = parentId === null ? [] : [parentId, ...(await w.ancestorIds(parentId))];
  // A chain that reaches the row only through a child the same write lets go (a children
  // replacement without it) is cut there: that child becomes a root.
  const at = above.indexOf(id);
  if (children && at > 0 && !(children.value as string[]).includes(above[at - 1])) above = above.slice(0, at);
  const errors: ApiError[] = [];
  if (parent && parentId !== null && above.includes(id)) {
    errors.push(new ConflictError(`Making ${parentId} the parent of ${id} would create a cycle.`, { pointer: parent.pointer }));
  }
  for (const child of (children?.value as string[] | undefined) ?? []) {
    if (child === id || above.includes(child)) {
      errors.push(new ConflictError(`Client ${child} is an ancestor of ${id} and cannot become its child.`, { pointer: children!.pointer }));
    }
  }
  return errors;
}

/**
 * What the caller expects the target's version to be (If-Match, or an atomic operation's
 * meta.version). Checked last, as the contract's precedence wants (412 after 409).
 */
export interface Precondition {
  /** Versions that match; an empty list matches nothing (a tag for another resource). */
  readonly versions: readonly number[];
  readonly pointer?: string;
}

export function checkPrecondition(def: ResourceDef, id: string, current: Row, precondition: Precondition | undefined): void {
  if (!precondition) return;
  const version = Number(current[VERSION_COLUMN]);
  if (!precondition.versions.includes(version)) {
    throw new PreconditionFailedError(
      `The ${def.type} ${id} is at version ${version}, which is not the version the request expected; fetch it again and retry.`,
      precondition.pointer === undefined ? undefined : { pointer: precondition.pointer },
    );
  }
}

/**
 * Races the pre-checks cannot see (PostgreSQL, where writers run side by side), answered as if
 * the other write had come first, never with a 500: a UNIQUE violation (a concurrent write took
 * the value after this one checked it) is the 409 the check would have given, at the value's
 * member when the error names its column or the write sets only one unique value; a FOREIGN KEY
 * violation (a row this write names in a to-one relationship was deleted after it was checked)
 * is a 404, at that relationship when the write names only one.
 */
export async function guardRaces(write: () => Promise<void>, unique: readonly UniqueValue[], rels: readonly ResolvedRelationship[]): Promise<void> {
  try {
    await write();
  } catch (e) {
    if (isUniqueViolation(e)) {
      const column = uniqueViolationColumn(e);
      const taken = unique.length === 1 ? unique[0] : unique.find((u) => u.column === column);
      throw taken ? taken.conflict() : new ConflictError('A unique value in this write is already taken.');
    }
    if (isForeignKeyViolation(e)) {
      const named = rels.filter((r) => r.rel.kind === 'to-one' && r.value !== null);
      const only = named.length === 1 ? named[0] : undefined;
      throw new NotFoundError(
        only ? `The ${only.rel.target} "${String(only.value)}" named in "${only.rel.name}" was deleted while this write ran.` : 'A resource this write names was deleted while it ran.',
        only ? { pointer: only.pointer } : undefined,
      );
    }
    throw e;
  }
}
