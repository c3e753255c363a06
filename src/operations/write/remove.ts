import { ScopedWriter } from '../../data/session';
import { ConflictError } from '../../errors/api-error';
import { ID_COLUMN, ResourceDef, VERSION_COLUMN } from '../../resources/types';
import { assertMayUse, assertMayWrite } from '../access';
import { loadVisible } from '../read';
import { OperationContext } from '../context';
import { checkPrecondition, Precondition } from './conflicts';
import { throwAll } from './problems';

/** Deletes a resource: 409 (one error each) while rows still point at it, then 412. */
export async function remove(w: ScopedWriter, ctx: OperationContext, def: ResourceDef, id: string, precondition?: Precondition): Promise<void> {
  assertMayUse(ctx.request, def);
  const current = await loadVisible(w, def, id, [ID_COLUMN, VERSION_COLUMN]);
  assertMayWrite(ctx.request, def);
  const blockers = await w.blockers(def, id);
  throwAll(
    blockers.map(({ blocker, count }) => new ConflictError(`This ${def.type} still has ${count} ${blocker.name}; move or delete them first.`, undefined, { relationship: blocker.name, count })),
  );
  checkPrecondition(def, id, current, precondition);
  await w.remove(def, id);
}
