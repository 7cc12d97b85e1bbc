import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { testBackends } from '../platform/testing.js';
import { silentLogger } from '../platform/log.js';
import { JobQueue } from '../platform/jobs.js';
import { bootstrapAdmin, createUser, systemActor } from '../platform/auth.js';
import type { Actor } from '../platform/audit.js';
import type { Db } from '../platform/db.js';
import { buildApp } from '../app.js';
import type { App } from '../platform/http.js';
import { addDocument, addSource, attachEvidence, createIncident, createLaw, getIncident, linkLaw, updateIncident } from '../incidents/service.js';
import { configureAlerts, scanAlerts, verifyWebhook, type AlertRuntime } from './alerts.js';
import { htmlToPdf, countryReportHtml } from './report.js';
import { TLP_LABELS } from '../core/tlp.js';
import { ledgerFor } from '../ledger/engine.js';
import { addIntervention } from '../ledger/service.js';
import { SNAPSHOT_QUEUE, bindSnapshotStore, listVersions, startSnapshots } from './snapshot.js';
import { getSettings, updateSettings } from './settings.js';

/**
 * The publish wing's acceptance checks that need a registry with private records in it:
 * - no leak: incidents at every TLP level and status, laws, sources, evidence, documents and change history carry
 *   canary strings; every public byte (pages in four languages, search, feeds, sitemap, embeds, public API, reports
 *   and their PDF text, snapshots, error pages, webhooks, e-mails) is searched for them;
 * - alerts: a newly verified public incident gives exactly one Atom entry, one signed webhook delivery, one e-mail to
 *   the confirmed subscriber and none to the unconfirmed one; a failing webhook is retried, then disabled;
 *   unsubscribe works from the link in the message;
 * - caching: a page stops showing a record as soon as the record stops being TLP:CLEAR;
 * - bad input and floods get clear 4xx / 429 answers.
 */

const CANARY = /CANARY[-_][A-Z0-9]/;
const hasChromium = (() => {
  try {
    execFileSync('test', ['-x', '/usr/bin/chromium']);
    return true;
  } catch {
    return false;
  }
})();

interface Mail { to: string; body: string }

describe.each(testBackends())('publish wing on %s', (backend) => {
  let db: Db;
  let app: App;
  let jobs: JobQueue;
  let rt: AlertRuntime;
  let owner: Actor;
  let other: Actor;
  let smtp: SMTPServer;
  let goodHook: Server;
  let badHook: Server;
  const mails: Mail[] = [];
  const goodBodies: { body: string; ok: boolean }[] = [];
  let badHits = 0;
  const publicIds: string[] = [];
  const privateIds: string[] = [];
  const lawIds: string[] = [];
  let verifiedId = '';
  let markedId = '';
  let goodSecret = '';
  let badSubId = '';
  const collected: { where: string; text: string }[] = [];

  const get = async (path: string, init?: RequestInit) => app.request(`http://localhost${path}`, init);
  const grab = async (path: string) => {
    const res = await get(path);
    const text = await res.text();
    collected.push({ where: path, text });
    return { status: res.status, text, res };
  };

  beforeAll(async () => {
    db = await backend.open();
    await bootstrapAdmin(db, { email: 'admin@example.org', password: 'correct horse battery staple', orgName: 'Lab' });
    const sys = await systemActor(db);
    const ana = await createUser(db, sys, { email: 'ana@example.org', name: 'Ana', role: 'analyst', password: 'correct horse battery staple' });
    owner = { userId: ana.id, label: 'ana@example.org', orgId: sys.orgId, role: 'analyst', scopes: null };
    const bob = await createUser(db, sys, { email: 'bob@partner.example', name: 'Bob', role: 'analyst', password: 'correct horse battery staple', orgName: 'Partner' });
    other = { userId: bob.id, label: 'bob@partner.example', orgId: (await db.query<{ org_id: string }>('select org_id from users where id = $1', [bob.id])).rows[0]!.org_id, role: 'analyst', scopes: null };

    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      onData(stream, session, cb) {
        let body = '';
        stream.on('data', (d: Buffer) => (body += d.toString('utf8')));
        stream.on('end', () => {
          // Quoted-printable soft breaks and escapes undone, so links read as sent.
          const text = body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));
          mails.push({ to: session.envelope.rcptTo.map((r) => r.address).join(','), body: text });
          cb();
        });
      },
    });
    await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
    goodHook = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        const ok = verifyWebhook(goodSecret, { timestamp: req.headers['x-stackwatch-timestamp'] as string, signature: req.headers['x-stackwatch-signature'] as string }, body);
        goodBodies.push({ body, ok });
        res.writeHead(ok ? 204 : 401).end();
      });
    });
    badHook = createServer((req, res) => {
      badHits++;
      req.resume();
      res.writeHead(500).end('down');
    });
    await new Promise<void>((r) => goodHook.listen(0, '127.0.0.1', () => r()));
    await new Promise<void>((r) => badHook.listen(0, '127.0.0.1', () => r()));

    jobs = new JobQueue(db, silentLogger);
    await jobs.start();
    const smtpPort = (smtp.server.address() as { port: number }).port;
    rt = configureAlerts({ db, jobs, log: silentLogger, baseUrl: 'http://localhost', smtpUrl: `smtp://127.0.0.1:${smtpPort}`, maxFailures: 3, retryLimit: 6, retryDelaySeconds: 1 });
    const { startAlerts } = await import('./alerts.js');
    await startAlerts(rt, { schedule: false }); // the test runs the scans itself
    process.env.STACKWATCH_PUBLIC_RATE = '1000000'; // app.request() has no client address: one bucket for the whole test
    app = buildApp({ db, log: silentLogger, webDir: '/nonexistent' });
    // The first scan records what is already public without announcing it.
    expect(await scanAlerts(rt)).toEqual({ announced: 0, deliveries: 0 });
  }, 120_000);

  afterAll(async () => {
    await jobs?.stop();
    await new Promise<void>((r) => smtp?.close(() => r()));
    goodHook?.close();
    badHook?.close();
    await db?.close();
  });

  it('subscribes: two webhooks (admin API), a confirmed and an unconfirmed e-mail address (double opt-in)', async () => {
    const admin = await import('../platform/testing.js').then((m) => new m.TestClient({ request: (p, i) => app.request(p, i) }));
    expect((await admin.login('admin@example.org', 'correct horse battery staple')).status).toBe(200);
    const good = await admin.json('POST', '/api/publish/webhooks', { url: `http://127.0.0.1:${(goodHook.address() as { port: number }).port}/hook`, countries: ['CM'] });
    expect(good.status).toBe(201);
    goodSecret = good.body.secret;
    const bad = await admin.json('POST', '/api/publish/webhooks', { url: `http://127.0.0.1:${(badHook.address() as { port: number }).port}/hook` });
    badSubId = bad.body.id;
    expect((await admin.json('POST', '/api/publish/webhooks', { url: 'ftp://x', countries: ['ZZ'] })).body.error.field).toBeTruthy();

    for (const email of ['confirmed@example.org', 'unconfirmed@example.org']) {
      const res = await get('/api/public/subscriptions/email', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, country: 'CM' }) });
      expect(res.status).toBe(202);
    }
    await waitFor(() => mails.length >= 2);
    const confirmMail = mails.find((m) => m.to === 'confirmed@example.org')!;
    const link = /\/public\/alerts\/confirm\?token=([\w-]+)/.exec(confirmMail.body)!;
    expect((await get(link[0])).status).toBe(200);
    expect((await get(link[0])).status).toBe(404); // used once
    // Admins see e-mail subscriptions masked, never the address.
    const subs = await admin.json('GET', '/api/publish/subscriptions');
    expect(JSON.stringify(subs.body)).not.toContain('confirmed@example.org');
    expect(subs.body.items.filter((s: { channel: string }) => s.channel === 'email')).toHaveLength(2);
  });

  it('stores records at every TLP level and status with canaries, and the public ones', async () => {
    const mk = async (actor: Actor, tlp: string, status: string, label: string, extra: Record<string, unknown> = {}) => {
      const i = await createIncident(db, actor, {
        type: 'shutdown.full', title: `${label} title`, country: 'CM', startAt: '2022-03-01', endAt: '2022-03-04', tlp: tlp as never, status: status as never,
        summary: `${label} summary`, description: `${label} description`, tags: [`${label.toLowerCase()}-tag`], redRecipients: tlp === 'TLP:RED' ? [actor.userId!] : undefined,
        actors: [{ name: `${label} ministry`, role: 'ordered_by' }], ...extra,
      });
      await addSource(db, actor, i.id, { url: `https://example.org/${label}/source`, title: `${label} source`, publisher: `${label} publisher` });
      await addDocument(db, actor, i.id, { fileName: `${label}.txt`, contentBase64: Buffer.from(`${label} document body`).toString('base64'), title: `${label} document` });
      await attachEvidence(db, actor, i.id, { kind: 'other', ref: `${label}-ref`, summary: `${label} evidence`, data: { note: `${label} data` } });
      return i;
    };
    for (const tlp of TLP_LABELS) {
      for (const status of ['draft', 'under_review', 'verified', 'disputed', 'closed']) {
        if (tlp === 'TLP:CLEAR' && (status === 'verified' || status === 'closed')) continue;
        const tag = `CANARY-${tlp.slice(4).replace('+', '')}-${status.toUpperCase()}`;
        privateIds.push((await mk(owner, tlp, status, tag)).id);
      }
    }
    privateIds.push((await mk(other, 'TLP:AMBER', 'verified', 'CANARY-PARTNER')).id);
    const pub = await mk(owner, 'TLP:CLEAR', 'verified', 'PUBLICOK-VERIFIED');
    verifiedId = pub.id;
    publicIds.push(pub.id);
    const marked = await mk(owner, 'TLP:CLEAR', 'disputed', 'PUBLICOK-MARKED', { tags: ['public'] });
    markedId = marked.id;
    publicIds.push(marked.id);
    // An analyst's earlier wording stays in the change history, which is never public.
    const cur = await getIncident(db, owner, pub.id);
    await updateIncident(db, owner, pub.id, { version: cur.version, title: 'CANARY-NOTE old wording' } as never);
    const cur2 = await getIncident(db, owner, pub.id);
    await updateIncident(db, owner, pub.id, { version: cur2.version, title: 'PUBLICOK-VERIFIED title' } as never);
    // Ledger rows entered by analysts at every TLP level: only the TLP:CLEAR one may count on the public site.
    const ledger = await ledgerFor(db);
    for (const tlp of TLP_LABELS) {
      const label = tlp === 'TLP:CLEAR' ? 'PUBLICOK-LEDGER' : `CANARY-LEDGER-${tlp.slice(4).replace('+', '')}`;
      await addIntervention(db, ledger, owner, {
        provider: `${label} registrar`, action: tlp === 'TLP:CLEAR' ? 'domain_seized' : 'certificate_revoked', requesterCountry: 'CM', requester: `${label} ministry`,
        legalBasis: `${label} decree`, target: `${label.toLowerCase()}.example.org`, startDate: '2022-03-02', sources: [`https://example.org/${label}`], tlp,
      });
    }
    for (const tlp of TLP_LABELS) {
      const label = tlp === 'TLP:CLEAR' ? 'PUBLICOK-LAW' : `CANARY-LAW-${tlp.slice(4).replace('+', '')}`;
      const law = await createLaw(db, owner, { country: 'CM', title: `${label} title`, status: 'passed', tlp: tlp as never, summary: `${label} summary`, articles: [{ ref: 'Art. 1', text: `${label} article`, concern: `${label} concern` }] });
      await linkLaw(db, owner, law.id, pub.id, true);
      lawIds.push(law.id);
    }
  });

  it('announces the newly verified incident exactly once: one Atom entry, one signed webhook, one e-mail to the confirmed address only', async () => {
    const before = mails.length;
    const r = await scanAlerts(rt);
    expect(r.announced).toBe(1);
    expect((await scanAlerts(rt)).announced).toBe(0);
    await waitFor(() => goodBodies.length >= 1 && mails.length >= before + 1);
    await new Promise((res) => setTimeout(res, 1500));
    expect(goodBodies).toHaveLength(1);
    expect(goodBodies[0]!.ok).toBe(true);
    expect(JSON.parse(goodBodies[0]!.body).data.ref).toBe(verifiedId);
    const alerts = mails.slice(before);
    expect(alerts.map((m) => m.to)).toEqual(['confirmed@example.org']);
    expect(alerts[0]!.body).toContain('List-Unsubscribe');
    const atom = await grab('/public/feeds/incidents.atom');
    expect(atom.text.match(/<entry>/g)).toHaveLength(1);
    expect(atom.text).toContain('PUBLICOK-VERIFIED');
    expect((await grab('/public/feeds/incidents.atom?country=IR')).text).not.toContain('<entry>');
    // The failing receiver is retried through the job queue with back-off, then disabled.
    await waitFor(async () => (await db.query(`select disabled_at from publish_subscriptions where id = $1`, [badSubId])).rows[0]?.disabled_at != null, 40_000);
    expect(badHits).toBe(3);
    const log = (await db.query<{ status: string; attempts: number }>(`select status, attempts from publish_deliveries where subscription_id = $1`, [badSubId])).rows;
    expect(log).toEqual([{ status: 'abandoned', attempts: 3 }]);
    // Unsubscribe from the link in the alert: the address is deleted.
    const link = /\/public\/alerts\/unsubscribe\?token=([\w.-]+)/.exec(alerts[0]!.body)!;
    expect((await get(link[0])).status).toBe(200);
    expect((await get(link[0], { method: 'POST' })).status).toBe(200);
    expect((await db.query(`select 1 from publish_subscriptions where email = 'confirmed@example.org'`)).rows).toHaveLength(0);
    expect((await get(link[0], { method: 'POST' })).status).toBe(404);
    for (const m of mails) collected.push({ where: `mail to ${m.to}`, text: m.body });
    for (const w of goodBodies) collected.push({ where: 'webhook', text: w.body });
  }, 60_000);

  it('never shows a canary on any public byte, and shows the public records', async () => {
    const pages: string[] = [];
    for (const l of ['en', 'fr', 'es', 'ar']) {
      pages.push(`/public/${l}/`, `/public/${l}/incidents`, `/public/${l}/incidents?country=CM`, `/public/${l}/incidents?q=CANARY`, `/public/${l}/incidents?q=PUBLICOK`,
        `/public/${l}/countries`, `/public/${l}/countries/CM`, `/public/${l}/laws`, `/public/${l}/laws?country=CM`, `/public/${l}/methodology`, `/public/${l}/methodology/stop`,
        `/public/${l}/reports`, `/public/${l}/reports/annual/2022`, `/public/${l}/reports/country?country=CM&from=2020-01-01&to=2030-12-31`, `/public/${l}/data`, `/public/${l}/alerts`);
      for (const id of [...publicIds, ...privateIds]) pages.push(`/public/${l}/incidents/${id}`);
      for (const id of lawIds) pages.push(`/public/${l}/laws/${id}`);
    }
    pages.push('/public/sitemap.xml', '/public/feeds/incidents.atom?country=CM', '/public/embed/CM/map', '/public/embed/CM/timeline', '/public/embed/CM/chart?lang=ar', '/public/en/nope', '/public/en/incidents?country=ZZ',
      '/api/public/incidents', '/api/public/incidents?q=CANARY', '/api/public/incidents?country=CM&pageSize=200', '/api/public/countries', '/api/public/countries/CM', '/api/public/laws',
      '/api/public/laws?country=CM', '/api/public/stop-rows?year=2022', '/api/public/reports/annual/2022', '/api/public/outages', '/api/public/snapshot', '/api/public/nothing');
    for (const id of [...publicIds, ...privateIds]) pages.push(`/api/public/incidents/${id}`);
    for (const p of pages) await grab(p);
    const snap = JSON.parse((await grab('/public/data/latest/manifest.json')).text) as { files: { name: string; sha256: string }[] };
    for (const f of snap.files) {
      const res = await get(`/public/data/latest/${f.name}`);
      const buf = Buffer.from(await res.arrayBuffer());
      expect((await import('node:crypto')).createHash('sha256').update(buf).digest('hex')).toBe(f.sha256);
      collected.push({ where: f.name, text: buf.toString('utf8') });
    }
    // Follow every public link once more (pages link to queries, feeds and embeds).
    const seen = new Set(collected.map((c) => c.where));
    const links = new Set<string>();
    for (const c of collected) for (const m of c.text.matchAll(/(?:href|src)="(\/(?:public|api\/public)\/[^"#]*)"/g)) links.add(m[1]!.replace(/&amp;/g, '&'));
    for (const l of [...links].filter((x) => !seen.has(x) && !x.endsWith('.pdf')).slice(0, 400)) await grab(l);
    if (hasChromium) {
      const pdf = await htmlToPdf(await countryReportHtml(db, 'CM', '2020-01-01T00:00:00Z', '2030-12-31T23:59:59Z', 'en'));
      const dir = mkdtempSync(join(tmpdir(), 'sw-leak-'));
      writeFileSync(join(dir, 'r.pdf'), pdf);
      collected.push({ where: 'country report PDF', text: execFileSync('pdftotext', [join(dir, 'r.pdf'), '-']).toString('utf8') });
    }
    const leaks = collected.filter((c) => CANARY.test(c.text)).map((c) => `${c.where}: …${c.text.slice(Math.max(0, c.text.search(CANARY) - 60), c.text.search(CANARY) + 40)}…`);
    expect(leaks).toEqual([]);
    expect(collected.length).toBeGreaterThan(250);
    const all = collected.map((c) => c.text).join('\n');
    for (const s of ['PUBLICOK-VERIFIED title', 'PUBLICOK-VERIFIED source', 'PUBLICOK-VERIFIED evidence', 'PUBLICOK-MARKED title', 'PUBLICOK-LAW title']) expect(all).toContain(s);
    // Private ids answer exactly like ids that never existed.
    for (const id of privateIds) expect((await get(`/api/public/incidents/${id}`)).status).toBe(404);
    const stats = JSON.parse((await grab('/api/public/countries')).text) as { items: { country: string; count: number }[] };
    expect(stats.items).toEqual([{ country: 'CM', count: 2, shutdownDays: 4 }]);
    // The ledger on the country page and API: the one TLP:CLEAR intervention, none of the GREEN/AMBER/RED ones.
    const cm = JSON.parse((await grab('/api/public/countries/CM')).text) as { takedownDemands: { interventions: { action: string; count: number }[] } };
    expect(cm.takedownDemands.interventions).toEqual([{ layer: 'dns', action: 'domain_seized', count: 1, providers: 1 }]);
    expect(await (await get('/public/en/countries/CM')).text()).toContain('domain_seized');
    expect(await (await get('/public/en/methodology/ledger')).text()).toContain('Google Transparency Report');
  }, 120_000);

  it('writes versioned snapshots on demand (admin) and through the job queue, serves them unchanged, keeps N, withdraws one that holds a record no longer public', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-snapshots-'));
    bindSnapshotStore(db, { dir, keep: 2 });
    const admin = await import('../platform/testing.js').then((m) => new m.TestClient({ request: (p, i) => app.request(p, i) }));
    expect((await admin.login('admin@example.org', 'correct horse battery staple')).status).toBe(200);
    expect((await get('/api/publish/snapshots', { method: 'POST' })).status).toBe(401);
    const first = await admin.json('POST', '/api/publish/snapshots');
    expect(first.status).toBe(200);
    expect(first.body.created).toBe(true);
    const v1 = first.body.version as string;
    expect((await admin.json('POST', '/api/publish/snapshots')).body).toMatchObject({ version: v1, created: false }); // same data, same version
    expect((await db.query(`select count(*)::int n from audit_log where action = 'publish.snapshot'`)).rows[0]).toEqual({ n: 2 });
    const closed = (label: string) => createIncident(db, owner, { type: 'shutdown.mobile', title: `${label} title`, country: 'TD', startAt: '2021-05-01', endAt: '2021-05-02', tlp: 'TLP:CLEAR', status: 'closed', summary: `${label} summary` } as never);
    // The scheduled job: the queue's handler writes the next version.
    await closed('PUBLICOK-SNAP-A');
    await startSnapshots(jobs, db, silentLogger);
    await jobs.send(SNAPSHOT_QUEUE, {});
    await waitFor(async () => (await listVersions(dir)).length === 2, 30_000);
    const v2 = (await listVersions(dir))[0]!.version;
    expect(v2).not.toBe(v1);
    const x = await closed('PUBLICOK-SNAP-X');
    const third = await admin.json('POST', '/api/publish/snapshots');
    const v3 = third.body.version as string;
    expect(third.body.removed).toEqual([v1]); // retention: the newest 2
    const listed = JSON.parse((await grab('/api/public/snapshots')).text) as { keep: number; items: { version: string; files: { name: string; sha256: string; bytes: number }[] }[] };
    expect(listed.items.map((v) => v.version)).toEqual([v3, v2]);
    for (const v of listed.items) {
      const manifest = await get(`/public/data/${v.version}/manifest.json`);
      expect(manifest.status).toBe(200);
      expect((JSON.parse(await manifest.text()) as { files: unknown[] }).files).toEqual(v.files);
      for (const f of v.files) {
        const res = await get(`/public/data/${v.version}/${f.name}`);
        const buf = Buffer.from(await res.arrayBuffer());
        expect(buf.length, f.name).toBe(f.bytes);
        expect((await import('node:crypto')).createHash('sha256').update(buf).digest('hex'), `${v.version}/${f.name}`).toBe(f.sha256);
        expect(CANARY.test(buf.toString('utf8')), `${v.version}/${f.name}`).toBe(false);
      }
    }
    expect((await get(`/public/data/${v3}/incidents.json`).then((r) => r.text()))).toContain('PUBLICOK-SNAP-X');
    expect(await (await get('/public/en/data')).text()).toContain(`/public/data/${v3}/incidents.csv`);
    for (const bad of [`/public/data/${v1}/incidents.csv`, `/public/data/${v3}/..%2F..%2Fpasswd`, `/public/data/${v3}/nope.csv`, '/public/data/2020-01-01-000000000000/manifest.json']) {
      expect((await get(bad)).status, bad).toBe(404);
    }
    // X stops being public: the version that holds it is withdrawn at once, and removed by the next run.
    const cur = await getIncident(db, owner, x.id);
    await updateIncident(db, owner, x.id, { version: cur.version, tlp: 'TLP:GREEN' } as never);
    expect((await get(`/public/data/${v3}/incidents.json`)).status).toBe(410);
    expect((await get(`/public/data/${v3}/manifest.json`)).status).toBe(410);
    expect((JSON.parse(await (await get('/api/public/snapshots')).text()) as { items: { version: string }[] }).items.map((v) => v.version)).toEqual([v2]);
    expect(await (await get('/public/en/data')).text()).not.toContain(v3);
    const fourth = await admin.json('POST', '/api/publish/snapshots');
    expect(fourth.body.removed).toContain(v3);
    expect((await listVersions(dir)).map((v) => v.version)).not.toContain(v3);
  }, 60_000);

  it('stops serving a record the moment it stops being TLP:CLEAR (pages, API, feed, embeds, snapshot)', async () => {
    const page = `/public/en/incidents/${verifiedId}`;
    expect((await get(page)).status).toBe(200);
    // Every cached view that shows the record, filled before the change (each twice: the second answer is the cache's).
    const views = ['/public/en/', '/public/ar/', '/public/en/incidents', '/public/en/incidents?country=CM', '/public/en/countries/CM', '/public/fr/countries/CM',
      '/public/en/reports/country?country=CM&from=2020-01-01&to=2030-12-31', '/public/feeds/incidents.atom', '/public/feeds/incidents.atom?country=CM',
      '/public/embed/CM/timeline', '/public/embed/CM/map', '/public/embed/CM/chart', '/public/sitemap.xml', '/public/en/data', '/public/data/latest/incidents.csv',
      '/public/data/latest/incidents.json', '/api/public/incidents', '/api/public/incidents?country=CM', '/api/public/countries/CM', `/api/public/incidents/${verifiedId}`];
    const shown: string[] = [];
    for (const v of views) {
      await get(v);
      if ((await (await get(v)).text()).includes(verifiedId) || (await (await get(v)).text()).includes('PUBLICOK-VERIFIED')) shown.push(v);
    }
    expect(shown.length).toBeGreaterThanOrEqual(12); // the test means something only if the record was in the caches
    const etag = (await get(`/api/public/incidents/${verifiedId}`)).headers.get('etag')!;
    expect((await get(`/api/public/incidents/${verifiedId}`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    const cur = await getIncident(db, owner, verifiedId);
    await updateIncident(db, owner, verifiedId, { version: cur.version, tlp: 'TLP:AMBER' } as never);
    expect((await get(page)).status).toBe(404);
    expect((await get(`/api/public/incidents/${verifiedId}`, { headers: { 'if-none-match': etag } })).status).toBe(404);
    for (const p of ['/public/en/', '/public/en/incidents?country=CM', '/public/feeds/incidents.atom', '/public/en/countries/CM', '/api/public/incidents', '/public/sitemap.xml', ...views]) {
      const text = await (await get(p)).text();
      expect(text, p).not.toContain('PUBLICOK-VERIFIED');
      expect(text, p).not.toContain(verifiedId);
    }
    await scanAlerts(rt);
    expect((await db.query(`select withdrawn from publish_events where ref = $1`, [verifiedId])).rows[0]?.withdrawn).toBe(true);
    // And back: a second handle of the same PostgreSQL database (another process) sees the change too.
    if (backend.openAnother) {
      const db2 = await backend.openAnother(db);
      try {
        const app2 = buildApp({ db: db2, log: silentLogger, webDir: '/nonexistent' });
        expect((await app2.request(`http://localhost/public/en/incidents/${markedId}`)).status).toBe(200);
        const c3 = await getIncident(db, owner, markedId);
        await updateIncident(db, owner, markedId, { version: c3.version, tags: [] } as never);
        await waitFor(async () => (await app2.request(`http://localhost/public/en/incidents/${markedId}`)).status === 404, 5000);
      } finally {
        await db2.close();
      }
    }
  }, 30_000);

  it('rebuilds cached public pages when the publishing settings change (the site name on the home page)', async () => {
    const home = '/public/en/';
    await get(home);
    const cached = await (await get(home)).text(); // the second answer is the cache's
    const name = 'Observatoire PUBNAME-7';
    expect(cached).not.toContain(name);
    const cur = await getSettings(db, owner.orgId);
    await updateSettings(db, owner, { ...cur, publicName: name });
    try {
      expect(await (await get(home)).text()).toContain(name);
    } finally {
      await updateSettings(db, owner, cur);
    }
    expect(await (await get(home)).text()).not.toContain(name);
  });

  it('answers bad input with a clear 4xx naming the field, and a flood with 429 while staying up', async () => {
    const bad = await get('/api/public/incidents?country=ZZ');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { field: string } }).error.field).toBe('country');
    expect((await get('/api/public/incidents?type=nonsense')).status).toBe(400);
    const huge = await get('/api/public/incidents?page=999999999');
    expect(huge.status).toBe(400);
    expect(await huge.text()).toContain('page');
    expect((await get('/api/public/incidents?unknown=1')).status).toBe(400);
    const html = await get('/public/en/incidents?page=1e12');
    expect(html.status).toBe(400);
    expect(await html.text()).toContain('page');
    expect((await get('/public/en/countries/ZZ')).status).toBe(404);
    expect((await get('/api/public/stop-rows?year=1999')).status).toBe(400);
    // A flood from one address: the limiter answers 429 with Retry-After, the server keeps serving.
    const { publishRoutes } = await import('./api.js');
    const { routeTestApp } = await import('../platform/test-users.js');
    const small = routeTestApp(db, publishRoutes({ ratePerMinute: 60 }));
    const codes: number[] = [];
    for (let i = 0; i < 80; i++) codes.push((await small.request('http://localhost/api/public/countries')).status);
    const served = codes.filter((s) => s === 200).length;
    expect(served).toBeGreaterThanOrEqual(30);
    expect(served).toBeLessThanOrEqual(33);
    const limited = await small.request('http://localhost/api/public/countries');
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as { error: { message: string } }).error.message).toMatch(/Too many requests/);
    expect((await get('/public/en/')).status).toBe(200);
  });

  it('documents every public and admin route with its access in the OpenAPI document, and serves CORS on the public API', async () => {
    const doc = (await (await get('/api/openapi.json')).json()) as { paths: Record<string, Record<string, Record<string, unknown>>> };
    const mine = Object.entries(doc.paths).filter(([p]) => p.startsWith('/public/') || p.startsWith('/publish/'));
    expect(mine.length).toBeGreaterThanOrEqual(15);
    for (const [p, ops] of mine) for (const [m, op] of Object.entries(ops)) expect(op['x-stackwatch-access'], `${m} ${p}`).toBe(p.startsWith('/public/') ? 'public' : 'admin');
    const res = await get('/api/public/countries', { headers: { origin: 'https://partner.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const embed = await get('/public/embed/CM/map');
    expect(embed.headers.get('x-frame-options')).toBeNull();
    expect(embed.headers.get('content-security-policy')).toContain('frame-ancestors *');
    expect((await get('/public/en/')).headers.get('x-frame-options')).toBe('DENY');
    // The map of the home page is framed by this site's pages only (an <iframe>).
    const map = await get('/public/en/map.svg');
    expect(map.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(map.headers.get('content-security-policy')).toContain("frame-ancestors 'self'");
    expect((await get('/api/publish/subscriptions')).status).toBe(401);
  });
});

async function waitFor(fn: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out waiting');
}
