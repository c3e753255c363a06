import fc from 'fast-check';
import { encodeRequestTarget, isUriReference } from '../../src/http/uri';

/**
 * RFC 3986 helpers (src/http/uri.ts): which strings are URI-references (links in request
 * documents), and how a request target as sent becomes one (the top-level self link).
 */

describe('isUriReference', () => {
  it.each([
    ['http://x.test/api/v2/clients?page%5Bsize%5D=1'],
    ['https://[::1]:3000/a?b=c#frag'],
    ['/relative/path?x=1,2'],
    ['relative'],
    ['?only=query'],
    ['#only-fragment'],
    ['urn:isbn:0451450523'],
    [''],
  ])('When the string is %p, then it is a URI-reference', (s) => {
    expect(isUriReference(s)).toBe(true);
  });

  it.each([
    ['http://x.test/a b'],
    ['http://x.test/?page[size]=1'],
    ['http://x.test/a#b#c'],
    ['http://x.test/%zz'],
    ['http://x.test/"quoted"'],
    ['1http://x.test/'],
    [':no-scheme'],
    ['http://x.test/é'],
  ])('When the string is %p, then it is not a URI-reference', (s) => {
    expect(isUriReference(s)).toBe(false);
  });
});

describe('encodeRequestTarget', () => {
  it('When a target has brackets and other characters a query may not hold, then they are percent-encoded and escapes kept', () => {
    expect(encodeRequestTarget('/api/v2/clients?filter[name]=a"b|c%20d&sort=name')).toBe('/api/v2/clients?filter%5Bname%5D=a%22b%7Cc%20d&sort=name');
  });

  it('When a target has a % that starts no escape, then it becomes %25; a valid escape is kept', () => {
    expect(encodeRequestTarget('/a?x=100%&y=%2C%zz')).toBe('/a?x=100%25&y=%2C%25zz');
  });

  it('When a target holds a latin1 character (one byte as Node read it) or one above U+00FF, then it is encoded as that byte or as UTF-8', () => {
    expect(encodeRequestTarget('/a?x=\u00e9')).toBe('/a?x=%E9');
    expect(encodeRequestTarget('/a?x=\u20ac')).toBe('/a?x=%E2%82%AC');
  });

  it('When any target of printable ASCII is encoded, then the result is a URI-reference, encoding it again changes nothing, and decoding gives back the target', () => {
    const printable = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)) });
    fc.assert(
      fc.property(printable, (s) => {
        const target = `/api/v2/clients?${s}`;
        const encoded = encodeRequestTarget(target);
        expect(isUriReference(encoded)).toBe(true);
        expect(encodeRequestTarget(encoded)).toBe(encoded);
        // Only escapes are added: percent-decoding both gives the same characters.
        expect(percentDecode(encoded)).toBe(percentDecode(target));
      }),
    );
  });
});

/** Every %XX escape replaced by its character (one pass, left to right). */
function percentDecode(s: string): string {
  return s.replace(/%([0-9A-Fa-f]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
