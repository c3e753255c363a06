import { ScopedWriter } from '../data/session';
import { ApiError, ErrorList } from '../errors/api-error';
import { OperationContext } from './context';

/**
 * Atomic operations (SPEC §5): every step runs in ONE write transaction through the same
 * use cases as the single-resource endpoints (create, update, remove, changeMembers, on the
 * same scoped writer), so validation and scope cannot drift. The first error rolls everything
 * back; its pointer is moved under `/atomic:operations/N`.
 */
export interface AtomicStep<R> {
  /** Runs the operation; `lids` maps local ids of resources created by earlier steps. */
  run(w: ScopedWriter, lids: Map<string, string>): Promise<R | undefined>;
}

export function prefixPointer(error: ApiError, index: number): ApiError {
  const base = `/atomic:operations/${index}`;
  const moved = (e: ApiError): ApiError => {
    if (e.source?.pointer !== undefined) return e.withPointer((p) => `${base}${p}`);
    const copy = Object.create(Object.getPrototypeOf(e)) as ApiError;
    Object.assign(copy, e, { source: { ...(e.source ?? {}), pointer: base } });
    return copy;
  };
  return error instanceof ErrorList ? new ErrorList(error.errors.map(moved)) : moved(error);
}

export async function runAtomic<R>(ctx: OperationContext, steps: AtomicStep<R>[]): Promise<(R | undefined)[]> {
  return ctx.session.write(async (w) => {
    const lids = new Map<string, string>();
    const results: (R | undefined)[] = [];
    for (let i = 0; i < steps.length; i++) {
      try {
        results.push(await steps[i].run(w, lids));
      } catch (e) {
        if (e instanceof ApiError) throw prefixPointer(e, i);
        throw e;
      }
    }
    return results;
  });
}
