import { InvalidQueryParameterError } from '../errors/api-error';
import { Registry } from '../resources/registry';

/** `fields[client]=name,parent` → the set of field names for that type. */
export function parseFieldset(registry: Registry, type: string, value: string, parameter: string): Set<string> {
  const def = registry.find(type);
  if (!def) throw new InvalidQueryParameterError(parameter, `"${type}" is not a resource type.`);
  const known = new Set([...def.attributes.map((a) => a.name), ...def.relationships.map((r) => r.name)]);
  const fields = new Set<string>();
  if (value === '') return fields;
  for (const name of value.split(',')) {
    if (!known.has(name)) throw new InvalidQueryParameterError(parameter, `"${name}" is not a field of ${type}.`);
    fields.add(name);
  }
  return fields;
}
