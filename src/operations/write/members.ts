import { ScopedWriter } from '../../data/session';
import { ForbiddenError } from '../../errors/api-error';
import { relationship } from '../../resources/registry';
import { ResourceDef, ToManyDef } from '../../resources/types';
import { Identifier, MemberInput, OperationContext, WriteInput } from '../context';

/** The ids of `list` not in `other` (a set: relationships may hold tens of thousands of members). */
export function without(list: readonly string[], other: readonly string[]): string[] {
  const set = new Set(other);
  return list.filter((id) => !set.has(id));
}

/** The ids of `list` also in `other`. */
export function within(list: readonly string[], other: readonly string[]): string[] {
  const set = new Set(other);
  return list.filter((id) => set.has(id));
}

/** Ids named by a member's identifiers as sent (before they are checked to exist). */
export function namedIds(member: MemberInput<Identifier | null | Identifier[]>): string[] {
  const v = member.value;
  return v === null ? [] : Array.isArray(v) ? v.map((i) => i.id) : [v.id];
}

/**
 * Members leaving a to-many relationship: an owned member would be orphaned (403); a child
 * would become a root, which a narrowed (subdomain) request may not make (403). Runs before
 * ids in the body are resolved, as 403 comes before 404 for body ids in the contract.
 */
export function assertMayLeave(ctx: OperationContext, def: ResourceDef, rel: ToManyDef, leaving: readonly string[], pointer: string): void {
  if (leaving.length === 0) return;
  const target = ctx.registry.get(rel.target);
  if (rel.owned) {
    throw new ForbiddenError(`Removing ${target.type} ${leaving.join(', ')} from "${rel.name}" would leave it without an owner; move it to another client instead.`, { pointer });
  }
  if (ctx.request.narrowed && def.hierarchy && rel.name === def.hierarchy.children) {
    throw new ForbiddenError(`On a client subdomain, ${leaving.join(', ')} cannot be made a root.`, { pointer });
  }
}

/**
 * 403s for to-many replacements in an update that would let members go (see assertMayLeave);
 * answers the members each replaced relationship has, for replaceMembers: what was checked is
 * what is replaced, even if a concurrent write (PostgreSQL) moves a row in meanwhile (the
 * replacement then leaves it alone, as if it had come after).
 */
export async function checkReplacements(w: ScopedWriter, ctx: OperationContext, def: ResourceDef, id: string, input: WriteInput): Promise<Map<string, string[]>> {
  const current = new Map<string, string[]>();
  for (const [name, member] of input.relationships) {
    const rel = relationship(def, name);
    if (!rel || rel.kind !== 'to-many' || !Array.isArray(member.value)) continue;
    current.set(name, await w.members(rel, id));
    assertMayLeave(ctx, def, rel, without(current.get(name)!, namedIds(member)), member.pointer);
  }
  return current;
}

/** Applies a to-many replacement: members named are moved in; `current` members left out are detached (checked by checkReplacements). */
export async function replaceMembers(w: ScopedWriter, ownerId: string, rel: ToManyDef, ids: string[], current: readonly string[], now: string): Promise<void> {
  await w.setOwner(rel, without(current, ids), null, now);
  await w.setOwner(rel, without(ids, current), ownerId, now);
}
