import * as fs from 'node:fs';
import type { Server } from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { chromium } from 'playwright-core';
import request from 'supertest';
import { api, Harness, startHarness } from '../support/harness';
import { portOf } from '../support/http-client';

/**
 * Helmet's security headers. API responses allow nothing to run or frame them;
 * the /docs page gets a Content-Security-Policy that lets Swagger UI work from its own assets.
 * The last test loads /docs in Chromium (when installed) and fails on any CSP violation, which
 * the browser reports without throwing, so tests/browser's page-error check would miss it.
 */
describe('security headers', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startHarness();
  });
  afterAll(() => h.close());

  const API_CSP = "default-src 'none';frame-ancestors 'none'";

  function expectCommonHeaders(headers: Record<string, string | undefined>) {
    expect(headers['x-content-type-options']).toBe('nosniff');
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['x-powered-by']).toBeUndefined();
    expect(headers['strict-transport-security']).toBe('max-age=31536000');
  }

  it.each([
    ['a JSON:API document', () => api(h).get('/api/v2/clients'), 200],
    ['a JSON:API error', () => request(h.app).get('/api/v2/clients'), 401],
    ['the flat surface', () => request(h.app).get('/api/clients').set('Authorization', `Bearer ${h.admin}`), 200],
    ['the OpenAPI document', () => request(h.app).get('/api/v2/openapi.json'), 200],
    ['/healthz', () => request(h.app).get('/healthz'), 200],
    ['an unknown path', () => request(h.app).get('/nowhere'), 404],
  ])('When %s is answered, then it carries a CSP that allows nothing, nosniff, DENY framing, no referrer and no X-Powered-By', async (_label, send, status) => {
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.headers['content-security-policy']).toBe(API_CSP);
    expectCommonHeaders(res.headers);
  });

  it('When /docs is served, then its CSP allows scripts, styles and calls to this server only, data: images, no inline script and no framing', async () => {
    for (const url of ['/docs', '/docs/init.js', '/docs/assets/swagger-ui.css']) {
      const res = await request(h.app).get(url);
      expect(res.status).toBe(200);
      expectCommonHeaders(res.headers);
      const directives = Object.fromEntries(
        String(res.headers['content-security-policy'])
          .split(';')
          .map((d) => d.trim().split(/\s+/))
          .map(([name, ...values]) => [name, values.join(' ')]),
      );
      expect(directives).toMatchObject({
        'default-src': "'self'",
        'script-src': "'self'",
        'style-src': "'self'",
        'img-src': "'self' data:",
        'connect-src': "'self'",
        'object-src': "'none'",
        'frame-ancestors': "'none'",
      });
      expect(directives['upgrade-insecure-requests']).toBeUndefined();
    }
  });

  const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
  (fs.existsSync(CHROMIUM) ? it : it.skip)(
    'When /docs is used in Chromium (rendered, an operation opened and tried), then the browser reports no CSP violation',
    async () => {
      const server: Server = await h.listen();
      const base = `http://127.0.0.1:${portOf(server)}`;
      const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'docs-csp-'));
      const context = await chromium.launchPersistentContext(userDataDir, {
        executablePath: CHROMIUM,
        headless: true,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      });
      try {
        const page = context.pages()[0] ?? (await context.newPage());
        const violations: string[] = [];
        await page.exposeFunction('reportViolation', (v: string) => violations.push(v));
        // A string, run in the page: the browser's own report of each blocked load or style.
        await page.addInitScript(
          `document.addEventListener('securitypolicyviolation', (e) => window.reportViolation(e.violatedDirective + ' ' + e.blockedURI + ' ' + e.sourceFile + ':' + e.lineNumber));`,
        );
        page.on('console', (msg) => {
          if (/Content Security Policy/i.test(msg.text())) violations.push(msg.text());
        });
        await page.goto(`${base}/docs`, { waitUntil: 'load' });
        await page.locator('#operations-tag-clients').click();
        const block = page.locator('#operations-clients-listClients');
        await block.locator('.opblock-summary-control').click();
        await block.locator('.try-out__btn').click();
        await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === '/api/v2/clients'), block.locator('button.execute').click()]);
        await block.locator('.live-responses-table .response-col_status').first().waitFor();
        await page.locator('.btn.authorize').first().click();
        await page.locator('.modal-ux').waitFor();
        await page.waitForTimeout(300);
        expect(violations).toEqual([]);
      } finally {
        await context.close();
        fs.rmSync(userDataDir, { recursive: true, force: true });
      }
    },
    90_000,
  );
});
