/**
 * The outages pages of the console, in a real browser (Debian's chromium through playwright-core) against the real
 * server on a loopback port, with the real STOP/IODA history and the shipped Monash series of Iran, November 2019
 * (73 counties, hourly), imported, detected and linked through the outages service functions. Screenshots land in
 * test-artifacts/screenshots/outages-*.png. The first block tests the pages' pure logic without a browser.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { readSignalFile } from '../../src/outages/signals/index.js';
import { importSeries, loadSeries } from '../../src/outages/store.js';
import { detect } from '../../src/outages/detect/index.js';
import { defaultConfig } from '../../src/outages/detect/config.js';
import { linkEvents, saveEvents } from '../../src/outages/link.js';
import {
  aggregateSeries,
  bandPath,
  defaultSelection,
  defaultWindow,
  eventsForSeries,
  linePath,
  lowestRatio,
  niceTicks,
  packRows,
  readWindow,
  severityClass,
  timeTicks,
  timelineBars,
  timelineWindow,
} from '../../web/src/outages/logic.js';
import type { SignalSeries, TimelineItem } from '../../web/src/outages/types.js';
import { PHONE, ROOT, chromiumOrWarn, pageWidth, shooter, shotPath, signIn, startHarness, type ConsoleHarness } from './harness.js';

const IRAN = join(ROOT, '..', 'shared', 'data', 'signals', 'monash-irn-2019-11-11.csv');
const adminEmail = 'admin@outages-test.example';
const adminPassword = 'a long and proper test password 42';
const viewerEmail = 'viewer@outages-test.example';
const viewerPassword = 'another long viewer password 7';
const hasChromium = chromiumOrWarn('outages.test');

const series = (code: string, t: string[], value: (number | null)[], baseline: (number | null)[], scope: 'country' | 'region' = 'region'): SignalSeries => ({
  entity: { scope, code, country: 'IR' },
  signal: 'monash',
  step: 3600,
  t,
  value,
  baseline,
  levels: { warning: 0.8, critical: 0.5 },
});

describe('outages pages: logic', () => {
  const t = ['2019-11-16T00:00:00Z', '2019-11-16T01:00:00Z', '2019-11-16T02:00:00Z'];

  it('sums regional series without turning a missing point into a drop', () => {
    const a = series('IR/A/a', t, [100, 100, 10], [100, 100, 100]);
    const b = series('IR/B/b', t, [50, null, 5], [50, 50, 50]);
    const agg = aggregateSeries([a, b])!;
    expect(agg.times).toEqual(t.map((x) => Date.parse(x)));
    expect(agg.value).toEqual([150, 200, 15]); // 01:00: only A is known, scaled to 2 series
    expect(agg.baseline).toEqual([150, 200, 150]);
    expect(agg.stepMs).toBe(3_600_000);
    expect(lowestRatio(agg)).toEqual({ ratio: 0.1, at: Date.parse(t[2]!) });
    expect(aggregateSeries([])).toBeNull();
  });

  it('draws lines that break at gaps and bands only where both edges are known', () => {
    expect(linePath([0, 10, 20, 30], [5, null, 7, 8])).toBe('M0.0,5.0M20.0,7.0L30.0,8.0');
    expect(bandPath([0, 10, 20], [1, 2, 3], [4, 5, 6])).toBe('M0.0,1.0L10.0,2.0L20.0,3.0L20.0,6.0L10.0,5.0L0.0,4.0Z');
    expect(bandPath([0, 10, 20], [1, null, 3], [4, 5, 6])).toBe(''); // single points make no area
  });

  it('picks round ticks for values and whole days, months or years for time', () => {
    expect(niceTicks(7200)).toEqual([0, 2000, 4000, 6000, 8000]);
    expect(niceTicks(0)).toEqual([0, 1]);
    const days = timeTicks(Date.parse('2019-11-10T00:00:00Z'), Date.parse('2019-11-23T00:00:00Z'), 8);
    expect(days.map((d) => new Date(d.at).toISOString().slice(0, 10))).toEqual(['2019-11-10', '2019-11-12', '2019-11-14', '2019-11-16', '2019-11-18', '2019-11-20', '2019-11-22']);
    const months = timeTicks(Date.parse('2019-05-20T00:00:00Z'), Date.parse('2020-05-20T00:00:00Z'), 8);
    expect(months[0]).toEqual({ at: Date.parse('2019-07-01T00:00:00Z'), unit: 'month' }); // every second month, from January
    expect(months.some((m) => m.unit === 'year' && m.at === Date.parse('2020-01-01T00:00:00Z'))).toBe(true);
    expect(months.length).toBeLessThanOrEqual(8);
  });

  it('opens a country on the days around its latest event, and checks windows from the address bar', () => {
    const now = Date.parse('2026-01-01T12:00:00Z');
    expect(defaultWindow({ start: '2019-11-16T14:30:00Z', end: null }, now)).toEqual({ from: '2019-11-10', to: '2019-11-23' });
    expect(defaultWindow({ start: '2019-11-15T14:30:00Z', end: '2019-11-15T19:30:00Z' }, now)).toEqual({ from: '2019-11-09', to: '2019-11-22' });
    expect(defaultWindow(undefined, now)).toEqual({ from: '2025-12-18', to: '2026-01-02' });
    expect(readWindow(null, null)).toBeNull();
    expect(readWindow('2019-11-10', '2019-11-23')).toEqual({ window: { from: '2019-11-10', to: '2019-11-23' } });
    expect(readWindow('2019-02-30', '2019-11-23')).toEqual({ error: 'date' });
    expect(readWindow('2019-11-23', '2019-11-10')).toEqual({ error: 'order' });
    expect(readWindow('2018-01-01', '2019-11-10')).toEqual({ error: 'long' });
    const tw = timelineWindow({ from: '2019-11-10', to: '2019-11-23' }, '90d', now);
    expect((tw.to - tw.from) / 86_400_000).toBe(90);
    expect(tw.from).toBeLessThan(Date.parse('2019-11-10')); // centred on the period
    expect(tw.to).toBeGreaterThan(Date.parse('2019-11-23'));
    expect(timelineWindow({ from: '2025-12-20', to: '2026-01-02' }, '1y', now).to).toBe(Date.parse('2026-01-02')); // never past tomorrow
  });

  it('lays out timeline bars: day-dated registry items cover their day, ongoing items run on, overlaps get rows', () => {
    const items: TimelineItem[] = [
      { lane: 'stop', id: 's', title: 'STOP', start: '2019-11-16T00:00:00.000Z', end: '2019-11-16T00:00:00.000Z' },
      { lane: 'detected', id: 'd', title: 'IR outage', start: '2019-11-16T14:30:00Z', end: null },
      { lane: 'ioda', id: 'i', title: 'old', start: '2018-01-01T00:00:00Z', end: '2018-01-02T00:00:00Z' },
    ];
    const from = Date.parse('2019-11-01T00:00:00Z');
    const to = Date.parse('2019-12-01T00:00:00Z');
    const bars = timelineBars(items, from, to);
    expect(bars.map((b) => b.item.id)).toEqual(['s', 'd']);
    expect(bars[0]!.end - bars[0]!.start).toBe(86_400_000);
    expect(bars[1]).toMatchObject({ ongoing: true, end: to });
    expect(packRows([{ start: 0, end: 10 }, { start: 5, end: 8 }, { start: 11, end: 12 }, { start: 9, end: 20 }])).toEqual([0, 1, 0, 1]);
  });

  it('shades a region\'s own events and the national event that includes it; grades severity like the registry', () => {
    const evs = [
      { entity: 'IR', scope: 'country' as const, members: { total: 3, affected: 2, entities: ['IR/A/a', 'IR/B/b'] } },
      { entity: 'IR/A/a', scope: 'region' as const },
      { entity: 'IR/C/c', scope: 'region' as const },
    ];
    expect(eventsForSeries('IR/A/a', evs).map((e) => e.entity)).toEqual(['IR', 'IR/A/a']);
    expect(eventsForSeries('IR/C/c', evs).map((e) => e.entity)).toEqual(['IR/C/c']);
    expect([5, 19.9, 20, 44, 45, 70, 89.2].map(severityClass)).toEqual(['low', 'low', 'medium', 'medium', 'high', 'critical', 'critical']);
    expect(defaultSelection([series('IR/A/a', t, [], []), series('IR/B/b', t, [], [])])).toBe('sum:monash');
    expect(defaultSelection([series('IR/A/a', t, [], []), series('IR', t, [], [], 'country')])).toBe('IR|monash');
  });
});

describe.skipIf(!hasChromium)('outages pages in a browser', () => {
  let h: ConsoleHarness;
  let srv: ConsoleHarness['srv'];
  let browser: Browser;
  let page: Page;
  let nationalId = '';
  let consoleErrors: string[] = [];
  const shot = shooter(() => page, 'outages-');

  beforeAll(async () => {
    h = await startHarness({
      webDir: 'web-dist-outages',
      server: { adminEmail, adminPassword, loadHistory: true, jobs: false },
      prepare: async (srv) => {
        // The shipped Iran series, stored, detected and linked to the registry as `outages import` + `outages link --stored` do.
        const parsed = readSignalFile(IRAN, { format: 'monash' });
        await importSeries(srv.db, parsed.series, { fileName: 'monash-irn-2019-11-11.csv', sha256: 'test', format: parsed.format });
        const stored = await loadSeries(srv.db, { country: 'IR' });
        const d = detect(stored, defaultConfig(), { trace: true });
        const saved = await saveEvents(srv.db, d.events, { source: 'store', perSeries: d.perSeries });
        await linkEvents(srv.db, saved.map((s) => s.event));
        const national = saved.find((s) => s.event.entity === 'IR' && s.event.scope === 'country');
        expect(national?.event.start).toBe(Date.parse('2019-11-16T14:30:00Z') / 1000);
        nationalId = national!.event.id;
      },
    });
    ({ srv, browser, page, consoleErrors } = h);
  }, 240_000);

  afterAll(async () => {
    await h?.close();
  });

  it('lists detected events with the national Iranian outage of 16 November 2019, filtered by country and scope', async () => {
    await signIn(page, srv.url + '/', adminEmail, adminPassword);
    await page.getByRole('navigation', { name: 'Main navigation' }).getByRole('link', { name: 'Outages' }).click();
    const rows = page.locator('[data-testid=outage-table] tbody tr');
    await rows.first().waitFor();
    expect(await rows.count()).toBe(6); // one national event, five regional ones (lone noisy hours no longer make events)
    await page.locator('select[name=country]').selectOption('IR');
    await page.locator('select[name=scope]').selectOption('country');
    await expect.poll(() => new URL(page.url()).search).toBe('?country=IR&scope=country');
    await expect.poll(() => rows.count()).toBe(1);
    const row = rows.first();
    expect(await row.getAttribute('data-start')).toBe('2019-11-16T14:30:00Z');
    const text = (await row.textContent()) ?? '';
    expect(text).toContain('Iran');
    expect(text).toContain('Nov 16, 2019, 02:30 PM UTC');
    expect(text).toContain('ongoing');
    expect(text).toContain('97%'); // depth
    expect(text).toContain('Critical');
    expect(text).toContain('Awaiting review');
    await shot('01-list');
    await page.locator('select[name=scope]').selectOption('region');
    await expect.poll(() => rows.count()).toBe(5);
    expect(new Set(await rows.evaluateAll((rs) => rs.map((r) => r.getAttribute('data-scope'))))).toEqual(new Set(['region']));
    await page.locator('select[name=scope]').selectOption('country');
    await expect.poll(() => rows.count()).toBe(1);
  });

  it('opens the event: numbers, the signal chart with its band and levels, the linked incident; confirms it', async () => {
    await page.locator('[data-testid=outage-table] tbody tr a').first().click();
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/outages/events/${nationalId}`);
    const chart = page.locator('[data-testid=event-chart]');
    await chart.waitFor();
    await expect.poll(() => page.locator('h1').textContent()).toBe('Outage: Iran (national)');
    const numbers = (await page.locator('[data-testid=event-numbers]').textContent()) ?? '';
    expect(numbers).toContain('97%');
    expect(numbers).toContain('71/73');
    // The chart: observed line, baseline, band, both alert levels, and the event shaded from its start.
    expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThan(50);
    expect(await chart.getAttribute('data-events')).toBe('1');
    for (const cls of ['sig-observed', 'sig-baseline', 'sig-band', 'sig-warning', 'sig-critical']) expect((await chart.locator(`.${cls}`).getAttribute('d'))?.length, cls).toBeGreaterThan(50);
    const shade = chart.locator('.ev-shade rect');
    const box = await chart.boundingBox();
    const sbox = await shade.boundingBox();
    expect(sbox!.x).toBeGreaterThan(box!.x + box!.width * 0.1); // the event starts well inside the plot (12 h of margin)
    expect(sbox!.x + sbox!.width).toBeGreaterThan(box!.x + box!.width * 0.95); // ongoing: shaded to the end
    // The deepest point of the national sum is far below the critical level (97 % lost).
    await expect.poll(() => page.locator('.chart-summary').textContent()).toMatch(/Lowest point: \d%|Lowest point: 1\d%/);
    const incident = page.locator('[data-testid=linked-incident] a');
    await incident.waitFor();
    expect(await incident.getAttribute('href')).toMatch(/^\/incidents\/[0-9a-f-]{36}$/);
    await shot('02-event');

    await page.getByLabel('Note').fill('Matches the STOP record and press reports of a nationwide shutdown.');
    await page.getByRole('button', { name: 'Confirm event' }).click();
    await page.getByText('Decision saved.').waitFor();
    await expect.poll(() => page.locator('[data-testid=decision-status]').textContent()).toContain('Confirmed');
    expect(await page.getByRole('button', { name: 'Confirm event' }).isDisabled()).toBe(true);
    // Both buttons work: reject, then confirm again (the list shows the latest decision).
    await page.getByRole('button', { name: 'Reject event' }).click();
    await expect.poll(() => page.locator('[data-testid=decision-status]').textContent()).toContain('Rejected');
    expect(await page.getByRole('button', { name: 'Reject event' }).isDisabled()).toBe(true);
    await page.getByLabel('Note').fill('Matches the STOP record and press reports of a nationwide shutdown.');
    await page.getByRole('button', { name: 'Confirm event' }).click();
    await expect.poll(() => page.locator('[data-testid=decision-status]').textContent()).toContain('Confirmed');
    const stored = await page.evaluate(async (id) => (await (await fetch(`/api/outages/events/${id}`)).json()) as { decision: string; decidedBy: string; decisionNote: string }, nationalId);
    expect(stored.decision).toBe('confirmed');
    expect(stored.decisionNote).toContain('nationwide shutdown');
    expect(stored.decidedBy.length).toBeGreaterThan(0);
    await shot('03-event-confirmed');
  });

  it('shows connectivity signals and the timeline on the Iran country page', async () => {
    await page.locator('.outage-event .eyebrow').getByRole('link', { name: 'Iran' }).click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/countries/IR');
    const section = page.locator('[data-testid=connectivity-signals]');
    const chart = section.locator('[data-testid=country-signal-chart]');
    await chart.waitFor();
    // It opened on the days around the latest event, with the sum of the 73 county series selected.
    expect(await section.locator('input[name=sfrom]').inputValue()).toBe('2019-11-10');
    expect(await section.locator('select[name=series]').inputValue()).toBe('sum:monash');
    expect(await section.locator('[data-testid=signal-multiples] li').count()).toBe(73);
    expect(Number(await chart.getAttribute('data-points'))).toBeGreaterThan(100);
    expect(await chart.getAttribute('data-events')).toBe('1'); // the national event
    const timeline = section.locator('[data-testid=outage-timeline]');
    await timeline.waitFor();
    const lanes = await timeline.locator('[data-lane] > text.lane-label').allTextContents();
    expect(lanes).toEqual(expect.arrayContaining(['Detected', 'STOP', 'IODA']));
    expect(await timeline.locator('a.tl-bar[data-lane=detected]').count()).toBe(6);
    expect(await timeline.locator('a.tl-bar[data-lane=stop]').count()).toBeGreaterThan(0); // STOP's Iranian shutdowns of late 2019
    await shot('04-country-signals');
    await section.locator('.signal-chart').screenshot({ path: shotPath('outages-05-country-chart') });
    await timeline.screenshot({ path: shotPath('outages-05-country-timeline') });

    // Keyboard: the small chart of a county is a button; Enter selects it for the big chart.
    const ahvaz = section.locator('button.multiple', { hasText: 'Khuzestan / Ahvaz' });
    await ahvaz.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => section.locator('select[name=series]').inputValue()).toBe('IR/Khuzestan/Ahvaz|monash');
    expect(await ahvaz.getAttribute('aria-pressed')).toBe('true');
    expect(Number(await chart.getAttribute('data-events'))).toBeGreaterThanOrEqual(2); // two own events and the national one
    await section.locator('.signal-chart').screenshot({ path: shotPath('outages-06-country-region-chart') });
    // The timeline in words names the national event in the reader's language.
    await section.locator('details', { hasText: 'The same as a list' }).locator('summary').click();
    await expect.poll(() => section.locator('[data-testid=timeline-list]').textContent()).toContain('Outage: Iran (national)');
    // A timeline bar is a link to its page: Tab to it, Enter opens the event.
    const bar = timeline.locator(`a.tl-bar[href="/outages/events/${nationalId}"]`);
    expect(await bar.getAttribute('aria-label')).toMatch(/^Detected: Outage: Iran \(national\), Nov 16, 2019 – ongoing$/);
    await bar.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => new URL(page.url()).pathname).toBe(`/outages/events/${nationalId}`);
    await page.locator('[data-testid=event-chart]').waitFor();
  });

  it('hides the decision buttons from a viewer, and the server refuses their decision', async () => {
    const created = await page.evaluate(
      async ({ email, password }) => {
        const me = (await (await fetch('/api/auth/me')).json()) as { csrfToken: string };
        const r = await fetch('/api/admin/users', {
          method: 'POST',
          headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrfToken },
          body: JSON.stringify({ email, name: 'Vera Viewer', role: 'viewer', password }),
        });
        return r.status;
      },
      { email: viewerEmail, password: viewerPassword },
    );
    expect(created).toBe(201);
    const viewer = await browser.newContext(PHONE);
    const vp = await viewer.newPage();
    vp.on('pageerror', (e) => consoleErrors.push(String(e)));
    await signIn(vp, `${srv.url}/outages/events/${nationalId}`, viewerEmail, viewerPassword);
    await vp.locator('[data-testid=event-chart]').waitFor();
    expect(await vp.getByRole('button', { name: 'Confirm event' }).count()).toBe(0);
    expect(await vp.getByRole('button', { name: 'Reject event' }).count()).toBe(0);
    await vp.getByText('Only analysts and administrators').waitFor();
    const status = await vp.evaluate(async (id) => {
      const me = (await (await fetch('/api/auth/me')).json()) as { csrfToken: string };
      return (await fetch(`/api/outages/events/${id}/decision`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': me.csrfToken }, body: JSON.stringify({ decision: 'rejected' }) })).status;
    }, nationalId);
    expect(status).toBe(403);
    const m = await pageWidth(vp);
    expect(m.scrollWidth).toBeLessThanOrEqual(m.innerWidth);
    await vp.screenshot({ path: shotPath('outages-07-viewer-phone'), fullPage: true });
    await viewer.close();
  });

  it('reads right to left in Arabic and fits a 390 px phone', async () => {
    await page.setViewportSize(PHONE.viewport);
    await page.locator('select[name=lang]').selectOption('ar');
    await expect.poll(() => page.evaluate(() => document.documentElement.dir)).toBe('rtl');
    for (const [name, url] of [
      ['list', '/outages'],
      ['event', `/outages/events/${nationalId}`],
      ['country', '/countries/IR'],
    ] as const) {
      await page.goto(srv.url + url);
      await page.locator('main h1').first().waitFor();
      await page.waitForFunction(() => !document.querySelector('.loading') && !document.querySelector('[aria-busy=true]'));
      if (name === 'country') await page.locator('[data-testid=outage-timeline]').waitFor();
      const m = await pageWidth(page);
      expect(m.scrollWidth, `${name}: page is ${m.scrollWidth}px wide in a ${m.innerWidth}px viewport`).toBeLessThanOrEqual(m.innerWidth);
      expect((await page.locator('main').textContent()) ?? '').toMatch(/[\u0600-\u06FF]/);
      await shot(`08-phone-ar-${name}`, name !== 'country');
    }
    // On a phone the 73 small charts start folded; the big chart and the timeline stay readable.
    expect(await page.locator('details.small-multiples').getAttribute('open')).toBeNull();
    await page.locator('[data-testid=connectivity-signals] .signal-chart').screenshot({ path: shotPath('outages-09-phone-ar-chart') });
    await page.locator('.outage-timeline').screenshot({ path: shotPath('outages-10-phone-ar-timeline') });
    await page.locator('select[name=lang]').selectOption('en');
  });

  it('logged no errors in the browser console', () => {
    // 401: the session check before signing in; 403: the viewer's refused decision. Both are answers by design.
    expect(consoleErrors.filter((e) => !/status of 40[13]/.test(e))).toEqual([]);
  });
});
