import { ConfigError, loadConfig } from '../../src/config/config';

/** loadConfig reads only the environment it is given; nothing here touches process.env. */

function rejection(env: Record<string, string>): unknown {
  try {
    loadConfig(env);
  } catch (e) {
    return e;
  }
  throw new Error(`expected ${JSON.stringify(env)} to be refused`);
}

describe('loadConfig', () => {
  it('When the environment is empty, then the documented defaults apply', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.databaseUrl).toBe('sqlite:./data/app.sqlite');
    expect(config.adminToken).toBeUndefined();
    expect(config.baseDomain).toBeUndefined();
    expect(config.reservedSubdomains).toEqual(['api', 'www']);
    expect(config.corsOrigins).toEqual([]);
    expect(config.trustProxy).toBe(false);
    expect(config.limits).toEqual({
      defaultPageSize: 20,
      maxPageSize: 100,
      maxIncludeDepth: 4,
      maxSortFields: 10,
      maxFilters: 20,
      maxFilterValues: 100,
      maxBodyBytes: 1024 * 1024,
      maxOperations: 100,
      maxLinkage: 100,
      maxRelationshipIds: 10000,
      flatDefaultLimit: 100,
      flatMaxLimit: 1000,
    });
  });

  it('When variables are set, then they override the defaults', () => {
    const config = loadConfig({
      PORT: '8080',
      DATABASE_URL: 'postgres://u:p@db:5432/app',
      DEFAULT_PAGE_SIZE: '10',
      MAX_PAGE_SIZE: '50',
      MAX_INCLUDE_DEPTH: '2',
      MAX_BODY_BYTES: '2048',
      BASE_DOMAIN: '.Example.COM',
      RESERVED_SUBDOMAINS: 'API, admin ,,',
      CORS_ORIGINS: 'https://a.example,https://b.example',
      TRUST_PROXY: '1',
    });
    expect(config.port).toBe(8080);
    expect(config.databaseUrl).toBe('postgres://u:p@db:5432/app');
    expect(config.limits).toMatchObject({ defaultPageSize: 10, maxPageSize: 50, maxIncludeDepth: 2, maxBodyBytes: 2048 });
    expect(config.baseDomain).toBe('example.com');
    expect(config.reservedSubdomains).toEqual(['api', 'admin']);
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.trustProxy).toBe(1);
  });

  it('When TRUST_PROXY names proxies, then it is a list of addresses and subnets; unset, false or 0 trusts none', () => {
    const base = { DATABASE_URL: 'sqlite:x' };
    expect(loadConfig({ ...base, TRUST_PROXY: '10.0.0.1, 10.1.0.0/16,::1,fd00::/8,loopback' }).trustProxy).toEqual(['10.0.0.1', '10.1.0.0/16', '::1', 'fd00::/8', 'loopback']);
    expect(loadConfig({ ...base, TRUST_PROXY: '2' }).trustProxy).toBe(2);
    for (const none of [undefined, '', 'false', '0']) expect(loadConfig({ ...base, TRUST_PROXY: none }).trustProxy).toBe(false);
  });

  it('When TRUST_PROXY is true or not an address, then the service refuses to start and says why', () => {
    const base = { DATABASE_URL: 'sqlite:x' };
    expect(() => loadConfig({ ...base, TRUST_PROXY: 'true' })).toThrow(/every X-Forwarded-For/);
    expect(() => loadConfig({ ...base, TRUST_PROXY: 'proxy.internal' })).toThrow(/TRUST_PROXY must be a hop count or a list/);
    expect(() => loadConfig({ ...base, TRUST_PROXY: '10.0.0.0/33' })).toThrow(/TRUST_PROXY/);
    expect(() => loadConfig({ ...base, TRUST_PROXY: '99' })).toThrow(/at most 32/);
  });

  it('When nothing is configured, then no valid token is rate limited, failed authentications are limited per address, and linkage and body arrays have their documented bounds', () => {
    const config = loadConfig({ DATABASE_URL: 'sqlite:x' });
    expect(config.protection.rateLimitPerMinute).toBe(0);
    expect(config.protection.authFailuresPerMinute).toBe(60);
    expect(config.limits.maxLinkage).toBe(100);
    expect(config.limits.maxRelationshipIds).toBe(10000);
  });

  it('When ADMIN_TOKEN has exactly 32 characters, then it is taken as the admin token', () => {
    const token = 'a'.repeat(32);
    expect(loadConfig({ ADMIN_TOKEN: token }).adminToken).toBe(token);
  });

  it('When ADMIN_TOKEN is empty, then there is no admin token (one is created at start)', () => {
    expect(loadConfig({ ADMIN_TOKEN: '' }).adminToken).toBeUndefined();
  });

  it.each([1, 16, 31])('When ADMIN_TOKEN has %i characters, then loading stops with a ConfigError that names ADMIN_TOKEN and the 32-character minimum', (length) => {
    const error = rejection({ ADMIN_TOKEN: 'x'.repeat(length) });
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toMatch(/ADMIN_TOKEN/);
    expect((error as Error).message).toMatch(/32/);
  });

  it.each<[string, string]>([
    ['PORT', 'abc'],
    ['PORT', '-1'],
    ['PORT', '80.5'],
    ['PORT', '3000abc'],
    ['PORT', ' 3000'],
    ['PORT', '65536'],
    ['PORT', '99999999999'],
    ['DEFAULT_PAGE_SIZE', '0'],
    ['DEFAULT_PAGE_SIZE', '1.5'],
    ['DEFAULT_PAGE_SIZE', 'twenty'],
    ['MAX_PAGE_SIZE', '0'],
    ['MAX_PAGE_SIZE', '-100'],
    ['MAX_PAGE_SIZE', '1e3'],
    ['MAX_INCLUDE_DEPTH', '0'],
    ['MAX_INCLUDE_DEPTH', 'deep'],
    ['MAX_BODY_BYTES', '1MiB'],
    ['MAX_BODY_BYTES', '0'],
    ['FLAT_MAX_LIMIT', '0'],
    ['FLAT_DEFAULT_LIMIT', '-5'],
  ])('When %s is %p, then loading stops with a ConfigError that names the variable', (name, raw) => {
    const error = rejection({ [name]: raw });
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(name);
  });

  it.each<[Record<string, string>, string]>([
    [{ DEFAULT_PAGE_SIZE: '200' }, 'DEFAULT_PAGE_SIZE'],
    [{ DEFAULT_PAGE_SIZE: '30', MAX_PAGE_SIZE: '25' }, 'DEFAULT_PAGE_SIZE'],
    [{ FLAT_DEFAULT_LIMIT: '2000' }, 'FLAT_DEFAULT_LIMIT'],
    [{ DATABASE_URL: 'mysql://localhost/app' }, 'DATABASE_URL'],
  ])('When %p is set, then loading stops with a ConfigError that names %s', (env, name) => {
    const error = rejection(env);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(name);
  });

  it('When PORT is 0, then it is accepted (an ephemeral port, as tests use)', () => {
    expect(loadConfig({ PORT: '0' }).port).toBe(0);
  });
});
