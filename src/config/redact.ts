/**
 * Credentials out of every message and log line: the password of a URL's user information
 * (`postgres://user:secret@host` → `postgres://user:***@host`) and password parameters of a
 * query string (`?password=secret` → `?password=***`). The text may be a JSON log line: nothing
 * redacted runs past a quote, and escaped characters (`\"`) inside a password are covered.
 * Linear in the length of the text: a scheme is at most 32 characters, and every scan stops at
 * the next `/`, which each `://` holds.
 */
const USERINFO = /(\b[a-z][a-z0-9+.-]{0,31}:\/\/[^\s:/?#@"'\\]*):((?:\\.|[^\s/?#"'\\])*)@/gi;
const QUERY_PASSWORD = /([?&;](?:password|passwd|pwd|sslpassword)=)(?:\\.|[^\s&#"'\\])*/gi;

export function redact(text: string): string {
  if (!text.includes('://') && !/passw|pwd/i.test(text)) return text;
  return text.replace(USERINFO, '$1:***@').replace(QUERY_PASSWORD, '$1***');
}
