import * as fs from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import { chromium } from 'playwright-core';
import type { BrowserContext, Locator, Page, Response } from 'playwright-core';
import { makeClient } from '../support/factories';
import { startHarness } from '../support/harness';
import type { Harness } from '../support/harness';

/**
 * The /docs page in a real (headless) Chromium: Swagger UI renders the generated OpenAPI
 * document from local assets only, lists the client operations, and "Try it out" on
 * GET /api/v2/clients works once the Authorize dialog has been given an admin token.
 *
 * Needs Debian's `chromium` package (or CHROMIUM_PATH); without it the whole file is skipped
 * and says so. Screenshot: tests/.artifacts/docs.png.
 */

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const HAVE_CHROMIUM = fs.existsSync(CHROMIUM);
if (!HAVE_CHROMIUM) {
  console.warn(`browser test skipped: no Chromium at ${CHROMIUM} (install Debian's chromium package, or set CHROMIUM_PATH)`);
}
// CI (.ci/run) installs Chromium and sets REQUIRE_BROWSER=1: there a missing browser fails.
if (!HAVE_CHROMIUM && process.env.REQUIRE_BROWSER === '1') throw new Error(`REQUIRE_BROWSER=1 but there is no Chromium at ${CHROMIUM}`);
const describeBrowser = HAVE_CHROMIUM ? describe : describe.skip;

// A browser is slow to start and Swagger UI is a big bundle: generous timeouts, for this file only.
jest.setTimeout(90_000);

/** The network here is closed: keep Chromium from trying to reach Google (and stalling). */
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox', // we run as root
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const ARTIFACTS = path.join(__dirname, '..', '.artifacts');
const SCREENSHOT = path.join(ARTIFACTS, 'docs.png');
const RESPONSE_SCREENSHOT = path.join(ARTIFACTS, 'docs-response.png');
const UI_TIMEOUT = 30_000;

describeBrowser('the /docs page in Chromium', () => {
  const clientName = `Docs Browser Probe ${randomBytes(4).toString('hex')}`;
  let h: Harness | undefined;
  let server: Server | undefined;
  let base = '';
  let userDataDir: string | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  /** Every request any page of the browser context made, as a URL. */
  const requested: string[] = [];
  /** Uncaught exceptions in the page. */
  const pageErrors: string[] = [];

  beforeAll(async () => {
    h = await startHarness();
    await makeClient(h, { name: clientName });
    const s = h.app.listen(0, '127.0.0.1');
    server = s;
    await new Promise<void>((resolve, reject) => {
      s.once('listening', () => resolve());
      s.once('error', reject);
    });
    base = `http://127.0.0.1:${(s.address() as AddressInfo).port}`;

    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'docs-browser-'));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_ARGS,
      viewport: { width: 1280, height: 900 },
      timeout: 60_000,
    });
    context.on('request', (req) => {
      requested.push(req.url());
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => {
      pageErrors.push(String(err));
    });
    page.setDefaultTimeout(UI_TIMEOUT);
  }, 90_000);

  afterAll(async () => {
    // Each step on its own, so one failing does not leave the others open.
    await context?.close().catch((e: unknown) => console.warn(`closing Chromium failed: ${String(e)}`));
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
    if (server) {
      const s = server;
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
    await h?.close();
  }, 60_000);

  /** The operation's block, e.g. `op('clients', 'listClients')`. */
  const op = (tag: string, operationId: string): Locator => page.locator(`#operations-${tag}-${operationId}`);

  /** Expands the operation (docExpansion is 'none') and turns "Try it out" on; idempotent. */
  async function openForTrying(block: Locator): Promise<void> {
    if (!(await block.evaluate((el) => el.classList.contains('is-open')))) {
      await block.locator('.opblock-summary-control').click();
    }
    await block.locator('.opblock-body').waitFor();
    const tryOut = block.locator('.try-out__btn');
    if (!(await tryOut.evaluate((el) => el.classList.contains('cancel')))) await tryOut.click();
    await block.locator('button.execute').waitFor();
  }

  /** Clicks Execute and returns the HTTP response the page received for it. */
  async function execute(block: Locator, pathname: string): Promise<Response> {
    const [response] = await Promise.all([page.waitForResponse((r) => new URL(r.url()).pathname === pathname && r.request().method() === 'GET'), block.locator('button.execute').click()]);
    return response;
  }

  /** The status code shown in the block's live-response table, once it shows `expected`. */
  async function liveStatus(block: Locator, expected: string): Promise<string> {
    const cell = block.locator('.live-responses-table tr.response .response-col_status').first();
    const deadline = Date.now() + UI_TIMEOUT;
    for (;;) {
      const shown = ((await cell.textContent({ timeout: UI_TIMEOUT })) ?? '').trim();
      if (shown === expected || Date.now() > deadline) return shown;
      await page.waitForTimeout(100);
    }
  }

  async function liveBody(block: Locator): Promise<string> {
    const body = block.locator('.live-responses-table .response-col_description .highlight-code, .live-responses-table .response-col_description .microlight').first();
    await body.waitFor();
    return (await body.textContent()) ?? '';
  }

  test('renders the generated document from local assets and lists the client operations', async () => {
    const res = await page.goto(`${base}/docs`, { waitUntil: 'load' });
    expect(res?.status()).toBe(200);
    // docExpansion 'none': only the tag headings render until a tag is opened.
    await page.locator('#operations-tag-clients').waitFor();
    await expect(page.title()).resolves.toMatch(/API docs/);
    expect(await page.locator('.opblock').count()).toBe(0);
    for (const tag of ['clients', 'flat']) {
      await page.locator(`#operations-tag-${tag}`).click();
      await page.locator(`#operations-tag-${tag}[data-is-open="true"]`).waitFor();
    }
    // The page filter box (filter: true) and the Authorize button (bearer security scheme).
    await page.locator('.operation-filter-input').waitFor();
    await page.locator('.btn.authorize').first().waitFor();

    const expected: Array<[string, string, string, string]> = [
      ['clients', 'listClients', 'GET', '/api/v2/clients'],
      ['clients', 'createClient', 'POST', '/api/v2/clients'],
      ['clients', 'getClient', 'GET', '/api/v2/clients/{id}'],
      ['flat', 'flatListClients', 'GET', '/api/clients'],
      ['flat', 'flatCreateClient', 'POST', '/api/clients'],
    ];
    for (const [tag, id, method, pathText] of expected) {
      const block = op(tag, id);
      await block.waitFor({ state: 'attached' });
      await expect(block.locator('.opblock-summary-method').textContent()).resolves.toBe(method);
      const shown = (await block.locator('.opblock-summary-path').getAttribute('data-path')) ?? (await block.locator('.opblock-summary-path').textContent());
      expect(shown?.replace(/\u200b/g, '')).toBe(pathText);
    }
    expect(await page.locator('.opblock').count()).toBeGreaterThan(expected.length);
  });

  test('"Try it out" without authorizing gets 401 (the token is what makes it work)', async () => {
    const block = op('clients', 'listClients');
    await openForTrying(block);
    const response = await execute(block, '/api/v2/clients');
    expect(response.status()).toBe(401);
    expect(await response.request().headerValue('authorization')).toBeNull();
    expect(await liveStatus(block, '401')).toBe('401');
  });

  test('after Authorize with the admin token, "Try it out" on GET /api/v2/clients shows 200 and the client', async () => {
    // Authorize: the bearer field in the dialog, Authorize, Close.
    await page.locator('.btn.authorize').first().click();
    const modal = page.locator('.modal-ux');
    await modal.waitFor();
    const input = modal.locator('input#auth-bearer-value');
    await input.fill(h!.admin);
    await modal.locator('button.modal-btn.authorize').click();
    // Once applied, the dialog offers Logout instead of Authorize.
    await modal.locator('button[aria-label="Remove authorization"]', { hasText: 'Logout' }).waitFor();
    await modal.locator('h6', { hasText: 'Authorized' }).waitFor();
    await modal.locator('button.btn-done').click();
    await modal.waitFor({ state: 'detached' });

    const block = op('clients', 'listClients');
    await openForTrying(block);
    const response = await execute(block, '/api/v2/clients');
    expect(await response.request().headerValue('authorization')).toBe(`Bearer ${h!.admin}`);
    expect(response.status()).toBe(200);

    expect(await liveStatus(block, '200')).toBe('200');
    const body = await liveBody(block);
    expect(body).toContain(clientName);
    // The curl example Swagger UI shows carries the token too.
    await expect(block.locator('.curl-command').first().textContent()).resolves.toContain('Authorization: Bearer');

    // The whole page (very tall: listClients has dozens of filter parameters), and a close-up
    // of the executed request and its live response, which is readable at a glance.
    fs.mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    await block.locator('.responses-inner > div').first().screenshot({ path: RESPONSE_SCREENSHOT });
    console.log(`docs page screenshots: ${SCREENSHOT} (full page), ${RESPONSE_SCREENSHOT} (the live response)`);
  });

  test('nothing came from anywhere but this server (no CDN), and the page threw no errors', () => {
    expect(requested.length).toBeGreaterThan(0);
    const offHost = requested.filter((url) => {
      const u = new URL(url);
      if (u.protocol === 'data:' || u.protocol === 'blob:') return false; // not network requests
      return u.hostname !== '127.0.0.1';
    });
    expect(offHost).toEqual([]);
    // The Swagger UI assets themselves were served here.
    expect(requested).toEqual(expect.arrayContaining([`${base}/docs/assets/swagger-ui-bundle.js`, `${base}/docs/assets/swagger-ui.css`, `${base}/api/v2/openapi.json`]));
    expect(pageErrors).toEqual([]);
  });
});
