import { Store } from '../data/store';
import { Identifier, MemberInput, OperationContext, operationContext, WriteInput } from '../operations/context';
import { list } from '../operations/read';
import { create, inWrite } from '../operations/write';
import { registry } from '../resources/registry';
import { ResourceDef } from '../resources/types';

/**
 * Demo data: the clients of both reference documents (same names, emails and hierarchy; ids
 * are the service's own), with legal entities, reporting entities and projects. Written
 * through the same operations as the API, so it obeys every rule the API does.
 */
interface Node {
  name: string;
  email?: string;
  slug?: string;
  legalEntities?: { name: string; country?: string; registrationNumber?: string }[];
  reportingEntities?: { name: string; currency?: string }[];
  projects?: string[];
  children?: Node[];
}

export const DEMO: Node[] = [
  {
    name: 'Top-level client',
    slug: 'top-level',
    children: [
      {
        name: 'Child client 1',
        legalEntities: [{ name: 'Child client 1 Holding SAS', country: 'FR', registrationNumber: '552 100 554' }],
        reportingEntities: [{ name: 'Child client 1 Group reporting', currency: 'EUR' }],
        children: [{ name: 'New client name' }],
      },
      {
        name: 'Client name 1',
        legalEntities: [{ name: 'Client name 1 GmbH', country: 'DE' }],
        reportingEntities: [{ name: 'Client name 1 reporting', currency: 'EUR' }],
      },
    ],
  },
  {
    name: 'Second top-level client',
    children: [
      {
        name: 'Client name 2',
        legalEntities: [{ name: 'Client name 2 Ltd', country: 'GB' }],
        reportingEntities: [{ name: 'Client name 2 reporting', currency: 'GBP' }],
      },
    ],
  },
  {
    name: 'Madagascar Rice Farmers Cooperative',
    email: 'contact@mrfc.mg',
    slug: 'mrfc',
    projects: ['Rice yield monitoring', 'Cooperative members registry'],
    legalEntities: [{ name: 'Madagascar Rice Farmers Cooperative', country: 'MG' }],
    reportingEntities: [{ name: 'MRFC reporting', currency: 'MGA' }],
  },
  {
    name: 'Vanilla Exporters Ltd',
    email: 'admin@vanilla-export.mg',
    slug: 'vanilla-export',
    projects: ['Vanilla traceability'],
    legalEntities: [{ name: 'Vanilla Exporters Ltd', country: 'MG' }],
    reportingEntities: [{ name: 'Vanilla Exporters reporting', currency: 'USD' }],
  },
];

function input(attributes: Record<string, unknown>, relationships: Record<string, Identifier | null> = {}): WriteInput {
  const attrs = new Map<string, MemberInput<unknown>>(Object.entries(attributes).map(([k, v]) => [k, { value: v, pointer: `/data/attributes/${k}` }]));
  const rels = new Map<string, MemberInput<Identifier | null>>(Object.entries(relationships).map(([k, v]) => [k, { value: v, pointer: `/data/relationships/${k}` }]));
  return { attributes: attrs, relationships: rels };
}

export async function seedDemoData(store: Store): Promise<{ created: boolean; clients: number }> {
  const ctx: OperationContext = operationContext(store.session(store.system()), 'all');
  const make = (def: ResourceDef, data: WriteInput) => inWrite(ctx, (w) => create(w, ctx, def, data, () => '/data/attributes'));
  const clientDef = registry.get('client');
  const existing = await list(ctx, {
    type: clientDef,
    include: [],
    fields: new Map([['client', new Set(['name'])]]),
    sort: [],
    filters: [{ kind: 'attribute', parameter: 'email', path: [], attribute: clientDef.attributes.find((a) => a.name === 'email')!, operator: 'eq', values: ['contact@mrfc.mg'] }],
    page: { mode: 'offset', offset: 0, limit: 1 },
  });
  if (existing.records.length > 0) return { created: false, clients: 0 };

  let clients = 0;
  const owner = (id: string) => ({ client: { type: 'client', id, pointer: '/data/relationships/client/data' } });
  async function plant(node: Node, parentId: string | null): Promise<void> {
    const attributes: Record<string, unknown> = { name: node.name };
    if (node.email) attributes.email = node.email;
    if (node.slug) attributes.slug = node.slug;
    const { id } = await make(clientDef, input(attributes, parentId ? { parent: { type: 'client', id: parentId, pointer: '/data/relationships/parent/data' } } : {}));
    clients++;
    for (const le of node.legalEntities ?? []) await make(registry.get('legal-entity'), input(le, owner(id)));
    for (const re of node.reportingEntities ?? []) await make(registry.get('reporting-entity'), input(re, owner(id)));
    for (const name of node.projects ?? []) await make(registry.get('project'), input({ name }, owner(id)));
    for (const child of node.children ?? []) await plant(child, id);
  }
  for (const root of DEMO) await plant(root, null);
  return { created: true, clients };
}
