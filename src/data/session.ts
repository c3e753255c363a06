import { NotFoundError } from '../errors/api-error';
import { Fieldsets, IncludeNode } from '../query/ast';
import { DeleteBlocker, Registry } from '../resources/registry';
import { ID_COLUMN, ResourceDef, ToManyDef } from '../resources/types';
import { Caller } from './callers';
import { Database, Executor, Tally, WriteExecutor } from './database';
import { GraphLoader } from './graph-loader';
import { LinkagePlan } from './graph.sql';
import { Row, selectByIds, SelectRequest, SelectResult, selectRows } from './query-composer';
import { ScopeSql } from './scope.sql';
import { TransactionRetry } from './errors';
import { ancestorIds, countBlockers, idTaken, lockTreeRoots, treeRoots, valueTaken } from './unscoped';
import { deleteRow, insertRow, lockedRows, memberIds, setForeignKey, updateRow } from './writer';

/** How many times lockTrees reads the roots again before it gives up and retries the transaction. */
const TREE_LOCK_ROUNDS = 3;

/**
 * A caller's way to the database: every read and write it offers carries the caller's scope,
 * which it holds itself (an operation cannot pass another). Opened by Store.session for a
 * request scope the data layer issued.
 */
export class Session {
  private readonly scope: ScopeSql;

  constructor(
    private readonly db: Database,
    readonly registry: Registry,
    readonly caller: Caller,
    private readonly tally?: Tally,
  ) {
    this.scope = ScopeSql.of(registry, caller.scope, caller.principal.role === 'admin');
  }

  /** One read: statements share the database with other reads, never with a write in progress. */
  read<T>(fn: (reader: ScopedReader) => Promise<T>): Promise<T> {
    return this.db.read((ex) => fn(new ScopedReader(ex, this.registry, this.scope)), this.tally);
  }

  /** One write transaction: everything `fn` does commits together, or nothing does. */
  write<T>(fn: (writer: ScopedWriter) => Promise<T>): Promise<T> {
    return this.db.write((ex) => fn(new ScopedWriter(ex, this.registry, this.scope)), this.tally);
  }
}

/** Scoped reads: collections, rows by id, and the loader of linkage and includes. */
export class ScopedReader {
  constructor(
    protected readonly ex: Executor,
    readonly registry: Registry,
    protected readonly scope: ScopeSql,
  ) {}

  /** A page of rows with its total (or, keyset, whether more follow). */
  select(req: SelectRequest): Promise<SelectResult> {
    return selectRows(this.ex, this.registry, this.scope, req);
  }

  /** The rows with these ids the caller can see (one statement), with `linkage` when given (a loader's plan). */
  byIds(def: ResourceDef, ids: readonly string[], columns: readonly string[], linkage?: LinkagePlan): Promise<Row[]> {
    return selectByIds(this.ex, def, ids, columns, this.scope, linkage);
  }

  /** A loader for a document's linkage and included resources; `maxLinkage` undefined: every member. */
  loader(fields: Fieldsets, include: readonly IncludeNode[], maxLinkage: number | undefined): GraphLoader {
    return new GraphLoader(this.ex, this.registry, this.scope, fields, include, maxLinkage);
  }
}

/** Scoped writes (each checks the rows it touched), and the named unscoped checks writes need. */
export class ScopedWriter extends ScopedReader {
  constructor(
    protected override readonly ex: WriteExecutor,
    registry: Registry,
    scope: ScopeSql,
  ) {
    super(ex, registry, scope);
  }

  /** Rows found visible by `byIds` in this transaction, as `type:id` (an insert's owner is one of them). */
  private readonly seen = new Set<string>();

  override async byIds(def: ResourceDef, ids: readonly string[], columns: readonly string[], linkage?: LinkagePlan): Promise<Row[]> {
    const rows = await super.byIds(def, ids, columns, linkage);
    if (!this.scope.unlimited) for (const row of rows) this.seen.add(`${def.type}:${row.id}`);
    return rows;
  }

  /**
   * Inserts a row whose owner (a client's parent) the caller can see. The operations resolve
   * every identifier in a body through `byIds` first, so the check costs no statement then.
   */
  async insert(def: ResourceDef, values: Record<string, unknown>): Promise<void> {
    if (!this.scope.unlimited) await this.assertOwnerVisible(def, values);
    return insertRow(this.ex, def, values);
  }

  private async assertOwnerVisible(def: ResourceDef, values: Record<string, unknown>): Promise<void> {
    const column = def.scope.kind === 'client-self' ? this.registry.hierarchy.parent.column : def.scope.column;
    const owner = values[column];
    const rel = def.relationships.find((r) => r.kind === 'to-one' && r.column === column);
    const target = rel ? this.registry.get(rel.target) : undefined;
    if (typeof owner === 'string' && target && (this.seen.has(`${target.type}:${owner}`) || (await this.byIds(target, [owner], [ID_COLUMN])).length === 1)) return;
    throw new NotFoundError(`No client with id "${String(owner)}" exists.`);
  }

  /**
   * The row a write is about to change ('update') or delete ('delete'), read first and locked
   * until the transaction ends (PostgreSQL; on SQLite the write lock already excludes every
   * other writer), if the caller can see it: a concurrent write of the same row waits, then
   * sees this one's version.
   */
  async lockById(def: ResourceDef, id: string, columns: readonly string[], intent: 'update' | 'delete'): Promise<Row | undefined> {
    const [row] = await lockedRows(this.ex, this.scope, def, [id], columns, intent);
    if (row && !this.scope.unlimited) this.seen.add(`${def.type}:${row.id}`);
    return row;
  }

  /**
   * Locks every tree (of the hierarchy) that holds one of these rows, by locking its root row,
   * before a write that reshapes them reads anything it checks; held until the transaction
   * ends. PostgreSQL only: SQLite's writers never run side by side. Two writes that touch a
   * common tree take turns, so the cycle check of each sees the other's result; writes in
   * other trees go on meanwhile. A root that moved while this waited (its tree was grafted
   * onto another) is found by reading the roots again once they are held; the new ones are
   * locked too, a few rounds at most, then the transaction is run again (TransactionRetry).
   */
  async lockTrees(ids: readonly string[]): Promise<void> {
    if (ids.length === 0 || this.ex.dialect.lockRows('r', 'update') === '') return;
    const held = new Set<string>();
    for (let round = 0; round < TREE_LOCK_ROUNDS; round++) {
      for (const root of await lockTreeRoots(this.ex, this.registry, ids)) held.add(root);
      if ((await treeRoots(this.ex, this.registry, ids)).every((root) => held.has(root))) return;
    }
    throw new TransactionRetry('the trees this write reshapes kept moving');
  }

  update(def: ResourceDef, id: string, columns: Record<string, unknown>, now: string): Promise<void> {
    return updateRow(this.ex, this.scope, def, id, columns, now);
  }

  remove(def: ResourceDef, id: string): Promise<void> {
    return deleteRow(this.ex, this.scope, def, id);
  }

  /** Points members of `rel` at `ownerId` (or detaches them, null). */
  setOwner(rel: ToManyDef, ids: readonly string[], ownerId: string | null, now: string): Promise<void> {
    return setForeignKey(this.ex, this.scope, this.registry.get(rel.target), rel, ids, ownerId, now);
  }

  members(rel: ToManyDef, ownerId: string): Promise<string[]> {
    return memberIds(this.ex, this.scope, this.registry.get(rel.target), rel, ownerId);
  }

  // Unscoped by design (src/data/unscoped.ts): they answer about the whole database, never with rows.

  idTaken(def: ResourceDef, id: string): Promise<boolean> {
    return idTaken(this.ex, def, id);
  }

  valueTaken(def: ResourceDef, column: string, value: unknown, exceptId: string | undefined): Promise<boolean> {
    return valueTaken(this.ex, def, column, value, exceptId);
  }

  ancestorIds(id: string): Promise<string[]> {
    return ancestorIds(this.ex, this.registry, id);
  }

  blockers(def: ResourceDef, id: string): Promise<{ blocker: DeleteBlocker; count: number }[]> {
    return countBlockers(this.ex, this.registry, def, id);
  }
}

export type { MemberOf, Row } from './query-composer';
export type { LinkagePlan } from './graph.sql';
export { sortKeyColumn } from './query-composer';
