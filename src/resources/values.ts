import validator from 'validator';
import { AttributeDef, AttributeKind, JsonSchema, ValueError } from './types';

/**
 * Value rules shared by every declaration (SPEC §1), and a small builder for attribute
 * declarations so that each resource file lists only what differs.
 */

export function parseName(value: unknown): string {
  if (typeof value !== 'string') throw new ValueError('must be a string');
  const trimmed = value.trim();
  if (trimmed.length < 1) throw new ValueError('must not be blank');
  if ([...trimmed].length > 200) throw new ValueError('must be at most 200 characters');
  return trimmed;
}

function nullable(inner: (v: unknown) => unknown): (v: unknown) => unknown {
  return (v) => (v === null ? null : inner(v));
}

function string(v: unknown): string {
  if (typeof v !== 'string') throw new ValueError('must be a string or null');
  return v;
}

export const parseEmail = nullable((v) => {
  const s = string(v).trim();
  if (s.length > 254) throw new ValueError('must be at most 254 characters');
  if (!validator.isEmail(s, { allow_utf8_local_part: true, require_tld: true })) throw new ValueError('must be a valid email address');
  return s;
});

const SLUG_PATTERN = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
export const parseSlug = nullable((v) => {
  const s = string(v);
  if (!SLUG_PATTERN.test(s)) throw new ValueError('must be a lowercase DNS label (a-z, 0-9 and inner hyphens, at most 63 characters)');
  return s;
});

export const parseRegistrationNumber = nullable((v) => {
  const s = string(v).trim();
  if (s.length > 64) throw new ValueError('must be at most 64 characters');
  return s;
});

export const parseCountry = nullable((v) => {
  const s = string(v);
  if (!/^[A-Z]{2}$/.test(s) || !validator.isISO31661Alpha2(s)) throw new ValueError('must be an upper-case ISO 3166-1 alpha-2 country code');
  return s;
});

export const parseCurrency = nullable((v) => {
  const s = string(v);
  if (!/^[A-Z]{3}$/.test(s) || !validator.isISO4217(s)) throw new ValueError('must be an upper-case ISO 4217 currency code');
  return s;
});

/**
 * A value rule: the parser the service enforces, and the JSON Schema of a valid (non-null)
 * value that the OpenAPI document shows. Declared side by side so they cannot drift apart.
 */
export interface ValueRule {
  readonly parse: (value: unknown) => unknown;
  readonly schema: JsonSchema;
}

export const NAME: ValueRule = { parse: parseName, schema: { type: 'string', minLength: 1, maxLength: 200, description: 'Stored trimmed.' } };
export const EMAIL: ValueRule = { parse: parseEmail, schema: { type: 'string', format: 'email', maxLength: 254 } };
export const SLUG: ValueRule = { parse: parseSlug, schema: { type: 'string', pattern: SLUG_PATTERN.source, maxLength: 63 } };
export const REGISTRATION_NUMBER: ValueRule = { parse: parseRegistrationNumber, schema: { type: 'string', maxLength: 64 } };
export const COUNTRY: ValueRule = { parse: parseCountry, schema: { type: 'string', pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2 code.' } };
export const CURRENCY: ValueRule = { parse: parseCurrency, schema: { type: 'string', pattern: '^[A-Z]{3}$', description: 'ISO 4217 code.' } };

/** Unicode case folding used for case-insensitive comparisons, in SQL and in parameters alike. */
export function casefold(s: string): string {
  return s.toUpperCase().toLowerCase();
}

interface AttrOptions {
  column?: string;
  kind?: AttributeKind;
  nullable?: boolean;
  required?: boolean;
  creatable?: boolean;
  updatable?: boolean;
  sortable?: boolean;
  filterable?: boolean;
  foldedColumn?: string;
  caseInsensitiveEquality?: boolean;
  substringIndex?: string;
  unique?: boolean;
  parse?: (value: unknown) => unknown;
  schema?: JsonSchema;
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}

/** A writable attribute. */
export function attr(name: string, o: AttrOptions = {}): AttributeDef {
  return {
    name,
    column: o.column ?? snake(name),
    kind: o.kind ?? 'string',
    nullable: o.nullable ?? true,
    required: o.required ?? false,
    creatable: o.creatable ?? true,
    updatable: o.updatable ?? true,
    sortable: o.sortable ?? true,
    filterable: o.filterable ?? true,
    foldedColumn: o.foldedColumn,
    caseInsensitiveEquality: o.caseInsensitiveEquality,
    substringIndex: o.substringIndex,
    unique: o.unique,
    parse: o.parse,
    schema: o.schema,
  };
}

/** A read-only timestamp (createdAt, updatedAt, lastUsedAt). */
export function timestamp(name: string, nullableValue = false): AttributeDef {
  return attr(name, { kind: 'timestamp', nullable: nullableValue, creatable: false, updatable: false });
}
