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
  trustProxy: boolean;
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
    flatDefaultLimit: number;
    flatMaxLimit: number;
  };
  /** Limits against abuse and slow clients, enforced before a request reaches an endpoint. */
  protection: {
    /** Requests a minute per token (per IP without one), per instance; 0 = no rate limit. */
    rateLimitPerMinute: number;
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

export function loadConfig(env: Env = process.env): Config {
  const adminToken = env.ADMIN_TOKEN && env.ADMIN_TOKEN.length > 0 ? env.ADMIN_TOKEN : undefined;
  if (adminToken !== undefined && adminToken.length < 32) {
    throw new ConfigError('ADMIN_TOKEN must be at least 32 characters long');
  }
  const databaseUrl = env.DATABASE_URL || 'sqlite:./data/app.sqlite';
  if (!/^(sqlite:|postgres:\/\/|postgresql:\/\/)/.test(databaseUrl)) {
    throw new ConfigError(`DATABASE_URL must start with sqlite: or postgres://, got "${databaseUrl}"`);
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
    trustProxy: env.TRUST_PROXY === '1' || env.TRUST_PROXY === 'true',
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
      flatDefaultLimit,
      flatMaxLimit,
    },
    protection: {
      rateLimitPerMinute: int(env, 'RATE_LIMIT_PER_MINUTE', 600, 0),
      requestTimeoutMs: int(env, 'REQUEST_TIMEOUT_MS', 30_000, 0, 3_600_000),
      // Node's own default is 16 KiB; much less and ordinary browsers' cookies no longer fit.
      maxHeaderBytes: int(env, 'MAX_HEADER_BYTES', 16 * 1024, 1024, 1024 * 1024),
      // The deepest legitimate document (an atomic relationship operation) nests 8 levels.
      maxJsonDepth: int(env, 'MAX_JSON_DEPTH', 32, 8, 1000),
    },
  };
}
