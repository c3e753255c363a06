/** Database failures the rest of the service answers for: busy (503), unique races (409), vanished references (404). */

/** The database stayed locked by another writer for longer than the busy timeout. */
export class DatabaseBusyError extends Error {
  constructor() {
    super('database busy');
  }
}

/**
 * Thrown inside a write transaction when rows it locked stopped being the ones it needs (the
 * roots of the trees it reshapes kept moving): the transaction is rolled back and run again from
 * the start (PostgresDriver.transaction), as after a deadlock.
 */
export class TransactionRetry extends Error {
  constructor(reason: string) {
    super(`transaction must be retried: ${reason}`);
  }
}

/** True when a statement failed on a UNIQUE constraint (a race the pre-checks could not see). */
export function isUniqueViolation(error: unknown): boolean {
  // The drivers' own errors (better-sqlite3's SqliteError, pg's DatabaseError) carry the code.
  const e = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = e?.driverError?.code ?? e?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' || code === '23505';
}

/**
 * True when a statement failed on a FOREIGN KEY constraint: a row the write refers to was
 * deleted by a concurrent write after the write checked it (PostgreSQL; SQLite's writers never
 * run side by side).
 */
export function isForeignKeyViolation(error: unknown): boolean {
  const e = error as { code?: unknown; driverError?: { code?: unknown } } | null;
  const code = e?.driverError?.code ?? e?.code;
  return code === 'SQLITE_CONSTRAINT_FOREIGNKEY' || code === '23503';
}

/** The column a UNIQUE violation is about, when the error names one (PostgreSQL's detail, SQLite's message). */
export function uniqueViolationColumn(error: unknown): string | undefined {
  const e = error as { detail?: unknown; message?: unknown } | null;
  const pg = typeof e?.detail === 'string' ? /^Key \(([^),]+)\)=/.exec(e.detail) : null;
  const sqlite = typeof e?.message === 'string' ? /^UNIQUE constraint failed: [^.]+\.([^,\s]+)$/.exec(e.message) : null;
  return (pg ?? sqlite)?.[1];
}
