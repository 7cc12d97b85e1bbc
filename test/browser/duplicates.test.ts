/**
 * Likely duplicates in the console (issue #8 point 5), in a real browser against the real server with the shipped
 * history: Iran's November 2019 shutdown is listed twice by Access Now STOP itself (rows 197 and 198 of the 2019
 * sheet). The analyst opens Iran November 2019, sees the pair flagged, compares the two side by side, merges them,
 * and finds one incident that keeps both records' sources, all evidence and both histories, and the merge in the
 * audit log. Screenshots land in test-artifacts/screenshots/dup-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { chromiumOrWarn, shooter, signIn, startHarness, type ConsoleHarness } from './harness.js';

const adminEmail = 'admin@duplicates-test.example';
const adminPassword = 'a long and proper test password 77';
const hasChromium = chromiumOrWarn('duplicates.test');

interface Detail {
  id: string;
  title: string;
  sources: { url: string | null; title: string }[];
  evidence: { ref: string }[];
}

describe.skipIf(!hasChromium)('likely duplicates in the console', () => {
  let h: ConsoleHarness;
  let page: Page;
  const shot = shooter(() => page, 'dup-');
  const get = <T,>(path: string) => page.evaluate(async (p) => (await (await fetch(p)).json()) as unknown, path) as Promise<T>;

  beforeAll(async () => {
    h = await startHarness({ webDir: 'web-dist-duplicates', server: { adminEmail, adminPassword, loadHistory: true } });
    page = h.page;
  }, 240_000);
  afterAll(async () => h?.close());

  it('flags STOP rows 197/198 of Iran November 2019, compares them, merges them, and keeps every source, evidence item and history entry', async () => {
    await signIn(page, `${h.srv.url}/incidents?country=IR&from=2019-11-16&to=2019-11-16`, adminEmail, adminPassword);
    const rows = page.locator('[data-testid=incident-table] tbody tr');
    await rows.first().waitFor();
    h.consoleErrors.length = 0; // the 401s of the signed-out first load

    // The two STOP records of the nationwide shutdown that began on 16 November 2019.
    const listed = await get<{ items: { id: string; type: string; title: string }[] }>('/api/incidents?country=IR&from=2019-11-16&to=2019-11-16&origin=stop&pageSize=50');
    const pair = listed.items.filter((i) => i.type === 'shutdown.full');
    expect(pair).toHaveLength(2);
    // Both are in the list the analyst sees.
    for (const i of pair) await expect.poll(() => page.locator(`[data-testid=incident-table] a[href="/incidents/${i.id}"]`).count()).toBe(1);
    await shot('01-iran-november-2019');

    // Merge into the record that holds IODA's country-wide outage of 16–24 November (the evidence is on one of them).
    const details = await Promise.all(pair.map((i) => get<Detail>(`/api/incidents/${i.id}`)));
    const intoIdx = details.findIndex((d) => d.evidence.some((e) => e.ref === 'ioda:5A446C2E'));
    expect(intoIdx).toBeGreaterThanOrEqual(0);
    const into = details[intoIdx]!;
    const from = details[1 - intoIdx]!;
    const historyBefore = await Promise.all([into.id, from.id].map((id) => get<{ items: unknown[] }>(`/api/incidents/${id}/history`)));

    await page.locator(`[data-testid=incident-table] a[href="/incidents/${into.id}"]`).click();
    await page.locator('article.incident h1').waitFor();
    const dups = page.locator('[data-testid=duplicates]');
    await dups.waitFor();
    const candidate = dups.locator('li', { has: page.locator(`a[href="/incidents/${from.id}"]`) });
    expect(await candidate.count()).toBe(1);
    const reasons = (await candidate.textContent()) ?? '';
    for (const r of ['same country', 'same start day', 'both nationwide']) expect(reasons).toContain(r);

    // Side by side before merging: both titles, and how many sources and evidence items each record holds.
    await candidate.getByText('Compare side by side').click();
    const compare = candidate.locator('[data-testid=duplicate-compare]');
    await compare.waitFor();
    const cells = async (row: string) => compare.locator('tbody tr', { has: page.locator('th', { hasText: row }) }).locator('td').allTextContents();
    expect(await cells('Title')).toEqual([into.title, from.title]);
    expect(await cells('Sources')).toEqual([String(into.sources.length), String(from.sources.length)]);
    expect(await cells('Evidence')).toEqual([String(into.evidence.length), String(from.evidence.length)]);
    expect(await cells('Origin')).toEqual(['stop', 'stop']);
    await shot('02-compare');

    // Merge (the console asks for a confirmation first).
    let asked = '';
    page.once('dialog', (d) => {
      asked = d.message();
      void d.accept();
    });
    await candidate.getByRole('button', { name: 'Merge into this incident' }).click();
    await expect.poll(() => asked).toContain(from.title);
    await expect.poll(() => page.locator('[data-testid=duplicates]').count(), { timeout: 20_000 }).toBe(0);

    // One incident with both records' sources, all evidence (the merged record itself among it) and both histories.
    const article = page.locator('article.incident');
    await expect.poll(async () => (await article.textContent())?.includes(`incident:${from.id}`), { timeout: 20_000 }).toBe(true);
    const text = (await article.textContent()) ?? '';
    for (const e of [...into.evidence, ...from.evidence]) expect(text).toContain(e.ref);
    const hrefs = await article.locator('a[target=_blank]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
    for (const s of [...into.sources, ...from.sources]) if (s.url) expect(hrefs).toContain(s.url);
    const after = await get<Detail>(`/api/incidents/${into.id}`);
    expect(new Set(after.sources.map((s) => s.url))).toEqual(new Set([...into.sources, ...from.sources].map((s) => s.url)));
    expect(after.evidence.length).toBe(into.evidence.length + from.evidence.length + 1); // + the merged record as evidence
    const history = await get<{ items: { action: string; fromIncident?: string }[] }>(`/api/incidents/${into.id}/history`);
    // Both histories, plus one merge entry on each record.
    expect(history.items.length).toBe(historyBefore[0]!.items.length + historyBefore[1]!.items.length + 2);
    expect(history.items.some((x) => x.fromIncident === from.id)).toBe(true);
    await expect.poll(() => article.locator('ol.history > li').count()).toBe(history.items.length);
    // The merged record's entries say where they come from.
    expect(await article.locator(`ol.history > li[data-from-incident="${from.id}"]`).count()).toBe(history.items.filter((x) => x.fromIncident === from.id).length);
    await shot('03-merged');

    // The list of Iran November 2019 now shows the shutdown once.
    await page.goto(`${h.srv.url}/incidents?country=IR&from=2019-11-16&to=2019-11-16`);
    await rows.first().waitFor();
    await expect.poll(() => page.locator(`[data-testid=incident-table] a[href="/incidents/${from.id}"]`).count()).toBe(0);
    expect(await page.locator(`[data-testid=incident-table] a[href="/incidents/${into.id}"]`).count()).toBe(1);

    // The merged record stays readable and says where it went.
    await page.goto(`${h.srv.url}/incidents/${from.id}`);
    await page.getByText('This incident was merged into another one.').waitFor();
    expect(await page.getByRole('link', { name: 'Open it' }).getAttribute('href')).toBe(`/incidents/${into.id}`);

    // The audit log has the merge, by the signed-in analyst.
    await page.goto(`${h.srv.url}/admin/audit?action=incident.merge`);
    const auditRow = page.locator('tbody tr', { hasText: 'incident.merge' });
    await auditRow.first().waitFor();
    expect(await auditRow.count()).toBe(1);
    await expect.poll(() => auditRow.first().textContent()).toContain(adminEmail);
    await shot('04-audit');
    expect(h.consoleErrors).toEqual([]);
  }, 180_000);
});
