import { ApiError } from '../errors/api-error';
import { Session } from '../data/session';
import { Registry } from '../resources/registry';
import { RequestScope } from '../scope/scope';

/** Everything an operation needs: the caller's session (its only way to the data), the registry, and who is asking. */
export interface OperationContext {
  readonly session: Session;
  readonly registry: Registry;
  /** The session's caller: role and narrowing decide what the operation allows. */
  readonly request: RequestScope;
  /**
   * Most linkage identifiers a to-many relationship shows in a document (JSON:API: bounded,
   * the rest through links.next); 'all' where the wire shape has no way to page a relationship
   * (the flat surface's `projects`, whose PATCH replaces the whole set).
   */
  readonly maxLinkage: number | 'all';
}

export function operationContext(session: Session, maxLinkage: number | 'all'): OperationContext {
  return { session, registry: session.registry, request: session.caller, maxLinkage };
}

/** A resource identifier from a request body, with where it was in that body. */
export interface Identifier {
  readonly type: string;
  readonly id: string;
  readonly pointer: string;
}

export interface MemberInput<T> {
  readonly value: T;
  /** Where the member is (errors about the member as a whole: cycles, orphans). */
  readonly pointer: string;
  /** Where its data is, when not at `${pointer}/data` (relationship endpoints: `/data`). */
  readonly dataPointer?: string;
}

/**
 * A write request, independent of the wire shape: the JSON:API document parser and the flat
 * surface both produce it, with pointers into their own bodies.
 */
export interface WriteInput {
  readonly type?: MemberInput<string>;
  readonly id?: MemberInput<unknown>;
  readonly attributes: ReadonlyMap<string, MemberInput<unknown>>;
  readonly relationships: ReadonlyMap<string, MemberInput<Identifier | null | Identifier[]>>;
  /** 422s the wire parser found (unknown members), reported in order with the operation's own. */
  readonly invalid?: readonly ApiError[];
}
