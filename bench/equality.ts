import { Response } from './service';

/**
 * The document-equality check of the floor: the same request sent to the service and to the
 * floor must answer the same status, Content-Type and JSON document. Documents are compared after
 * sorting object keys recursively (arrays keep their order: the order of rows, linkage and
 * included resources is part of the answer). A created resource's generated id and timestamps
 * differ by nature: both sides' are replaced by placeholders first, and so is every string
 * derived from the id (links, Location).
 */

export interface Difference {
  /** Where the documents first differ, as a JSON path ($.data[0].relationships.parent.data). */
  readonly path: string;
  readonly service: unknown;
  readonly floor: unknown;
}

/** A value as text for a report: JSON, cut short. */
export function shown(value: unknown, max = 160): string {
  const text = value === undefined ? '(absent)' : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A copy with every object's keys in sorted order (arrays keep theirs). */
export function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) out[key] = sortKeys(value[key]);
  return out;
}

/** The first place where `a` (the service's) and `b` (the floor's) differ, walking keys in sorted order. */
export function firstDifference(a: unknown, b: unknown, path = '$'): Difference | undefined {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (i >= a.length || i >= b.length) return { path: `${path}[${i}]`, service: a[i], floor: b[i] };
      const d = firstDifference(a[i], b[i], `${path}[${i}]`);
      if (d) return d;
    }
    return undefined;
  }
  if (isObject(a) && isObject(b)) {
    for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
      const at = /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`;
      if (!(key in a) || !(key in b)) return { path: at, service: a[key], floor: b[key] };
      const d = firstDifference(a[key], b[key], at);
      if (d) return d;
    }
    return undefined;
  }
  return Object.is(a, b) ? undefined : { path, service: a, floor: b };
}

/** Replaces, in every string, the created resource's id by {id} and its timestamps by {timestamp}. */
function withPlaceholders(value: unknown, id: string, stamps: readonly string[]): unknown {
  if (typeof value === 'string') return stamps.includes(value) ? '{timestamp}' : value.split(id).join('{id}');
  if (Array.isArray(value)) return value.map((v) => withPlaceholders(v, id, stamps));
  if (!isObject(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = withPlaceholders(v, id, stamps);
  return out;
}

interface Comparable {
  readonly status: number;
  readonly contentType: unknown;
  readonly location?: unknown;
  readonly document: unknown;
}

function comparable(res: Response, created: boolean): Comparable {
  let document: unknown;
  try {
    document = JSON.parse(res.body);
  } catch {
    document = { unparsable: res.body.slice(0, 200) };
  }
  const contentType = res.headers['content-type'];
  if (!created) return { status: res.status, contentType, document };
  const data = isObject(document) && isObject(document.data) ? document.data : {};
  const id = typeof data.id === 'string' && data.id !== '' ? data.id : '\u0000none';
  const attributes = isObject(data.attributes) ? data.attributes : {};
  const stamps = [attributes.createdAt, attributes.updatedAt].filter((s): s is string => typeof s === 'string');
  return { status: res.status, contentType, location: withPlaceholders(res.headers.location, id, stamps), document: withPlaceholders(document, id, stamps) };
}

/** How the floor's answer differs from the service's, or undefined when they are the same. */
export function compareAnswers(service: Response, floor: Response, created: boolean): Difference | undefined {
  const a = comparable(service, created);
  const b = comparable(floor, created);
  if (a.status !== b.status) return { path: 'HTTP status', service: a.status, floor: b.status };
  if (a.contentType !== b.contentType) return { path: 'Content-Type', service: a.contentType, floor: b.contentType };
  if (created && a.location !== b.location) return { path: 'Location', service: a.location, floor: b.location };
  return firstDifference(sortKeys(a.document), sortKeys(b.document));
}
