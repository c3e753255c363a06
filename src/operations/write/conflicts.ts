import { isUniqueViolation } from '../../data/errors';
import { Row, ScopedWriter } from '../../data/session';
import { ApiError, ConflictError, PreconditionFailedError } from '../../errors/api-error';
import { ResourceDef, VERSION_COLUMN } from '../../resources/types';
import { casefold } from '../../resources/values';
import { WriteInput } from '../context';
import { ResolvedRelationship } from './input';

/** 409s for unique attributes already held by another row (anywhere: uniqueness is global). */
export async function uniqueConflicts(w: ScopedWriter, def: ResourceDef, values: Record<string, unknown>, input: WriteInput, exceptId: string | undefined): Promise<ApiError[]> {
  const errors: ApiError[] = [];
  for (const attr of def.attributes) {
    const value = values[attr.name];
    if (!attr.unique || value === undefined || value === null) continue;
    const folded = attr.caseInsensitiveEquality && attr.foldedColumn;
    const key = folded ? casefold(String(value)) : value;
    if (await w.valueTaken(def, folded ? attr.foldedColumn! : attr.column, key, exceptId)) {
      errors.push(new ConflictError(`Another ${def.type} already has this ${attr.name}.`, { pointer: input.attributes.get(attr.name)!.pointer }));
    }
  }
  return errors;
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

/** A UNIQUE violation that slipped past the pre-checks (another process won a race) is a 409, not a 500. */
export async function guardUnique(write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (e) {
    if (isUniqueViolation(e)) throw new ConflictError('A unique value in this write is already taken.');
    throw e;
  }
}
