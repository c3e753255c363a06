import { ApiError, ErrorList } from '../../errors/api-error';

/**
 * The errors a write collects before it gives up, by kind, so that one answer lists every
 * problem of a kind at once (all 422s, then all 409s), in the contract's precedence.
 */
export class Problems {
  /** 422: values, unknown or read-only members. */
  readonly invalid: ApiError[] = [];
  /** 409: type mismatches, taken values, cycles. */
  readonly conflicts: ApiError[] = [];

  throwInvalid(): void {
    throwAll(this.invalid);
  }

  throwConflicts(): void {
    throwAll(this.conflicts);
  }
}

/** Throws the errors: one as itself, several as a list; none: returns. */
export function throwAll(errors: readonly ApiError[]): void {
  if (errors.length === 1) throw errors[0];
  if (errors.length > 1) throw new ErrorList([...errors]);
}
