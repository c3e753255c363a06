import { ConfigError, loadConfig } from '../../src/config/config';
import { redact } from '../../src/config/redact';
import { createLogger } from '../../src/logger';

/** Credentials never reach a message or a log line. */

describe('redact', () => {
  it.each([
    ['postgres://app:hunter2@db.internal:5432/clients', 'postgres://app:***@db.internal:5432/clients'],
    ['postgresql://app:p%40ss%2Fword@db/clients?sslmode=require', 'postgresql://app:***@db/clients?sslmode=require'],
    ['postgres://app:p@ss@db/clients', 'postgres://app:***@db/clients'],
    ['postgres://:hunter2@db/clients', 'postgres://:***@db/clients'],
    ['postgres://db/clients?user=app&password=hunter2&sslmode=require', 'postgres://db/clients?user=app&password=***&sslmode=require'],
    ['postgres://db/clients?sslpassword=hunter2', 'postgres://db/clients?sslpassword=***'],
    ['mysql://root:hunter2@db/app and redis://:hunter3@cache:6379', 'mysql://root:***@db/app and redis://:***@cache:6379'],
    ['got "postgres://app:hunter2@db/x"', 'got "postgres://app:***@db/x"'],
  ])('When a text holds credentials (%s), then redact masks the password and keeps the rest', (text, expected) => {
    expect(redact(text)).toBe(expected);
  });

  it.each(['sqlite:./data/app.sqlite', 'postgres://db.internal:5432/clients', 'postgres://app@db/clients', 'http://localhost:3000/api/v2/clients?page[size]=5', 'a plain sentence'])(
    'When a text holds no credentials (%s), then redact leaves it as it is',
    (text) => {
      expect(redact(text)).toBe(text);
    },
  );

  it('When a JSON log line holds a URL with a password, even one with a quote, then the line stays valid JSON and the password is gone', () => {
    const line = JSON.stringify({ database: 'postgres://app:hu"nt\\er2@db/x', contact: 'ops@example.com', next: 'postgres://u:hunter3@h/y' });
    const out = redact(line);
    expect(JSON.parse(out)).toEqual({ database: 'postgres://app:***@db/x', contact: 'ops@example.com', next: 'postgres://u:***@h/y' });
  });

  it('When a text is a megabyte of adversarial input, then redact takes linear time', () => {
    const inputs = ['a.'.repeat(500_000), `x://u:${'p'.repeat(1_000_000)}`, 'x://u:a'.repeat(150_000), `?password=${'?password='.repeat(100_000)}`];
    for (const input of inputs) {
      const started = Date.now();
      redact(input);
      expect(Date.now() - started).toBeLessThan(1_000);
    }
  });

  it('When DATABASE_URL has an unknown scheme and a password, then the configuration error shows the URL without the password', () => {
    let error: unknown;
    try {
      loadConfig({ DATABASE_URL: 'mysql://root:hunter2@db/app' });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe('DATABASE_URL must start with sqlite: or postgres://, got "mysql://root:***@db/app"');
  });
});

describe('the logger', () => {
  it('When a message, an object or an error carries a database URL with a password, then every log line is JSON without the password', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => lines.push(line) });
    const url = 'postgres://app:hunter2@db/clients?password=hunter3';
    logger.info({ database: url }, 'connecting');
    logger.info(`connecting to ${url}`);
    logger.error({ err: new Error(`connect failed for ${url}`) }, 'unhandled error');
    logger.child({ requestId: 'r1' }).warn({ nested: { deeper: [url] } }, 'nested');
    expect(lines).toHaveLength(4);
    for (const line of lines) {
      expect(line).not.toMatch(/hunter[23]/);
      expect(() => JSON.parse(line)).not.toThrow();
    }
    expect(JSON.parse(lines[0]).database).toBe('postgres://app:***@db/clients?password=***');
    expect(JSON.parse(lines[2]).err.message).toBe('connect failed for postgres://app:***@db/clients?password=***');
  });
});
