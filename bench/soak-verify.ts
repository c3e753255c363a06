import BetterSqlite3 from 'better-sqlite3';
import { Client as PgClient } from 'pg';
import { hashToken } from '../src/auth/tokens';
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
    all: async <T>(sql: string, params: readonly unknown[] = []) => raw.prepare(sql).all(...params) as T[],
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
      const res = await client.query(sql.replace(/\?/g, () => `$${++n}`), params as unknown[]);
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

/** Unicode case folding, as the service applies it (src/resources/values.ts). */
const casefold = (s: string) => s.toUpperCase().toLowerCase();
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const COLUMNS: Record<string, Record<string, string>> = {
  client: { name: 'name', email: 'email', slug: 'slug' },
  'legal-entity': { name: 'name', registrationNumber: 'registration_number', country: 'country' },
  'reporting-entity': { name: 'name', currency: 'currency' },
  project: { name: 'name' },
};

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
      for (const [attr, column] of Object.entries(COLUMNS[t.kind])) {
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

    // 4. The hierarchy is a forest: walking up from any client ends at a root.
    const parentOf = new Map(clients.map((c) => [c.id, c.parent_id]));
    const state = new Map<string, 'walking' | 'done'>();
    const cycles: string[] = [];
    for (const start of parentOf.keys()) {
      const path: string[] = [];
      let at: string | null | undefined = start;
      while (at && state.get(at) !== 'done') {
        if (state.get(at) === 'walking') {
          cycles.push(`${at} (via ${path.slice(path.indexOf(at)).join(' → ')})`);
          break;
        }
        state.set(at, 'walking');
        path.push(at);
        at = parentOf.get(at);
      }
      for (const p of path) state.set(p, 'done');
    }
    invariants.push(invariant('no cycle in the hierarchy', cycles, `${clients.length} clients, every chain ends at a root`));

    // 5. Foreign keys: every parent, owner and token client exists; no owned entity without an owner.
    const ids = new Set(clients.map((c) => c.id));
    const dangling: string[] = [];
    for (const c of clients) if (c.parent_id !== null && !ids.has(c.parent_id)) dangling.push(`client ${c.id} → parent ${c.parent_id}`);
    for (const t of tokens) if (t.client_id !== null && !ids.has(t.client_id)) dangling.push(`api-token ${t.id} → client ${t.client_id}`);
    invariants.push(invariant('foreign keys valid (parents, token clients)', dangling, 'every parent and token client exists'));
    const orphans: string[] = [];
    for (const [kind, rows] of Object.entries(owned)) {
      for (const r of rows) if (r.client_id === null || !ids.has(r.client_id)) orphans.push(`${kind} ${r.id} → client ${String(r.client_id)}`);
    }
    const ownedCount = Object.values(owned).reduce((a, rows) => a + rows.length, 0);
    invariants.push(invariant('no orphan owned entity', orphans, `${ownedCount} owned entities, each with an existing owner`));
    const tokenProblems = tokens.filter((t) => (t.role === 'client') !== (t.client_id !== null)).map((t) => `api-token ${t.id} role ${t.role} client ${String(t.client_id)}`);
    invariants.push(invariant('client tokens have a client, admin tokens none', tokenProblems, `${tokens.length} tokens`));

    // 6. Unique values: emails case-insensitively (and the folded column agrees), slugs.
    const emailSeen = new Map<string, string>();
    const emailProblems: string[] = [];
    for (const c of clients) {
      if (c.email === null) {
        if (c.email_key !== null) emailProblems.push(`${c.id}: email_key without an email`);
        continue;
      }
      const key = casefold(c.email);
      if (c.email_key !== key) emailProblems.push(`${c.id}: email_key ${String(c.email_key)} for ${c.email}`);
      const other = emailSeen.get(key);
      if (other !== undefined) emailProblems.push(`${c.id} and ${other} share ${c.email}`);
      emailSeen.set(key, c.id);
    }
    invariants.push(invariant('emails unique case-insensitively', emailProblems, `${emailSeen.size} emails, all distinct once folded`));
    const slugSeen = new Map<string, string>();
    const slugProblems: string[] = [];
    for (const c of clients) {
      if (c.slug === null) continue;
      if (slugSeen.has(c.slug)) slugProblems.push(`${c.id} and ${slugSeen.get(c.slug)} share slug ${c.slug}`);
      slugSeen.set(c.slug, c.id);
    }
    invariants.push(invariant('slugs unique', slugProblems, `${slugSeen.size} slugs`));

    // 7. Row-level consistency: folded names, versions, timestamps.
    const rowProblems: string[] = [];
    for (const c of clients) if (c.name_key !== casefold(c.name)) rowProblems.push(`client ${c.id}: name_key ${JSON.stringify(c.name_key)} for ${JSON.stringify(c.name)}`);
    for (const [kind, rows] of [['client', clients], ...Object.entries(owned)] as [string, (ClientRow | OwnedRow)[]][]) {
      for (const r of rows) {
        if (!(Number(r.version) >= 1)) rowProblems.push(`${kind} ${r.id}: version ${String(r.version)}`);
        if (!TIMESTAMP.test(r.created_at) || !TIMESTAMP.test(r.updated_at) || r.updated_at < r.created_at) rowProblems.push(`${kind} ${r.id}: created ${r.created_at} updated ${r.updated_at}`);
      }
    }
    invariants.push(invariant('rows consistent (name_key, version ≥ 1, timestamps)', rowProblems, 'every row'));

    // 8. Sides: inside clients below the tenant, outside ones not (the client token's scope).
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

    // 9. The database's own checks.
    if (db.kind === 'sqlite' && db.raw) {
      const raw = db.raw;
      const integrity = raw.pragma('integrity_check') as { integrity_check: string }[];
      const ok = integrity.length === 1 && integrity[0].integrity_check === 'ok';
      invariants.push({ name: 'PRAGMA integrity_check', ok, detail: ok ? 'ok' : integrity.slice(0, 5).map((r) => r.integrity_check).join('; ') });
      const fk = raw.pragma('foreign_key_check') as { table: string; rowid: number; parent: string }[];
      invariants.push({ name: 'PRAGMA foreign_key_check', ok: fk.length === 0, detail: fk.length === 0 ? 'no violation' : fk.slice(0, 5).map((r) => `${r.table} row ${r.rowid} → ${r.parent}`).join('; ') });
      let fts = 'ok';
      try {
        // rank 1: also compares the index with the content table (clients.name_key).
        raw.prepare(`INSERT INTO clients_name_fts(clients_name_fts, rank) VALUES ('integrity-check', 1)`).run();
      } catch (e) {
        fts = e instanceof Error ? e.message : String(e);
      }
      invariants.push({ name: 'FTS5 name index matches the clients (integrity-check)', ok: fts === 'ok', detail: fts });
    } else {
      const invalid = await db.all<{ conname: string }>(`SELECT conname FROM pg_constraint WHERE contype = 'f' AND NOT convalidated`);
      const count = (await db.all<{ n: string }>(`SELECT COUNT(*) AS n FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text IN ('clients', 'legal_entities', 'reporting_entities', 'projects', 'api_tokens')`))[0].n;
      invariants.push({
        name: 'foreign key constraints present and validated',
        ok: invalid.length === 0 && Number(count) >= 5,
        detail: `${count} foreign keys${invalid.length ? `, not validated: ${invalid.map((r) => r.conname).join(', ')}` : ', all validated'}`,
      });
    }

    // The soak's tokens go (the client token was revoked through the API; this catches both).
    if (input.secrets.length > 0) {
      const hashes = input.secrets.map(hashToken);
      const marks = hashes.map(() => '?').join(', ');
      if (db.kind === 'sqlite' && db.raw) db.raw.prepare(`DELETE FROM api_tokens WHERE token_hash IN (${marks})`).run(...hashes);
      else await db.all(`DELETE FROM api_tokens WHERE token_hash IN (${marks})`, hashes);
    }

    return {
      databaseVersion: version,
      rows: { clients: clients.length, 'legal-entities': owned['legal-entity'].length, 'reporting-entities': owned['reporting-entity'].length, projects: owned.project.length, 'api-tokens': tokens.length },
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
