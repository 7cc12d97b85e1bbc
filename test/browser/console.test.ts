/**
 * End-to-end test of the web console in a real browser (Debian's chromium through playwright-core) against the
 * real server started in-process on a loopback port with an in-memory database and the real shutdown history.
 * Screenshots of every step land in test-artifacts/screenshots/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { totpCode } from '../../src/platform/totp.js';
import { PHONE, chromiumOrWarn, pageWidth, shooter, startHarness, submitSignIn, type ConsoleHarness } from './harness.js';

const adminEmail = 'admin@console-test.example';
const adminPassword = 'a long and proper test password 42';
const hasChromium = chromiumOrWarn('console.test', 'skipped', "install Debian's chromium package to run the browser test");

/** A title no historical record has, so finding it proves the console shows what we created. */
const NEW_TITLE = `Nationwide mobile data cut during protests ${Date.now().toString(36)}`;

describe.skipIf(!hasChromium)('web console in a browser', () => {
  let h: ConsoleHarness;
  let srv: ConsoleHarness['srv'];
  let page: Page;
  let openedIncidentUrl = '';
  let createdUrl = '';
  let consoleErrors: string[] = [];

  const shot = shooter(() => page);

  beforeAll(async () => {
    h = await startHarness({ webDir: 'web-dist', server: { adminEmail, adminPassword, loadHistory: true } });
    ({ srv, page, consoleErrors } = h);
  }, 240_000);

  afterAll(async () => {
    await h?.close();
  });

  it('signs in, with a skip link as the first tab stop', async () => {
    await page.goto(srv.url + '/');
    await submitSignIn(page, adminEmail, 'wrong password entirely');
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('not correct');
    await shot('01-sign-in-refused');
    await submitSignIn(page, adminEmail, adminPassword);
    await page.getByRole('navigation', { name: 'Main navigation' }).waitFor();
    await page.locator('[data-testid=world-map]').waitFor();
    await shot('02-overview');
    await page.reload();
    await page.locator('[data-testid=world-map]').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.className)).toContain('skip-link');
  });

  it('filters the incident list to Iran and shows Iranian incidents only', async () => {
    await page.getByRole('link', { name: 'Incidents', exact: true }).click();
    await page.locator('[data-testid=incident-table] tbody tr').first().waitFor();
    const before = await page.locator('[data-testid=incident-table] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-country')));
    expect(new Set(before).size).toBeGreaterThan(1); // the unfiltered list spans several countries

    await page.locator('select[name=country]').selectOption('IR');
    await expect.poll(() => new URL(page.url()).searchParams.get('country')).toBe('IR');
    await expect
      .poll(async () => {
        const cc = await page.locator('[data-testid=incident-table] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-country')));
        return cc.length > 0 && cc.every((c) => c === 'IR');
      })
      .toBe(true);
    // The export links carry the same filter, and the filtered view is a link that reloads to the same list.
    const csv = await page.getByRole('link', { name: 'Download CSV' }).getAttribute('href');
    expect(csv).toContain('country=IR');
    expect(csv).toContain('format=csv');
    const apiTotal = await page.evaluate(async () => (await (await fetch('/api/incidents?country=IR&pageSize=1')).json()).total as number);
    expect(apiTotal).toBeGreaterThan(0);
    await expect.poll(() => page.locator('.pager').textContent()).toContain(`${apiTotal.toLocaleString('en-GB')} results`);
    await page.reload();
    await page.locator('[data-testid=incident-table] tbody tr').first().waitFor();
    expect(await page.locator('select[name=country]').inputValue()).toBe('IR');
    await shot('03-list-filtered-iran');
  });

  it('opens an Iranian incident with its timeline', async () => {
    const first = page.locator('[data-testid=incident-table] tbody tr .cell-title a').first();
    const title = (await first.textContent()) ?? '';
    await first.click();
    await page.locator('article.incident h1').waitFor();
    await expect.poll(() => page.locator('article.incident h1').textContent()).toBe(title);
    expect(await page.locator('article.incident .eyebrow a').getAttribute('href')).toBe('/countries/IR');
    expect(await page.locator('[data-testid=timeline] li').count()).toBeGreaterThan(0);
    expect(await page.locator('article.incident .tlp').count()).toBe(1);
    openedIncidentUrl = page.url();
    await shot('04-incident-page');
  });

  it('creates an incident: shows field errors first (its own and the server\'s), then saves', async () => {
    await page.getByRole('link', { name: 'Incidents', exact: true }).click();
    await page.getByRole('link', { name: 'New incident' }).click();
    const form = page.locator('[data-testid=incident-form]');
    await form.waitFor();
    await form.locator('select[name=type]').selectOption('shutdown.mobile');
    await form.locator('select[name=country]').selectOption('IS');
    await form.locator('input[name=title]').fill(NEW_TITLE);
    await form.locator('input[name=startAt]').fill('2024-03-10');
    await form.locator('input[name=endAt]').fill('2024-03-02'); // before the start: refused in the browser
    await form.locator('select[name=tlp]').selectOption('TLP:CLEAR');
    await form.getByRole('button', { name: 'Save' }).click();

    const endInput = form.locator('input[name=endAt]');
    await expect.poll(() => endInput.getAttribute('aria-invalid')).toBe('true');
    const endErrId = (await endInput.getAttribute('aria-describedby'))?.split(' ').find((x) => x.endsWith('-err'));
    expect(endErrId).toBeTruthy();
    await expect.poll(() => page.locator(`[id="${endErrId}"]`).textContent()).toContain('not be before the start');
    await shot('05-create-client-error');
    expect(page.url()).toMatch(/\/incidents\/new$/); // nothing was sent

    // A tag longer than the server allows passes the browser's checks; the server's error lands next to Tags.
    await endInput.fill('2024-03-12');
    await form.locator('input[name=tags]').fill(`protests, ${'x'.repeat(70)}`);
    await form.getByRole('button', { name: 'Save' }).click();
    const tagsInput = form.locator('input[name=tags]');
    await expect.poll(() => tagsInput.getAttribute('aria-invalid')).toBe('true');
    expect(await endInput.getAttribute('aria-invalid')).toBe('false');
    const tagsErrId = (await tagsInput.getAttribute('aria-describedby'))?.split(' ').find((x) => x.endsWith('-err'));
    expect((await page.locator(`[id="${tagsErrId}"]`).textContent())?.length).toBeGreaterThan(3);
    await shot('06-create-server-error');

    await tagsInput.fill('protests, mobile');
    await form.locator('textarea[name=networks]').fill('AS12345 Example Mobile');
    await form.getByRole('button', { name: 'Save' }).click();
    await page.locator('article.incident h1').waitFor();
    await expect.poll(() => page.locator('article.incident h1').textContent()).toBe(NEW_TITLE);
    await expect.poll(() => page.locator('article.incident').textContent()).toContain('AS12345 Example Mobile');
    createdUrl = page.url();
    expect(createdUrl).toMatch(/\/incidents\/[^/]+$/);
    await shot('07-created-incident');
  });

  it('finds the new incident on the map, then on the country page', async () => {
    await page.getByRole('link', { name: 'Overview' }).click();
    await page.getByRole('button', { name: 'All time' }).click();
    // The map counts verified incidents by default and says so; the new incident is a draft: count every status.
    await expect.poll(() => page.locator('[data-testid=figure-statement]').first().textContent()).toContain('Verified');
    await page.locator('select[name=status]').selectOption('all');
    await expect.poll(() => page.locator('[data-testid=figure-statement]').first().textContent()).toContain('Any status');
    const iceland = page.locator('[data-testid=world-map] path[data-cc=IS]');
    await expect.poll(() => iceland.getAttribute('data-count')).toBe('1');
    expect(Number(await iceland.getAttribute('data-class'))).toBeGreaterThan(0);
    expect(await iceland.getAttribute('fill')).not.toBe(await page.locator('[data-testid=world-map] path[data-count="0"]').first().getAttribute('fill'));
    // Iran, with the real history loaded, is coloured darker than Iceland's single incident.
    const iran = page.locator('[data-testid=world-map] path[data-cc=IR]');
    expect(Number(await iran.getAttribute('data-class'))).toBeGreaterThan(Number(await iceland.getAttribute('data-class')));
    expect(await page.locator('[data-testid=monthly-chart] rect').count()).toBeGreaterThan(10);
    await shot('08-map');
    await iceland.click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/countries/IS');
    await page.getByRole('link', { name: NEW_TITLE }).waitFor();
    await expect.poll(() => page.locator('.stat-value').first().textContent()).toBe('1');
    await shot('09-country-page');
  });

  it('switches to Arabic: right-to-left, translated', async () => {
    await page.locator('select[name=lang]').selectOption('ar');
    await expect.poll(() => page.evaluate(() => document.documentElement.dir)).toBe('rtl');
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('ar');
    const nav = (await page.getByRole('navigation').first().textContent()) ?? '';
    expect(nav).toMatch(/[\u0600-\u06FF]/); // Arabic script in the menu
    expect(nav).not.toContain('Incidents');
    // TLP labels stay as FIRST writes them.
    await page.goto(createdUrl);
    await page.locator('article.incident h1').waitFor();
    await expect.poll(() => page.locator('article.incident .tlp').textContent()).toBe('TLP:CLEAR');
    await shot('10-arabic-rtl');
  });

  it('creates an API token whose secret is shown once, then revokes it', async () => {
    await page.locator('select[name=lang]').selectOption('en');
    await page.getByRole('link', { name: 'API tokens' }).click();
    await page.getByLabel('Name').fill('nightly export');
    await page.getByRole('button', { name: 'Create a token' }).click();
    const secret = (await page.locator('[data-testid=token-secret]').textContent()) ?? '';
    expect(secret.length).toBeGreaterThan(20);
    const row = page.locator('tbody tr', { hasText: 'nightly export' });
    await row.waitFor();
    const prefix = ((await row.locator('code').first().textContent()) ?? '').replace('…', '');
    expect(prefix.length).toBeGreaterThan(3);
    expect(secret.startsWith(prefix)).toBe(true);
    // The secret works against the API, as a bearer token.
    const status = await page.evaluate(async (s) => (await fetch('/api/incidents?pageSize=1', { credentials: 'omit', headers: { Authorization: `Bearer ${s}` } })).status, secret);
    expect(status).toBe(200);
    await shot('12-token-created');
    await page.reload();
    await row.waitFor();
    expect(await page.locator('[data-testid=token-secret]').count()).toBe(0);
    page.once('dialog', (d) => void d.accept());
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByText('Revoked').waitFor();
    const after = await page.evaluate(async (s) => (await fetch('/api/incidents?pageSize=1', { credentials: 'omit', headers: { Authorization: `Bearer ${s}` } })).status, secret);
    expect(after).toBe(401);
  });

  it('lets the administrator add a user, change the role, disable the account, and see it all in the audit log', async () => {
    await page.getByRole('link', { name: 'Users' }).click();
    const email = 'analyst@console-test.example';
    await page.getByLabel('E-mail').fill(email);
    await page.locator('input[name=name]').fill('Amal Analyst');
    await page.getByLabel('Initial password').fill('short');
    await page.getByRole('button', { name: 'Add a user' }).click();
    await page.getByText('Use at least 12 characters.', { exact: true }).last().waitFor();
    await page.getByLabel('Initial password').fill('a perfectly long password');
    await page.getByRole('button', { name: 'Add a user' }).click();
    const row = page.locator(`tr[data-email="${email}"]`);
    await row.waitFor();
    await row.getByRole('combobox').selectOption('viewer');
    await row.getByRole('button', { name: 'Disable' }).click();
    await row.getByRole('button', { name: 'Enable' }).waitFor();
    const users = await page.evaluate(async () => (await (await fetch('/api/admin/users')).json()).items as { email: string; role: string; disabled: boolean }[]);
    expect(users.find((u) => u.email === email)).toMatchObject({ role: 'viewer', disabled: true });
    await shot('13-users');
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.locator('table.audit tbody tr').first().waitFor();
    const actions = await page.locator('table.audit tbody tr td:nth-child(3)').allTextContents();
    expect(actions.some((a) => a.startsWith('user.'))).toBe(true);
    expect(actions.some((a) => a.startsWith('token.'))).toBe(true);
    await shot('14-audit');
  });

  it('lets people change their password and turn on a second factor from their account page', async () => {
    await page.locator('a.whoami').click();
    await page.getByRole('heading', { name: 'My account' }).waitFor();
    await page.locator('input[name=currentPassword]').fill(adminPassword);
    await page.locator('input[name=newPassword]').fill('an even longer new password 43');
    await page.locator('input[name=again]').fill('a different one entirely 44');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('The two new passwords differ.').waitFor();
    await page.locator('input[name=again]').fill('an even longer new password 43');
    await page.getByRole('button', { name: 'Change password' }).click();
    await page.getByText('Password changed.', { exact: false }).waitFor();
    await page.locator('input[name=totpCurrentPassword]').fill('an even longer new password 43');
    await page.getByRole('button', { name: 'Set up a second factor' }).click();
    const secret = (await page.locator('[data-testid=totp-secret]').textContent())!.trim();
    await page.locator('input[name=code]').fill('12');
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.getByText('Enter the 6 digits shown by your app.').waitFor();
    await page.locator('input[name=code]').fill(totpCode(secret));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.locator('[data-testid=totp-on]').waitFor();
    await shot('16-account');
    // A new sign-in now needs the new password and a code.
    const res = await fetch(`${srv.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: adminEmail, password: 'an even longer new password 43' }) });
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('totp_required');
  });

  it('has no horizontal scroll at 390×844, left-to-right and right-to-left', async () => {
    await page.setViewportSize(PHONE.viewport);
    for (const lang of ['ar', 'en'] as const) {
      await page.locator('select[name=lang]').selectOption(lang);
      for (const [name, url] of [
        ['overview', '/'],
        ['list', '/incidents?country=IR'],
        ['incident', openedIncidentUrl],
        ['new', '/incidents/new'],
        ['country', '/countries/IR'],
        ['laws', '/laws'],
        ['users', '/admin/users'],
        ['tokens', '/tokens'],
        ['account', '/account'],
      ] as const) {
        await page.goto(url.startsWith('http') ? url : srv.url + url);
        await page.locator('main h1').first().waitFor();
        await page.waitForFunction(() => !document.querySelector('.loading') && !document.querySelector('[aria-busy=true]'));
        const m = await pageWidth(page);
        expect(m.scrollWidth, `${lang} ${name}: page is ${m.scrollWidth}px wide in a ${m.innerWidth}px viewport`).toBeLessThanOrEqual(m.innerWidth);
        if (name === 'list' || name === 'incident' || name === 'overview') await shot(`11-phone-${lang}-${name}`, false);
      }
    }
    // The menu folds behind a real button on a phone.
    const toggle = page.getByRole('button', { name: 'Menu' });
    expect(await toggle.getAttribute('aria-expanded')).toBe('false');
    await toggle.click();
    expect(await toggle.getAttribute('aria-expanded')).toBe('true');
    await page.getByRole('link', { name: 'Laws' }).waitFor();
    await shot('15-phone-menu', false);
  });

  it('logged no errors in the browser console', () => {
    // The refused sign-in (401) and the refused tag (400) are answers by design; nothing else may fail.
    expect(consoleErrors.filter((e) => !/status of 40[01]/.test(e))).toEqual([]);
  });
});
