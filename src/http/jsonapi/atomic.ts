import { ApiError, InvalidDocumentError, NotFoundError, PayloadTooLargeError } from '../../errors/api-error';
import { AtomicStep } from '../../operations/atomic';
import { OperationContext } from '../../operations/context';
import { showIn, SingleResult } from '../../operations/read';
import { changeMembers, create, Precondition, remove, update } from '../../operations/write';
import { QuerySpec } from '../../query/ast';
import { Registry, relationship } from '../../resources/registry';
import { RelationshipDef, ResourceDef } from '../../resources/types';
import { checkIdCount, checkResourceIdCounts, DocumentOptions, localIdKey, parseLinkage, parseResourceObject } from './document.parser';
import { checkMeta, checkTopLevel, has, isObject, Json, membersOf, typeName } from './document.rules';

/**
 * Parses an atomic operations document into steps. The whole document's structure is checked
 * here, before any step runs (400 and 413 come before anything the database decides); each step
 * then calls the same operation function as the matching single-resource endpoint. Pointers
 * inside a step are relative to its operation object and get `/atomic:operations/N` in front
 * when they surface.
 */

/** The namespace of the atomic extension: its members are `atomic:…`. */
const ATOMIC_NAMESPACE = 'atomic';

export interface AtomicResult {
  readonly result: SingleResult;
  readonly meta?: Record<string, unknown>;
}

export interface AtomicLimits {
  readonly maxOperations: number;
  readonly maxRelationshipIds: number;
}

function plainSpec(def: ResourceDef): QuerySpec {
  return { type: def, include: [], fields: new Map(), sort: [], filters: [], page: { mode: 'number', number: 1, size: 1 } };
}

export function atomicSteps(body: unknown, registry: Registry, ctx: OperationContext, limits: AtomicLimits): AtomicStep<AtomicResult>[] {
  if (body === undefined) throw new InvalidDocumentError('A request document with atomic:operations is required.');
  if (!isObject(body)) throw new InvalidDocumentError('The request document must be a JSON object.', '');
  const ops = body['atomic:operations'];
  if (Array.isArray(ops) && ops.length > limits.maxOperations) {
    throw new PayloadTooLargeError(`At most ${limits.maxOperations} operations may be sent in one request; this one has ${ops.length}.`);
  }
  if (Array.isArray(ops)) ops.forEach((op, i) => checkIdCounts(op, `/atomic:operations/${i}`, limits.maxRelationshipIds));
  const opts: DocumentOptions = { maxRelationshipIds: limits.maxRelationshipIds, namespaces: [ATOMIC_NAMESPACE] };
  checkTopLevel(body, opts);
  for (const name of ['data', 'included', 'errors', 'atomic:results']) {
    if (has(body, name)) throw new InvalidDocumentError(`A document with atomic:operations must not contain ${name}.`, `/${name}`);
  }
  if (!Array.isArray(ops)) throw new InvalidDocumentError('atomic:operations must be an array of operations.', '/atomic:operations');
  if (ops.length === 0) throw new InvalidDocumentError('atomic:operations must not be empty.', '/atomic:operations');
  // Every operation is checked before any is refused, so that a structure error (400) anywhere
  // wins over an unknown type or relationship (404) in an earlier operation.
  const steps: AtomicStep<AtomicResult>[] = [];
  const refused: ApiError[] = [];
  ops.forEach((op, i) => {
    try {
      steps.push(step(op, i, registry, ctx, opts));
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      refused.push(e);
    }
  });
  if (refused.length > 0) throw refused.find((e) => e instanceof InvalidDocumentError) ?? refused[0];
  return steps;
}

/** The 413 checks of one operation's relationship data, made before any 400 (413 wins). */
function checkIdCounts(op: unknown, at: string, max: number): void {
  if (!isObject(op)) return;
  if (isObject(op.ref) && op.ref.relationship !== undefined) checkIdCount(op.data, `${at}/data`, max);
  else checkResourceIdCounts(op.data, `${at}/data`, max);
}

function typeOf(registry: Registry, type: string, pointer: string): ResourceDef {
  const def = registry.find(type);
  if (!def) throw new NotFoundError(`"${type}" is not a resource type.`, { pointer });
  return def;
}

/** A ref: type, and id or lid (strings), and relationship (a string) when it targets one. */
function checkRef(ref: unknown, at: string, opts: DocumentOptions): Json {
  if (!isObject(ref)) throw new InvalidDocumentError('ref must be an object.', at);
  membersOf(ref, at, opts, false);
  typeName(ref.type, `${at}/type`, 'ref needs a string type.');
  for (const name of ['id', 'lid', 'relationship']) {
    if (ref[name] !== undefined && typeof ref[name] !== 'string') throw new InvalidDocumentError(`ref.${name} must be a string.`, `${at}/${name}`);
  }
  if (ref.id === undefined && ref.lid === undefined) throw new InvalidDocumentError('ref needs an id or a lid.', at);
  return ref;
}

function refId(ref: Json, lids: Map<string, string>): string {
  if (typeof ref.id === 'string') return ref.id;
  const id = lids.get(localIdKey(String(ref.type), String(ref.lid)));
  if (id === undefined) throw new InvalidDocumentError(`No earlier operation created a ${String(ref.type)} with lid "${String(ref.lid)}".`, '/ref/lid');
  return id;
}

function step(raw: unknown, index: number, registry: Registry, ctx: OperationContext, opts: DocumentOptions): AtomicStep<AtomicResult> {
  const at = `/atomic:operations/${index}`;
  if (!isObject(raw)) throw new InvalidDocumentError('An operation must be an object.', at);
  membersOf(raw, at, opts, false);
  const op = raw.op;
  if (op !== 'add' && op !== 'update' && op !== 'remove') throw new InvalidDocumentError('op must be "add", "update" or "remove".', `${at}/op`);
  if (raw.href !== undefined) throw new InvalidDocumentError('href is not supported; use ref.', `${at}/href`);
  const ref = raw.ref === undefined ? undefined : checkRef(raw.ref, `${at}/ref`, opts);
  checkMeta(raw.meta, `${at}/meta`);
  let precondition: Precondition | undefined;
  const version = isObject(raw.meta) ? raw.meta.version : undefined;
  if (version !== undefined) {
    if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) throw new InvalidDocumentError('meta.version must be a positive whole number.', `${at}/meta/version`);
    precondition = { versions: [version], pointer: '' };
  }
  const structure: DocumentOptions = { ...opts, structureOnly: true };

  if (ref && ref.relationship !== undefined) {
    const known = registry.find(String(ref.type));
    const named = known && relationship(known, String(ref.relationship));
    if (!has(raw, 'data')) throw new InvalidDocumentError('An operation on a relationship needs data.', at);
    parseLinkage(raw.data, `${at}/data`, named, structure);
    const def = typeOf(registry, String(ref.type), `${at}/ref/type`);
    if (!named) throw new NotFoundError(`${def.type} has no relationship "${String(ref.relationship)}".`, { pointer: `${at}/ref/relationship` });
    const rel: RelationshipDef = named;
    if (op !== 'update' && rel.kind !== 'to-many') throw new InvalidDocumentError(`"${op}" applies to to-many relationships only.`, `${at}/op`);
    return {
      async run(w, lids) {
        const id = refId(ref, lids);
        const member = { value: parseLinkage(raw.data, '/data', rel, { ...opts, lids }), pointer: '/data', dataPointer: '/data' };
        if (op === 'update') await update(w, ctx, def, id, { attributes: new Map(), relationships: new Map([[rel.name, member]]) }, precondition);
        else await changeMembers(w, ctx, def, id, rel.name, op, member, precondition);
        return undefined;
      },
    };
  }

  if (op === 'remove') {
    if (!ref) throw new InvalidDocumentError('remove needs a ref naming the resource.', `${at}/ref`);
    const def = typeOf(registry, String(ref.type), `${at}/ref/type`);
    return {
      async run(w, lids) {
        await remove(w, ctx, def, refId(ref, lids), precondition);
        return undefined;
      },
    };
  }

  const data = raw.data;
  const mode = op === 'add' ? 'create' : 'update';
  const known = isObject(data) && typeof data.type === 'string' ? registry.find(data.type) : undefined;
  parseResourceObject(data, `${at}/data`, known, mode, structure);
  const def = typeOf(registry, String((data as Json).type), `${at}/data/type`);
  if (ref && ref.type !== def.type) throw new InvalidDocumentError('ref.type and data.type differ.', `${at}/ref/type`);
  if (op === 'add') {
    return {
      async run(w, lids) {
        const lid = (data as Json).lid;
        if (typeof lid === 'string' && lids.has(localIdKey(def.type, lid))) {
          throw new InvalidDocumentError(`The lid "${lid}" already names a ${def.type} created earlier in this request.`, '/data/lid');
        }
        const input = parseResourceObject(data, '/data', def, 'create', { ...opts, lids });
        const created = await create(w, ctx, def, input, (name: string) => `/data/attributes/${name}`);
        if (typeof lid === 'string') lids.set(localIdKey(def.type, lid), created.id);
        return { result: await showIn(w, ctx, plainSpec(def), created.id), meta: created.meta };
      },
    };
  }
  return {
    async run(w, lids) {
      const input = parseResourceObject(data, '/data', def, 'update', { ...opts, lids });
      const id = String(input.id!.value);
      if (ref && refId(ref, lids) !== id) throw new InvalidDocumentError('ref and data name different resources.', '/ref');
      await update(w, ctx, def, id, input, precondition);
      return { result: await showIn(w, ctx, plainSpec(def), id) };
    },
  };
}
