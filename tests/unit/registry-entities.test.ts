import 'reflect-metadata';
import { DataSource, EntityMetadata } from 'typeorm';
import { entities } from '../../entities';
import { registry } from '../../src/resources/registry';
import { SETTINGS } from '../../src/resources/settings';
import { CREATED_AT_COLUMN, ID_COLUMN, ResourceDef, UPDATED_AT_COLUMN, VERSION_COLUMN } from '../../src/resources/types';

/**
 * The registry and the TypeORM entities describe the same tables twice (the registry for the
 * API and the SQL, the entities for migrations): this ties them together, so a column renamed,
 * resized or made nullable in one and not the other fails here rather than in production.
 */
describe('The registry agrees with the TypeORM entity metadata', () => {
  let ds: DataSource;
  beforeAll(async () => {
    ds = new DataSource({ type: 'better-sqlite3', database: ':memory:', entities, synchronize: false });
    await ds.initialize();
  });
  afterAll(() => ds.destroy());

  const entityOf = (table: string): EntityMetadata => {
    const found = ds.entityMetadatas.find((m) => m.tableName === table);
    if (!found) throw new Error(`no entity for table ${table}`);
    return found;
  };
  const column = (table: string, name: string) => {
    const found = entityOf(table).columns.find((c) => c.databaseName === name);
    if (!found) throw new Error(`no column ${table}.${name}`);
    return found;
  };
  const uniqueOn = (table: string, name: string) =>
    entityOf(table).indices.some((i) => i.isUnique && i.columns.length === 1 && i.columns[0].databaseName === name) || (column(table, name).isPrimary && entityOf(table).primaryColumns.length === 1);

  it('When every table the service reads is listed, then each has an entity and no entity is left undeclared', () => {
    const declared = new Set([...registry.resources.map((d) => d.table), ...registry.resources.flatMap((d) => (d.revocation ? [d.revocation.table] : [])), SETTINGS.table]);
    expect(new Set(ds.entityMetadatas.map((m) => m.tableName))).toEqual(declared);
    expect(column(SETTINGS.table, SETTINGS.name).isPrimary).toBe(true);
    column(SETTINGS.table, SETTINGS.value);
  });

  it.each(registry.resources.map((d) => [d.type, d] as [string, ResourceDef]))('When %s is declared, then its table has the id, version and timestamp columns', (_type, def) => {
    expect(column(def.table, ID_COLUMN).isPrimary).toBe(true);
    for (const name of [VERSION_COLUMN, CREATED_AT_COLUMN, UPDATED_AT_COLUMN]) expect(column(def.table, name).isNullable).toBe(false);
  });

  const attributes = registry.resources.flatMap((def) => def.attributes.map((a) => [`${def.type}.${a.name}`, def, a] as const));
  it.each(attributes)('When the attribute %s is declared, then its column exists with the same nullability, room for its longest value, and its uniqueness', (_name, def, attr) => {
    const stored = column(def.table, attr.column);
    expect(stored.isNullable).toBe(attr.nullable);
    const maxLength = attr.schema?.maxLength as number | undefined;
    if (maxLength !== undefined) expect(Number(stored.length)).toBeGreaterThanOrEqual(maxLength);
    if (attr.foldedColumn) {
      // Case folding can make a string up to three times longer (in code points).
      const folded = column(def.table, attr.foldedColumn);
      if (maxLength !== undefined) expect(Number(folded.length)).toBeGreaterThanOrEqual(3 * maxLength);
    }
    if (attr.unique) expect(uniqueOn(def.table, attr.caseInsensitiveEquality && attr.foldedColumn ? attr.foldedColumn : attr.column)).toBe(true);
  });

  const toOnes = registry.resources.flatMap((def) => def.relationships.flatMap((r) => (r.kind === 'to-one' ? [[`${def.type}.${r.name}`, def, r] as const] : [])));
  it.each(toOnes)('When the to-one %s is declared, then its column is a foreign key to the target that restricts deletes (the registry derives delete blockers from it)', (_name, def, rel) => {
    const stored = column(def.table, rel.column);
    expect(stored.isNullable).toBe(rel.nullable);
    const fk = entityOf(def.table).foreignKeys.find((k) => k.columnNames.length === 1 && k.columnNames[0] === rel.column);
    expect(fk?.referencedTablePath).toBe(registry.get(rel.target).table);
    expect(fk?.onDelete).toBe('RESTRICT');
    expect(registry.deleteBlockers(registry.get(rel.target)).map((b) => b.rel)).toContain(rel);
  });

  it('When a type keeps revoked values, then both tables have the column and the revocation table the time', () => {
    for (const def of registry.resources) {
      if (!def.revocation) continue;
      expect(uniqueOn(def.table, def.revocation.column)).toBe(true);
      expect(column(def.revocation.table, def.revocation.column).isPrimary).toBe(true);
      expect(column(def.revocation.table, def.revocation.atColumn).isNullable).toBe(false);
    }
  });

  it('When the hierarchy and the subdomain key are derived, then they name the client forest and its unique slug', () => {
    expect(registry.hierarchy.def.type).toBe('client');
    expect([registry.hierarchy.parent.column, registry.hierarchy.children.inverseColumn]).toEqual(['parent_id', 'parent_id']);
    expect(registry.subdomainKey?.column).toBe('slug');
    expect(registry.deleteBlockers(registry.get('client')).map((b) => b.name)).toEqual(['children', 'legalEntities', 'reportingEntities', 'projects', 'apiTokens']);
  });
});
