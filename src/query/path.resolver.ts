import { InvalidQueryParameterError } from '../errors/api-error';
import { attribute, Registry, relationship } from '../resources/registry';
import { AttributeDef, ResourceDef, ToOneDef } from '../resources/types';
import { ID_ATTRIBUTE } from './ast';

/** Resolves `parent.name` into the to-one path [parent] and the attribute `name` of its target. */
export function resolveAttributePath(
  registry: Registry,
  root: ResourceDef,
  dotted: string,
  parameter: string,
  capability: 'sortable' | 'filterable',
  maxDepth: number,
): { path: ToOneDef[]; attribute: AttributeDef } {
  const segments = dotted.split('.');
  if (segments.length - 1 > maxDepth) {
    throw new InvalidQueryParameterError(parameter, `"${dotted}" follows more than ${maxDepth} relationships.`);
  }
  const path: ToOneDef[] = [];
  let def = root;
  for (const name of segments.slice(0, -1)) {
    const rel = relationship(def, name);
    if (!rel || rel.kind !== 'to-one') {
      throw new InvalidQueryParameterError(parameter, `"${name}" in "${dotted}" is not a to-one relationship of ${def.type}.`);
    }
    path.push(rel);
    def = registry.get(rel.target);
  }
  const last = segments[segments.length - 1];
  const attr = last === 'id' ? ID_ATTRIBUTE : attribute(def, last);
  if (!attr) throw new InvalidQueryParameterError(parameter, `"${last}" is not an attribute of ${def.type}.`);
  if (!attr[capability]) {
    throw new InvalidQueryParameterError(parameter, `"${dotted}" cannot be ${capability === 'sortable' ? 'sorted' : 'filtered'} on.`);
  }
  return { path, attribute: attr };
}
