import { storedColumns } from '../../data/columns';
import { isObjectId, nowIso } from '../../data/object-id';
import { Row, ScopedWriter } from '../../data/session';
import { ConflictError, NotFoundError } from '../../errors/api-error';
import { ID_COLUMN, ResourceDef, VERSION_COLUMN } from '../../resources/types';
import { assertMayUse, assertMayWrite, assertNotMadeRoot } from '../access';
import { OperationContext, WriteInput } from '../context';
import { checkPrecondition, cycleConflicts, guardRaces, Precondition, reshapedClients, uniqueConflicts, uniqueValues } from './conflicts';
import { parseAttributes, resolvedOf, resolveRelationships } from './input';
import { checkReplacements, replaceMembers } from './members';
import { Problems } from './problems';
import type { WriteResult } from './index';

/**
 * The row a write changes ('update') or deletes ('delete'), with what its checks need (version;
 * for the hierarchy, its parent): its first read of that row, which locks it until the
 * transaction ends (PostgreSQL), so two writes of one row cannot both pass the version check.
 */
export async function loadTarget(w: ScopedWriter, ctx: OperationContext, def: ResourceDef, id: string, intent: 'update' | 'delete' = 'update'): Promise<Row> {
  const parent = def.hierarchy ? ctx.registry.hierarchy.parent.column : undefined;
  const row = isObjectId(id) ? await w.lockById(def, id, parent ? [ID_COLUMN, VERSION_COLUMN, parent] : [ID_COLUMN, VERSION_COLUMN], intent) : undefined;
  if (!row) throw new NotFoundError(`No ${def.type} with id "${id}" exists.`);
  return row;
}

/** The current parent of a hierarchy row read by loadTarget. */
export function currentParent(ctx: OperationContext, row: Row): string | null {
  return (row[ctx.registry.hierarchy.parent.column] as string | null | undefined) ?? null;
}

/** Changes the members sent; the same precedence as create, then 412 last. */
export async function update(w: ScopedWriter, ctx: OperationContext, def: ResourceDef, id: string, input: WriteInput, precondition?: Precondition): Promise<WriteResult> {
  assertMayUse(ctx.request, def);
  await w.lockTrees(reshapedClients(def, id, input.relationships));
  const current = await loadTarget(w, ctx, def, id);
  assertMayWrite(ctx.request, def);
  const members = await checkReplacements(w, ctx, def, id, input);
  assertNotMadeRoot(ctx.request, def, id, input);
  const problems = new Problems();
  if (input.type && input.type.value !== def.type) {
    problems.conflicts.push(new ConflictError(`This endpoint takes ${def.type} resources, not "${input.type.value}".`, { pointer: input.type.pointer }));
  }
  if (input.id && input.id.value !== id) {
    problems.conflicts.push(new ConflictError(`The id in the body does not match the id in the URL (${id}).`, { pointer: input.id.pointer }));
  }
  const rels = await resolveRelationships(w, def, input, false, problems);
  problems.invalid.push(...(input.invalid ?? []));
  const values = parseAttributes(def, input, false, problems, () => '/data/attributes');
  problems.throwInvalid();

  problems.conflicts.push(...(await uniqueConflicts(w, def, values, input, id)));
  if (def.hierarchy) {
    const { parent, children } = def.hierarchy;
    problems.conflicts.push(...(await cycleConflicts(w, id, resolvedOf(rels, parent), resolvedOf(rels, children), currentParent(ctx, current))));
  }
  problems.throwConflicts();
  checkPrecondition(def, id, current, precondition);

  const now = nowIso();
  const columns = storedColumns(def, values);
  for (const r of rels) if (r.rel.kind === 'to-one') columns[r.rel.column] = r.value;
  await guardRaces(() => w.update(def, id, columns, now), uniqueValues(def, values, input), rels);
  for (const r of rels) if (r.rel.kind === 'to-many') await replaceMembers(w, id, r.rel, r.value as string[], members.get(r.rel.name) ?? [], now);
  return { id };
}
