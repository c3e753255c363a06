import { Precondition } from '../../operations/write';

/**
 * Strong entity tags made from type, id and version (SPEC §6). If-Match compares strongly
 * (a weak tag never matches); If-None-Match compares weakly, as HTTP says.
 */
export function entityTag(type: string, id: string, version: number): string {
  return `"${type}:${id}:${version}"`;
}

function tags(header: string): string[] {
  return header
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
}

export function noneMatch(header: string | undefined, current: string): boolean {
  if (header === undefined) return false;
  return tags(header).some((t) => t === '*' || t.replace(/^W\//, '') === current);
}

/** The versions an If-Match header accepts for this resource; undefined when there is no condition. */
export function parseIfMatch(header: string | undefined, type: string, id: string): Precondition | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const list = tags(header);
  if (list.includes('*')) return undefined;
  const versions: number[] = [];
  for (const t of list) {
    const m = /^"([a-z-]+):([0-9a-f]{24}):([1-9][0-9]{0,15})"$/.exec(t);
    if (m && m[1] === type && m[2] === id) versions.push(Number(m[3]));
  }
  return { versions };
}
