import { nowIso } from '../../data/object-id';
import { ScopedWriter } from '../../data/session';
import { relationship } from '../../resources/registry';
import { ResourceDef, ToManyDef } from '../../resources/types';
import { assertMayUse, assertMayWrite } from '../access';
import { Identifier, MemberInput, OperationContext, WriteInput } from '../context';
import { checkPrecondition, cycleConflicts, Precondition, reshapedClients } from './conflicts';
import { resolveRelationships } from './input';
import { assertMayLeave, namedIds, within, without } from './members';
import { Problems } from './problems';
import { currentParent, loadTarget } from './update';

/**
 * POST (add) or DELETE (remove) members of a to-many relationship. Adding moves members from
 * their current owner (cycle-checked for the hierarchy); removing an owned member is refused
 * (403), removing a child makes it a root; ids that are not members are left alone.
 */
export async function changeMembers(
  w: ScopedWriter,
  ctx: OperationContext,
  def: ResourceDef,
  id: string,
  name: string,
  change: 'add' | 'remove',
  member: MemberInput<Identifier | null | Identifier[]>,
  precondition?: Precondition,
): Promise<void> {
  assertMayUse(ctx.request, def);
  await w.lockTrees(reshapedClients(def, id, new Map([[name, member]])));
  const current = await loadTarget(w, ctx, def, id);
  assertMayWrite(ctx.request, def);
  const named = relationship(def, name);
  if (change === 'remove' && named?.kind === 'to-many' && Array.isArray(member.value)) {
    assertMayLeave(ctx, def, named, within(await w.members(named, id), namedIds(member)), member.pointer);
  }
  const problems = new Problems();
  const input: WriteInput = { attributes: new Map(), relationships: new Map([[name, member]]) };
  const [resolved] = await resolveRelationships(w, def, input, false, problems);
  problems.throwInvalid();
  const rel = resolved.rel as ToManyDef;
  const ids = resolved.value as string[];
  const members = await w.members(rel, id);
  const now = nowIso();
  if (change === 'add') {
    if (def.hierarchy && rel.name === def.hierarchy.children) {
      problems.conflicts.push(...(await cycleConflicts(w, id, undefined, { ...resolved, value: [...members, ...ids] }, currentParent(ctx, current))));
    }
    problems.throwConflicts();
    checkPrecondition(def, id, current, precondition);
    await w.setOwner(rel, without(ids, members), id, now);
  } else {
    problems.throwConflicts();
    checkPrecondition(def, id, current, precondition);
    await w.setOwner(rel, within(ids, members), null, now);
  }
  await w.update(def, id, {}, now);
}
