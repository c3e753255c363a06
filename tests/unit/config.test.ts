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
      TRUST_PROXY: 'true',
    });
    expect(config.port).toBe(8080);
    expect(config.databaseUrl).toBe('postgres://u:p@db:5432/app');
    expect(config.limits).toMatchObject({ defaultPageSize: 10, maxPageSize: 50, maxIncludeDepth: 2, maxBodyBytes: 2048 });
    expect(config.baseDomain).toBe('example.com');
    expect(config.reservedSubdomains).toEqual(['api', 'admin']);
    expect(config.corsOrigins).toEqual(['https://a.example', 'https://b.example']);
    expect(config.trustProxy).toBe(true);
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
