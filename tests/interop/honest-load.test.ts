import Kitsu from 'kitsu';
import { JSONAPI } from '../support/media-types';
import { LiveServer, ResponseRecorder, startLiveServer, validateAxiosResponses } from '../support/interop-helpers';

/**
 * Started with the defaults, as a new user starts it, an integration doing honest work is never
 * refused: a bulk loader with 16 requests in flight creates 10,000 clients through the API, then
 * a reporting tool pages through all of them with kitsu as fast as the service answers. Not one
 * 429 (kitsu does not retry them).
 */

const CLIENTS = 10_000;
const IN_FLIGHT = 16;

interface Page {
  data: { id: string }[];
  links: { next?: string | null };
}

describe('honest load with the default limits', () => {
  let live: LiveServer;
  const statuses = new Map<number, number>();
  const count = (status: number) => statuses.set(status, (statuses.get(status) ?? 0) + 1);

  beforeAll(async () => {
    live = await startLiveServer();
  });
  afterAll(() => live.close());

  it(`When a bulk loader creates ${CLIENTS} clients with ${IN_FLIGHT} requests in flight, then every one is 201`, async () => {
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < CLIENTS; i = next++) {
        const res = await fetch(`${live.baseUrl}/clients`, {
          method: 'POST',
          headers: { Authorization: `Bearer ${live.h.admin}`, 'Content-Type': JSONAPI, Accept: JSONAPI },
          body: JSON.stringify({ data: { type: 'client', attributes: { name: `Bulk client ${i}` } } }),
        });
        count(res.status);
        await res.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    expect(Object.fromEntries(statuses)).toEqual({ 201: CLIENTS });
  }, 240_000);

  it('When a reporting tool pages through all of them with kitsu by links.next, then it sees every client once and is never refused', async () => {
    const api = new Kitsu({ baseURL: live.baseUrl, headers: { Authorization: `Bearer ${live.h.admin}` }, pluralize: false, camelCaseTypes: false, resourceCase: 'none' });
    const recorder = new ResponseRecorder();
    const unhook = validateAxiosResponses(api.axios, recorder);
    api.axios.interceptors.response.use(
      (res) => (count(res.status), res),
      (err) => (count(err.response?.status ?? 0), Promise.reject(err)),
    );
    try {
      const seen = new Set<string>();
      let page = (await api.get('clients', { params: { page: { size: 100, after: '' } } })) as Page;
      for (;;) {
        for (const c of page.data) seen.add(c.id);
        if (!page.links.next) break;
        page = (await api.request({ url: page.links.next, type: 'client' })) as Page;
      }
      expect(seen.size).toBe(CLIENTS);
      expect(recorder.take()).toEqual([]);
      expect(statuses.get(429)).toBeUndefined();
      expect(statuses.get(200)).toBe(CLIENTS / 100);
    } finally {
      unhook();
    }
  }, 240_000);
});
