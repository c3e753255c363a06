import request from 'supertest';
import { Harness, JSONAPI, startHarness } from '../support/harness';

/**
 * Inputs the fuzz tests found, kept as plain tests (with the fast-check seed that found them).
 */

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

describe('Found by fuzzing', () => {
  // tests/fuzz/requests.fuzz.test.ts, seed -2021384021: Host ">" made link building throw (500).
  it.each(['>', '<', 'a b', '[x', 'ex ample.com'])('When the Host header is %p (not a host), then /api answers 400 invalid_header naming Host, never 500', async (host) => {
    for (const url of ['/api/v2/clients', '/api/clients']) {
      const res = await request(h.app).get(url).set('Authorization', `Bearer ${h.admin}`).set('Accept', JSONAPI).set('Host', host);
      expect(res.status).toBe(400);
      expect(res.body.errors[0]).toEqual(expect.objectContaining({ status: '400', code: 'invalid_header', source: { header: 'Host' } }));
    }
  });

  it('When the Host header is a name with a port and capitals, then it is accepted', async () => {
    const res = await request(h.app).get('/api/v2/clients').set('Authorization', `Bearer ${h.admin}`).set('Host', 'API.Example.com:8443');
    expect(res.status).toBe(200);
    expect(res.body.links.self).toBe('http://API.Example.com:8443/api/v2/clients'); // as sent: hosts compare case-insensitively
  });
});
