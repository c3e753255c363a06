import { Registry, registry as defaultRegistry } from '../resources/registry';
import { RequestScope } from '../scope/scope';
import { assertIssued, Caller, callerFor } from './callers';
import { Database, Tally } from './database';
import { Session } from './session';

export type { Caller, Tally };
import { narrowToSlug } from './tenancy';
import { deleteToken, ensureAdminToken, ensureFirstAdminToken, insertToken, principalForSecret } from './token-store';

/**
 * What the HTTP layer may ask of the database: who a token is, which subtree a subdomain
 * names, and a session for a caller (every statement of which carries that caller's scope).
 */
export interface RequestStore {
  readonly registry: Registry;
  /** Signs keyset cursors; the same for every instance on this database. */
  readonly cursorSecret: string;
  /** `tally`, when given, counts the statements for the request (every method below takes one). */
  authenticate(secret: string, tally?: Tally): Promise<Caller | undefined>;
  narrow(caller: Caller, subdomain: string, tally?: Tally): Promise<Caller | undefined>;
  session(caller: RequestScope, tally?: Tally): Session;
  ping(): Promise<boolean>;
}

/**
 * The one way into the database from outside src/data: opened once by the server or a CLI.
 * The executor, SQL text and the raw Database stay inside src/data (a lint rule keeps it so).
 */
export class Store implements RequestStore {
  constructor(
    private readonly db: Database,
    readonly registry: Registry = defaultRegistry,
  ) {}

  /** Connects and applies pending migrations. */
  static async open(databaseUrl: string): Promise<Store> {
    return new Store(await Database.open(databaseUrl));
  }

  get cursorSecret(): string {
    return this.db.cursorSecret;
  }

  close(): Promise<void> {
    return this.db.close();
  }

  ping(): Promise<boolean> {
    return this.db.ping();
  }

  async authenticate(secret: string, tally?: Tally): Promise<Caller | undefined> {
    const principal = await principalForSecret(this.db, secret, tally);
    return principal && callerFor(principal);
  }

  narrow(caller: Caller, subdomain: string, tally?: Tally): Promise<Caller | undefined> {
    return narrowToSlug(this.db, this.registry, caller, subdomain, tally);
  }

  session(caller: RequestScope, tally?: Tally): Session {
    assertIssued(caller);
    return new Session(this.db, this.registry, caller, tally);
  }

  /** The service acting for itself (the seed): an admin's view of everything. */
  system(): Caller {
    return callerFor({ tokenId: 'system', role: 'admin', clientId: null });
  }

  // The token CLI and the start-up bootstrap (token-store.ts).

  insertToken(name: string, role: 'admin' | 'client', clientId: string | null): Promise<{ id: string; secret: string }> {
    return insertToken(this.db, name, role, clientId);
  }

  deleteToken(id: string): Promise<boolean> {
    return deleteToken(this.db, id);
  }

  ensureAdminToken(secret: string): Promise<'ok' | 'revoked'> {
    return ensureAdminToken(this.db, secret);
  }

  ensureFirstAdminToken(): Promise<string | undefined> {
    return ensureFirstAdminToken(this.db);
  }
}
