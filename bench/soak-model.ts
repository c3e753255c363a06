import * as fs from 'node:fs';

/**
 * What the soak knows it wrote: every resource a worker created, with the values of its last
 * acknowledged write; the contended (shared) clients with every acknowledged name change; the
 * names of creates that were refused; and the ledger of acknowledged writes. The verifier
 * compares all of it with the database once the service has stopped.
 *
 * Ownership makes "last acknowledged value" unambiguous: a worker is the only writer of the
 * resources it created (their attributes, their parent or owner, their membership changes and
 * their deletion), and nobody else moves anything under them. The shared clients are written
 * by every worker, but only with If-Match (or an atomic meta.version), so each acknowledged
 * name change produced a known version (the expected one plus 1) and the last one is the one
 * with the highest version.
 */

export type Kind = 'client' | 'legal-entity' | 'reporting-entity' | 'project';
export type OwnedKind = Exclude<Kind, 'client'>;
export const OWNED_KINDS: readonly OwnedKind[] = ['legal-entity', 'reporting-entity', 'project'];

/** Path segment of each type. */
export const PATHS: Record<Kind, string> = {
  client: 'clients',
  'legal-entity': 'legal-entities',
  'reporting-entity': 'reporting-entities',
  project: 'projects',
};

/** The client's to-many relationship holding each owned type. */
export const OWNED_RELATIONSHIP: Record<OwnedKind, string> = {
  'legal-entity': 'legalEntities',
  'reporting-entity': 'reportingEntities',
  project: 'projects',
};

/**
 * Inside (below the client token's client, which it must see) or outside (which it must never
 * see). A resource keeps its side for life: the soak moves clients and owned entities only
 * within their side, so the marker in every name tells which side it is on.
 */
export type Side = 'in' | 'out';
export const marker = (side: Side) => `[${side}]`;

export interface Tracked {
  readonly kind: Kind;
  readonly id: string;
  readonly side: Side;
  readonly worker: number;
  /** Short label used in its names and in reports: `w3 c17`. */
  readonly label: string;
  /** Attribute values (API names) of the last acknowledged write. */
  attributes: Record<string, string | null>;
  /** Clients: parent id (null for a root). */
  parent?: string | null;
  /** Owned entities: the owner client's id. */
  owner?: string;
  /** Version after the last acknowledged write, when an answer told it (undefined: not known). */
  version?: number;
  deleted: boolean;
  /** A write to it got no answer (timeout, reset): its state is unknown and is not verified. */
  uncertain: boolean;
}

export interface SharedAck {
  readonly version: number;
  readonly name: string;
  readonly worker: number;
  readonly op: string;
}

export interface SharedClient {
  readonly id: string;
  readonly index: number;
  /** Acknowledged name changes, each with the version it produced. */
  readonly acks: SharedAck[];
  uncertain: boolean;
}

export interface LedgerEntry {
  /** Milliseconds since the load started. */
  readonly t: number;
  readonly worker: number;
  readonly op: string;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  readonly ids: readonly string[];
}

/** Every acknowledged (2xx) write, counted and streamed to a JSON-lines file. */
export class Ledger {
  count = 0;
  readonly byOp = new Map<string, number>();
  private readonly started = Date.now();
  private readonly fd: number | undefined;

  constructor(readonly file: string | undefined) {
    this.fd = file ? fs.openSync(file, 'w') : undefined;
  }

  acknowledge(entry: Omit<LedgerEntry, 't'>): void {
    this.count++;
    this.byOp.set(entry.op, (this.byOp.get(entry.op) ?? 0) + 1);
    if (this.fd !== undefined) fs.writeSync(this.fd, `${JSON.stringify({ t: Date.now() - this.started, ...entry })}\n`);
  }

  close(): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
  }
}

export type ProblemKind = 'server error' | 'no response' | 'unexpected status' | 'read-after-write mismatch' | 'scope leak' | 'keyset order';

/** Problems seen while the load ran, with a few samples each. */
export class Problems {
  readonly counts = new Map<ProblemKind, number>();
  readonly samples = new Map<ProblemKind, string[]>();

  add(kind: ProblemKind, detail: string): void {
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    const list = this.samples.get(kind) ?? [];
    if (list.length < 10) list.push(detail);
    this.samples.set(kind, list);
  }

  total(): number {
    return [...this.counts.values()].reduce((a, b) => a + b, 0);
  }

  toJSON(): Record<string, { count: number; samples: string[] }> {
    return Object.fromEntries([...this.counts.entries()].map(([k, n]) => [k, { count: n, samples: this.samples.get(k) ?? [] }]));
  }
}
