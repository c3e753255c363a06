import { Kind, KINDS, Snapshot, Stored } from './model';

/**
 * The crash test's view of a database, on either engine: a snapshot of every row the model
 * compares, and the invariants of src/data/invariants.ts (orphans, cycles, foreign keys,
 * uniqueness, folded columns, the engine's own checks). sqlite-adapter.ts and
 * postgres-adapter.ts implement it.
 */

export interface CrashDatabase {
  readonly label: string;
  /** DATABASE_URL for the service. */
  readonly url: string;
  /**
   * Called right after the kill, before the restart: waits until nothing the killed process
   * started can still change the database (PostgreSQL: until its sessions are gone, so that a
   * COMMIT already on its way cannot land after the checks). Returns problems.
   */
  settle(): Promise<string[]>;
  /** One consistent read of every row the checks compare. */
  snapshot(): Promise<Snapshot>;
  /** The invariants of src/data/invariants.ts that do not hold (orphans, cycles, foreign keys, the file's integrity…): each problem as a line. */
  structuralProblems(): Promise<string[]>;
  close(): Promise<void>;
}

/** One SELECT per kind, each row in the shape of Stored. */
const SNAPSHOT_SQL: Record<Kind, string> = {
  client: 'SELECT id, name, parent_id AS ref, version, email, NULL AS country, NULL AS registration_number FROM clients',
  'legal-entity': 'SELECT id, name, client_id AS ref, version, NULL AS email, country, registration_number FROM legal_entities',
  project: 'SELECT id, name, client_id AS ref, version, NULL AS email, NULL AS country, NULL AS registration_number FROM projects',
};

function toStored(r: Record<string, unknown>): Stored {
  return {
    id: String(r.id),
    name: String(r.name),
    ref: r.ref === null || r.ref === undefined ? null : String(r.ref),
    version: Number(r.version),
    email: (r.email as string | null) ?? null,
    country: (r.country as string | null) ?? null,
    registrationNumber: (r.registration_number as string | null) ?? null,
  };
}

function emptySnapshot(): Snapshot {
  return Object.assign({ client: new Map(), 'legal-entity': new Map(), project: new Map() } as Record<Kind, Map<string, Stored>>, { reportingEntities: 0 });
}

/** Reads a snapshot with `read` (inside whatever consistent read the adapter holds). */
export async function readSnapshot(read: (sql: string) => Promise<Record<string, unknown>[]>): Promise<Snapshot> {
  const snap = emptySnapshot();
  for (const kind of KINDS) for (const r of await read(SNAPSHOT_SQL[kind])) snap[kind].set(String(r.id), toStored(r));
  snap.reportingEntities = Number((await read('SELECT COUNT(*) AS n FROM reporting_entities'))[0].n);
  return snap;
}
