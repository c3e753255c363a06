import { QueryFailedError } from 'typeorm';

/** Database failures the rest of the service answers for: busy (503) and unique races (409). */

/** The database stayed locked by another writer for longer than the busy timeout. */
export class DatabaseBusyError extends Error {
  constructor() {
    super('database busy');
  }
}

/** True when a statement failed on a UNIQUE constraint (a race the pre-checks could not see). */
export function isUniqueViolation(error: unknown): boolean {
  if (!(error instanceof QueryFailedError)) return false;
  const e = error as QueryFailedError & { code?: string; driverError?: { code?: string } };
  const code = e.driverError?.code ?? e.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}
