import { CREATED_NAME, DatasetInfo } from './dataset';

/**
 * The bench's requests, under /api/v2. Each is first sent once (its status, its
 * X-Statement-Count and a check that it answers what the scenario means), then driven with
 * autocannon. A scenario the service refuses (e.g. a parameter not built yet: 400) is reported
 * as not run, with the error code.
 */
export interface Scenario {
  readonly name: string;
  readonly title: string;
  readonly path: string;
  readonly token: 'admin' | 'client';
  /** GET unless said; a POST sends `body` (the same body every time). */
  readonly method?: 'GET' | 'POST';
  readonly body?: string;
  /** Every request creates a client named CREATED_NAME: the bench deletes them after each turn. */
  readonly creates?: boolean;
  /** What the single checked response must show; a message when it does not. */
  readonly check?: (doc: Document, info: DatasetInfo) => string | undefined;
}

export interface ResourceObject {
  readonly id: string;
  readonly type: string;
  readonly relationships?: Record<string, { data?: unknown }>;
}

export interface Document {
  readonly data?: ResourceObject[] | ResourceObject | null;
  readonly included?: unknown[];
  readonly meta?: { page?: { total?: number } };
  readonly errors?: { code?: string; status?: string; detail?: string; source?: unknown }[];
}

const PAGE = 50;

function list(doc: Document): { id: string }[] {
  return Array.isArray(doc.data) ? doc.data : [];
}

function size(expected: number) {
  return (doc: Document): string | undefined => (list(doc).length === expected ? undefined : `expected ${expected} rows, got ${list(doc).length}`);
}

export function lastPageNumber(info: DatasetInfo): number {
  return Math.max(1, Math.ceil(info.clients / PAGE));
}

export function scenarios(info: DatasetInfo): Scenario[] {
  const marker = encodeURIComponent(info.marker.toLowerCase());
  const full = Math.min(PAGE, info.clients);
  return [
    {
      name: 'get-one',
      title: 'get one client',
      path: `/api/v2/clients/${info.deepId}`,
      token: 'admin',
      check: (doc) => (!Array.isArray(doc.data) && doc.data?.id === info.deepId ? undefined : 'not the client asked for'),
    },
    { name: 'list-sorted', title: 'list 50 sorted by name', path: `/api/v2/clients?page[size]=${PAGE}&sort=name`, token: 'admin', check: size(full) },
    {
      name: 'list-include',
      title: 'list 50 + include children,legalEntities,reportingEntities',
      path: `/api/v2/clients?page[size]=${PAGE}&include=children,legalEntities,reportingEntities`,
      token: 'admin',
      check: (doc) => size(full)(doc) ?? ((doc.included?.length ?? 0) >= 3 * full ? undefined : `only ${doc.included?.length ?? 0} included`),
    },
    {
      name: 'contains',
      title: `filter[name][contains]=${info.marker.toLowerCase()} (trigram index)`,
      path: `/api/v2/clients?filter[name][contains]=${marker}&page[size]=${PAGE}`,
      token: 'admin',
      check: (doc) => (doc.meta?.page?.total === info.markerMatches ? undefined : `total ${doc.meta?.page?.total}, expected ${info.markerMatches}`),
    },
    {
      name: 'contains-scan',
      title: `filter[name][contains]=${info.scanNeedle} (same rows, full scan)`,
      path: `/api/v2/clients?filter[name][contains]=${encodeURIComponent(info.scanNeedle)}&page[size]=${PAGE}`,
      token: 'admin',
      check: (doc) => (doc.meta?.page?.total === info.markerMatches ? undefined : `total ${doc.meta?.page?.total}, expected ${info.markerMatches}`),
    },
    {
      name: 'descendant-of',
      title: `filter[descendantOf]=root (${info.rootDescendants} descendants)`,
      path: `/api/v2/clients?filter[descendantOf]=${info.rootId}&page[size]=${PAGE}`,
      token: 'admin',
      check: (doc) =>
        doc.meta?.page?.total === undefined || doc.meta.page.total === info.rootDescendants
          ? size(Math.min(PAGE, info.rootDescendants))(doc)
          : `total ${doc.meta.page.total}, expected ${info.rootDescendants}`,
    },
    {
      name: 'last-page-number',
      title: `last page by number (page[number]=${lastPageNumber(info)})`,
      path: `/api/v2/clients?page[size]=${PAGE}&page[number]=${lastPageNumber(info)}`,
      token: 'admin',
      check: size(info.clients - (lastPageNumber(info) - 1) * PAGE),
    },
    { name: 'last-page-keyset', title: 'last page by keyset (page[before]=)', path: `/api/v2/clients?page[size]=${PAGE}&page[before]=`, token: 'admin', check: size(full) },
    {
      name: 'client-subtree',
      title: `client token: its subtree (${info.rootDescendants + 1} clients)`,
      path: `/api/v2/clients?page[size]=${PAGE}`,
      token: 'client',
      check: (doc) => (doc.meta?.page?.total === info.rootDescendants + 1 ? undefined : `total ${doc.meta?.page?.total}, expected ${info.rootDescendants + 1}`),
    },
    {
      name: 'client-include',
      title: 'client token: its subtree, 50 + include children,legalEntities,reportingEntities',
      path: `/api/v2/clients?page[size]=${PAGE}&include=children,legalEntities,reportingEntities`,
      token: 'client',
      check: (doc) =>
        doc.meta?.page?.total !== info.rootDescendants + 1
          ? `total ${doc.meta?.page?.total}, expected ${info.rootDescendants + 1}`
          : (size(Math.min(PAGE, info.rootDescendants + 1))(doc) ?? ((doc.included?.length ?? 0) > 0 ? undefined : 'nothing included')),
    },
    {
      name: 'create-with-parent',
      title: 'create a client with a parent',
      path: '/api/v2/clients',
      token: 'admin',
      method: 'POST',
      body: JSON.stringify({ data: { type: 'client', attributes: { name: CREATED_NAME }, relationships: { parent: { data: { type: 'client', id: info.deepId } } } } }),
      creates: true,
      check: (doc) => {
        const data = Array.isArray(doc.data) ? undefined : doc.data;
        const parent = data?.relationships?.parent?.data as { id?: string } | undefined;
        return parent?.id === info.deepId ? undefined : 'the created client does not name its parent';
      },
    },
  ];
}

/** Pairs compared in the report: the first should be `factor` times faster than the second. */
export const COMPARISONS = [
  { name: 'contains vs full scan', fast: 'contains', slow: 'contains-scan', factor: 3 },
  { name: 'keyset vs page number (last page)', fast: 'last-page-keyset', slow: 'last-page-number', factor: 10 },
] as const;
