import { Executor } from '../../data/database';
import { InvalidDocumentError, NotFoundError, PayloadTooLargeError } from '../../errors/api-error';
import { AtomicStep } from '../../operations/atomic';
import { OperationContext } from '../../operations/context';
import { showIn, SingleResult } from '../../operations/read';
import { changeMembersIn, createIn, Precondition, removeIn, updateIn } from '../../operations/write';
import { QuerySpec } from '../../query/ast';
import { Registry, relationship } from '../../resources/registry';
import { ResourceDef } from '../../resources/types';
import { localIdKey, parseLinkageDocument, parseResourceDocument } from './document.parser';

/**
 * Parses an atomic operations document into steps. Each step calls the same operation
 * function as the matching single-resource endpoint; pointers inside a step are relative to
 * its operation object and get `/atomic:operations/N` in front when they surface.
 */
type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export interface AtomicResult {
  readonly result: SingleResult;
  readonly meta?: Record<string, unknown>;
}

function plainSpec(def: ResourceDef): QuerySpec {
  return { type: def, include: [], fields: new Map(), sort: [], filters: [], page: { mode: 'number', number: 1, size: 1 } };
}

export function atomicSteps(body: unknown, registry: Registry, ctx: OperationContext, maxOperations: number): AtomicStep<AtomicResult>[] {
  if (body === undefined) throw new InvalidDocumentError('A request document with atomic:operations is required.');
  if (!isObject(body)) throw new InvalidDocumentError('The request document must be a JSON object.', '');
  const ops = body['atomic:operations'];
  if (!Array.isArray(ops)) throw new InvalidDocumentError('atomic:operations must be an array of operations.', '/atomic:operations');
  if (ops.length > maxOperations) throw new PayloadTooLargeError(`At most ${maxOperations} operations may be sent in one request; this one has ${ops.length}.`);
  if (ops.length === 0) throw new InvalidDocumentError('atomic:operations must not be empty.', '/atomic:operations');
  return ops.map((op, i) => step(op, i, registry, ctx));
}

function typeOf(registry: Registry, type: unknown, pointer: string): ResourceDef {
  if (typeof type !== 'string') throw new InvalidDocumentError('A type is required.', pointer);
  const def = registry.find(type);
  if (!def) throw new NotFoundError(`"${type}" is not a resource type.`, { pointer });
  return def;
}

function refId(ref: Json, lids: Map<string, string>): string {
  if (typeof ref.id === 'string') return ref.id;
  if (typeof ref.lid === 'string') {
    const id = lids.get(localIdKey(String(ref.type), ref.lid));
    if (id === undefined) throw new InvalidDocumentError(`No earlier operation created a ${String(ref.type)} with lid "${ref.lid}".`, '/ref/lid');
    return id;
  }
  throw new InvalidDocumentError('ref needs an id or a lid.', '/ref');
}

function step(raw: unknown, index: number, registry: Registry, ctx: OperationContext): AtomicStep<AtomicResult> {
  const at = `/atomic:operations/${index}`;
  if (!isObject(raw)) throw new InvalidDocumentError('An operation must be an object.', at);
  const op = raw.op;
  if (op !== 'add' && op !== 'update' && op !== 'remove') throw new InvalidDocumentError('op must be "add", "update" or "remove".', `${at}/op`);
  if (raw.href !== undefined) throw new InvalidDocumentError('href is not supported; use ref.', `${at}/href`);
  if (raw.ref !== undefined && !isObject(raw.ref)) throw new InvalidDocumentError('ref must be an object.', `${at}/ref`);
  const ref = raw.ref as Json | undefined;
  let precondition: Precondition | undefined;
  if (raw.meta !== undefined) {
    if (!isObject(raw.meta)) throw new InvalidDocumentError('meta must be an object.', `${at}/meta`);
    const v = raw.meta.version;
    if (v !== undefined) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new InvalidDocumentError('meta.version must be a positive whole number.', `${at}/meta/version`);
      precondition = { versions: [v], pointer: '' };
    }
  }

  if (ref && ref.relationship !== undefined) {
    const def = typeOf(registry, ref.type, `${at}/ref/type`);
    if (typeof ref.relationship !== 'string' || !relationship(def, ref.relationship)) {
      throw new NotFoundError(`${def.type} has no relationship "${String(ref.relationship)}".`, { pointer: `${at}/ref/relationship` });
    }
    const rel = relationship(def, ref.relationship)!;
    if (op !== 'update' && rel.kind !== 'to-many') throw new InvalidDocumentError(`"${op}" applies to to-many relationships only.`, `${at}/op`);
    return {
      async run(ex: Executor, lids) {
        const id = refId(ref, lids);
        const member = { value: parseLinkageDocument({ data: raw.data }, lids), pointer: '/data', dataPointer: '/data' };
        if (op === 'update') await updateIn(ex, ctx, def, id, { attributes: new Map(), relationships: new Map([[rel.name, member]]) }, precondition);
        else await changeMembersIn(ex, ctx, def, id, rel.name, op, member, precondition);
        return undefined;
      },
    };
  }

  if (op === 'remove') {
    if (!ref) throw new InvalidDocumentError('remove needs a ref naming the resource.', `${at}/ref`);
    const def = typeOf(registry, ref.type, `${at}/ref/type`);
    return {
      async run(ex, lids) {
        await removeIn(ex, ctx, def, refId(ref, lids), precondition);
        return undefined;
      },
    };
  }

  if (!isObject(raw.data)) throw new InvalidDocumentError('data must be a resource object.', `${at}/data`);
  const data = raw.data;
  const def = typeOf(registry, data.type, `${at}/data/type`);
  if (ref && ref.type !== undefined && ref.type !== def.type) throw new InvalidDocumentError('ref.type and data.type differ.', `${at}/ref/type`);
  if (op === 'add') {
    return {
      async run(ex, lids) {
        if (typeof data.lid === 'string' && lids.has(localIdKey(def.type, data.lid))) {
          throw new InvalidDocumentError(`The lid "${data.lid}" already names a ${def.type} created earlier in this request.`, '/data/lid');
        }
        const input = parseResourceDocument({ data }, 'create', lids);
        const created = await createIn(ex, ctx, def, input, (name) => `/data/attributes/${name}`);
        if (typeof data.lid === 'string') lids.set(localIdKey(def.type, data.lid), created.id);
        return { result: await showIn(ex, ctx, plainSpec(def), created.id), meta: created.meta };
      },
    };
  }
  return {
    async run(ex, lids) {
      const input = parseResourceDocument({ data }, 'update', lids);
      const id = String(input.id!.value);
      if (ref && (ref.id !== undefined || ref.lid !== undefined) && refId(ref, lids) !== id) {
        throw new InvalidDocumentError('ref and data name different resources.', '/ref');
      }
      await updateIn(ex, ctx, def, id, input, precondition);
      return { result: await showIn(ex, ctx, plainSpec(def), id) };
    },
  };
}
