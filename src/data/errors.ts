/** Database failures the rest of the service answers for: busy (503) and unique races (409). */

/** The database stayed locked by another writer for longer than the busy timeout. */
export class DatabaseBusyError extends Error {
  constructor() {
    super('database busy');
  }
}

/** True when a statement failed on a UNIQUE constraint (a race the pre-checks could not see). */
export function isUniqueViolation(error: unknown): boolean {
  // The drivers' own errors (better-sqlite3's SqliteError, pg's DatabaseError) carry the code.
  const e = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = e?.driverError?.code ?? e?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}
