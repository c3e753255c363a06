import { storedColumns } from '../../data/columns';
import { newObjectId, nowIso } from '../../data/object-id';
import { ScopedWriter } from '../../data/session';
import { ConflictError, ForbiddenError, ValidationError } from '../../errors/api-error';
import { CREATED_AT_COLUMN, ID_COLUMN, ResourceDef, UPDATED_AT_COLUMN, VERSION_COLUMN } from '../../resources/types';
import { assertCreatableHere, assertMayUse, assertMayWrite } from '../access';
import { OperationContext, WriteInput } from '../context';
import { cycleConflicts, guardRaces, reshapedClients, uniqueConflicts, uniqueValues } from './conflicts';
import { clientGeneratedId, parseAttributes, resolvedOf, resolveRelationships } from './input';
import { replaceMembers } from './members';
import { Problems } from './problems';
import type { WriteResult } from './index';

/**
 * Creates a resource. Checks in the contract's precedence: 403 (role, subdomain), 404 (ids in
 * the body), 422 (values), 409 (type, id, unique values, cycles).
 */
export async function create(w: ScopedWriter, ctx: OperationContext, def: ResourceDef, input: WriteInput, requiredPointer: (name: string) => string): Promise<WriteResult> {
  assertMayUse(ctx.request, def);
  assertMayWrite(ctx.request, def);
  if (ctx.request.narrowed && def.hierarchy) {
    const parent = input.relationships.get(def.hierarchy.parent);
    if (!parent || parent.value === null) throw new ForbiddenError(`On a client subdomain, a new ${def.type} needs a parent inside that subtree.`, parent ? { pointer: parent.pointer } : undefined);
  }
  assertCreatableHere(ctx.request, def, input);
  await w.lockTrees(reshapedClients(def, undefined, input.relationships));
  const problems = new Problems();
  if (input.type && input.type.value !== def.type) {
    problems.conflicts.push(new ConflictError(`This collection takes ${def.type} resources, not "${input.type.value}".`, { pointer: input.type.pointer }));
  }
  const rels = await resolveRelationships(w, def, input, true, problems);
  problems.invalid.push(...(input.invalid ?? []));
  const values = parseAttributes(def, input, true, problems, requiredPointer);
  const id = clientGeneratedId(input, problems);
  for (const rel of def.relationships) {
    if (rel.kind === 'to-one' && rel.required && !input.relationships.has(rel.name)) {
      problems.invalid.push(new ValidationError(`The relationship "${rel.name}" is required.`, `/data/relationships/${rel.name}`));
    }
  }
  if (problems.invalid.length === 0) {
    const problem = def.validate?.({ attributes: values, relationships: Object.fromEntries(rels.map((r) => [r.rel.name, r.value])) }, true);
    if (problem) problems.invalid.push(new ValidationError(problem.detail, input.relationships.get(problem.member)?.pointer ?? `/data/relationships/${problem.member}`));
  }
  problems.throwInvalid();

  const newId = id ?? newObjectId();
  if (id && (await w.idTaken(def, id))) {
    problems.conflicts.push(new ConflictError(`A ${def.type} with id "${id}" already exists.`, { pointer: input.id!.pointer }));
  }
  problems.conflicts.push(...(await uniqueConflicts(w, def, values, input, undefined)));
  // A new row has no descendants: only children it takes in can close a cycle (its parent's chain cannot hold it).
  const children = def.hierarchy ? resolvedOf(rels, def.hierarchy.children) : undefined;
  if (def.hierarchy && children && (children.value as string[]).length > 0) {
    problems.conflicts.push(...(await cycleConflicts(w, newId, resolvedOf(rels, def.hierarchy.parent), children, null)));
  }
  problems.throwConflicts();

  const now = nowIso();
  const extra = def.onCreate?.();
  const row: Record<string, unknown> = {
    [ID_COLUMN]: newId,
    ...storedColumns(def, values),
    [VERSION_COLUMN]: 1,
    [CREATED_AT_COLUMN]: now,
    [UPDATED_AT_COLUMN]: now,
    ...(extra?.columns ?? {}),
  };
  for (const r of rels) if (r.rel.kind === 'to-one') row[r.rel.column] = r.value;
  const unique = uniqueValues(def, values, input);
  if (id) unique.push({ column: ID_COLUMN, value: id, conflict: () => new ConflictError(`A ${def.type} with id "${id}" already exists.`, { pointer: input.id!.pointer }) });
  await guardRaces(() => w.insert(def, row), unique, rels);
  for (const r of rels) if (r.rel.kind === 'to-many') await replaceMembers(w, newId, r.rel, r.value as string[], [], now);
  return { id: newId, meta: extra?.meta };
}
