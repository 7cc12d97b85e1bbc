/**
 * The ledger's API and CLI against a real registry (PGlite, and PostgreSQL when TEST_DATABASE_URL is set): TLP and
 * roles on analyst-entered rows, interventions (form and CSV), Lumen notices, a transparency CSV through a mapping
 * (API and CLI), CSV export, surges and interventions becoming draft incidents without duplicates, the timeline.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureCli, TestClient, testBackends } from '../platform/testing.js';
import type { App } from '../platform/http.js';
import { routeTestApp, signInTestUsers, testClients, TEST_PASSWORD } from '../platform/test-users.js';
import { createUser } from '../platform/auth.js';
import { createIncident, createLaw, getIncident } from '../incidents/service.js';
import type { Db } from '../platform/db.js';
import { incidentRoutes } from '../incidents/routes.js';
import { bindLedger, closeLedgerFor, openDuckLedger, type LedgerEngine } from './engine.js';
import { ledgerRoutes } from './routes.js';
import { importGoogle } from './import/google.js';
import { importLumen } from './import/lumen.js';
import { commands } from './cli.js';
import type { Actor } from '../platform/audit.js';

const GOOGLE = join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'transparency', 'google', 'google-government-removal-requests.csv');
const FIX = join(import.meta.dirname, 'fixtures');
const cmd = (words: string[]) => commands.find((c) => c.path.join(' ') === words.join(' '))!;

describe.each(testBackends())('ledger API on %s', (backend) => {
  let db: Db;
  let app: App;
  let e: LedgerEngine;
  let sys: Actor;
  const { analyst, viewer, anon } = testClients(() => app);
  const partner = new TestClient({ request: (p, i) => app.request(p, i) });
  const outsider = new TestClient({ request: (p, i) => app.request(p, i) });

  beforeAll(async () => {
    db = await backend.open();
    e = await openDuckLedger();
    bindLedger(db, e);
    app = routeTestApp(db, incidentRoutes(), ledgerRoutes());
    sys = await signInTestUsers(db, { analyst, viewer });
    await createUser(db, sys, { email: 'partner@example.org', name: 'Pa', role: 'partner', password: TEST_PASSWORD });
    await createUser(db, sys, { email: 'other@example.net', name: 'Ot', role: 'analyst', password: TEST_PASSWORD, orgName: 'Other org' });
    expect((await partner.login('partner@example.org', TEST_PASSWORD)).status).toBe(200);
    expect((await outsider.login('other@example.net', TEST_PASSWORD)).status).toBe(200);
    await importGoogle(e, GOOGLE);
  }, 60_000);
  afterAll(async () => {
    await closeLedgerFor(db);
    await db?.close();
  });

  it('answers the named queries, with the caveat, as JSON and CSV; errors name the field', async () => {
    expect((await anon.json('GET', '/api/ledger/queries/requests?country=RU&year=2022')).status).toBe(401);
    const r = await viewer.json('GET', '/api/ledger/queries/requests?country=RU&year=2022');
    expect(r.status).toBe(200);
    expect(r.body.rows).toEqual([expect.objectContaining({ country: 'RU', year: 2022, requests_low: 57958, requests_high: 57958 })]);
    expect(r.body.caveat).toMatch(/at least/);
    const csv = await viewer.call('GET', '/api/ledger/queries/compliance?country=VN&by=year,requester_type&format=csv');
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const text = await csv.text();
    expect(text.split('\r\n')[0]).toBe('year,requester_type,requests_low,requests_high,items_low,items_high,share_removed,share_removed_law,share_removed_policy,rows');
    expect(decodeURIComponent(csv.headers.get('x-stackwatch-caveat') ?? '')).toMatch(/Google/);
    const bad = await viewer.json('GET', '/api/ledger/queries/requests?country=Russia');
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/country/);
    const cmp = await viewer.json('GET', '/api/ledger/compare?a=TR&b=RU&from=2022&to=2023');
    expect(cmp.body.rows).toContainEqual(expect.objectContaining({ year: 2022, RU_requests: 57958 }));
  });

  it('holds TLP and roles on rows analysts enter; public data sets stay CLEAR', async () => {
    const base = { provider: 'Cloudflare', action: 'cdn_dropped', requesterCountry: 'TR', requesterType: 'court', target: 'amber.example.org', startDate: '2023-05-01', sources: ['https://example.org/report'] };
    expect((await viewer.json('POST', '/api/ledger/interventions', { ...base, tlp: 'TLP:CLEAR' })).status).toBe(403);
    const amber = await analyst.json('POST', '/api/ledger/interventions', { ...base, tlp: 'TLP:AMBER' });
    expect(amber.status).toBe(201);
    expect(amber.body).toMatchObject({ stack_layer: 'cdn', tlp: 'TLP:AMBER', record_kind: 'intervention' });
    const green = await analyst.json('POST', '/api/ledger/interventions', { ...base, target: 'green.example.org', action: 'domain_suspended', provider: 'Registry X', tlp: 'TLP:GREEN' });
    expect(green.status).toBe(201);
    expect(green.body.stack_layer).toBe('dns');
    const red = await analyst.json('POST', '/api/ledger/interventions', { ...base, target: 'red.example.org', tlp: 'TLP:RED' });
    expect(red.status).toBe(201);
    const bad = await analyst.json('POST', '/api/ledger/interventions', { ...base, action: 'nuked', tlp: 'TLP:CLEAR' });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/action/);
    const targets = async (c: TestClient) => ((await c.json('GET', '/api/ledger/queries/rows?kind=intervention')).body.rows as { target: string }[]).map((r) => r.target).sort();
    expect(await targets(analyst)).toEqual(['amber.example.org', 'green.example.org', 'red.example.org']);
    expect(await targets(viewer)).toEqual(['amber.example.org', 'green.example.org']); // same org; RED only its author
    expect(await targets(partner)).toEqual(['green.example.org']); // partners: CLEAR and GREEN only
    expect(await targets(outsider)).toEqual(['green.example.org']); // another organisation: no AMBER
    const layers = await partner.json('GET', '/api/ledger/queries/interventionsByLayer');
    expect(layers.body.rows).toEqual([{ stack_layer: 'dns', action: 'domain_suspended', interventions: 1, providers: 1 }]);
    const tlps = await e.all(`SELECT DISTINCT tlp FROM ledger_demands WHERE dataset LIKE 'google%'`);
    expect(tlps).toEqual([{ tlp: 'TLP:CLEAR' }]);
    const audit = await db.query<{ action: string }>(`select action from audit_log where action like 'ledger.%'`);
    expect(audit.rows.filter((a) => a.action === 'ledger.intervention.create')).toHaveLength(3);
  });

  it('imports interventions from a CSV, flagging bad rows with the reason', async () => {
    const text = 'provider,layer,action,requester_country,requester_type,target,start_date,sources,tlp\n' +
      'Let\'s Encrypt,,certificate_revoked,RU,regulator,news.example.ru,2022-03-05,https://example.org/a,TLP:CLEAR\n' +
      'Stripe,payment,payments_cut,RU,executive_police,fund.example.org,2022-03-07,,TLP:CLEAR\n' +
      'Apple,,app_removed,RU,regulator,,2022-03-09,,TLP:CLEAR\n';
    const r = await analyst.json('POST', '/api/ledger/interventions/csv', { fileName: 'infra.csv', text });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ rowsRead: 3, rowsLoaded: 2, rowsFlagged: 1 });
    expect(r.body.flags[0]).toMatchObject({ row_no: 4, reason: expect.stringMatching(/target/) });
    const again = await analyst.json('POST', '/api/ledger/interventions/csv', { fileName: 'infra.csv', text });
    expect(again.body.skipped).toBe(true);
  });

  it('imports Lumen notices (a search page and a single notice), flagging what does not fit', async () => {
    const s = await importLumen(e, join(FIX, 'lumen-search.json'));
    expect(s).toMatchObject({ rowsRead: 4, rowsLoaded: 2, rowsFlagged: 2 });
    expect(s.flags.map((f) => f.reason).join(' | ')).toMatch(/no usable date.*\|.*id/);
    const one = await importLumen(e, join(FIX, 'lumen-notice.json'));
    expect(one.rowsLoaded).toBe(1);
    const rows = (await viewer.json('GET', '/api/ledger/queries/rows?dataset=lumen')).body.rows as Record<string, unknown>[];
    expect(rows.find((r) => r.requester_type === 'court')).toMatchObject({ requester_country: 'TR', platform: 'Twitter', outcome: 'partial', items_low: 2, period_end: '2023-04-03' });
    expect(rows.find((r) => r.requester_country === 'US')).toMatchObject({ outcome: 'unknown', items_low: 3, requester_type: 'private_party' });
  });

  it('imports an unseen transparency CSV through a mapping: preview, save, import (API) — and the same from the CLI', async () => {
    const text = readFileSync(join(FIX, 'meta-restrictions.csv'), 'utf8');
    const mapping = JSON.parse(readFileSync(join(FIX, 'meta-mapping.json'), 'utf8'));
    const bad = await analyst.json('POST', '/api/ledger/mapping/preview', { text, mapping: { ...mapping, columns: { ...mapping.columns, platform: undefined } } });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(bad.body)).toMatch(/platform/);
    const pv = await analyst.json('POST', '/api/ledger/mapping/preview', { text, mapping });
    expect(pv.body.rows).toHaveLength(5);
    expect(pv.body.rows[1].row).toMatchObject({ requests_low: 1, requests_high: 9, requester_country: 'TR', period_end: '2023-06-30', period_start: '2023-01-01' });
    expect(pv.body.rows[3].problem).toMatch(/requests/);
    expect((await analyst.json('POST', '/api/ledger/mappings', mapping)).status).toBe(200);
    expect((await viewer.json('GET', '/api/ledger/mappings')).body.items.map((m: { name: string }) => m.name)).toEqual(['meta-restrictions']);
    const imp = await analyst.json('POST', '/api/ledger/imports/generic', { fileName: 'meta-restrictions.csv', text, mapping });
    expect(imp.body).toMatchObject({ rowsRead: 5, rowsLoaded: 4, rowsFlagged: 1 });
    const vn = await viewer.json('GET', '/api/ledger/queries/rows?country=VN&dataset=generic:meta-restrictions');
    expect(vn.body.rows).toEqual([expect.objectContaining({ requests_low: 95, items_low: 410, pct_complied: 90, platform: 'Meta', product: 'Facebook', tlp: 'TLP:CLEAR' })]);

    const dir = mkdtempSync(join(tmpdir(), 'ledger-cli-'));
    try {
      const env = { STACKWATCH_DATA_DIR: dir };
      const run = await captureCli(cmd(['ledger', 'import']).run, ['csv', join(FIX, 'meta-restrictions.csv'), '--map', join(FIX, 'meta-mapping.json'), '--quiet'], env);
      expect(run.err).toBe('');
      expect(run.out).toMatch(/5 rows read, 4 loaded, 1 flagged/);
      expect(run.out).toMatch(/line 5: requests: "abc" is not a count/);
      const q = await captureCli(cmd(['ledger', 'query']).run, ['requests', '--country', 'TR', '--year', '2023', '--series', 'all', '--json'], env);
      expect(q.out.trim()).toBe('{"at_least":601,"at_most":609}');
      const noMap = await captureCli(cmd(['ledger', 'import']).run, ['csv', join(FIX, 'meta-restrictions.csv')], env).catch((x: Error) => ({ code: 2, out: '', err: x.message }));
      expect(noMap.err).toMatch(/--map/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('turns surges and interventions into draft incidents with the rows as evidence, never twice', async () => {
    const s = await viewer.json('GET', '/api/ledger/surges');
    expect(s.body.rule).toMatch(/2× the mean of the previous 4/);
    expect(s.body.surges.length).toBeGreaterThan(0);
    const one = s.body.surges[0] as { country: string; halfYear: string; requests: number; trailingMean: number };
    expect(one.requests).toBeGreaterThan(2 * one.trailingMean);
    expect((await viewer.json('POST', '/api/ledger/surges/link', { country: one.country })).status).toBe(403);
    const first = await analyst.json('POST', '/api/ledger/surges/link', { country: one.country });
    expect(first.status).toBe(200);
    const mine = first.body.links.filter((l: { key: string }) => l.key.endsWith(one.halfYear));
    expect(mine[0]).toMatchObject({ created: true, attachedTo: 'new' });
    const second = await analyst.json('POST', '/api/ledger/surges/link', { country: one.country });
    expect(second.body.links.find((l: { key: string }) => l.key === mine[0].key)).toMatchObject({ incidentId: mine[0].incidentId, created: false });
    const inc = await getIncident(db, sys, mine[0].incidentId);
    expect(inc).toMatchObject({ type: 'takedown.content', status: 'draft', origin: 'ledger', country: one.country });
    const ev = await db.query<{ n: number }>('select count(*)::int n from incident_evidence where incident_id = $1 and kind = $2', [mine[0].incidentId, 'takedown_record']);
    expect(ev.rows[0]!.n).toBe(1);
    // an analyst's existing incident about the same target takes the evidence instead of a new one
    const existing = await createIncident(db, sys, { type: 'infrastructure.certificate', title: 'Certificate of news.example.ru revoked', country: 'RU', startAt: '2022-03-01', endAt: '2022-03-31', tlp: 'TLP:CLEAR' });
    const links = await analyst.json('POST', '/api/ledger/interventions/link', { country: 'RU' });
    const byTarget = links.body.links as { incidentId: string; attachedTo: string; created: boolean }[];
    expect(byTarget.find((l) => l.incidentId === existing.id)).toMatchObject({ attachedTo: 'existing' });
    expect(byTarget.filter((l) => l.attachedTo === 'new')).toHaveLength(1); // Stripe
    const again = await analyst.json('POST', '/api/ledger/interventions/link', { country: 'RU' });
    expect((again.body.links as { created: boolean }[]).every((l) => !l.created)).toBe(true);
  });

  it('lays demands, interventions, shutdowns and laws of one country on one timeline', async () => {
    await createIncident(db, sys, { type: 'throttling', title: 'Twitter throttled after the earthquake', country: 'TR', startAt: '2023-02-08', endAt: '2023-02-10', tlp: 'TLP:CLEAR', status: 'verified' });
    await createLaw(db, sys, { country: 'TR', title: 'Disinformation law (Law 7418)', status: 'in_force', tlp: 'TLP:CLEAR', timeline: [{ status: 'passed', date: '2022-10-13' }] });
    const t = await viewer.json('GET', '/api/ledger/timeline?country=TR&from=2022-01-01&to=2023-12-31');
    expect(t.status).toBe(200);
    const lanes = new Set((t.body.items as { lane: string }[]).map((i) => i.lane));
    expect([...lanes].sort()).toEqual(['demands', 'interventions', 'laws', 'shutdowns']);
    expect(t.body.items.find((i: { lane: string }) => i.lane === 'laws').title).toMatch(/Disinformation law/);
    expect((await viewer.json('GET', '/api/ledger/timeline?country=TR&from=2024-01-01&to=2023-01-01')).status).toBe(400);
  });
});
