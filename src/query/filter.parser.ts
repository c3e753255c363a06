import { InvalidQueryParameterError } from '../errors/api-error';
import { Registry, relationship } from '../resources/registry';
import { AttributeDef, ResourceDef } from '../resources/types';
import { FILTER_OPERATORS, FilterNode, FilterOperator } from './ast';
import { resolveAttributePath } from './path.resolver';

const ID = /^[0-9a-f]{24}$/;
const FILTER_NAME = /^filter\[([^[\]]+)\](?:\[([^[\]]+)\])?$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(Z|[+-](\d{2}):(\d{2}))$/i;

/** Milliseconds of a strict RFC 3339 timestamp, or NaN (no rolling of 31 April into May). */
export function parseTimestamp(value: string): number {
  const m = RFC3339.exec(value);
  if (!m) return NaN;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const offsetOk = m[9] === undefined || (Number(m[9]) <= 23 && Number(m[10]) <= 59);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth || hour > 23 || minute > 59 || second > 59 || !offsetOk) return NaN;
  return Date.parse(value);
}

const STRING_ONLY: ReadonlySet<FilterOperator> = new Set(['contains', 'startsWith', 'endsWith']);

/** The operators a filter on this attribute takes (the substring ones apply to text only). */
export function operatorsFor(attribute: AttributeDef): readonly FilterOperator[] {
  return attribute.kind === 'string' ? FILTER_OPERATORS : FILTER_OPERATORS.filter((o) => !STRING_ONLY.has(o));
}

function typed(attribute: AttributeDef, parameter: string, value: string): string {
  if (attribute.kind === 'timestamp') {
    const ms = parseTimestamp(value);
    if (Number.isNaN(ms)) throw new InvalidQueryParameterError(parameter, `"${value}" is not an RFC 3339 timestamp.`);
    return new Date(ms).toISOString();
  }
  if (attribute.name === 'id' && !ID.test(value)) throw new InvalidQueryParameterError(parameter, `"${value}" is not a 24-hex id.`);
  return value;
}

/** One `filter[...]` parameter → a filter node bound to registry fields. */
function list(parameter: string, value: string, max: number): string[] {
  const items = value.split(',');
  if (items.length > max) throw new InvalidQueryParameterError(parameter, `A filter list takes at most ${max} values.`);
  return items;
}

export const HIERARCHY_FILTERS = ['descendantOf', 'ancestorOf'] as const;
const HIERARCHY: ReadonlySet<string> = new Set(HIERARCHY_FILTERS);

export function parseFilter(registry: Registry, root: ResourceDef, parameter: string, value: string, maxDepth = 4, maxValues = 100): FilterNode {
  // No stored text holds NUL (writes refuse it), and PostgreSQL cannot even compare with it.
  if (value.includes('\u0000')) throw new InvalidQueryParameterError(parameter, 'Filter values must not contain NUL characters.');
  const match = FILTER_NAME.exec(parameter);
  if (!match) throw new InvalidQueryParameterError(parameter, 'Filters have the form filter[field] or filter[field][operator].');
  const [, field, op] = match;
  if (op !== undefined && !(FILTER_OPERATORS as readonly string[]).includes(op)) {
    throw new InvalidQueryParameterError(parameter, `"${op}" is not a filter operator (${FILTER_OPERATORS.join(', ')}).`);
  }
  const operator = op as FilterOperator | undefined;

  if (HIERARCHY.has(field) && root.hierarchy && !relationship(root, field)) {
    if (operator !== undefined) throw new InvalidQueryParameterError(parameter, `filter[${field}] takes one id and no operator.`);
    if (!ID.test(value)) throw new InvalidQueryParameterError(parameter, `"${value}" is not a 24-hex id.`);
    return { kind: 'hierarchy', parameter, relation: field as 'descendantOf' | 'ancestorOf', id: value };
  }

  const rel = relationship(root, field);
  if (rel) {
    if (rel.kind !== 'to-one') throw new InvalidQueryParameterError(parameter, `"${field}" is a to-many relationship and cannot be filtered on.`);
    if (operator !== undefined && operator !== 'eq' && operator !== 'in') {
      throw new InvalidQueryParameterError(parameter, `filter[${field}] takes an id, a comma-separated list of ids, or null.`);
    }
    const ids = list(parameter, value, maxValues).map((v) => {
      if (v === 'null' && rel.nullable) return null;
      if (!ID.test(v)) throw new InvalidQueryParameterError(parameter, `"${v}" is not a 24-hex id${rel.nullable ? ' or null' : ''}.`);
      return v;
    });
    return { kind: 'relationship', parameter, relationship: rel, ids };
  }

  const { path, attribute } = resolveAttributePath(registry, root, field, parameter, 'filterable', maxDepth);
  const effective: FilterOperator = operator ?? 'in';
  if (!operatorsFor(attribute).includes(effective)) {
    throw new InvalidQueryParameterError(parameter, `${effective} applies to text attributes only.`);
  }
  let values: (string | boolean)[];
  if (effective === 'null') {
    if (value !== 'true' && value !== 'false') throw new InvalidQueryParameterError(parameter, 'The null operator takes true or false.');
    values = [value === 'true'];
  } else if (effective === 'in' || effective === 'nin') {
    values = list(parameter, value, maxValues).map((v) => typed(attribute, parameter, v));
  } else {
    values = [typed(attribute, parameter, value)];
  }
  return { kind: 'attribute', parameter, path, attribute, operator: effective, values };
}
