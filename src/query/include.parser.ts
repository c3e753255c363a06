import { InvalidQueryParameterError } from '../errors/api-error';
import { Registry, relationship } from '../resources/registry';
import { ResourceDef } from '../resources/types';
import { IncludeNode } from './ast';

/** `include=children.children,legalEntities` → a tree of relationship nodes, depth-guarded. */
export function parseInclude(registry: Registry, root: ResourceDef, value: string, maxDepth: number, parameter = 'include'): IncludeNode[] {
  const tree: IncludeNode[] = [];
  if (value === '') return tree;
  for (const path of value.split(',')) {
    if (path === '') throw new InvalidQueryParameterError(parameter, 'An include path must not be empty.');
    const segments = path.split('.');
    if (segments.length > maxDepth) {
      throw new InvalidQueryParameterError(parameter, `Include path "${path}" is deeper than the maximum of ${maxDepth}.`);
    }
    let def = root;
    let level = tree;
    for (const name of segments) {
      const rel = relationship(def, name);
      if (!rel) throw new InvalidQueryParameterError(parameter, `"${name}" in "${path}" is not a relationship of ${def.type}.`);
      let node = level.find((n) => n.relationship === rel);
      if (!node) {
        node = { relationship: rel, children: [] };
        level.push(node);
      }
      level = node.children;
      def = registry.get(rel.target);
    }
  }
  return tree;
}
