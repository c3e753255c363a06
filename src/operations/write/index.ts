import { ScopedWriter } from '../../data/session';
import { QuerySpec } from '../../query/ast';
import { OperationContext } from '../context';
import { showIn, SingleResult } from '../read';

/**
 * Write use cases, one function each (create, update, changeMembers, remove), all taking the
 * transaction's scoped writer: a single request runs one in `inWrite`, an atomic request runs
 * several in one. Everything in one transaction, so a refused write changes nothing.
 */
export { create } from './create';
export { update } from './update';
export { changeMembers } from './change-members';
export { remove } from './remove';
export type { Precondition } from './conflicts';

export interface WriteResult {
  readonly id: string;
  readonly meta?: Record<string, unknown>;
}

/** What a write answers with: the write, and its resource read in the same transaction. */
export interface Answered {
  readonly written: WriteResult;
  readonly shown: SingleResult;
}

/** Runs `fn` in one write transaction of the caller's session. */
export function inWrite<T>(ctx: OperationContext, fn: (w: ScopedWriter) => Promise<T>): Promise<T> {
  return ctx.session.write(fn);
}

/**
 * A write followed by the read of the resource it answers with, in the same transaction: no
 * other write can come between, so a create never answers 404 because a concurrent DELETE came
 * first, and an update never answers with someone else's later state.
 */
export function writeAndShow(ctx: OperationContext, spec: QuerySpec, write: (w: ScopedWriter) => Promise<WriteResult>): Promise<Answered> {
  return inWrite(ctx, async (w) => {
    const written = await write(w);
    return { written, shown: await showIn(w, ctx, spec, written.id) };
  });
}
