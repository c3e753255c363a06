import { runAtomic } from '../../operations/atomic';
import { assertVisible, linkage, list, related, show } from '../../operations/read';
import { changeMembers, create, inWrite, remove, update, writeAndShow } from '../../operations/write';
import { QuerySpec } from '../../query/ast';
import { ResourceDef } from '../../resources/types';
import { JsonObject } from './document.writer';
import { ATOMIC_EXT } from '../middleware/negotiation';
import { atomicSteps } from './atomic';
import { parseLinkageDocument, parseResourceDocument } from './document.parser';
import type { RelationshipTarget, ResourceTarget, TypeTarget } from './endpoint.kind';
import { Call, pagination, precondition, selfLink, send, sendCollection, sendSingle, writer } from './responder';

/**
 * The JSON:API endpoints' handlers, one a method of the endpoint table (endpoints.ts): each
 * translates HTTP into one call of src/operations and its result back. The router has matched
 * the path and parsed the query before a handler runs.
 */

/** 404 when the URL's resource does not exist or is not visible (it comes before 405). */
export async function assertTarget(call: Call, def: ResourceDef, id: string): Promise<void> {
  await assertVisible(call.ctx, def, id);
}

export async function listResources(call: Call, _t: TypeTarget, spec: QuerySpec): Promise<void> {
  await sendCollection(call, await list(call.ctx, spec));
}

export async function createResource(call: Call, { def }: TypeTarget, spec: QuerySpec): Promise<void> {
  const input = parseResourceDocument(call.res.locals.body, def, 'create', call.deps.config.limits);
  const { written, shown } = await writeAndShow(call.ctx, spec, (w) => create(w, call.ctx, def, input, (name) => `/data/attributes/${name}`));
  const location = `${call.origin}/api/v2/${def.path}/${written.id}`;
  await sendSingle(call, shown, 201, { headers: { Location: location }, resourceMeta: written.meta });
}

export async function showResource(call: Call, { id }: ResourceTarget, spec: QuerySpec): Promise<void> {
  await sendSingle(call, await show(call.ctx, spec, id));
}

export async function updateResource(call: Call, { def, id }: ResourceTarget, spec: QuerySpec): Promise<void> {
  const input = parseResourceDocument(call.res.locals.body, def, 'update', call.deps.config.limits);
  if (/\breturn=minimal\b/i.test(call.req.get('prefer') ?? '')) {
    await inWrite(call.ctx, (w) => update(w, call.ctx, def, id, input, precondition(call, def, id)));
    return send(call, 204, undefined, { 'Preference-Applied': 'return=minimal' });
  }
  await sendSingle(call, (await writeAndShow(call.ctx, spec, (w) => update(w, call.ctx, def, id, input, precondition(call, def, id)))).shown);
}

export async function deleteResource(call: Call, { def, id }: ResourceTarget): Promise<void> {
  await inWrite(call.ctx, (w) => remove(w, call.ctx, def, id, precondition(call, def, id)));
  send(call, 204, undefined);
}

export async function showRelated(call: Call, { def, id, rel }: RelationshipTarget, spec: QuerySpec): Promise<void> {
  const result = await related(call.ctx, def, id, rel.name, spec);
  await (result.kind === 'collection' ? sendCollection(call, result) : sendSingle(call, result));
}

export async function showLinkage(call: Call, { def, id, rel, target }: RelationshipTarget, spec: QuerySpec): Promise<void> {
  const result = await linkage(call.ctx, def, id, rel.name, spec);
  const owner = `${call.origin}/api/v2/${def.path}/${id}`;
  const paging = rel.kind === 'to-many' ? pagination(call, spec, result.rows, result.total, result.more) : undefined;
  const counted = spec.page.mode === 'keyset' ? {} : { count: result.total };
  const doc = writer(call, spec).linkageDocument(
    rel,
    target,
    result.rows.map((r) => r.id),
    owner,
    {
      restricted: result.restricted,
      meta: paging ? { ...counted, ...paging.meta } : undefined,
      links: paging?.links,
    },
  );
  doc.links = { ...(doc.links as JsonObject), self: selfLink(call) };
  send(call, 200, doc);
}

/** PATCH replaces the linkage; POST and DELETE add and remove members of a to-many one. */
export async function writeLinkage(call: Call, { def, id, rel }: RelationshipTarget): Promise<void> {
  const member = { value: parseLinkageDocument(call.res.locals.body, rel, call.deps.config.limits), pointer: '/data', dataPointer: '/data' };
  const pre = precondition(call, def, id);
  if (call.req.method === 'PATCH') await inWrite(call.ctx, (w) => update(w, call.ctx, def, id, { attributes: new Map(), relationships: new Map([[rel.name, member]]) }, pre));
  else await inWrite(call.ctx, (w) => changeMembers(w, call.ctx, def, id, rel.name, call.req.method === 'POST' ? 'add' : 'remove', member, pre));
  send(call, 204, undefined);
}

/** POST /api/v2/operations (atomic extension): all operations in one transaction. */
export async function runOperations(call: Call): Promise<void> {
  const steps = atomicSteps(call.res.locals.body, call.deps.registry, call.ctx, call.deps.config.limits);
  const outcomes = await runAtomic(call.ctx, steps);
  if (outcomes.every((o) => o === undefined)) return send(call, 204, undefined);
  const results = outcomes.map((outcome) => {
    if (!outcome?.result.record) return outcome ? '{"data":null}' : '{}';
    return `{"data":${writer(call, outcome.result.spec).resource(outcome.result.record, outcome.meta)}}`;
  });
  send(call, 200, `{"jsonapi":${JSON.stringify({ version: '1.1', ext: [ATOMIC_EXT] })},"atomic:results":[${results.join(',')}]}`);
}

/** GET /api/v2/openapi.json: the document generated at start. */
export async function serveOpenApi(call: Call): Promise<void> {
  call.res.type('application/json').send(call.openapi());
}
