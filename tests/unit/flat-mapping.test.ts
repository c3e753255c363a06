import { loadConfig } from '../../src/config/config';
import { FLAT_CLIENTS, resolveFlatMapping } from '../../src/http/flat/flat.mapping';
import { flatPaths, flatSchemas } from '../../src/openapi/flat';
import { registry } from '../../src/resources/registry';

/**
 * The flat surface is one declaration (src/http/flat/flat.mapping.ts) checked against the
 * registry at boot; its OpenAPI schemas and list parameters are generated from it.
 */

describe('the flat mapping', () => {
  it('When it names an attribute the resource does not have, then resolving it fails (the service does not start)', () => {
    const broken = { ...FLAT_CLIENTS, members: [...FLAT_CLIENTS.members, { member: 'phone', attribute: 'phone' }] };
    expect(() => resolveFlatMapping(registry, broken)).toThrow('flat mapping: client has no attribute phone');
  });

  it('When it names a relationship that is not to-many, then resolving it fails', () => {
    const broken = { ...FLAT_CLIENTS, members: [{ member: 'parent', relationship: 'parent', idPrefix: 'client_', note: 'x' }] };
    expect(() => resolveFlatMapping(registry, broken)).toThrow('flat mapping: client has no to-many relationship parent');
  });

  it('When a member is added to the declaration, then the flat schemas show it and the write schema takes it when writable', () => {
    const mapping = resolveFlatMapping(registry, { ...FLAT_CLIENTS, members: [...FLAT_CLIENTS.members, { member: 'subdomain', attribute: 'slug', writable: true }] });
    const schemas = flatSchemas(mapping) as Record<string, { properties: Record<string, unknown>; required?: string[] }>;
    expect(Object.keys(schemas.FlatClient.properties)).toEqual(['id', 'name', 'email', 'projects', 'created_at', 'updated_at', 'subdomain']);
    expect(schemas.FlatClient.required).toEqual(['id', 'name', 'email', 'projects', 'created_at', 'updated_at', 'subdomain']);
    expect(schemas.FlatClient.properties.subdomain).toEqual({ type: ['string', 'null'] });
    expect(Object.keys(schemas.FlatClientWrite.properties)).toEqual(['name', 'email', 'projects', 'subdomain']);
  });

  it('When the list parameters are documented, then they are the declared ones with the configured page bounds', () => {
    const paths = flatPaths(resolveFlatMapping(registry), loadConfig({ LOG_LEVEL: 'silent', FLAT_MAX_LIMIT: '500' })) as Record<
      string,
      Record<string, { parameters?: { name: string; schema: Record<string, unknown> }[] }>
    >;
    const parameters = paths['/api/clients'].get.parameters!;
    expect(parameters.map((p) => p.name)).toEqual(['email', 'search', 'limit', 'offset']);
    expect(parameters[2].schema).toEqual({ type: 'integer', minimum: 1, maximum: 500 });
  });
});
