/**
 * The one table that is not a resource type: the service's own settings (name → value), such as
 * the keyset-cursor secret and the hash of the token ADMIN_TOKEN made. Declared here, beside the
 * resource types, so the data layer takes every table and column name from src/resources.
 */
export const SETTINGS = { table: 'settings', name: 'name', value: 'value' } as const;
