import BetterSqlite3 from 'better-sqlite3';
import { Client as PgClient } from 'pg';
import { hashToken } from '../src/auth/tokens';
import { checkInvariants } from '../src/data/invariants';
import { registry } from '../src/resources/registry';
import { marker, SharedClient, Tracked } from './soak-model';

/**
 * The soak's verdict, read from the database itself once the service has stopped (better-sqlite3
 * on the file, or pg): every acknowledged write is there with its last acknowledged values,
 * every refused one left nothing, and the invariants hold.
 */

interface Db {
  readonly kind: 'sqlite' | 'postgres';
  all<T>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

function openSqlite(file: string): Db & { raw: BetterSqlite3.Database } {
  const raw = new BetterSqlite3(file, { fileMustExist: true });
  raw.pragma('busy_timeout = 5000');
  return {
    kind: 'sqlite',
    raw,
    all: async <T>(sql: string, params: readonly unknown[] = []) => {
      const statement = raw.prepare(sql);
      if (statement.reader) return statement.all(...params) as T[];
      statement.run(...params);
      return [];
    },
    close: async () => {
      raw.close();
    },
  };
}

async function openPostgres(url: string): Promise<Db> {
  const client = new PgClient({ connectionString: url });
  await client.connect();
  return {
    kind: 'postgres',
    all: async <T>(sql: string, params: readonly unknown[] = []) => {
      let n = 0;
      const res = await client.query(
        sql.replace(/\?/g, () => `$${++n}`),
        params as unknown[],
      );
      return res.rows as T[];
    },
    close: () => client.end(),
  };
}

interface ClientRow {
  id: string;
  name: string;
  email: string | null;
  email_key: string | null;
  slug: string | null;
  parent_id: string | null;
  name_key: string | null;
  version: number;
  created_at: string;
  updated_at: string;
}

interface OwnedRow {
  id: string;
  name: string;
  client_id: string | null;
  version: number;
  created_at: string;
  updated_at: string;
  registration_number?: string | null;
  country?: string | null;
  currency?: string | null;
}

interface TokenRow {
  id: string;
  role: string;
  client_id: string | null;
}

export interface Invariant {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface Verification {
  readonly databaseVersion: string;
  readonly rows: Record<string, number>;
  /** Tracked resources compared (live and deleted), and how many of them were skipped as uncertain. */
  readonly resourcesChecked: number;
  readonly deletesChecked: number;
  readonly versionsChecked: number;
  readonly uncertainSkipped: number;
  readonly sharedChecked: number;
  readonly sharedAcks: number;
  readonly refusedChecked: number;
  /** Acknowledged writes missing or not holding their last acknowledged values. */
  readonly lostWrites: number;
  readonly lostWriteSamples: string[];
  readonly invariants: Invariant[];
}

export interface VerifyInput {
  readonly databaseUrl: string;
  readonly tracked: readonly Tracked[];
  readonly shared: readonly SharedClient[];
  readonly refused: ReadonlyMap<string, string>;
  readonly tenant: string;
  readonly outside: string;
  /** Token secrets the soak made: their rows are deleted once everything is checked. */
  readonly secrets: readonly string[];
}

/** Attribute → column of every attribute a worker writes (all but the timestamps), from the registry. */
const columns = (kind: string): Record<string, string> =>
  Object.fromEntries(
    registry
      .get(kind)
      .attributes.filter((a) => a.kind !== 'timestamp')
      .map((a) => [a.name, a.column]),
  );

function invariant(name: string, problems: readonly string[], okDetail: string): Invariant {
  return { name, ok: problems.length === 0, detail: problems.length === 0 ? okDetail : `${problems.length}: ${problems.slice(0, 5).join('; ')}` };
}

export async function verify(input: VerifyInput): Promise<Verification> {
  const sqliteFile = input.databaseUrl.startsWith('sqlite:') ? input.databaseUrl.slice('sqlite:'.length) : undefined;
  const db: Db & { raw?: BetterSqlite3.Database } = sqliteFile ? openSqlite(sqliteFile) : await openPostgres(input.databaseUrl);
  try {
    const version =
      db.kind === 'sqlite'
        ? `SQLite ${(await db.all<{ v: string }>('SELECT sqlite_version() AS v'))[0].v}`
        : (await db.all<{ v: string }>('SELECT version() AS v'))[0].v.split(' ').slice(0, 2).join(' ');
    const clients = await db.all<ClientRow>('SELECT id, name, email, email_key, slug, parent_id, name_key, version, created_at, updated_at FROM clients');
    const owned = {
      'legal-entity': await db.all<OwnedRow>('SELECT id, name, registration_number, country, client_id, version, created_at, updated_at FROM legal_entities'),
      'reporting-entity': await db.all<OwnedRow>('SELECT id, name, currency, client_id, version, created_at, updated_at FROM reporting_entities'),
      project: await db.all<OwnedRow>('SELECT id, name, client_id, version, created_at, updated_at FROM projects'),
    };
    const tokens = await db.all<TokenRow>('SELECT id, role, client_id FROM api_tokens');
    const byKind: Record<string, Map<string, Record<string, unknown>>> = {
      client: new Map(clients.map((r) => [r.id, r as unknown as Record<string, unknown>])),
      'legal-entity': new Map(owned['legal-entity'].map((r) => [r.id, r as unknown as Record<string, unknown>])),
      'reporting-entity': new Map(owned['reporting-entity'].map((r) => [r.id, r as unknown as Record<string, unknown>])),
      project: new Map(owned.project.map((r) => [r.id, r as unknown as Record<string, unknown>])),
    };

    // 1. Every acknowledged write of a worker's own resources, with its last acknowledged values.
    const lost: string[] = [];
    let checked = 0;
    let deletes = 0;
    let versions = 0;
    let uncertain = 0;
    for (const t of input.tracked) {
      if (t.uncertain) {
        uncertain++;
        continue;
      }
      checked++;
      const row = byKind[t.kind].get(t.id);
      if (t.deleted) {
        deletes++;
        if (row) lost.push(`${t.kind} ${t.id} (${t.label}): deleted (204) but still there`);
        continue;
      }
      if (!row) {
        lost.push(`${t.kind} ${t.id} (${t.label}): acknowledged but missing`);
        continue;
      }
      const diffs: string[] = [];
      for (const [attr, column] of Object.entries(columns(t.kind))) {
        const want = t.attributes[attr] ?? null;
        if ((row[column] ?? null) !== want) diffs.push(`${attr} ${JSON.stringify(row[column])} instead of ${JSON.stringify(want)}`);
      }
      if (t.kind === 'client' && (row.parent_id ?? null) !== (t.parent ?? null)) diffs.push(`parent ${String(row.parent_id)} instead of ${String(t.parent)}`);
      if (t.kind !== 'client' && row.client_id !== t.owner) diffs.push(`client ${String(row.client_id)} instead of ${String(t.owner)}`);
      if (t.version !== undefined) {
        versions++;
        if (Number(row.version) !== t.version) diffs.push(`version ${String(row.version)} instead of ${t.version}`);
      }
      if (diffs.length > 0) lost.push(`${t.kind} ${t.id} (${t.label}): ${diffs.join('; ')}`);
    }

    // 2. Shared clients: the acknowledged name change with the highest version is the name;
    //    no two acknowledged If-Match writes produced the same version.
    let sharedAcks = 0;
    let sharedChecked = 0;
    for (const s of input.shared) {
      if (s.uncertain || s.acks.length === 0) continue;
      sharedChecked++;
      sharedAcks += s.acks.length;
      const seen = new Map<number, string>();
      for (const a of s.acks) {
        const before = seen.get(a.version);
        if (before !== undefined) lost.push(`shared client ${s.id}: two acknowledged writes produced version ${a.version} ("${before}" and "${a.name}"): one was lost`);
        seen.set(a.version, a.name);
      }
      const last = s.acks.reduce((a, b) => (b.version > a.version ? b : a));
      const row = byKind.client.get(s.id);
      if (!row) lost.push(`shared client ${s.id}: missing`);
      else {
        if (row.name !== last.name) lost.push(`shared client ${s.id}: name "${String(row.name)}" instead of "${last.name}" (acknowledged at version ${last.version})`);
        if (Number(row.version) < last.version) lost.push(`shared client ${s.id}: version ${String(row.version)} below the acknowledged ${last.version}`);
      }
    }

    const invariants: Invariant[] = [];

    // 3. Creates the service refused (4xx) left nothing: atomic requests are all or nothing.
    const allNames = new Set<string>([...clients.map((c) => c.name), ...Object.values(owned).flatMap((rows) => rows.map((r) => r.name))]);
    const leftovers = [...input.refused.entries()].filter(([name]) => allNames.has(name)).map(([name, op]) => `"${name}" (${op})`);
    invariants.push(invariant('refused writes left nothing (atomic all-or-nothing)', leftovers, `${input.refused.size} refused creates, none in the database`));

    // 4. What must hold whatever was written (src/data/invariants.ts, from the registry): every
    //    parent, owner and token client exists, no cycle, unique and folded columns, versions and
    //    timestamps, the declarations' own validation, and the database's own checks.
    for (const r of await checkInvariants((sql) => db.all<Record<string, unknown>>(sql), db.kind, registry)) {
      const n = r.problems.length;
      invariants.push({ name: r.name, ok: n === 0, detail: n === 0 ? r.checked : `${n}: ${r.problems.slice(0, 5).join('; ')}` });
    }

    const parentOf = new Map(clients.map((c) => [c.id, c.parent_id]));
    const ids = new Set(clients.map((c) => c.id));

    // 5. Sides: inside clients below the tenant, outside ones not (the client token's scope).
    const below = (id: string, root: string) => {
      for (let at = parentOf.get(id), n = 0; at && n < 10_000; at = parentOf.get(at), n++) if (at === root) return true;
      return false;
    };
    const sideProblems: string[] = [];
    for (const t of input.tracked) {
      if (t.kind !== 'client' || t.deleted || t.uncertain || !ids.has(t.id)) continue;
      if ((t.side === 'in') !== below(t.id, input.tenant)) sideProblems.push(`${t.id} (${t.label}, ${marker(t.side)})`);
    }
    for (const s of input.shared) if (ids.has(s.id) && !below(s.id, input.tenant)) sideProblems.push(`shared ${s.id} not below the tenant`);
    if (parentOf.get(input.tenant) !== input.outside) sideProblems.push(`the tenant's parent is ${String(parentOf.get(input.tenant))}`);
    invariants.push(invariant('inside clients below the tenant, outside ones not', sideProblems, 'every tracked client on its side'));

    // The soak's tokens go (the client token was revoked through the API; this catches both).
    if (input.secrets.length > 0) {
      const hashes = input.secrets.map(hashToken);
      const marks = hashes.map(() => '?').join(', ');
      if (db.kind === 'sqlite' && db.raw) db.raw.prepare(`DELETE FROM api_tokens WHERE token_hash IN (${marks})`).run(...hashes);
      else await db.all(`DELETE FROM api_tokens WHERE token_hash IN (${marks})`, hashes);
    }

    return {
      databaseVersion: version,
      rows: {
        clients: clients.length,
        'legal-entities': owned['legal-entity'].length,
        'reporting-entities': owned['reporting-entity'].length,
        projects: owned.project.length,
        'api-tokens': tokens.length,
      },
      resourcesChecked: checked,
      deletesChecked: deletes,
      versionsChecked: versions,
      uncertainSkipped: uncertain,
      sharedChecked,
      sharedAcks,
      refusedChecked: input.refused.size,
      lostWrites: lost.length,
      lostWriteSamples: lost.slice(0, 20),
      invariants,
    };
  } finally {
    await db.close();
  }
}
