/**
 * The desk in Chromium: a report sent with JavaScript disabled (with an image attachment) and one sealed in the
 * browser with JavaScript on; a responder creates a key, unlocks it and reads both in the console; the reporter comes
 * back with the receipt, reads the reply and adds a file. Then the "stolen server" check: the database, the data
 * directory on disk and the server's logs hold none of the canaries and no private key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startServer, type RunningServer } from '../../src/server.js';
import { createLogger } from '../../src/platform/log.js';
import { createUser, systemActor } from '../../src/platform/auth.js';
import { setEscrowKey } from '../../src/desk/service.js';
import { createIncident } from '../../src/incidents/service.js';
import { b64, sodiumReady } from '../../src/desk/crypto.js';
import { chromiumOrWarn, DESKTOP, launchChromium, ROOT, SHOTS, shotPath, submitSignIn } from './harness.js';

const CANARY = {
  noJs: 'CANARY-NOJS-NARRATIVE-5d21 a car waits outside the office every night',
  noJsContact: 'CANARY-NOJS-CONTACT-signal-0099',
  js: 'CANARY-JS-NARRATIVE-a9e7 my channel was mass reported',
  jsContact: 'CANARY-JS-CONTACT-proton-7731',
  pixels: 'CANARY-ATTACH-PIXELS-33fe',
  gps: 'CANARY-ATTACH-GPS-48.85N',
  reply: 'CANARY-REPLY-e02f please move to a safe place',
  added: 'CANARY-ADDED-FILE-4410',
  grantPerson: 'CANARY-GRANT-PERSON-Amina-0b7e',
  grantBank: 'CANARY-GRANT-IBAN-CM21-3000-0b7e',
  jsAdded: 'CANARY-JS-ADDED-FILE-77aa',
};
const PASSWORD = 'responder password 2026';
const PASSPHRASE = 'a long responder passphrase for the desk';

function jpeg(): Buffer {
  const enc = (s: string) => Buffer.from(s, 'latin1');
  const seg = (m: number, p: Buffer) => Buffer.concat([Buffer.from([0xff, m, (p.length + 2) >> 8, (p.length + 2) & 0xff]), p]);
  return Buffer.concat([Buffer.from([0xff, 0xd8]), seg(0xe1, enc(`Exif\0\0${CANARY.gps}`)), seg(0xdb, Buffer.alloc(65, 3)), seg(0xda, Buffer.from([1, 1, 0, 0, 63, 0])), enc(CANARY.pixels), Buffer.from([0xff, 0xd9])]);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

describe.runIf(chromiumOrWarn('desk'))('desk in the browser', () => {
  let srv: RunningServer;
  let browser: Browser;
  let dataDir: string;
  const logs: string[] = [];
  let escrowPrivate: Uint8Array;
  let noJsReceipt = '';
  let incidentId = '';
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    const outDir = join(ROOT, 'test-artifacts', 'desk-web');
    await build({ configFile: join(ROOT, 'web', 'vite.config.ts'), logLevel: 'error', build: { outDir, emptyOutDir: true } });
    dataDir = mkdtempSync(join(tmpdir(), 'sw-desk-'));
    srv = await startServer({ port: 0, dataDir, loadHistory: false, jobs: false, webDir: outDir, log: createLogger('debug', (l) => void logs.push(l)) });
    const sys = await systemActor(srv.db);
    await createUser(srv.db, sys, { email: 'responder@example.org', name: 'Rita', role: 'responder', password: PASSWORD });
    const s = await sodiumReady();
    const kp = s.crypto_box_keypair();
    escrowPrivate = kp.privateKey;
    await setEscrowKey(srv.db, sys, b64(s, kp.publicKey));
    incidentId = (await createIncident(srv.db, sys, { type: 'threat.harassment', title: 'Journalists in Douala threatened after a broadcast', country: 'CM', startAt: '2026-03-01', tlp: 'TLP:AMBER', status: 'draft' } as never)).id;
    browser = await launchChromium();
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
    await srv?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const responderPage = async (): Promise<Page> => {
    const ctx = await browser.newContext(DESKTOP);
    const p = await ctx.newPage();
    p.on('pageerror', (e) => pageErrors.push(String(e)));
    await p.goto(`${srv.url}/desk`);
    await submitSignIn(p, 'responder@example.org', PASSWORD);
    await p.getByRole('heading', { name: 'Desk: reports and cases' }).waitFor();
    return p;
  };

  const unlock = async (p: Page) => {
    await p.getByLabel('Passphrase').fill(PASSPHRASE);
    await p.getByRole('button', { name: 'Unlock' }).click();
    await p.getByTestId('desk-unlocked').waitFor({ timeout: 30_000 });
  };

  const fillReport = async (p: Page, narrative: string, contact: string) => {
    await p.getByLabel('Threats or harassment').check();
    await p.getByLabel('Country (optional)').fill('CM');
    await p.getByLabel('Urgent: today').check();
    await p.getByLabel('No', { exact: true }).check();
    await p.getByLabel('Also through the safe contact I give below').check();
    await p.getByLabel('Safe contact (optional)').fill(contact);
    await p.getByLabel('What is happening?').fill(narrative);
    await p.waitForTimeout(3100); // the form token must be a few seconds old
  };

  it('a responder creates a key in the browser (before any report arrives)', async () => {
    const p = await responderPage();
    await p.getByLabel('Passphrase').fill(PASSPHRASE);
    await p.getByLabel('Again').fill(PASSPHRASE);
    await p.getByRole('button', { name: 'Create my key' }).click();
    await p.getByTestId('desk-unlocked').waitFor({ timeout: 30_000 });
    await p.context().close();
  }, 60_000);

  it('JavaScript disabled: the form posts, the server seals on arrival, the receipt is shown', async () => {
    const ctx = await browser.newContext({ ...DESKTOP, javaScriptEnabled: false });
    const p = await ctx.newPage();
    await p.goto(`${srv.url}/report`);
    expect(await p.locator('html').getAttribute('dir')).toBe('ltr');
    await fillReport(p, CANARY.noJs, CANARY.noJsContact);
    await p.getByLabel('Files or screenshots (optional)').setInputFiles({ name: 'threat.jpg', mimeType: 'image/jpeg', buffer: jpeg() });
    await p.getByRole('button', { name: 'Send securely' }).click();
    noJsReceipt = (await p.locator('#receipt').textContent()) ?? '';
    expect(noJsReceipt).toMatch(/^[A-Z2-7]{4}(-[A-Z2-7]{2,4}){6}$/);
    await p.screenshot({ path: shotPath('desk-receipt-nojs'), fullPage: true });
    const row = (await srv.db.query<{ sealed_by: string }>('select sealed_by from desk_cases order by ref')).rows.at(-1)!;
    expect(row.sealed_by).toBe('server');
    // Arabic is right-to-left, and the page is small
    const ar = await p.goto(`${srv.url}/report?lang=ar`);
    expect(await p.locator('html').getAttribute('dir')).toBe('rtl');
    expect((await ar!.body()).length).toBeLessThan(16_000);
    await p.screenshot({ path: shotPath('desk-report-ar'), fullPage: true });
    await ctx.close();
  }, 60_000);

  it('JavaScript on: the browser seals the report before upload', async () => {
    const ctx = await browser.newContext(DESKTOP);
    const p = await ctx.newPage();
    p.on('pageerror', (e) => pageErrors.push(String(e)));
    const uploads: string[] = [];
    p.on('request', (r) => {
      if (r.method() === 'POST') uploads.push(`${r.url()} ${r.postDataBuffer()?.toString('latin1') ?? ''}`);
    });
    await p.goto(`${srv.url}/report`);
    await fillReport(p, CANARY.js, CANARY.jsContact);
    await p.getByRole('button', { name: 'Send securely' }).click();
    await p.locator('#receipt').waitFor({ timeout: 30_000 });
    expect(await p.locator('body').getAttribute('data-sealed-by')).toBe('browser');
    expect(uploads.length).toBe(1);
    expect(uploads[0]).toContain('/report/sealed');
    expect(uploads[0]).not.toContain(CANARY.js);
    expect(uploads[0]).not.toContain(CANARY.jsContact);
    const rows = (await srv.db.query<{ sealed_by: string }>('select sealed_by from desk_cases order by ref')).rows;
    expect(rows.map((r) => r.sealed_by)).toEqual(['server', 'browser']);
    await ctx.close();
  }, 60_000);

  it('the responder unlocks the key and reads both reports in the browser, then replies', async () => {
    const p = await responderPage();
    await p.getByLabel('Passphrase').fill(PASSPHRASE);
    await p.getByRole('button', { name: 'Unlock' }).click();
    await p.getByTestId('desk-unlocked').waitFor({ timeout: 30_000 });
    await p.getByTestId('desk-queue').waitFor();
    await p.screenshot({ path: shotPath('desk-queue'), fullPage: true });
    // The key stays in memory across in-app navigation.
    await p.getByRole('link', { name: '#2' }).click();
    await p.getByTestId('desk-thread').waitFor({ timeout: 30_000 });
    await expect.poll(() => p.getByTestId('desk-thread').textContent()).toContain(CANARY.js);
    await expect.poll(() => p.getByTestId('desk-thread').textContent()).toContain(CANARY.jsContact);
    await p.getByRole('link', { name: /Desk: reports and cases/ }).click();
    await p.getByRole('link', { name: '#1' }).click();
    await expect.poll(() => p.getByTestId('desk-thread').textContent(), { timeout: 30_000 }).toContain(CANARY.noJs);
    const thread = (await p.getByTestId('desk-thread').textContent()) ?? '';
    expect(thread).toContain(CANARY.noJsContact);
    expect(thread).toContain('threat.jpg');
    const download = p.waitForEvent('download');
    await p.getByRole('link', { name: 'threat.jpg' }).click();
    const file = readFileSync((await (await download).path())!);
    expect(file.toString('latin1')).toContain(CANARY.pixels);
    expect(file.toString('latin1')).not.toContain(CANARY.gps);
    await p.getByLabel('Reply to the person').fill(CANARY.reply);
    await p.getByRole('button', { name: 'Send sealed reply' }).click();
    await expect.poll(() => p.getByTestId('desk-thread').textContent(), { timeout: 30_000 }).toContain(CANARY.reply);
    await p.screenshot({ path: shotPath('desk-case'), fullPage: true });
    await p.context().close();
  }, 90_000);

  it('a grant request seals the person-naming fields in the browser (the upload carries only ciphertext)', async () => {
    const p = await responderPage();
    await unlock(p);
    await p.getByRole('link', { name: '#1' }).click();
    await p.getByTestId('desk-thread').waitFor({ timeout: 30_000 });
    const bodies: string[] = [];
    p.on('request', (r) => {
      if (r.method() === 'POST' && r.url().includes('/grants')) bodies.push(r.postData() ?? '');
    });
    await p.getByLabel('EUR').fill('2500');
    await p.getByLabel('From', { exact: true }).fill('2026-12-01');
    await p.getByLabel('To', { exact: true }).fill('2027-01-31');
    await p.getByLabel('replacement hardware software').check();
    await p.locator('input[name=grantPerson]').fill(CANARY.grantPerson);
    await p.locator('input[name=grantPayment]').fill(CANARY.grantBank);
    await p.getByRole('button', { name: 'Request grant' }).click();
    // The responder reads the sealed details back, opened in the browser.
    await expect.poll(() => p.getByTestId('desk-thread').textContent(), { timeout: 30_000 }).toContain(CANARY.grantPerson);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]).toContain('sealedPerson');
    expect(bodies[0]).not.toContain(CANARY.grantPerson);
    expect(bodies[0]).not.toContain(CANARY.grantBank);
    await p.context().close();
  }, 90_000);

  it('the grant committee screen: request → votes → decision (deadline shown) → disbursement → final report; budget left', async () => {
    const p = await responderPage();
    await p.getByRole('link', { name: 'Grant committee' }).click();
    await p.getByRole('heading', { name: 'Grant committee' }).waitFor();
    const budget = p.getByTestId('grant-budget');
    await expect.poll(() => budget.textContent()).toContain('€50,000€0€50,000'); // nothing committed before a decision
    const list = p.getByTestId('grant-list');
    await expect.poll(() => list.textContent()).toContain('on time');
    await expect.poll(() => list.textContent()).toContain('Awaiting decision');
    await p.getByRole('button', { name: 'Open' }).click();
    const work = p.getByTestId('grant-work');
    await work.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => work.textContent()).toContain('The committee has not voted yet');
    await work.getByLabel('Urgency').selectOption('5');
    await work.getByLabel('Need').selectOption('4');
    await work.getByRole('button', { name: 'Record my vote' }).click();
    await expect.poll(() => p.getByTestId('grant-votes').textContent()).toContain('responder@example.org');
    await work.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => work.textContent()).toContain('Approved');
    await expect.poll(() => work.textContent()).toContain('decided in time');
    await expect.poll(() => budget.textContent()).toContain('€2,500€47,500');
    await work.getByLabel('EUR').fill('3000');
    await work.getByRole('button', { name: 'Record disbursement' }).click();
    await expect.poll(() => work.textContent()).toContain('amountEur');
    await work.getByLabel('EUR').fill('2400');
    await work.getByRole('button', { name: 'Record disbursement' }).click();
    await work.getByLabel('Final report').waitFor();
    await work.getByLabel('Final report').fill('Laptop replaced; accounts moved to hardware keys.');
    await work.getByRole('button', { name: 'Save final report' }).click();
    await expect.poll(() => work.textContent()).toContain('Final report in');
    await expect.poll(() => budget.textContent()).toContain('€2,400€47,600');
    await p.screenshot({ path: shotPath('desk-grants'), fullPage: true });
    await p.context().close();
  }, 90_000);

  it('MISP: export an incident with a per-field case summary, import a peer event as a draft, clear errors', async () => {
    const p = await responderPage();
    await p.getByRole('link', { name: 'MISP sharing' }).click();
    const out = p.getByTestId('misp-export');
    await out.getByLabel('Incident id').fill(incidentId);
    await out.getByLabel('Case summary from').selectOption({ label: '#1 · Threats or harassment' });
    await out.getByLabel('Category').check();
    await out.getByLabel('Redacted summary I write').check();
    await out.getByLabel(/Redacted summary \(nothing/).fill('Three reporters followed after a broadcast.');
    await out.getByRole('button', { name: 'Export as MISP event' }).click();
    const json = JSON.parse((await p.getByTestId('misp-json').textContent({ timeout: 30_000 })) ?? '{}') as { Event: { uuid: string; Tag: { name: string }[]; Attribute: { value: string; comment: string }[] } };
    expect(json.Event.Tag.map((t) => t.name)).toContain('tlp:amber');
    const values = json.Event.Attribute.map((a) => a.value);
    expect(values).toContain('threat_harassment');
    expect(values).toContain('Three reporters followed after a broadcast.');
    expect(json.Event.Attribute.some((a) => a.comment === 'desk case country')).toBe(false); // not ticked
    const text = JSON.stringify(json);
    for (const v of [CANARY.noJs, CANARY.noJsContact, CANARY.reply]) expect(text).not.toContain(v);
    const imp = p.getByTestId('misp-import');
    await imp.getByLabel('or paste the event JSON here').fill('{"Event": {"info": "x"');
    await imp.getByRole('button', { name: 'Import as draft incident' }).click();
    await expect.poll(() => imp.textContent()).toContain('This is not JSON');
    await imp.getByLabel('or paste the event JSON here').fill(JSON.stringify({ Event: { info: 'no uuid', date: '2026-03-01' } }));
    await imp.getByRole('button', { name: 'Import as draft incident' }).click();
    await expect.poll(() => imp.textContent()).toContain('Event.uuid');
    const peer = { Event: { ...json.Event, uuid: '0b6f1c9e-2d4a-4f8b-9c1d-3e5f7a9b1c2d', info: 'Peer: harassment of journalists', Tag: [{ name: 'tlp:green' }, { name: 'stackwatch:type="threat.harassment"' }] } };
    await imp.getByLabel('or paste the event JSON here').fill(JSON.stringify(peer));
    await imp.getByRole('button', { name: 'Import as draft incident' }).click();
    await p.getByTestId('misp-imported').waitFor({ timeout: 30_000 });
    await expect.poll(() => p.getByTestId('misp-imported').textContent()).toContain('TLP:GREEN');
    const row = (await srv.db.query<{ status: string; tlp: string; country: string }>(`select status, tlp, country from incidents where title = 'Peer: harassment of journalists'`)).rows[0];
    expect(row).toMatchObject({ status: 'draft', tlp: 'TLP:GREEN', country: 'CM' });
    await p.screenshot({ path: shotPath('desk-misp'), fullPage: true });
    await p.context().close();
  }, 90_000);

  it('the reporter comes back with the receipt (JavaScript off), reads the reply and adds a file', async () => {
    const ctx = await browser.newContext({ ...DESKTOP, javaScriptEnabled: false });
    const p = await ctx.newPage();
    await p.goto(`${srv.url}/report/status`);
    await p.getByLabel('Receipt').fill(noJsReceipt);
    await p.getByRole('button', { name: 'Open' }).click();
    await expect(p.locator('body')).toBeTruthy();
    await expect.poll(() => p.locator('body').textContent()).toContain(CANARY.reply);
    await p.getByLabel('Files or screenshots (optional)').setInputFiles({ name: 'more.txt', mimeType: 'text/plain', buffer: Buffer.from(CANARY.added) });
    await p.getByRole('button', { name: 'Send', exact: true }).click();
    const body = (await p.locator('body').textContent()) ?? '';
    expect(body).toContain('Added to your case.');
    expect(body).toContain('more.txt');
    await p.screenshot({ path: shotPath('desk-status-nojs'), fullPage: true });
    await ctx.close();
  }, 60_000);

  it('the reporter comes back with JavaScript: the receipt never leaves the browser; replies opened and a file sealed there', async () => {
    const ctx = await browser.newContext(DESKTOP);
    const p = await ctx.newPage();
    p.on('pageerror', (e) => pageErrors.push(String(e)));
    const sent: string[] = [];
    p.on('request', (r) => {
      if (r.method() === 'POST') sent.push(`${r.url()} ${r.postDataBuffer()?.toString('latin1') ?? ''}`);
    });
    await p.goto(`${srv.url}/report/status`);
    await p.getByLabel('Receipt').fill(noJsReceipt);
    await p.getByRole('button', { name: 'Open' }).click();
    await expect.poll(() => p.locator('body').getAttribute('data-opened-by'), { timeout: 30_000 }).toBe('browser');
    await expect.poll(() => p.locator('body').textContent()).toContain(CANARY.reply);
    await p.getByLabel('Files or screenshots (optional)').setInputFiles({ name: 'evidence-js.txt', mimeType: 'text/plain', buffer: Buffer.from(CANARY.jsAdded) });
    await p.getByRole('button', { name: 'Send', exact: true }).click();
    await expect.poll(() => p.locator('body').textContent(), { timeout: 30_000 }).toContain('Added to your case.');
    await expect.poll(() => p.locator('body').textContent()).toContain('evidence-js.txt');
    const receiptPlain = noJsReceipt.replace(/-/g, '');
    expect(sent.some((x) => x.includes('/report/status/add-sealed'))).toBe(true);
    for (const x of sent) {
      expect(x).not.toContain(noJsReceipt);
      expect(x).not.toContain(receiptPlain);
      expect(x).not.toContain(CANARY.jsAdded);
      expect(x).not.toContain(CANARY.reply);
    }
    await p.screenshot({ path: shotPath('desk-status-js'), fullPage: true });
    await ctx.close();
  }, 60_000);

  it('console: a responder shares a case with a late colleague; an admin places a legal hold, changes settings and rotates the colleague out', async () => {
    const sys = await systemActor(srv.db);
    await createUser(srv.db, sys, { email: 'late@example.org', name: 'Lea', role: 'responder', password: PASSWORD });
    await createUser(srv.db, sys, { email: 'boss@example.org', name: 'Bo', role: 'admin', password: PASSWORD });
    const case1 = (await srv.db.query<{ id: string }>('select id from desk_cases where ref = 1')).rows[0]!.id;
    const LATE = 'the late responder passphrase 2026';
    const opened: BrowserContext[] = [];
    const as = async (email: string, path: string) => {
      const ctx = await browser.newContext(DESKTOP);
      opened.push(ctx);
      const p = await ctx.newPage();
      p.on('pageerror', (e) => pageErrors.push(String(e)));
      await p.goto(`${srv.url}${path}`);
      await submitSignIn(p, email, PASSWORD);
      return p;
    };
    try {
      // A responder whose key is made after the report arrived cannot open it...
      const late = await as('late@example.org', `/desk/cases/${case1}`);
      await late.getByLabel('Passphrase', { exact: true }).fill(LATE);
      await late.getByLabel('Again').fill(LATE);
      await late.getByRole('button', { name: 'Create my key' }).click();
      await late.getByTestId('desk-unlocked').waitFor({ timeout: 30_000 });
      await expect.poll(() => late.locator('main').textContent(), { timeout: 30_000 }).toContain('not sealed to your current key');
      // ...until a colleague shares it, sealing the case keys to the new key in her browser.
      const rita = await as('responder@example.org', `/desk/cases/${case1}`);
      await unlock(rita);
      const share = rita.getByTestId('share-keys');
      await share.getByRole('button', { name: 'Share' }).click();
      await expect.poll(() => share.textContent()).toContain('Shared with late@example.org.');
      // The list of responders still missing is redrawn once the case is read again after the share.
      await expect.poll(() => share.textContent()).toContain('Every responder with a key can open this case.');
      await late.reload();
      await late.getByLabel('Passphrase').fill(LATE);
      await late.getByRole('button', { name: 'Unlock' }).click();
      await expect.poll(() => late.getByTestId('desk-thread').textContent(), { timeout: 30_000 }).toContain(CANARY.noJs);
      // An admin places a legal hold with a reason; every responder sees it on the case.
      const boss = await as('boss@example.org', `/desk/cases/${case1}`);
      const hold = boss.getByTestId('legal-hold');
      await hold.getByLabel('Reason').fill('Preservation order 7/2026');
      await hold.getByRole('button', { name: 'Place legal hold' }).click();
      await expect.poll(() => boss.getByTestId('legal-hold-badge').textContent()).toContain('Preservation order 7/2026');
      await rita.reload();
      await expect.poll(() => rita.getByTestId('legal-hold-badge').textContent()).toContain('boss@example.org');
      expect(await rita.getByTestId('legal-hold').count()).toBe(0); // responders see the hold, only admins change it
      // Settings: a wrong order of warning and escalation is refused naming the field; then saved.
      await boss.getByRole('link', { name: 'Desk settings' }).click();
      const form = boss.getByTestId('desk-settings');
      await form.getByLabel('Warning at').fill('100');
      await form.getByLabel('Escalation at').fill('90');
      await form.getByRole('button', { name: 'Save' }).click();
      await expect.poll(() => form.textContent()).toContain('escalateMinutes');
      await form.getByLabel('Warning at').fill('30');
      await form.getByLabel('Escalation at').fill('45');
      await form.getByLabel('Internet cut').fill('30');
      await form.getByRole('button', { name: 'Save' }).click();
      await expect.poll(() => form.textContent()).toContain('Saved.');
      const st = (await srv.db.query<{ warn_minutes: number; escalate_minutes: number; retention_by_category: Record<string, number> }>('select warn_minutes, escalate_minutes, retention_by_category from desk_settings')).rows[0]!;
      expect(st).toMatchObject({ warn_minutes: 30, escalate_minutes: 45, retention_by_category: { internet_cut: 30 } });
      // Rotating the late responder out deletes the case keys sealed to her key.
      boss.once('dialog', (d) => void d.accept());
      const keys = boss.getByTestId('desk-responders');
      await keys.getByRole('listitem').filter({ hasText: 'late@example.org' }).getByRole('button', { name: 'Rotate out' }).click();
      await expect.poll(() => keys.textContent()).toContain('late@example.org rotated out; 2 case keys deleted.');
      await boss.screenshot({ path: shotPath('desk-settings'), fullPage: true });
    } finally {
      // Closed even when a step fails, so that no page keeps the server busy for the tests after this one.
      for (const ctx of opened) await ctx.close().catch(() => undefined);
    }
  }, 120_000);

  it('stolen server: database, data directory and logs hold no canary and no private key', async () => {
    expect(pageErrors).toEqual([]);
    const tables = (await srv.db.query<{ tablename: string }>(`select tablename from pg_tables where schemaname = 'public'`)).rows.map((r) => r.tablename);
    let dump = '';
    for (const t of tables) dump += (await srv.db.query<{ row: string }>(`select t::text as row from "${t}" t`)).rows.map((r) => r.row).join('\n');
    expect(dump).toContain('desk.case.receive');
    const logText = logs.join('');
    expect(logText).toContain('/report');
    await srv.close(); // flush the embedded database to disk before reading its files
    const disk = Buffer.concat(filesUnder(dataDir).map((f) => readFileSync(f)));
    expect(disk.length).toBeGreaterThan(1_000_000);
    expect(disk.includes(Buffer.from('desk.case.receive'))).toBe(true); // the search does find what the database wrote
    const secrets = [...Object.values(CANARY), PASSPHRASE, 'the late responder passphrase 2026', noJsReceipt, noJsReceipt.replace(/-/g, '')];
    for (const v of secrets) {
      expect(dump, v).not.toContain(v);
      expect(dump, v).not.toContain(Buffer.from(v).toString('hex'));
      expect(logText, v).not.toContain(v);
      expect(disk.includes(Buffer.from(v)), v).toBe(false);
    }
    expect(disk.includes(Buffer.from(escrowPrivate))).toBe(false);
    expect(dump).not.toContain(Buffer.from(escrowPrivate).toString('hex'));
  }, 60_000);
});
