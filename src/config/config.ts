import { isIP } from 'node:net';
import { redact } from './redact';

/**
 * Typed configuration, read from the environment and validated once at boot.
 * Every limit the service enforces is here, with the variable that sets it.
 */
export interface Config {
  port: number;
  databaseUrl: string;
  adminToken: string | undefined;
  baseDomain: string | undefined;
  reservedSubdomains: string[];
  corsOrigins: string[];
  /**
   * Which X-Forwarded-* hops to believe (express's "trust proxy"): false, a hop count, or the
   * proxies' addresses and subnets. Never "every forwarder": that lets a caller pick its address.
   */
  trustProxy: false | number | string[];
  logLevel: string;
  /** Send X-Statement-Count on every response (the bench reads it). */
  exposeStatementCount: boolean;
  limits: {
    defaultPageSize: number;
    maxPageSize: number;
    maxIncludeDepth: number;
    maxSortFields: number;
    maxFilters: number;
    maxFilterValues: number;
    maxBodyBytes: number;
    maxOperations: number;
    /** Linkage identifiers shown per to-many relationship object in a document (the rest by links.next). */
    maxLinkage: number;
    /** Identifiers in one relationship's data in a request body (flat `projects` too); beyond → 413. */
    maxRelationshipIds: number;
    flatDefaultLimit: number;
    flatMaxLimit: number;
  };
  /** Limits against abuse and slow clients, enforced before a request reaches an endpoint. */
  protection: {
    /** Requests a minute per valid token, per instance; 0 (the default) = no per-token limit. */
    rateLimitPerMinute: number;
    /** Failed authentications (unknown or revoked token) a minute per client address; 0 = no limit. */
    authFailuresPerMinute: number;
    /** Longest a request may take, receiving it included; 0 = no limit. */
    requestTimeoutMs: number;
    /** Largest request line plus headers (Node's maxHeaderSize; beyond → 431). */
    maxHeaderBytes: number;
    /** Deepest nesting of arrays and objects in a request body (beyond → 400). */
    maxJsonDepth: number;
  };
}

export class ConfigError extends Error {}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, fallback: number, min = 1, max = 1e9): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(`${name} must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min) throw new ConfigError(`${name} must be at least ${min}, got ${value}`);
  if (value > max) throw new ConfigError(`${name} must be at most ${max}, got ${raw}`);
  return value;
}

function list(raw: string | undefined, fallback: string[]): string[] {
  if (raw === undefined) return fallback;
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/**
 * TRUST_PROXY: unset, empty, `false` or `0` trust no proxy; a whole number trusts that many hops
 * in front of the service; otherwise a comma-separated list of proxy addresses or subnets
 * (`10.0.0.1`, `10.0.0.0/8`, `::1`) or express's names `loopback`, `linklocal`, `uniquelocal`.
 * `true` is refused: it would believe every X-Forwarded-For, so any caller could choose its
 * own address (and with it, its failed-authentication budget).
 */
function trustProxy(raw: string | undefined): false | number | string[] {
  const value = (raw ?? '').trim();
  if (value === '' || value === 'false' || value === '0') return false;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > 32) throw new ConfigError(`TRUST_PROXY must be at most 32 hops, got ${value}`);
    return hops;
  }
  if (value === 'true') {
    throw new ConfigError(
      'TRUST_PROXY=true would trust every X-Forwarded-For (any caller could choose its address); give the number of proxies in front of the service (1) or their addresses (10.0.0.0/8)',
    );
  }
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const entry of entries) {
    if (!isProxyEntry(entry)) throw new ConfigError(`TRUST_PROXY must be a hop count or a list of proxy addresses or subnets, got "${entry}"`);
  }
  return entries;
}

function isProxyEntry(entry: string): boolean {
  if (['loopback', 'linklocal', 'uniquelocal'].includes(entry)) return true;
  const [address, bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  const prefix = Number(bits);
  return family === 4 ? prefix <= 32 : prefix <= 128;
}

export function loadConfig(env: Env = process.env): Config {
  const adminToken = env.ADMIN_TOKEN && env.ADMIN_TOKEN.length > 0 ? env.ADMIN_TOKEN : undefined;
  if (adminToken !== undefined && adminToken.length < 32) {
    throw new ConfigError('ADMIN_TOKEN must be at least 32 characters long');
  }
  const databaseUrl = env.DATABASE_URL || 'sqlite:./data/app.sqlite';
  if (!/^(sqlite:|postgres:\/\/|postgresql:\/\/)/.test(databaseUrl)) {
    throw new ConfigError(`DATABASE_URL must start with sqlite: or postgres://, got "${redact(databaseUrl)}"`);
  }
  const maxPageSize = int(env, 'MAX_PAGE_SIZE', 100);
  const defaultPageSize = int(env, 'DEFAULT_PAGE_SIZE', 20);
  if (defaultPageSize > maxPageSize) {
    throw new ConfigError('DEFAULT_PAGE_SIZE must not exceed MAX_PAGE_SIZE');
  }
  const flatMaxLimit = int(env, 'FLAT_MAX_LIMIT', 1000);
  const flatDefaultLimit = int(env, 'FLAT_DEFAULT_LIMIT', 100);
  if (flatDefaultLimit > flatMaxLimit) {
    throw new ConfigError('FLAT_DEFAULT_LIMIT must not exceed FLAT_MAX_LIMIT');
  }
  const baseDomain = env.BASE_DOMAIN ? env.BASE_DOMAIN.trim().toLowerCase().replace(/^\./, '') : undefined;
  return {
    port: int(env, 'PORT', 3000, 0, 65535),
    databaseUrl,
    adminToken,
    baseDomain: baseDomain || undefined,
    reservedSubdomains: list(env.RESERVED_SUBDOMAINS, ['api', 'www']).map((s) => s.toLowerCase()),
    corsOrigins: list(env.CORS_ORIGINS, []),
    trustProxy: trustProxy(env.TRUST_PROXY),
    logLevel: env.LOG_LEVEL || 'info',
    exposeStatementCount: env.EXPOSE_STATEMENT_COUNT === '1' || env.EXPOSE_STATEMENT_COUNT === 'true',
    limits: {
      defaultPageSize,
      maxPageSize,
      maxIncludeDepth: int(env, 'MAX_INCLUDE_DEPTH', 4, 1, 32),
      maxSortFields: int(env, 'MAX_SORT_FIELDS', 10, 1, 100),
      maxFilters: int(env, 'MAX_FILTERS', 20, 1, 1000),
      maxFilterValues: int(env, 'MAX_FILTER_VALUES', 100, 1, 10000),
      maxBodyBytes: int(env, 'MAX_BODY_BYTES', 1024 * 1024),
      maxOperations: int(env, 'MAX_OPERATIONS', 100, 1, 10000),
      maxLinkage: int(env, 'MAX_LINKAGE', 100, 1, 10000),
      maxRelationshipIds: int(env, 'MAX_RELATIONSHIP_IDS', 10000, 1, 1_000_000),
      flatDefaultLimit,
      flatMaxLimit,
    },
    protection: {
      rateLimitPerMinute: int(env, 'RATE_LIMIT_PER_MINUTE', 0, 0),
      authFailuresPerMinute: int(env, 'AUTH_FAILURES_PER_MINUTE', 60, 0),
      requestTimeoutMs: int(env, 'REQUEST_TIMEOUT_MS', 30_000, 0, 3_600_000),
      // Node's own default is 16 KiB; much less and ordinary browsers' cookies no longer fit.
      maxHeaderBytes: int(env, 'MAX_HEADER_BYTES', 16 * 1024, 1024, 1024 * 1024),
      // The deepest legitimate document (an atomic relationship operation) nests 8 levels.
      maxJsonDepth: int(env, 'MAX_JSON_DEPTH', 32, 8, 1000),
    },
  };
}
