import { InvalidDocumentError } from '../../errors/api-error';
import { isUriReference } from '../uri';

/**
 * The general rules of JSON:API 1.1 "Document Structure" that every request document follows,
 * whatever it carries: member names, @-members, extension members, meta objects, the jsonapi
 * object and links. A broken rule is a 400 invalid_document with a pointer at the member.
 * Where the specification says to ignore a member (one it does not define, an @-member), it is
 * ignored.
 */
export type Json = Record<string, unknown>;

export interface StructureOptions {
  /** Namespaces of the extensions the request applied (its Content-Type `ext`): `atomic` at /operations. */
  readonly namespaces?: readonly string[];
}

export function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An own member (a parsed body's prototype is Object's, whose members are not the document's). */
export function has(obj: Json, name: string): boolean {
  return Object.prototype.hasOwnProperty.call(obj, name);
}

export function fail(detail: string, pointer: string): never {
  throw new InvalidDocumentError(detail, pointer);
}

/** A JSON Pointer segment (RFC 6901). */
export function segment(name: string): string {
  return name.replace(/~/g, '~0').replace(/\//g, '~1');
}

// "Member Names": globally allowed characters (a-z, A-Z, 0-9, U+0080 and above) anywhere;
// "-", "_" and " " only inside.
const GLOBAL = 'a-zA-Z0-9\\u{80}-\\u{10FFFF}';
const MEMBER_NAME = new RegExp(`^[${GLOBAL}](?:[${GLOBAL}_ -]*[${GLOBAL}])?$`, 'u');
const NAMESPACE = /^[a-zA-Z0-9]+$/;

export function isMemberName(name: string): boolean {
  return MEMBER_NAME.test(name);
}

/**
 * A `type` value: a string that follows the member-name rules ("Identification").
 */
export function typeName(value: unknown, pointer: string, missing: string): string {
  if (typeof value !== 'string') fail(missing, pointer);
  if (!isMemberName(value)) fail(`"${value}" is not a valid type: type values follow the rules for member names.`, pointer);
  return value;
}

/**
 * The names of an object's members that JSON:API defines meaning for. @-members are left out
 * (they are not part of the document's JSON:API meaning); an extension member (`ns:name`) must
 * belong to an extension the request applied (and is left out: the caller reads the ones it
 * knows by name); a name that breaks the member-name rules is a 400 where `strict` (objects
 * whose every member the server reads: resource objects, attributes, relationships) and is
 * ignored elsewhere, as JSON:API requires of members it does not define.
 */
export function membersOf(obj: Json, pointer: string, opts: StructureOptions, strict: boolean): string[] {
  const names: string[] = [];
  for (const name of Object.keys(obj)) {
    if (isMemberName(name)) {
      names.push(name);
      continue;
    }
    if (name.startsWith('@')) {
      if (isMemberName(name.slice(1))) continue;
    } else if (name.includes(':')) {
      const namespace = name.slice(0, name.indexOf(':'));
      if (!NAMESPACE.test(namespace) || !(opts.namespaces ?? []).includes(namespace)) {
        fail(`"${name}" is an extension member, but the request did not apply an extension with the namespace "${namespace}" (Content-Type ext).`, `${pointer}/${segment(name)}`);
      }
      if (isMemberName(name.slice(namespace.length + 1))) continue;
    }
    if (strict) fail(`"${name}" is not a valid member name: names use a-z, A-Z, 0-9 and non-ASCII characters, and "-", "_" or " " only inside.`, `${pointer}/${segment(name)}`);
  }
  return names;
}

/** "Meta Information": where a meta member is present, it is an object. */
export function checkMeta(value: unknown, pointer: string): void {
  if (value !== undefined && !isObject(value)) fail('meta must be an object.', pointer);
}

const RELATION_TYPE = /^[a-z][a-z0-9.-]*$/;
const LANGUAGE_TAG = /^[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*$/;

/** "Links": a link is a URI-reference, a link object (href, and rel, title, type, hreflang, describedby, meta of their kinds) or null. */
function checkLink(link: unknown, pointer: string, opts: StructureOptions): void {
  if (link === null) return;
  if (typeof link === 'string') {
    if (!isUriReference(link)) fail('A link must be a URI-reference (RFC 3986).', pointer);
    return;
  }
  if (!isObject(link)) fail('A link must be a URI-reference string, a link object or null.', pointer);
  membersOf(link, pointer, opts, false);
  if (typeof link.href !== 'string' || !isUriReference(link.href)) fail('A link object needs an href that is a URI-reference (RFC 3986).', `${pointer}/href`);
  if (link.rel !== undefined && (typeof link.rel !== 'string' || !(RELATION_TYPE.test(link.rel) || (link.rel.includes(':') && isUriReference(link.rel))))) {
    fail('rel must be a link relation type (RFC 8288).', `${pointer}/rel`);
  }
  for (const name of ['title', 'type']) {
    if (link[name] !== undefined && typeof link[name] !== 'string') fail(`${name} must be a string.`, `${pointer}/${name}`);
  }
  const langs = link.hreflang;
  if (langs !== undefined && ![langs].flat().every((l) => typeof l === 'string' && LANGUAGE_TAG.test(l))) {
    fail('hreflang must be a language tag (RFC 5646) or an array of them.', `${pointer}/hreflang`);
  }
  if (link.describedby !== undefined) checkLink(link.describedby, `${pointer}/describedby`, opts);
  checkMeta(link.meta, `${pointer}/meta`);
}

/** "Links": where a links member is present, it is an object whose members are links. */
export function checkLinks(value: unknown, pointer: string, opts: StructureOptions): void {
  if (value === undefined) return;
  if (!isObject(value)) fail('links must be an object.', pointer);
  for (const name of membersOf(value, pointer, opts, false)) checkLink(value[name], `${pointer}/${name}`, opts);
}

/** "JSON:API Object": an object; version a string, ext and profile arrays of URIs, meta an object. */
function checkJsonApi(value: unknown, pointer: string, opts: StructureOptions): void {
  if (value === undefined) return;
  if (!isObject(value)) fail('jsonapi must be an object.', pointer);
  membersOf(value, pointer, opts, false);
  if (value.version !== undefined && typeof value.version !== 'string') fail('jsonapi.version must be a string.', `${pointer}/version`);
  for (const name of ['ext', 'profile']) {
    const uris = value[name];
    if (uris !== undefined && !(Array.isArray(uris) && uris.every((u) => typeof u === 'string' && isUriReference(u)))) {
      fail(`jsonapi.${name} must be an array of URIs.`, `${pointer}/${name}`);
    }
  }
  checkMeta(value.meta, `${pointer}/meta`);
}

/** The top-level members every request document may carry: meta, jsonapi and links; extension members only of applied extensions. */
export function checkTopLevel(body: Json, opts: StructureOptions): void {
  membersOf(body, '', opts, false);
  checkMeta(body.meta, '/meta');
  checkJsonApi(body.jsonapi, '/jsonapi', opts);
  checkLinks(body.links, '/links', opts);
}
