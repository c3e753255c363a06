/**
 * RFC 3986 URI-references: links in request documents must be one (JSON:API "Links"), and the
 * links and Location this service writes are one (SPEC §2).
 */

// Unreserved, reserved and percent-encoded characters: the only ones a URI-reference may hold.
const URI_CHARACTERS = /^(?:[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*$/;

/** An RFC 3986 URI-reference (§4.1): its characters, one fragment at most, a valid scheme if any, brackets only around a host. */
export function isUriReference(s: string): boolean {
  if (!URI_CHARACTERS.test(s) || s.indexOf('#') !== s.lastIndexOf('#')) return false;
  const scheme = /^([^/?#]*?):/.exec(s);
  if (scheme && !/^[A-Za-z][A-Za-z0-9+.-]*$/.test(scheme[1])) return false;
  const rest = scheme ? s.slice(scheme[0].length) : s;
  const authority = rest.startsWith('//') ? /^\/\/[^/?#]*/.exec(rest)![0] : '';
  return !/[[\]]/.test(rest.slice(authority.length));
}

/**
 * A request target (path and query) as sent, made an RFC 3986 URI-reference: every character a
 * path or query may not hold as it is (`[`, `]`, `"`, `|`, `#`, a `%` that starts no escape…)
 * percent-encoded; `%XX` escapes are kept as sent. Node reads the request line as latin1, so a
 * character below U+0100 stands for one byte.
 */
export function encodeRequestTarget(target: string): string {
  return target.replace(/%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]/gu, (c) => {
    const code = c.codePointAt(0)!;
    return code < 0x100 ? `%${code.toString(16).toUpperCase().padStart(2, '0')}` : encodeURIComponent(c);
  });
}
