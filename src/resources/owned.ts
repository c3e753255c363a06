import { AttributeDef, ResourceDef, ToManyDef, ToOneDef } from './types';
import { attr, NAME, timestamp } from './values';

/** The owner relationship of an owned type: required, never null, always visible with its row. */
export function ownerRelationship(inverse: string): ToOneDef {
  return {
    kind: 'to-one',
    name: 'client',
    target: 'client',
    column: 'client_id',
    nullable: false,
    required: true,
    updatable: true,
    visibleWithSource: true,
    inverse,
  };
}

/** The client's to-many side of an owned type. */
export function ownedCollection(name: string, target: string): ToManyDef {
  return { kind: 'to-many', name, target, inverseColumn: 'client_id', inverse: 'client', owned: true };
}

/** A type owned by a client: name, its own attributes, timestamps, and the `client` owner. */
export function ownedResource(type: string, path: string, table: string, inverse: string, own: AttributeDef[]): ResourceDef {
  return {
    type,
    path,
    table,
    attributes: [attr('name', { nullable: false, required: true, ...NAME }), ...own, timestamp('createdAt'), timestamp('updatedAt')],
    relationships: [ownerRelationship(inverse)],
    scope: { kind: 'owner', column: 'client_id' },
  };
}
