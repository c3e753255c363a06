import { tokenSecretColumns } from '../auth/tokens';
import { ResourceDef, ValueError } from './types';
import { attr, NAME, timestamp } from './values';

/**
 * API tokens: admin-only. The secret is never an attribute; it appears once, in meta.secret of
 * the create response. Only `name` can change after creation.
 */
export const apiTokenResource: ResourceDef = {
  type: 'api-token',
  path: 'api-tokens',
  table: 'api_tokens',
  attributes: [
    attr('name', { nullable: false, required: true, ...NAME }),
    attr('role', {
      nullable: false,
      required: true,
      updatable: false,
      schema: { type: 'string', enum: ['admin', 'client'] },
      parse: (v) => {
        if (v !== 'admin' && v !== 'client') throw new ValueError('must be "admin" or "client"');
        return v;
      },
    }),
    timestamp('createdAt'),
    timestamp('lastUsedAt', true),
  ],
  relationships: [
    {
      kind: 'to-one',
      name: 'client',
      target: 'client',
      column: 'client_id',
      nullable: true,
      required: false,
      updatable: false,
      visibleWithSource: true,
    },
  ],
  scope: { kind: 'admin-only', column: 'client_id' },
  revocation: { table: 'revoked_tokens', column: 'token_hash', atColumn: 'revoked_at' },
  onCreate: tokenSecretColumns,
  createdMeta: { secret: { type: 'string', description: 'The bearer token itself: in the create response only, never again.' } },
  validate: ({ attributes, relationships }, isCreate) => {
    if (!isCreate) return undefined;
    const client = relationships.client;
    if (attributes.role === 'client' && (client === undefined || client === null)) {
      return { detail: 'A token with role "client" needs a client relationship.', member: 'client' };
    }
    if (attributes.role === 'admin' && client !== undefined && client !== null) {
      return { detail: 'A token with role "admin" cannot belong to a client.', member: 'client' };
    }
    return undefined;
  },
};
