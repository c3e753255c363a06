import { InvalidQueryParameterError } from '../errors/api-error';
import { Registry } from '../resources/registry';
import { ResourceDef } from '../resources/types';
import { SortKey } from './ast';
import { resolveAttributePath } from './path.resolver';

/** `sort=-createdAt,parent.name` → sort keys. The id tiebreaker is added by the SQL layer. */
export function parseSort(registry: Registry, root: ResourceDef, value: string, parameter = 'sort', maxDepth = 4, maxKeys = 10): SortKey[] {
  if (value === '') throw new InvalidQueryParameterError(parameter, 'sort must name at least one field.');
  const keys = value.split(',');
  if (keys.length > maxKeys) throw new InvalidQueryParameterError(parameter, `sort takes at most ${maxKeys} keys.`);
  return keys.map((raw) => {
    const descending = raw.startsWith('-');
    const dotted = descending ? raw.slice(1) : raw;
    if (dotted === '') throw new InvalidQueryParameterError(parameter, 'A sort key must not be empty.');
    const { path, attribute } = resolveAttributePath(registry, root, dotted, parameter, 'sortable', maxDepth);
    return { path, attribute, descending };
  });
}
