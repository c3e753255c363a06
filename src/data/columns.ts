import { attribute } from '../resources/registry';
import { ResourceDef } from '../resources/types';
import { casefold } from '../resources/values';

/**
 * Column values for parsed attribute values (by wire name): each attribute's column, plus its
 * case-folded copy where it has one. Every write path (the operations, the bench's bulk
 * loader) stores through this, so folded copies never drift from their values.
 */
export function storedColumns(def: ResourceDef, values: Record<string, unknown>): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(values)) {
    const attr = attribute(def, name);
    if (!attr) throw new Error(`${def.type} has no attribute ${name}`);
    columns[attr.column] = value;
    if (attr.foldedColumn) columns[attr.foldedColumn] = typeof value === 'string' ? casefold(value) : null;
  }
  return columns;
}
