import { ScopeSql } from '../../src/data/scope.sql';
import { Params } from '../../src/data/sql';
import { registry } from '../../src/resources/registry';
import { ResourceDef, ToManyDef } from '../../src/resources/types';

/**
 * Linkage subqueries leave out the scope only where the owner's visibility implies the
 * members': the hierarchy's children, and owned rows scoped by the column naming their owner.
 * Anything else (an admin-only type, a to-many through another column) keeps the predicate.
 */
const subtree = (admin: boolean) => ScopeSql.of(registry, { kind: 'subtree', rootId: 'r'.repeat(24) }, admin);
const toManys = registry.resources.flatMap((def) => def.relationships.filter((r): r is ToManyDef => r.kind === 'to-many').map((rel) => [`${def.type}.${rel.name}`, rel] as const));

describe('which member subqueries may leave the scope to their owner', () => {
  it.each(toManys)('%s: implied by the owner, for a client token and a narrowed admin', (_type, rel) => {
    for (const admin of [false, true]) expect(subtree(admin).memberPredicate(registry.get(rel.target), rel, 'm', new Params())).toBeUndefined();
  });

  it('keeps the scope for a relationship through a column that is not the owner the scope names', () => {
    const project = registry.get('project');
    const other: ToManyDef = { kind: 'to-many', name: 'sponsored', target: 'project', inverseColumn: 'sponsor_id', inverse: 'sponsor', owned: false };
    expect(subtree(false).memberPredicate(project, other, 'm', new Params())).toMatch(/IN \(WITH RECURSIVE/);
    const client = registry.get('client');
    const referrals: ToManyDef = { kind: 'to-many', name: 'referrals', target: 'client', inverseColumn: 'referrer_id', inverse: 'referrer', owned: false };
    expect(subtree(false).memberPredicate(client, referrals, 'm', new Params())).toMatch(/IN \(WITH RECURSIVE/);
  });

  it('keeps admin-only rows out for every role but admin', () => {
    const token: ResourceDef = registry.get('api-token');
    const apiTokens: ToManyDef = { kind: 'to-many', name: 'apiTokens', target: 'api-token', inverseColumn: 'client_id', inverse: 'client', owned: false };
    expect(subtree(false).memberPredicate(token, apiTokens, 'm', new Params())).toBe('1 = 0');
    expect(subtree(true).memberPredicate(token, apiTokens, 'm', new Params())).toMatch(/IN \(WITH RECURSIVE/);
  });
});
