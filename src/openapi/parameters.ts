import { Config } from '../config/config';
import { HIERARCHY_FILTERS, operatorsFor } from '../query/filter.parser';
import { Registry } from '../resources/registry';
import { AttributeDef, ResourceDef } from '../resources/types';
import { ID_PATTERN, Obj, ref } from './schema.helpers';

/** The component parameters: shared ones (id, page, conditional headers, fields) and each type's include, sort and filters. */

export function queryParam(name: string, schema: Obj, description: string, extra: Obj = {}): Obj {
  return { name, in: 'query', required: false, schema, description, ...extra };
}

/** Component parameters for one type: include, fields, sort, filters. Keys are `<type>.<name>`. */
export function typeParameters(def: ResourceDef, registry: Registry, config: Config): Record<string, Obj> {
  const key = (k: string) => `${def.type}.${k}`;
  const out: Record<string, Obj> = {};
  const rels = def.relationships.map((r) => r.name);
  out[key('include')] = queryParam(
    'include',
    { type: 'string' },
    `Comma-separated relationship paths to include (${rels.join(', ')}; paths like \`${rels[0]}.${registry.get(def.relationships[0].target).relationships[0]?.name ?? ''}\` go further, at most ${config.limits.maxIncludeDepth} deep).`,
  );
  const sortable = ['id', ...def.attributes.filter((a) => a.sortable).map((a) => a.name)];
  const toOnes = def.relationships.filter((r) => r.kind === 'to-one').map((r) => r.name);
  out[key('sort')] = queryParam(
    'sort',
    { type: 'string' },
    `Comma-separated sort keys, \`-\` for descending: ${sortable.join(', ')}${toOnes.length ? `, and attributes of to-one paths (${toOnes.map((t) => `${t}.name`).join(', ')})` : ''}. At most ${config.limits.maxSortFields} keys; id ascending is always the final tiebreaker. Strings compare by code point; NULLs first ascending.`,
  );
  const filterable: AttributeDef[] = [{ name: 'id', kind: 'string' } as AttributeDef, ...def.attributes.filter((a) => a.filterable)];
  for (const a of filterable) {
    const valueSchema: Obj = a.kind === 'timestamp' ? { type: 'string', format: 'date-time' } : { type: 'string' };
    out[key(`filter.${a.name}`)] = queryParam(`filter[${a.name}]`, { type: 'string' }, `Equality on ${a.name}; a comma-separated list means any of.`);
    for (const op of operatorsFor(a)) {
      const schema = op === 'null' ? { enum: ['true', 'false'] } : valueSchema;
      const how = op === 'in' || op === 'nin' ? 'comma-separated values' : op === 'null' ? 'true or false' : 'the value as it is, commas included';
      out[key(`filter.${a.name}.${op}`)] = queryParam(`filter[${a.name}][${op}]`, schema, `${a.name} ${op}: ${how}.`);
    }
  }
  for (const rel of def.relationships) {
    if (rel.kind !== 'to-one') continue;
    out[key(`filter.${rel.name}`)] = queryParam(`filter[${rel.name}]`, { type: 'string' }, `Rows whose ${rel.name} is one of these ids (comma-separated)${rel.nullable ? ', or `null`' : ''}.`);
  }
  if (def.hierarchy) {
    out[key('filter.descendantOf')] = queryParam('filter[descendantOf]', { type: 'string', pattern: ID_PATTERN }, 'The whole subtree below this client, any depth.');
    out[key('filter.ancestorOf')] = queryParam('filter[ancestorOf]', { type: 'string', pattern: ID_PATTERN }, 'The chain of clients above this one.');
  }
  return out;
}

export function filterParameterKeys(def: ResourceDef): string[] {
  const filterable = ['id', ...def.attributes.filter((a) => a.filterable).map((a) => a.name)];
  const keys: string[] = [];
  for (const name of filterable) {
    keys.push(`filter.${name}`);
    const a = def.attributes.find((x) => x.name === name) ?? ({ kind: 'string' } as AttributeDef);
    for (const op of operatorsFor(a)) keys.push(`filter.${name}.${op}`);
  }
  for (const rel of def.relationships) if (rel.kind === 'to-one') keys.push(`filter.${rel.name}`);
  if (def.hierarchy) for (const h of HIERARCHY_FILTERS) keys.push(`filter.${h}`);
  return keys.map((k) => `${def.type}.${k}`);
}

export function sharedParameters(registry: Registry, config: Config): Record<string, Obj> {
  const out: Record<string, Obj> = {
    id: { name: 'id', in: 'path', required: true, schema: ref('Id') },
    'page.number': queryParam('page[number]', { type: 'integer', minimum: 1 }, 'Page number (the default mode), from 1.'),
    'page.size': queryParam(
      'page[size]',
      { type: 'integer', minimum: 1, maximum: config.limits.maxPageSize },
      `Page size (default ${config.limits.defaultPageSize}, at most ${config.limits.maxPageSize}).`,
    ),
    'page.after': queryParam('page[after]', { type: 'string' }, 'Keyset pagination: empty for the first page, then the cursor from links.next.', { allowEmptyValue: true }),
    'page.before': queryParam('page[before]', { type: 'string' }, 'Keyset pagination: the cursor from links.prev; empty for the last page.', { allowEmptyValue: true }),
    'If-Match': { name: 'If-Match', in: 'header', required: false, schema: { type: 'string' }, description: 'The ETag the resource must still have (else 412 and nothing changes).' },
    'If-None-Match': { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' }, description: 'With the current ETag: 304 and no body.' },
    Prefer: { name: 'Prefer', in: 'header', required: false, schema: { type: 'string', examples: ['return=minimal'] }, description: '`return=minimal`: 204 instead of the updated document.' },
  };
  for (const def of registry.resources) {
    const fields = [...def.attributes.map((a) => a.name), ...def.relationships.map((r) => r.name)];
    out[`fields.${def.type}`] = queryParam(`fields[${def.type}]`, { type: 'string' }, `Sparse fieldset of ${def.type}: comma-separated among ${fields.join(', ')}.`);
  }
  return out;
}

export const param = (key: string): Obj => ({ $ref: `#/components/parameters/${key}` });
