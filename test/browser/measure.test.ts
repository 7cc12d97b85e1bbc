/**
 * The measurements pages of the console, in a real browser (Debian's chromium through playwright-core) against the
 * real server on a loopback port. The data is real too: the shipped 50-site censorship lab runs on loopback, the
 * probe measures every site through the censor, and the measurements are imported with the measure service
 * (verdicts recomputed from the raw data), as from a probe in Cameroon (AS30986). A copy of part of them is dated
 * two and three days earlier so the blocked-domains chart has several days and a gap. Screenshots land in
 * test-artifacts/screenshots/measure-*.png. The first block tests the pages' pure logic on the same measurements.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { createUser } from '../../src/platform/auth.js';
import { createIncident, systemActor } from '../../src/incidents/service.js';
import { importJsonl, recompute } from '../../src/measure/analysis/store.js';
import { loadScenario } from '../../src/measure/lab/scenario.js';
import { runLab } from '../../src/measure/lab/run.js';
import type { WebConnectivityMeasurement } from '../../src/measure/ooni/model.js';
import {
  apiFilters,
  chartGeometry,
  compareDns,
  compareHttp,
  compareTcp,
  compareTls,
  countVerdicts,
  fillDays,
  niceTicks,
  normaliseDomain,
  parseAsn,
  parseCertificate,
  testKeys,
  titleOf,
  verdictSegments,
} from '../../web/src/measure/logic.js';
import type { RawMeasurement } from '../../web/src/measure/types.js';
import { PHONE, chromiumOrWarn, shooter, shotPath, signIn as openAndSignIn, startHarness, type ConsoleHarness } from './harness.js';

const adminEmail = 'admin@measure-test.example';
const adminPassword = 'a long and proper test password 42';
const viewerEmail = 'viewer@measure-test.example';
const viewerPassword = 'another long viewer password 7';
const hasChromium = chromiumOrWarn('measure.test');

/** The shipped lab's measurements, probed once for the whole file. */
let measurements: WebConnectivityMeasurement[] = [];
const byHost = (name: string) => {
  const m = measurements.find((x) => new URL(x.input ?? 'http://x/').hostname === `${name}.lab.test`);
  if (!m) throw new Error(`lab site ${name} was not measured`);
  return m as unknown as RawMeasurement & WebConnectivityMeasurement;
};

beforeAll(async () => {
  const report = await runLab(loadScenario(), { concurrency: 16 });
  // name the sites if any verdict is wrong (the lab's own test runs the same scenarios three times in a row)
  expect(report.outcomes.filter((o) => !o.correct).map((o) => `${o.site}: ${o.observed}/${o.ooniObserved}: ${o.reasons.join('; ')}`)).toEqual([]);
  measurements = report.measurements;
}, 90_000);

describe('measurements pages: logic', () => {
  it('counts verdicts and splits the stacked bar', () => {
    const counts = countVerdicts([
      { country: 'CM', asn: null, domain: null, day: null, measurements: 5, anomalies: 3, confirmed: 1, ok: 1, down: 1, byKind: { dns: 2, tls: 1, ok: 1, down: 1 } },
      { country: 'IR', asn: null, domain: null, day: null, measurements: 2, anomalies: 2, confirmed: 0, ok: 0, down: 0, byKind: { dns: 1, 'http-diff': 1, bogus: 9 } },
    ]);
    expect(counts.dns).toBe(3);
    expect(counts['http-diff']).toBe(1);
    expect(counts.unknown).toBe(0);
    expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(7); // the unknown kind "bogus" is not counted
    const segs = verdictSegments(counts);
    expect(segs.map((s) => s.kind)).toEqual(['dns', 'tls', 'http-diff', 'down', 'ok']);
    expect(segs[0]!.pct).toBeCloseTo((3 / 7) * 100);
    expect(segs[1]!.startPct).toBeCloseTo((3 / 7) * 100);
    expect(segs.reduce((s, x) => s + x.pct, 0)).toBeCloseTo(100);
  });

  it('fills the days of the chart, marks gaps and scales the bars', () => {
    const days = fillDays([
      { day: '2024-03-05', blockedDomains: 4, testedDomains: 10 },
      { day: '2024-03-02', blockedDomains: 1, testedDomains: 3 },
    ]);
    expect(days.map((d) => d.day)).toEqual(['2024-03-02', '2024-03-03', '2024-03-04', '2024-03-05']);
    expect(days.map((d) => d.measured)).toEqual([true, false, false, true]);
    expect(fillDays([{ day: '2024-03-05', blockedDomains: 1, testedDomains: 1 }], { minDays: 14 })).toHaveLength(14);
    expect(fillDays([{ day: '2024-03-05', blockedDomains: 1, testedDomains: 1 }], { from: '2024-02-01', to: '2024-03-10' })).toHaveLength(39);
    expect(fillDays([{ day: '2024-03-05', blockedDomains: 1, testedDomains: 1 }], { from: '1900-01-01', maxDays: 100 })).toHaveLength(100);
    expect(fillDays([])).toEqual([]);
    expect(niceTicks(10)).toEqual([0, 5, 10]);
    expect(niceTicks(37)).toEqual([0, 10, 20, 30, 40]);
    expect(niceTicks(3)).toEqual([0, 1, 2, 3]);
    const g = chartGeometry(days, 800, 200);
    const last = g.bars[3]!;
    expect(last.yTested).toBeCloseTo(g.plot.top); // 10 tested domains: the top tick
    expect(last.yBlocked).toBeCloseTo(g.plot.bottom - (4 / 10) * (g.plot.bottom - g.plot.top));
    expect(g.bars[1]!.measured).toBe(false);
    expect(g.labelled.has('2024-03-02') && g.labelled.has('2024-03-05')).toBe(true);
  });

  it('reads and validates the filters in the address bar', () => {
    expect(parseAsn('AS30986')).toBe(30986);
    expect(parseAsn(' as 15169 ')).toBe(15169);
    expect(parseAsn('ASX')).toBeNull();
    expect(parseAsn('99999999999')).toBeNull();
    expect(normaliseDomain('https://WWW.BBC.com/news')).toBe('www.bbc.com');
    expect(normaliseDomain('example.org.')).toBe('example.org');
    expect(normaliseDomain('not a domain')).toBeNull();
    expect(apiFilters(new URLSearchParams('country=cm&asn=AS30986&verdict=dns&from=2024-01-01&to=2024-13-45&domain=bad%20name'))).toEqual({
      country: 'CM',
      asn: '30986',
      verdict: 'dns',
      from: '2024-01-01',
    });
    expect(apiFilters(new URLSearchParams('verdict=blocked'))).toEqual({});
  });

  it('puts probe and control side by side for DNS tampering with a known block IP', () => {
    const m = byHost('dns-blockpage-ip-https');
    const tk = testKeys(m);
    const dns = compareDns(tk);
    expect(dns.probe.addrs).toEqual(['134.17.0.7']);
    expect(dns.probeOnly).toEqual(['134.17.0.7']);
    expect(dns.common).toEqual([]);
    expect(dns.control!.addrs).toEqual(m.test_keys.control!.dns!.addrs);
    expect(dns.controlOnly).toEqual(m.test_keys.control!.dns!.addrs);
    // TCP: the probe reached the block IP; the control (told about it) could not, and reached the real address
    const tcp = compareTcp(tk);
    const block = tcp.find((r) => r.endpoint === '134.17.0.7:443')!;
    expect(block.probe).toEqual({ ok: true, failure: null });
    expect(block.control?.ok).toBe(false);
    expect(block.differs).toBe(true);
    expect(tcp.some((r) => r.probe === null && r.control?.ok === true)).toBe(true);
    // TLS: the middlebox presents a certificate from an untrusted CA; the control's handshake succeeds
    const tls = compareTls(tk);
    const probeTls = tls.find((r) => r.address === '134.17.0.7:443')!;
    expect(probeTls.probe?.failure).toBe('ssl_unknown_authority');
    expect(probeTls.probe?.serverName).toBe('dns-blockpage-ip-https.lab.test');
    const cert = probeTls.probe!.certs[0]!;
    expect(cert.issuer).toContain('Rogue middlebox CA');
    expect(cert.subject).toBe('CN=*.lab.test');
    expect(cert.names).toEqual(['lab.test', '*.lab.test']);
    expect(cert.notBefore).toBe('2020-01-01T00:00:00Z');
    expect(cert.notAfter).toBe('2120-01-01T00:00:00Z');
    expect(tls.some((r) => r.probe === null && r.control?.ok === true)).toBe(true);
    // HTTP: the probe's GET failed at the handshake; the control fetched the page
    const http = compareHttp(tk);
    expect(http.probe?.failure).toBe('ssl_unknown_authority');
    expect(http.probe?.failedOperation).toBe('tls_handshake');
    expect(http.control?.status).toBe(200);
    expect(http.control?.title).toContain('dns-blockpage-ip-https');
    expect(parseCertificate('not base64 !!!')).toBeNull();
    expect(parseCertificate(btoa('\x30\x03\x02\x01\x00'))).toBeNull();
  });

  it('shows the redirect chain, the blockpage title and the headers against the control', () => {
    const chain = compareHttp(testKeys(byHost('ok-redirect-chain')));
    expect(chain.chain).toHaveLength(3);
    expect(chain.chain[0]!.url).toBe('http://ok-redirect-chain.lab.test/');
    expect(chain.chain[0]!.location).toBeTruthy();
    expect(chain.chain[2]!.status).toBe(200);
    expect(chain.probe?.title).toBe(chain.control?.title);

    const bp = compareHttp(testKeys(byHost('http-blockpage-ca')));
    expect(bp.probe?.status).toBe(200);
    expect(bp.probe?.title).not.toBe(bp.control?.title);
    expect(bp.probe?.bodyLength).toBeGreaterThan(0);
    expect(bp.headers.some((h) => h.name.toLowerCase() === 'x-lab-site' && h.probe === null && h.control === 'http-blockpage-ca')).toBe(true);

    const nx = compareDns(testKeys(byHost('dns-nxdomain')));
    expect(nx.probe.failure).toBe('dns_nxdomain_error');
    expect(nx.probe.addrs).toEqual([]);
    expect(nx.controlOnly.length).toBe(1);
    expect(titleOf('<html><head><TITLE> A &amp; B &#8212;\n C </TITLE>')).toBe('A & B — C');
    expect(titleOf('<p>no title</p>')).toBeNull();
  });
});

describe.skipIf(!hasChromium)('measurements pages in a browser', () => {
  let h: ConsoleHarness;
  let srv: ConsoleHarness['srv'];
  let browser: Browser;
  let page: Page;
  let consoleErrors: string[] = [];
  const failedRequests: string[] = [];
  const expected = { total: 0, dns: 0, confirmedDomains: [] as string[], todayBlocked: 0, todayTested: 0, days: 0 };
  let targetSha = '';
  let incidentId = '';
  const INCIDENT_TITLE = 'Blocking of news sites on MTN Cameroon (lab evidence)';

  const shot = shooter(() => page, 'measure-');
  const asCameroon = (m: WebConnectivityMeasurement, daysBack: number): string => {
    const c = structuredClone(m) as WebConnectivityMeasurement & Record<string, unknown>;
    c.probe_cc = 'CM';
    c.probe_asn = 'AS30986';
    c.probe_network_name = 'MTN Cameroon (lab)';
    if (daysBack) {
      const shift = (s: string) => new Date(Date.parse(`${s.replace(' ', 'T')}Z`) - daysBack * 86_400_000).toISOString().slice(0, 19).replace('T', ' ');
      c.measurement_start_time = shift(c.measurement_start_time);
      if (typeof c.test_start_time === 'string') c.test_start_time = shift(c.test_start_time);
      c.report_id = `${c.report_id}-d${daysBack}`;
    }
    return JSON.stringify(c);
  };

  /** Imports the lab's measurements as from Cameroon, and makes an incident and a viewer. */
  const prepare = async (srv: ConsoleHarness['srv']) => {
    // Today: every site. Two and three days ago: every second and every third site (yesterday: nothing, a gap).
    const lines = [
      ...measurements.map((m) => asCameroon(m, 0)),
      ...measurements.filter((_, i) => i % 2 === 0).map((m) => asCameroon(m, 2)),
      ...measurements.filter((_, i) => i % 3 === 0).map((m) => asCameroon(m, 3)),
    ];
    const imported = await importJsonl(srv.db, lines.join('\n'), 'lab', { actor: await systemActor(srv.db) });
    expect(imported.problems).toEqual([]);
    expect(imported.imported).toBe(lines.length);
    expected.total = lines.length;
    // the verdict the server stores: recomputed as from Cameroon (country-scoped fingerprints only likely there)
    const verdictOf = (l: string) => recompute(JSON.parse(l) as WebConnectivityMeasurement).verdict;
    expected.dns = lines.filter((l) => verdictOf(l) === 'dns').length;
    const blockingKinds = ['dns', 'tcp_ip', 'tls', 'http-blockpage', 'http-diff', 'http-failure', 'throttling'];
    expected.todayTested = new Set(measurements.map((m) => new URL(m.input!).hostname)).size;
    expected.todayBlocked = new Set(measurements.filter((m) => blockingKinds.includes(verdictOf(asCameroon(m, 0)))).map((m) => new URL(m.input!).hostname)).size;
    expected.days = 3;
    expected.confirmedDomains = [
      ...new Set(
        // recomputed as from Cameroon: fingerprints scoped to other countries (ooni.by_4, ooni.ca_1…) only count as likely there
        measurements
          .map((m) => ({ m, v: recompute(JSON.parse(asCameroon(m, 0)) as WebConnectivityMeasurement) }))
          .filter(({ v }) => v.fingerprint && ['dns', 'http-blockpage'].includes(v.verdict))
          .map(({ m }) => new URL(m.input!).hostname),
      ),
    ].sort();
    targetSha = createHash('sha256').update(asCameroon(byHost('dns-blockpage-ip-https'), 0)).digest('hex');

    // An incident to attach evidence to, and a viewer who must not see the analyst actions.
    const admin = (await srv.db.query<{ id: string; org_id: string }>('select id, org_id from users where email = $1', [adminEmail])).rows[0]!;
    const actor = { userId: admin.id, label: adminEmail, orgId: admin.org_id, role: 'admin' as const, scopes: null };
    const inc = await createIncident(srv.db, actor, {
      type: 'blocking.website',
      title: INCIDENT_TITLE,
      country: 'CM',
      networks: [{ asn: 30986 }],
      services: [],
      startAt: new Date(Date.now() - 5 * 86_400_000).toISOString(),
      startPrecision: 'day',
      endAt: null,
      status: 'draft',
      severity: 'medium',
      tlp: 'TLP:AMBER',
      summary: 'Independent news sites unreachable on MTN Cameroon.',
      tags: ['test'],
    });
    incidentId = inc.id;
    await createUser(srv.db, actor, { email: viewerEmail, name: 'Viewer', role: 'viewer', password: viewerPassword });
  };

  beforeAll(async () => {
    h = await startHarness({ webDir: 'web-dist-measure', server: { adminEmail, adminPassword, loadHistory: false, jobs: false }, prepare, context: { acceptDownloads: true } });
    ({ srv, browser, page, consoleErrors } = h);
    page.on('response', (r) => {
      if (r.status() >= 400) failedRequests.push(`${r.status()} ${r.request().method()} ${new URL(r.url()).pathname}`);
    });
  }, 240_000);

  afterAll(async () => {
    await h?.close();
  });

  const signIn = async (p: Page, email: string, password: string) => {
    await openAndSignIn(p, srv.url + '/', email, password);
    await p.getByRole('button', { name: 'Sign out' }).waitFor(); // on a phone the menu is folded, this button is not
  };

  it('opens Measurements from the menu: verdict counts and blocked domains per day', async () => {
    await signIn(page, adminEmail, adminPassword);
    await page.getByRole('link', { name: 'Measurements', exact: true }).click();
    await page.locator('[data-testid=verdict-counts]').waitFor();
    await page.locator('[data-testid=measurement-table] tbody tr').first().waitFor();
    expect(expected.dns).toBeGreaterThan(0);
    await expect.poll(() => page.locator('[data-testid=count-dns]').textContent()).toBe(String(expected.dns));
    const allCount = await page.locator('.m-kind[aria-pressed=true] .m-kind-count').textContent();
    expect(allCount).toBe(String(expected.total));
    await expect.poll(() => page.locator('.pager').textContent()).toContain(`${expected.total} results`);
    // The chart: three measured days, today's bar with the blocked and tested domains the lab produced
    const bars = page.locator('[data-testid=blocked-chart] g.m-day:not(.m-day-gap)');
    await expect.poll(() => bars.count()).toBe(expected.days);
    const today = bars.last();
    expect(Number(await today.getAttribute('data-blocked'))).toBe(expected.todayBlocked);
    expect(Number(await today.getAttribute('data-tested'))).toBe(expected.todayTested);
    expect(await page.locator('[data-testid=blocked-chart] g.m-day-gap').count()).toBeGreaterThan(0); // yesterday: no data
    await shot('01-list', false);
  });

  it('filters to one blocking kind, and refuses a malformed ASN', async () => {
    await page.locator('[data-kind=dns]').click();
    await expect.poll(() => new URL(page.url()).searchParams.get('verdict')).toBe('dns');
    await expect
      .poll(async () => {
        const v = await page.locator('[data-testid=measurement-table] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-verdict')));
        return v.length === expected.dns && v.every((x) => x === 'dns');
      })
      .toBe(true);
    expect(await page.locator('[data-kind=dns]').getAttribute('aria-pressed')).toBe('true');
    expect(await page.locator('select[name=verdict]').inputValue()).toBe('dns');
    // the counts still show every kind (the filter selects one of them)
    expect(Number(await page.locator('[data-testid=count-ok]').textContent())).toBeGreaterThan(0);

    await page.locator('input[name=asn]').fill('ASX');
    await page.getByText('Write an AS number such as AS30986.').waitFor();
    expect(new URL(page.url()).searchParams.get('asn')).toBeNull();
    await page.locator('input[name=asn]').fill('as30986');
    await expect.poll(() => new URL(page.url()).searchParams.get('asn')).toBe('AS30986');
    await expect.poll(() => page.getByText('Write an AS number such as AS30986.').count()).toBe(0);
    await page.locator('input[name=asn]').fill('AS15169');
    await expect.poll(() => page.locator('.notice').first().textContent()).toContain('Nothing matches');
    await page.locator('input[name=asn]').fill('');
    await expect.poll(() => new URL(page.url()).searchParams.get('asn')).toBeNull();
    await expect.poll(() => page.locator('[data-testid=measurement-table] tbody tr').count()).toBe(expected.dns);
    await shot('02-filtered-dns', false);
  });

  it('opens a DNS-tampered measurement: probe and control side by side, verdict, evidence and SHA-256', async () => {
    const row = page.locator('[data-testid=measurement-table] tbody tr', { hasText: 'https://dns-blockpage-ip-https.lab.test/' }).first();
    await row.locator('a').click();
    await page.locator('article.m-detail').waitFor();
    expect(await page.locator('article.m-detail').getAttribute('data-verdict')).toBe('dns');
    const m = byHost('dns-blockpage-ip-https');
    const controlAddr = m.test_keys.control!.dns!.addrs![0]!;
    const dns = page.locator('[data-testid=step-dns]');
    await expect.poll(() => dns.locator('.m-side-probe').textContent()).toContain('134.17.0.7');
    await expect.poll(() => dns.locator('.m-side-probe').textContent()).not.toContain(controlAddr);
    await expect.poll(() => dns.locator('.m-side-control').textContent()).toContain(controlAddr);
    await expect.poll(() => page.locator('[data-testid=dns-compare]').textContent()).toContain('Only the probe got 134.17.0.7');
    const tlsRow = page.locator('[data-testid=step-tls] tbody tr', { hasText: '134.17.0.7:443' });
    await expect.poll(() => tlsRow.locator('td').nth(0).textContent()).toContain('ssl_unknown_authority');
    await tlsRow.getByText('Certificate presented').click();
    await expect.poll(() => tlsRow.locator('.m-cert').textContent()).toContain('Rogue middlebox CA');
    await expect.poll(() => page.locator('[data-testid=step-tls] tbody tr', { hasText: `${controlAddr}:443` }).locator('td').nth(1).textContent()).toContain('Handshake done');
    await expect.poll(() => page.locator('[data-testid=step-http] tr[data-field=status] td').nth(1).textContent()).toBe('200');
    await expect.poll(() => page.locator('[data-testid=reasons]').textContent()).toContain('ooni.by_4 (scoped to BY, probe in CM): likely');
    await expect.poll(() => page.locator('[data-testid=sha256]').textContent()).toBe(targetSha);
    await expect.poll(() => page.locator('[data-testid=download-check]').getAttribute('data-same')).toBe('yes');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download the measurement (JSON)' }).click()]);
    const path = await download.path();
    const { readFileSync } = await import('node:fs');
    expect(createHash('sha256').update(readFileSync(path)).digest('hex')).toBe(targetSha);
    await shot('03-measurement-dns');
  });

  it('attaches the measurement to an incident, and the incident lists it as evidence', async () => {
    const form = page.locator('[data-testid=attach-form]');
    await form.getByRole('button', { name: 'Attach 1 measurement' }).click();
    await form.getByText('Choose an incident first.').waitFor();
    await form.getByLabel('Find an incident').fill('MTN Cameroon');
    await form.getByLabel(INCIDENT_TITLE).check();
    await form.getByRole('button', { name: 'Attach 1 measurement' }).click();
    await expect.poll(() => form.locator('[data-testid=attach-result]').textContent()).toContain('Attached 1');
    await shot('04-attached');
    await form.getByRole('link', { name: 'Open the incident' }).click();
    await page.locator('article.incident h1').waitFor();
    expect(page.url()).toBe(`${srv.url}/incidents/${incidentId}`);
    const evidence = page.locator('section', { has: page.getByRole('heading', { name: 'Evidence', exact: true }) });
    await expect.poll(() => evidence.textContent()).toContain(`measurement:${targetSha}`);
    await expect.poll(() => evidence.textContent()).toContain('dns-blockpage-ip-https.lab.test');
    await shot('05-incident-evidence');
    // the evidence links back to the measurement's own page
    await evidence.getByRole('link', { name: `measurement:${targetSha}` }).click();
    await page.locator('[data-testid=sha256]').waitFor();
    await expect.poll(() => page.locator('[data-testid=sha256]').textContent()).toBe(targetSha);
    await page.goBack();
    await page.locator('article.incident h1').waitFor();
  });

  it('filters by domain and shows a blockpage beside the page the control got', async () => {
    await page.getByRole('link', { name: 'Measurements', exact: true }).click();
    await page.locator('input[name=domain]').fill('HTTP://http-blockpage-ca.lab.test/any/path');
    await expect.poll(() => new URL(page.url()).searchParams.get('domain')).toBe('http-blockpage-ca.lab.test');
    await expect
      .poll(async () => {
        const urls = await page.locator('[data-testid=measurement-table] tbody tr .m-url').allTextContents();
        return urls.length > 0 && urls.every((u) => u === 'http://http-blockpage-ca.lab.test/');
      })
      .toBe(true);
    await page.locator('[data-testid=measurement-table] tbody tr a').first().click();
    await page.locator('[data-testid=step-http]').waitFor();
    // imported as from Cameroon: the Canadian court's blockpage differs from the control, but ooni.ca_1 does not confirm there
    expect(await page.locator('article.m-detail').getAttribute('data-verdict')).toBe('http-diff');
    const title = page.locator('[data-testid=step-http] tr[data-field=title]');
    await expect.poll(() => title.locator('td').nth(0).textContent()).toBe('Site blocked');
    await expect.poll(() => title.locator('td').nth(1).textContent()).toContain('http-blockpage-ca | Lab site');
    expect(await title.getAttribute('class')).toContain('m-row-diff');
    expect(await page.locator('[data-testid=step-http] tr[data-field=status] td').allTextContents()).toEqual(['200', '200']);
    await expect.poll(() => page.locator('[data-testid=reasons]').textContent()).toContain('ooni.ca_1 (scoped to CA, probe in CM): likely');
    await page.locator('[data-testid=probe-body] summary').click();
    await expect.poll(() => page.locator('[data-testid=probe-body] pre').textContent()).toContain('blocked by an Order issued by the Federal Court of Canada');
    // the DNS step agrees with the control here: the interference is in HTTP only
    await expect.poll(() => page.locator('[data-testid=dns-compare]').textContent()).toContain('Both got the same addresses.');
    await shot('05b-measurement-blockpage');
  });

  it('opens website-blocking incidents from the confirmed blocks in Cameroon, once', async () => {
    await page.goto(`${srv.url}/measurements?country=CM`);
    const form = page.locator('[data-testid=open-form]');
    await form.waitFor();
    expect(await form.locator('select[name=openCountry]').inputValue()).toBe('CM');
    await form.getByRole('button', { name: 'Open incidents' }).click();
    const result = form.locator('[data-testid=open-result]');
    await result.waitFor();
    const domains = await result.locator('li[data-domain]').evaluateAll((els) => els.map((e) => e.getAttribute('data-domain')));
    expect(domains).toEqual(expected.confirmedDomains);
    await expect.poll(() => result.textContent()).toContain(`${expected.confirmedDomains.length} opened, 0 already open`);
    await form.screenshot({ path: shotPath('measure-06-opened-incidents') });
    await form.getByRole('button', { name: 'Open incidents' }).click();
    await expect.poll(() => result.textContent()).toContain(`0 opened, ${expected.confirmedDomains.length} already open`);
    // a selection from the list is attached in one go
    await page.locator('[data-kind=tls]').click();
    await expect.poll(() => page.locator('[data-testid=measurement-table] tbody tr[data-verdict=tls]').count()).toBeGreaterThan(0);
    await page.getByLabel('Select every measurement on this page').check();
    const n = await page.locator('[data-testid=measurement-table] tbody tr').count();
    await page.getByText(`${n} measurements selected`).waitFor();
    const attach = page.locator('[data-testid=attach-form]');
    await attach.getByLabel('Find an incident').fill(incidentId);
    await attach.getByLabel(INCIDENT_TITLE).check();
    await attach.getByRole('button', { name: `Attach ${n} measurements` }).click();
    await expect.poll(() => attach.locator('[data-testid=attach-result]').textContent()).toContain(`Attached ${n}`);
    // Only the session check before signing in may be refused (401, by design); nothing else may fail.
    expect(failedRequests.filter((r) => r !== '401 GET /api/auth/me')).toEqual([]);
    expect(consoleErrors.filter((e) => !/status of 401/.test(e))).toEqual([]);
  });

  it('hides the analyst actions from a viewer; the pages fit a phone and read right to left in Arabic', async () => {
    const ctx = await browser.newContext(PHONE);
    const p = await ctx.newPage();
    try {
      await signIn(p, viewerEmail, viewerPassword);
      await p.goto(`${srv.url}/measurements?verdict=dns`);
      await p.locator('[data-testid=measurement-table] tbody tr').first().waitFor();
      await expect.poll(() => p.locator('[data-testid=count-dns]').textContent()).toBe(String(expected.dns));
      expect(await p.locator('[data-testid=attach-form]').count()).toBe(0);
      expect(await p.locator('[data-testid=open-form]').count()).toBe(0);
      expect(await p.locator('[data-testid=measurement-table] input[type=checkbox]').count()).toBe(0);
      // Nothing on the page may stick out sideways (the body clips overflow, so check every element's box).
      const fits = () =>
        p.evaluate(() =>
          [...document.querySelectorAll('main *')]
            .filter((e) => {
              const r = e.getBoundingClientRect();
              return r.width > 0 && r.height > 0 && (r.right > window.innerWidth + 1 || r.left < -1) && !e.closest('.visually-hidden, thead');
            })
            .map((e) => `${e.tagName.toLowerCase()}.${e.className}`)
            .slice(0, 5),
        );
      expect(await fits()).toEqual([]);
      await p.screenshot({ path: shotPath('measure-07-phone-list') });
      await p.locator('[data-testid=measurement-table] tbody tr a', { hasText: 'dns-blockpage-ip-https' }).first().click();
      await p.locator('[data-testid=step-dns]').waitFor();
      expect(await p.locator('[data-testid=attach-form]').count()).toBe(0);
      expect(await fits()).toEqual([]);
      await p.screenshot({ path: shotPath('measure-08-phone-detail'), fullPage: true });
      await p.goto(`${srv.url}/measurements?lang=ar`);
      await p.locator('[data-testid=verdict-counts]').waitFor();
      expect(await p.evaluate(() => document.documentElement.dir)).toBe('rtl');
      expect(await p.getByRole('heading', { name: 'القياسات', level: 1 }).count()).toBe(1);
      await expect.poll(() => p.locator('[data-kind=dns]').textContent()).toContain('تلاعب بنظام DNS');
      expect(await fits()).toEqual([]);
      await p.screenshot({ path: shotPath('measure-09-phone-arabic') });
    } finally {
      await ctx.close();
    }
  });
});
