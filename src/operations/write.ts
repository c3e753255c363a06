import { Executor, isUniqueViolation } from '../data/database';
import { newObjectId, isObjectId, nowIso } from '../data/object-id';
import { Row, selectByIds } from '../data/query-composer';
import { storedColumns } from '../data/columns';
import { ancestorIds, countBlockers, deleteRow, insertRow, memberIds, setForeignKey, updateRow, valueTaken } from '../data/writer';
import { ApiError, ConflictError, ErrorList, ForbiddenError, PreconditionFailedError, RelatedNotFoundError, ValidationError } from '../errors/api-error';
import { attribute, relationship } from '../resources/registry';
import { RelationshipDef, ResourceDef, ToManyDef, ValueError } from '../resources/types';
import { casefold } from '../resources/values';
import { Identifier, MemberInput, OperationContext, WriteInput } from './context';
import { loadVisible, showIn, SingleResult } from './read';
import { QuerySpec } from '../query/ast';
import { assertCreatableHere, assertMayUse, assertNotMadeRoot } from './access';

/**
 * Write use cases: create, update, delete. The order of checks follows the contract's
 * precedence: 403 (role), 404 (ids in the body), 422 (values), 409 (conflicts). Everything
 * runs in one transaction, so a refused write changes nothing.
 */

export interface WriteResult {
  readonly id: string;
  readonly meta?: Record<string, unknown>;
}

function throwAll(errors: ApiError[]): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new ErrorList(errors);
}

function assertMayWrite(ctx: OperationContext, def: ResourceDef): void {
  if (ctx.request.principal.role !== 'admin') {
    throw new ForbiddenError(`A client token may read but not change ${def.type} resources.`);
  }
}

interface ResolvedRelationship {
  readonly rel: RelationshipDef;
  readonly pointer: string;
  /** To-one: an id or null. To-many: the ids. */
  readonly value: string | null | string[];
}

/** Checks identifiers against the registry and the database: 404 for ids the caller cannot see. */
async function resolveRelationships(ex: Executor, ctx: OperationContext, def: ResourceDef, input: WriteInput, isCreate: boolean, errors422: ApiError[], errors409: ApiError[]): Promise<ResolvedRelationship[]> {
  const resolved: ResolvedRelationship[] = [];
  const notFound: ApiError[] = [];
  for (const [name, member] of input.relationships) {
    const rel = relationship(def, name);
    if (!rel) {
      errors422.push(new ValidationError(`${def.type} has no relationship "${name}".`, member.pointer));
      continue;
    }
    if (!isCreate && rel.kind === 'to-one' && !rel.updatable) {
      errors422.push(new ValidationError(`The relationship "${name}" cannot be changed after creation.`, member.pointer));
      continue;
    }
    const identifiers: Identifier[] = member.value === null ? [] : Array.isArray(member.value) ? member.value : [member.value];
    const target = ctx.registry.get(rel.target);
    const wrongType = identifiers.filter((i) => i.type !== target.type);
    for (const i of wrongType) errors409.push(new ConflictError(`"${name}" takes ${target.type} resources, not "${i.type}".`, { pointer: `${i.pointer}/type` }));
    const wanted = identifiers.filter((i) => i.type === target.type);
    const wellFormed = wanted.filter((i) => isObjectId(i.id));
    const rows = await selectByIds(ex, target, [...new Set(wellFormed.map((i) => i.id))], ['id'], ctx.request.scope);
    const visible = new Set(rows.map((r) => r.id));
    for (const i of wanted) {
      if (!visible.has(i.id)) notFound.push(new RelatedNotFoundError(`No ${target.type} with id "${i.id}" exists.`, i.pointer));
    }
    if (rel.kind === 'to-one' && member.value === null && !rel.nullable) {
      errors422.push(new ValidationError(`"${name}" is required and cannot be null.`, member.dataPointer ?? `${member.pointer}/data`));
    }
    const ids = [...new Set(wanted.map((i) => i.id))];
    resolved.push({ rel, pointer: member.pointer, value: rel.kind === 'to-one' ? (ids[0] ?? null) : ids });
  }
  throwAll(notFound);
  return resolved;
}

/** Parses attribute values; collects 422s for unknown, read-only, invalid or missing members. */
function parseAttributes(def: ResourceDef, input: WriteInput, isCreate: boolean, errors: ApiError[], requiredPointer: (name: string) => string): Record<string, unknown> {
  const values: Record<string, unknown> = {};
  for (const [name, member] of input.attributes) {
    const attr = attribute(def, name);
    if (!attr) {
      errors.push(new ValidationError(`${def.type} has no attribute "${name}".`, member.pointer));
      continue;
    }
    if (!(isCreate ? attr.creatable : attr.updatable)) {
      errors.push(new ValidationError(`"${name}" is read-only${attr.creatable ? ' after creation' : ''}.`, member.pointer));
      continue;
    }
    if (member.value === null && !attr.nullable) {
      errors.push(new ValidationError(`"${name}" must not be null.`, member.pointer));
      continue;
    }
    if (typeof member.value === 'string' && member.value.includes('\u0000')) {
      errors.push(new ValidationError(`"${name}" must not contain NUL characters.`, member.pointer));
      continue;
    }
    try {
      values[name] = attr.parse ? attr.parse(member.value) : member.value;
    } catch (e) {
      if (!(e instanceof ValueError)) throw e;
      errors.push(new ValidationError(`"${name}" ${e.message}.`, member.pointer));
    }
  }
  if (isCreate) {
    for (const attr of def.attributes) {
      if (attr.required && !input.attributes.has(attr.name)) {
        errors.push(new ValidationError(`"${attr.name}" is required.`, requiredPointer(attr.name)));
      }
    }
  }
  return values;
}

/** 409s for unique attributes already held by another row. */
async function uniqueConflicts(ex: Executor, def: ResourceDef, values: Record<string, unknown>, input: WriteInput, exceptId: string | undefined): Promise<ApiError[]> {
  const errors: ApiError[] = [];
  for (const attr of def.attributes) {
    const value = values[attr.name];
    if (!attr.unique || value === undefined || value === null) continue;
    const folded = attr.caseInsensitiveEquality && attr.foldedColumn;
    const key = folded ? casefold(String(value)) : value;
    if (await valueTaken(ex, def, folded ? attr.foldedColumn! : attr.column, key, exceptId)) {
      errors.push(new ConflictError(`Another ${def.type} already has this ${attr.name}.`, { pointer: input.attributes.get(attr.name)!.pointer }));
    }
  }
  return errors;
}

/**
 * Cycle check for the hierarchy: the client's ancestors after the write (from its new parent
 * up) must contain neither the client itself nor any child it takes in.
 */
async function cycleConflicts(ex: Executor, clientId: string, parent: ResolvedRelationship | undefined, children: ResolvedRelationship | undefined, currentParent: string | null): Promise<ApiError[]> {
  const parentId = parent ? (parent.value as string | null) : currentParent;
  let above = parentId === null ? [] : [parentId, ...(await ancestorIds(ex, parentId))];
  // A chain that reaches the client only through a child the same write lets go (a children
  // replacement without it) is cut there: that child becomes a root.
  const at = above.indexOf(clientId);
  if (children && at > 0 && !(children.value as string[]).includes(above[at - 1])) above = above.slice(0, at);
  const errors: ApiError[] = [];
  if (parent && parentId !== null && above.includes(clientId)) {
    errors.push(new ConflictError(`Making ${parentId} the parent of ${clientId} would create a cycle.`, { pointer: parent.pointer }));
  }
  if (children) {
    for (const child of children.value as string[]) {
      if (child === clientId || above.includes(child)) {
        errors.push(new ConflictError(`Client ${child} is an ancestor of ${clientId} and cannot become its child.`, { pointer: children.pointer }));
      }
    }
  }
  return errors;
}

/**
 * Members leaving a to-many relationship: an owned member would be orphaned (403); a child
 * would become a root, which a narrowed (subdomain) request may not make (403). Runs before
 * ids in the body are resolved, as 403 comes before 404 for body ids in the contract.
 */
function assertMayLeave(ctx: OperationContext, def: ResourceDef, rel: ToManyDef, leaving: readonly string[], pointer: string): void {
  if (leaving.length === 0) return;
  const target = ctx.registry.get(rel.target);
  if (rel.owned) {
    throw new ForbiddenError(`Removing ${target.type} ${leaving.join(', ')} from "${rel.name}" would leave it without an owner; move it to another client instead.`, { pointer });
  }
  if (ctx.request.narrowed && def.hierarchy && rel.name === def.hierarchy.children) {
    throw new ForbiddenError(`On a client subdomain, ${leaving.join(', ')} cannot be made a root.`, { pointer });
  }
}

/** The ids of `list` not in `other` (a set: relationships may hold tens of thousands of members). */
function without(list: readonly string[], other: readonly string[]): string[] {
  const set = new Set(other);
  return list.filter((id) => !set.has(id));
}

/** The ids of `list` also in `other`. */
function within(list: readonly string[], other: readonly string[]): string[] {
  const set = new Set(other);
  return list.filter((id) => set.has(id));
}

/** Ids named by a member's identifiers as sent (before they are checked to exist). */
function namedIds(member: MemberInput<Identifier | null | Identifier[]>): string[] {
  const v = member.value;
  return v === null ? [] : Array.isArray(v) ? v.map((i) => i.id) : [v.id];
}

/** 403s for to-many replacements in an update that would let members go (see assertMayLeave). */
async function checkReplacements(ex: Executor, ctx: OperationContext, def: ResourceDef, id: string, input: WriteInput): Promise<void> {
  for (const [name, member] of input.relationships) {
    const rel = relationship(def, name);
    if (!rel || rel.kind !== 'to-many' || !Array.isArray(member.value)) continue;
    const keep = namedIds(member);
    const current = await memberIds(ex, ctx.registry.get(rel.target), rel, id);
    assertMayLeave(ctx, def, rel, without(current, keep), member.pointer);
  }
}

/** Applies to-many replacements: members named are moved in; members left out are detached (checked by checkReplacements). */
async function applyToMany(ex: Executor, ctx: OperationContext, ownerId: string, rel: ToManyDef, ids: string[], isCreate: boolean, now: string): Promise<void> {
  const target = ctx.registry.get(rel.target);
  const current = isCreate ? [] : await memberIds(ex, target, rel, ownerId);
  await setForeignKey(ex, target, rel, without(current, ids), null, now);
  await setForeignKey(ex, target, rel, without(ids, current), ownerId, now);
}

function idOf(def: ResourceDef, input: WriteInput, errors422: ApiError[]): string | undefined {
  if (!input.id) return undefined;
  const value = input.id.value;
  if (!isObjectId(value)) {
    errors422.push(new ValidationError(`A client-generated id must be 24 lowercase hex characters.`, input.id.pointer));
    return undefined;
  }
  return value;
}

/**
 * What the caller expects the target's version to be (If-Match, or an atomic operation's
 * meta.version). Checked last, as the contract's precedence wants (412 after 409).
 */
export interface Precondition {
  /** Versions that match; an empty list matches nothing (a tag for another resource). */
  readonly versions: readonly number[];
  readonly pointer?: string;
}

function checkPrecondition(def: ResourceDef, id: string, current: Row, precondition: Precondition | undefined): void {
  if (!precondition) return;
  const version = Number(current.version);
  if (!precondition.versions.includes(version)) {
    throw new PreconditionFailedError(
      `The ${def.type} ${id} is at version ${version}, which is not the version the request expected; fetch it again and retry.`,
      precondition.pointer === undefined ? undefined : { pointer: precondition.pointer },
    );
  }
}

function hierarchyColumn(def: ResourceDef): string | undefined {
  const parentRel = def.hierarchy ? relationship(def, def.hierarchy.parent) : undefined;
  return parentRel?.kind === 'to-one' ? parentRel.column : undefined;
}

export function create(ctx: OperationContext, def: ResourceDef, input: WriteInput, requiredPointer: (name: string) => string = () => '/data/attributes'): Promise<WriteResult> {
  assertMayWrite(ctx, def);
  return ctx.db.write((ex) => createIn(ex, ctx, def, input, requiredPointer));
}

export async function createIn(ex: Executor, ctx: OperationContext, def: ResourceDef, input: WriteInput, requiredPointer: (name: string) => string): Promise<WriteResult> {
  assertMayUse(ctx.request, def);
  assertMayWrite(ctx, def);
  if (ctx.request.narrowed && def.hierarchy) {
    const parent = input.relationships.get(def.hierarchy.parent);
    if (!parent || parent.value === null) throw new ForbiddenError(`On a client subdomain, a new ${def.type} needs a parent inside that subtree.`, parent ? { pointer: parent.pointer } : undefined);
  }
  assertCreatableHere(ctx.request, def, input);
  const errors422: ApiError[] = [];
  const errors409: ApiError[] = [];
  if (input.type && input.type.value !== def.type) {
    errors409.push(new ConflictError(`This collection takes ${def.type} resources, not "${input.type.value}".`, { pointer: input.type.pointer }));
  }
  const rels = await resolveRelationships(ex, ctx, def, input, true, errors422, errors409);
  errors422.push(...(input.invalid ?? []));
  const values = parseAttributes(def, input, true, errors422, requiredPointer);
  const id = idOf(def, input, errors422);
  for (const rel of def.relationships) {
    if (rel.kind === 'to-one' && rel.required && !input.relationships.has(rel.name)) {
      errors422.push(new ValidationError(`The relationship "${rel.name}" is required.`, `/data/relationships/${rel.name}`));
    }
  }
  const relValues = Object.fromEntries(rels.map((r) => [r.rel.name, r.value]));
  if (errors422.length === 0) {
    const problem = def.validate?.({ attributes: values, relationships: relValues }, true);
    if (problem) errors422.push(new ValidationError(problem.detail, input.relationships.get(problem.member)?.pointer ?? `/data/relationships/${problem.member}`));
  }
  throwAll(errors422);

  const newId = id ?? newObjectId();
  if (id && (await selectByIds(ex, def, [id], ['id'], { kind: 'all' })).length > 0) {
    errors409.push(new ConflictError(`A ${def.type} with id "${id}" already exists.`, { pointer: input.id!.pointer }));
  }
  errors409.push(...(await uniqueConflicts(ex, def, values, input, undefined)));
  if (def.hierarchy) {
    const h = def.hierarchy;
    errors409.push(...(await cycleConflicts(ex, newId, rels.find((r) => r.rel.name === h.parent), rels.find((r) => r.rel.name === h.children), null)));
  }
  throwAll(errors409);

  const now = nowIso();
  const extra = def.onCreate?.();
  const row: Record<string, unknown> = { id: newId, ...storedColumns(def, values), version: 1, created_at: now, updated_at: now, ...(extra?.columns ?? {}) };
  for (const r of rels) if (r.rel.kind === 'to-one') row[r.rel.column] = r.value;
  await guardUnique(() => insertRow(ex, def, row));
  for (const r of rels) if (r.rel.kind === 'to-many') await applyToMany(ex, ctx, newId, r.rel, r.value as string[], true, now);
  return { id: newId, meta: extra?.meta };
}

export function update(ctx: OperationContext, def: ResourceDef, id: string, input: WriteInput, precondition?: Precondition): Promise<WriteResult> {
  return ctx.db.write((ex) => updateIn(ex, ctx, def, id, input, precondition));
}

/** What a write answers with: the write, and its resource read in the same transaction. */
export interface Answered {
  readonly written: WriteResult;
  readonly shown: SingleResult;
}

/**
 * create and update, each followed by the read of the resource it answers with, in the same
 * transaction: no other write can come between, so a create never answers 404 because a
 * concurrent DELETE came first, and an update never answers with someone else's later state.
 */
export function createAndShow(ctx: OperationContext, def: ResourceDef, input: WriteInput, requiredPointer: (name: string) => string, spec: QuerySpec): Promise<Answered> {
  assertMayWrite(ctx, def);
  return ctx.db.write(async (ex) => {
    const written = await createIn(ex, ctx, def, input, requiredPointer);
    return { written, shown: await showIn(ex, ctx, spec, written.id) };
  });
}

export function updateAndShow(ctx: OperationContext, def: ResourceDef, id: string, input: WriteInput, spec: QuerySpec, precondition?: Precondition): Promise<Answered> {
  return ctx.db.write(async (ex) => {
    const written = await updateIn(ex, ctx, def, id, input, precondition);
    return { written, shown: await showIn(ex, ctx, spec, id) };
  });
}

export async function updateIn(ex: Executor, ctx: OperationContext, def: ResourceDef, id: string, input: WriteInput, precondition?: Precondition): Promise<WriteResult> {
  assertMayUse(ctx.request, def);
  const parentColumn = hierarchyColumn(def);
  const current = await loadVisible(ex, ctx, def, id, parentColumn ? ['id', 'version', parentColumn] : ['id', 'version']);
  assertMayWrite(ctx, def);
  await checkReplacements(ex, ctx, def, id, input);
  assertNotMadeRoot(ctx.request, def, id, input);
  const errors422: ApiError[] = [];
  const errors409: ApiError[] = [];
  if (input.type && input.type.value !== def.type) {
    errors409.push(new ConflictError(`This endpoint takes ${def.type} resources, not "${input.type.value}".`, { pointer: input.type.pointer }));
  }
  if (input.id && input.id.value !== id) {
    errors409.push(new ConflictError(`The id in the body does not match the id in the URL (${id}).`, { pointer: input.id.pointer }));
  }
  const rels = await resolveRelationships(ex, ctx, def, input, false, errors422, errors409);
  errors422.push(...(input.invalid ?? []));
  const values = parseAttributes(def, input, false, errors422, () => '/data/attributes');
  throwAll(errors422);

  errors409.push(...(await uniqueConflicts(ex, def, values, input, id)));
  if (def.hierarchy && parentColumn) {
    const h = def.hierarchy;
    const parent = rels.find((r) => r.rel.name === h.parent);
    errors409.push(...(await cycleConflicts(ex, id, parent, rels.find((r) => r.rel.name === h.children), (current[parentColumn] as string | null) ?? null)));
  }
  throwAll(errors409);
  checkPrecondition(def, id, current, precondition);

  const now = nowIso();
  const columns = storedColumns(def, values);
  for (const r of rels) if (r.rel.kind === 'to-one') columns[r.rel.column] = r.value;
  await guardUnique(() => updateRow(ex, def, id, columns, now));
  for (const r of rels) if (r.rel.kind === 'to-many') await applyToMany(ex, ctx, id, r.rel, r.value as string[], false, now);
  return { id };
}

/**
 * POST (add) or DELETE (remove) members of a to-many relationship. Adding moves members from
 * their current owner (cycle-checked for the hierarchy); removing an owned member is refused
 * (403), removing a child makes it a root; ids that are not members are left alone.
 */
export function changeMembers(ctx: OperationContext, def: ResourceDef, id: string, name: string, change: 'add' | 'remove', member: MemberInput<Identifier | null | Identifier[]>, precondition?: Precondition): Promise<void> {
  return ctx.db.write((ex) => changeMembersIn(ex, ctx, def, id, name, change, member, precondition));
}

export async function changeMembersIn(ex: Executor, ctx: OperationContext, def: ResourceDef, id: string, name: string, change: 'add' | 'remove', member: MemberInput<Identifier | null | Identifier[]>, precondition?: Precondition): Promise<void> {
  assertMayUse(ctx.request, def);
  const parentColumn = hierarchyColumn(def);
  const current = await loadVisible(ex, ctx, def, id, parentColumn ? ['id', 'version', parentColumn] : ['id', 'version']);
  assertMayWrite(ctx, def);
  const named = relationship(def, name);
  if (change === 'remove' && named?.kind === 'to-many' && Array.isArray(member.value)) {
    const before = await memberIds(ex, ctx.registry.get(named.target), named, id);
    const asked = namedIds(member);
    assertMayLeave(ctx, def, named, within(before, asked), member.pointer);
  }
  const errors422: ApiError[] = [];
  const errors409: ApiError[] = [];
  const input: WriteInput = { attributes: new Map(), relationships: new Map([[name, member]]) };
  const [resolved] = await resolveRelationships(ex, ctx, def, input, false, errors422, errors409);
  throwAll(errors422);
  const rel = resolved.rel as ToManyDef;
  const target = ctx.registry.get(rel.target);
  const ids = resolved.value as string[];
  const members = await memberIds(ex, target, rel, id);
  const now = nowIso();
  if (change === 'add') {
    if (def.hierarchy && parentColumn && rel.name === def.hierarchy.children) {
      errors409.push(...(await cycleConflicts(ex, id, undefined, { ...resolved, value: [...members, ...ids] }, (current[parentColumn] as string | null) ?? null)));
    }
    throwAll(errors409);
    checkPrecondition(def, id, current, precondition);
    await setForeignKey(ex, target, rel, without(ids, members), id, now);
  } else {
    throwAll(errors409);
    const leaving = within(ids, members);
    checkPrecondition(def, id, current, precondition);
    await setForeignKey(ex, target, rel, leaving, null, now);
  }
  await updateRow(ex, def, id, {}, now);
}

export function remove(ctx: OperationContext, def: ResourceDef, id: string, precondition?: Precondition): Promise<void> {
  return ctx.db.write((ex) => removeIn(ex, ctx, def, id, precondition));
}

export async function removeIn(ex: Executor, ctx: OperationContext, def: ResourceDef, id: string, precondition?: Precondition): Promise<void> {
  assertMayUse(ctx.request, def);
  const current = await loadVisible(ex, ctx, def, id, ['id', 'version']);
  assertMayWrite(ctx, def);
  const blockers = await countBlockers(ex, def, id);
  throwAll(
    blockers.map(
      (b) => new ConflictError(`This ${def.type} still has ${b.count} ${b.name}; move or delete them first.`, undefined, { relationship: b.name, count: b.count }),
    ),
  );
  checkPrecondition(def, id, current, precondition);
  await deleteRow(ex, def, id);
}

/** A UNIQUE violation that slipped past the pre-checks (another process won a race) is a 409, not a 500. */
async function guardUnique(write: () => Promise<void>): Promise<void> {
  try {
    await write();
  } catch (e) {
    if (isUniqueViolation(e)) throw new ConflictError('A unique value in this write is already taken.');
    throw e;
  }
}

export type { MemberInput };
