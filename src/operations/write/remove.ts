import { ScopedWriter } from '../../data/session';
import { ConflictError } from '../../errors/api-error';
import { ResourceDef } from '../../resources/types';
import { assertMayUse, assertMayWrite } from '../access';
import { OperationContext } from '../context';
import { checkPrecondition, Precondition } from './conflicts';
import { throwAll } from './problems';
import { loadTarget } from './update';

/** Deletes a resource: 409 (one error each) while rows still point at it, then 412. */
export async function remove(w: ScopedWriter, ctx: OperationContext, def: ResourceDef, id: string, precondition?: Precondition): Promise<void> {
  assertMayUse(ctx.request, def);
  // Locked for a delete: a concurrent write naming this row in a foreign key waits for the
  // delete and then fails (404), or has committed first and blocks it (409 below).
  const current = await loadTarget(w, ctx, def, id, 'delete');
  assertMayWrite(ctx.request, def);
  const blockers = await w.blockers(def, id);
  throwAll(
    blockers.map(({ blocker, count }) => new ConflictError(`This ${def.type} still has ${count} ${blocker.name}; move or delete them first.`, undefined, { relationship: blocker.name, count })),
  );
  checkPrecondition(def, id, current, precondition);
  await w.remove(def, id);
}
