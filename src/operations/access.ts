import { ForbiddenError } from '../errors/api-error';
import { ResourceDef } from '../resources/types';
import { RequestScope } from '../scope/scope';
import { WriteInput } from './context';

/**
 * Who may touch what, checked by the operations themselves so that every path (plain endpoints,
 * relationship endpoints, atomic operations) answers alike, and before anything is looked up:
 * these 403s come before 404s for ids in the body and before 422s (SPEC §2 precedence).
 */

/** An admin-only type (api-token) is 403 for any other role, whatever it names (SPEC §4). */
export function assertMayUse(request: RequestScope, def: ResourceDef): void {
  if (def.scope.kind === 'admin-only' && request.principal.role !== 'admin') {
    throw new ForbiddenError(`Only admin tokens may use /${def.path}.`);
  }
}

/** Only admin tokens change data; a client token may read its subtree. */
export function assertMayWrite(request: RequestScope, def: ResourceDef): void {
  if (request.principal.role !== 'admin') {
    throw new ForbiddenError(`A client token may read but not change ${def.type} resources.`);
  }
}

/**
 * Under a narrowed host, a new row of an admin-only type must belong to a client (which must then
 * be inside the subtree, or it is not visible: 404): one that belongs to no client, an admin-role
 * token, would reach beyond the subdomain.
 */
export function assertCreatableHere(request: RequestScope, def: ResourceDef, input: WriteInput): void {
  if (!request.narrowed || def.scope.kind !== 'admin-only') return;
  const column = def.scope.column;
  const owner = def.relationships.find((r) => r.kind === 'to-one' && r.column === column);
  const member = owner ? input.relationships.get(owner.name) : undefined;
  if (member === undefined || member.value === null) {
    throw new ForbiddenError(
      `On a client subdomain, a new ${def.type} must belong to a client inside that subtree; one that belongs to no client would reach beyond it.`,
      member ? { pointer: member.pointer } : undefined,
    );
  }
}

/**
 * Under a narrowed host, an update may not make a client of the subtree a root (its parent null):
 * it would leave the subdomain. The subtree's own root may be made one (it stays inside).
 */
export function assertNotMadeRoot(request: RequestScope, def: ResourceDef, id: string, input: WriteInput): void {
  if (!request.narrowed || !def.hierarchy || request.scope.kind !== 'subtree' || request.scope.rootId === id) return;
  const parent = input.relationships.get(def.hierarchy.parent);
  if (parent !== undefined && parent.value === null) {
    throw new ForbiddenError(`On a client subdomain, a ${def.type} cannot be made a root.`, { pointer: parent.pointer });
  }
}
