/**
 * The ledger pages in a real browser (Debian's chromium) against the real server: the mapping screen as a new user
 * would use it on an unseen transparency CSV (choose the file, map columns, preview, save, import), the country
 * pressure timeline of Türkiye with demands (Google's shipped file), an infrastructure intervention, a throttling
 * incident and a law on it, and the ledger page with its tables and exports. Screenshots: test-artifacts/screenshots/ledger-*.png.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { RunningServer } from '../../src/server.js';
import { systemActor } from '../../src/platform/auth.js';
import { createIncident, createLaw } from '../../src/incidents/service.js';
import { ledgerFor } from '../../src/ledger/engine.js';
import { importGoogle } from '../../src/ledger/import/google.js';
import { addIntervention } from '../../src/ledger/service.js';
import { ROOT, chromiumOrWarn, shooter, signIn, startHarness, type ConsoleHarness } from './harness.js';

const GOOGLE = join(ROOT, '..', 'shared', 'data', 'transparency', 'google', 'google-government-removal-requests.csv');
const FIX = join(ROOT, 'src', 'ledger', 'fixtures');
const adminEmail = 'admin@ledger-test.example';
const adminPassword = 'a long and proper ledger password 9';
const hasChromium = chromiumOrWarn('ledger.test');

describe.runIf(hasChromium)('ledger pages in the browser', () => {
  let h: ConsoleHarness;
  let srv: RunningServer;
  let page: Page;
  const shot = shooter(() => page, 'ledger-');

  beforeAll(async () => {
    h = await startHarness({
      webDir: 'web-dist-ledger',
      server: { adminEmail, adminPassword, loadHistory: false, jobs: false },
      prepare: async (s) => {
        const e = await ledgerFor(s.db);
        await importGoogle(e, GOOGLE);
        const sys = await systemActor(s.db);
        await createIncident(s.db, sys, { type: 'throttling', title: 'Twitter throttled after the earthquake', country: 'TR', startAt: '2023-02-08', endAt: '2023-02-10', tlp: 'TLP:CLEAR', status: 'verified' });
        await createLaw(s.db, sys, { country: 'TR', title: 'Disinformation law (Law 7418)', status: 'in_force', tlp: 'TLP:CLEAR', timeline: [{ status: 'passed', date: '2022-10-13' }] });
        await addIntervention(s.db, e, sys, { provider: 'Cloudflare', action: 'cdn_dropped', requesterCountry: 'TR', requesterType: 'court', target: 'news.example.org', startDate: '2023-04-20', tlp: 'TLP:CLEAR' });
      },
    });
    ({ srv, page } = h);
    await signIn(page, `${srv.url}/`, adminEmail, adminPassword);
    await page.getByRole('navigation', { name: 'Main navigation' }).waitFor();
    h.consoleErrors.length = 0; // the 401s of the signed-out first load
  }, 240_000);
  afterAll(async () => {
    await h?.close();
  });

  it('maps, previews, saves and imports an unseen transparency CSV', async () => {
    await page.goto(`${srv.url}/ledger/mapping`);
    await page.locator('input[type=file]').setInputFiles(join(FIX, 'meta-restrictions.csv'));
    await page.getByLabel('Mapping name').fill('meta-restrictions');
    const col = (f: string, v: string) => page.getByLabel(`column for ${f}`, { exact: true }).selectOption(v);
    await col('requester_country', 'Country');
    await col('requester_type', 'Requesting body');
    await col('legal_basis', 'Legal basis');
    await col('product', 'Service');
    await col('period_end', 'Reporting period');
    await col('requests', 'Requests');
    await col('items', 'Items restricted');
    await col('pct_removed', 'Share actioned');
    // forgetting the platform: the preview says which field is missing
    await page.getByRole('button', { name: 'Preview' }).click();
    await expect.poll(async () => (await page.getByRole('alert').textContent()) ?? '').toMatch(/platform/);
    await page.getByLabel('fixed value for platform', { exact: true }).fill('Meta');
    await page.getByRole('button', { name: 'Preview' }).click();
    const rows = page.locator('.preview-table tbody tr');
    await expect.poll(() => rows.count()).toBe(5);
    await expect.poll(() => rows.nth(1).textContent()).toContain('1–9');
    expect(await page.locator('.preview-table tbody tr.row-problem').count()).toBe(1);
    await expect.poll(() => page.locator('.preview-table tbody tr.row-problem').textContent()).toMatch(/requests: "abc" is not a count/);
    await shot('01-mapping-preview');
    await page.getByRole('button', { name: 'Save mapping' }).click();
    await expect.poll(async () => (await page.getByRole('status').textContent()) ?? '').toBe('Mapping saved.');
    await page.getByRole('button', { name: 'Import', exact: true }).click();
    await expect.poll(async () => (await page.getByRole('status').textContent()) ?? '').toBe('4 rows loaded, 1 flagged, of 5 read.');
    await shot('02-mapping-imported');
    // next time: the saved mapping is offered
    await page.reload();
    await expect.poll(() => page.getByLabel('Saved mappings').locator('option').allTextContents()).toContain('meta-restrictions');
  });

  it('shows demands, interventions, shutdowns and laws of Türkiye on one timeline', async () => {
    await page.goto(`${srv.url}/ledger/timeline?country=TR&from=2022-01-01&to=2023-12-31`);
    const svg = page.locator('svg.ledger-lanes');
    await svg.waitFor();
    const count = async (lane: string) => Number(await svg.locator(`g[data-lane=${lane}]`).getAttribute('data-count'));
    expect(await count('demands')).toBeGreaterThanOrEqual(4); // four half-years of Google requests (+ the mapped CSV's rows)
    expect(await count('interventions')).toBe(1);
    expect(await count('shutdowns')).toBe(1);
    expect(await count('laws')).toBe(1);
    await expect.poll(() => page.locator('ul[data-lane=laws]').textContent()).toContain('2022-10-13: Disinformation law (Law 7418): passed');
    await expect.poll(() => page.locator('ul[data-lane=shutdowns]').textContent()).toContain('Twitter throttled');
    await shot('03-timeline-TR');
  });

  it('shows the ledger page with compliance, reasons and exports', async () => {
    await page.goto(`${srv.url}/ledger?country=RU&b=TR&from=2021&to=2023`);
    await expect.poll(async () => (await page.locator('main').textContent()) ?? '', { timeout: 20_000 }).toMatch(/RU requests[\s\S]*57958/);
    await expect.poll(async () => page.locator('main').getByText('Loading…').count(), { timeout: 20_000 }).toBe(0);
    const text = (await page.locator('main').textContent()) ?? '';
    expect(text).toMatch(/at least/);
    const csv = page.locator('.exports a', { hasText: 'CSV' }).first();
    expect(await csv.getAttribute('href')).toBe('/api/ledger/queries/compliance?country=RU&by=year%2Crequester_type&from=2021&to=2023&format=csv');
    await shot('04-ledger-RU-TR');
    // the only error: the preview refused without a platform (HTTP 400), as it should
    expect(h.consoleErrors).toEqual(['Failed to load resource: the server responded with a status of 400 (Bad Request)']);
  });
});
