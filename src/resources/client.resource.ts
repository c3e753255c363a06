import { ResourceDef } from './types';
import { attr, EMAIL, NAME, SLUG, timestamp } from './values';
import { ownedCollection } from './owned';

export const clientResource: ResourceDef = {
  type: 'client',
  path: 'clients',
  table: 'clients',
  attributes: [
    attr('name', { nullable: false, required: true, ...NAME, foldedColumn: 'name_key', substringIndex: 'clients_name_fts' }),
    attr('email', { ...EMAIL, foldedColumn: 'email_key', caseInsensitiveEquality: true, unique: true }),
    attr('slug', { ...SLUG, unique: true }),
    timestamp('createdAt'),
    timestamp('updatedAt'),
  ],
  relationships: [
    {
      kind: 'to-one',
      name: 'parent',
      target: 'client',
      column: 'parent_id',
      nullable: true,
      required: false,
      updatable: true,
      visibleWithSource: false,
      inverse: 'children',
    },
    { kind: 'to-many', name: 'children', target: 'client', inverseColumn: 'parent_id', inverse: 'parent', owned: false },
    ownedCollection('legalEntities', 'legal-entity'),
    ownedCollection('reportingEntities', 'reporting-entity'),
    ownedCollection('projects', 'project'),
  ],
  scope: { kind: 'client-self' },
  hierarchy: { parent: 'parent', children: 'children' },
  subdomainKey: 'slug',
};
