/**
 * The public site in a real browser with JavaScript turned off (as in Tor Browser's safest mode): the home page,
 * an incident and a country page in English and Arabic read completely, run right to left in Arabic, load nothing
 * from anywhere but the server, and are saved as screenshots (test-artifacts/screenshots/public-*.png).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext } from 'playwright-core';
import { startServer, type RunningServer } from '../../src/server.js';
import { importStop } from '../../src/incidents/import/service.js';
import { systemActor } from '../../src/platform/auth.js';
import { chromiumOrWarn, launchChromium, shotPath, DESKTOP, PHONE } from './harness.js';

const run = chromiumOrWarn('publish', 'public site browser test skipped');

describe.runIf(run)('public site with JavaScript disabled', () => {
  let srv: RunningServer;
  let browser: Browser;
  let ctx: BrowserContext;
  let incidentId = '';
  const foreign: string[] = [];

  beforeAll(async () => {
    srv = await startServer({ port: 0, dataDir: 'memory://', quiet: true, loadHistory: false, jobs: false, webDir: '/nonexistent' });
    await importStop(srv.db, 'seed/shutdowns/keepiton-stop-2016-2022.xlsx', { orgId: (await systemActor(srv.db)).orgId, quiet: true } as never);
    const list = (await (await fetch(`${srv.url}/api/public/incidents?country=IN&from=2019-08-01&to=2019-08-10&pageSize=1`)).json()) as { items: { id: string }[] };
    incidentId = list.items[0]!.id;
    browser = await launchChromium();
    ctx = await browser.newContext({ ...DESKTOP, javaScriptEnabled: false });
    ctx.on('request', (r) => {
      if (!r.url().startsWith(srv.url) && !r.url().startsWith('data:')) foreign.push(r.url());
    });
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  });

  for (const lang of ['en', 'ar'] as const) {
    it(`reads the home page, an incident and a country page in ${lang}`, async () => {
      const page = await ctx.newPage();
      const mapLoaded = page.waitForResponse((r) => r.url() === `${srv.url}/public/${lang}/map.svg`, { timeout: 10_000 });
      const home = await page.goto(`${srv.url}/public/${lang}/`);
      expect(home?.status()).toBe(200);
      expect(await page.getAttribute('html', 'dir')).toBe(lang === 'ar' ? 'rtl' : 'ltr');
      expect(await page.locator('script').count()).toBe(0);
      // The map is its own SVG document in an <iframe> (its links open in the page).
      expect(await page.locator(`iframe.map[src="/public/${lang}/map.svg"]`).count()).toBe(1);
      const map = await mapLoaded;
      expect(map.status()).toBe(200);
      expect(map.headers()['content-type']).toContain('image/svg+xml');
      await page.locator('iframe.map').screenshot({ path: shotPath(`public-map-${lang}`) });
      await expect.poll(() => page.locator('h2').first().textContent()).toBe(lang === 'ar' ? 'عمليات قطع جارية' : 'Ongoing shutdowns');
      await page.screenshot({ path: shotPath(`public-home-${lang}`), fullPage: false });
      const mapDoc = await ctx.newPage();
      await mapDoc.goto(`${srv.url}/public/${lang}/map.svg`);
      expect(await mapDoc.locator('svg.map path').count()).toBeGreaterThan(150);
      expect(await mapDoc.locator('a[target="_top"]').count()).toBeGreaterThan(10);
      await mapDoc.locator('a[href="/public/' + lang + '/countries/IN"]').first().click();
      expect(mapDoc.url()).toBe(`${srv.url}/public/${lang}/countries/IN`);
      await mapDoc.close();

      await page.goto(`${srv.url}/public/${lang}/incidents/${incidentId}`);
      await expect.poll(() => page.locator('h1').textContent()).toMatch(/India/);
      expect(await page.locator('h2', { hasText: lang === 'ar' ? 'المصادر' : 'Sources' }).count()).toBe(1);
      expect(await page.locator('ul li a[rel~="noopener"]').count()).toBeGreaterThan(0);
      await page.screenshot({ path: shotPath(`public-incident-${lang}`), fullPage: true });

      // A country page reached by following links, as a reader without JavaScript would.
      await page.goto(`${srv.url}/public/${lang}/countries`);
      await page.locator(`a[href="/public/${lang}/countries/IN"]`).first().click();
      expect(page.url()).toBe(`${srv.url}/public/${lang}/countries/IN`);
      expect(await page.locator('svg.chart').count()).toBeGreaterThan(0);
      expect(Number(await page.locator('.big').first().textContent())).toBeGreaterThan(300);
      await page.screenshot({ path: shotPath(`public-country-${lang}`), fullPage: false });

      // Filters are a plain GET form: the result is a shareable link.
      await page.goto(`${srv.url}/public/${lang}/incidents`);
      await page.fill('input[name="country"]', 'IR');
      await page.selectOption('select[name="type"]', 'shutdown');
      await page.locator('form.filters button').click();
      expect(page.url()).toContain('country=IR');
      expect(page.url()).toContain('type=shutdown');
      expect(await page.locator('tbody tr').count()).toBeGreaterThan(0);
      await page.close();
    }, 60_000);
  }

  it('fits a phone screen and loads nothing from other sites', async () => {
    const phone = await browser.newContext({ ...PHONE, javaScriptEnabled: false });
    const page = await phone.newPage();
    await page.goto(`${srv.url}/public/ar/countries/IR`);
    await page.screenshot({ path: shotPath('public-country-ar-phone'), fullPage: false });
    await phone.close();
    expect(foreign).toEqual([]);
  }, 30_000);
});
