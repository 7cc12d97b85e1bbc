import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDb, type Db } from '../platform/db.js';
import { migrate } from '../platform/migrate.js';
import { bootstrapAdmin } from '../platform/auth.js';
import { silentLogger } from '../platform/log.js';
import { captureCli } from '../platform/testing.js';
import { importStop } from '../incidents/import/service.js';
import { buildApp } from '../app.js';
import type { App } from '../platform/http.js';
import { main } from '../cli.js';
import { annualFigures, annualHtml } from './report.js';

/**
 * The annual report reproduces Access Now's published counts from the shipped STOP workbook, read out of the
 * generated HTML and out of the PDF's text; every figure links to a public query that returns exactly that figure.
 */

const STOP = 'seed/shutdowns/keepiton-stop-2016-2022.xlsx';
const ART = join(process.cwd(), 'test-artifacts', 'publish');
const hasChromium = existsSync('/usr/bin/chromium');
// Access Now's published figures (#KeepItOn reports) and, for 2020, the shipped data set's own count.
const EXPECTED: Record<number, [number, number]> = { 2022: [187, 35], 2021: [182, 34], 2019: [213, 33], 2018: [196, 25], 2020: [159, 29] };

const headline = (html: string) => [Number(/<span id="shutdowns">(\d+)<\/span>/.exec(html)?.[1]), Number(/<span id="countries">(\d+)<\/span>/.exec(html)?.[1])];

describe('annual shutdown report from the Access Now STOP data', () => {
  let dir: string;
  let db: Db;
  let app: App;

  beforeAll(async () => {
    mkdirSync(ART, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'sw-report-'));
    db = await openDb({ dataDir: dir });
    await migrate(db);
    const admin = await bootstrapAdmin(db, { email: 'admin@example.org', password: 'correct horse battery staple' });
    await importStop(db, STOP, { orgId: admin.orgId, quiet: true } as never);
    app = buildApp({ db, log: silentLogger, webDir: '/nonexistent' });
  }, 120_000);
  afterAll(async () => {
    await db?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('reproduces the published counts per year in the HTML (2018, 2019, 2021, 2022) and states how 2020 relates to the 155 published', async () => {
    for (const [year, want] of Object.entries(EXPECTED)) {
      const res = await app.request(`http://localhost/public/en/reports/annual/${year}`);
      expect(res.status).toBe(200);
      const html = await res.text();
      expect(headline(html), year).toEqual(want);
    }
    const html2020 = await (await app.request('http://localhost/public/en/reports/annual/2020')).text();
    expect(html2020).toContain('155 shutdowns in 29 countries');
    expect(html2020).toMatch(/159 rows \(158 distinct\) in 29 countries/);
    expect(html2020).toContain('exact copy');
    const html2022 = await (await app.request('http://localhost/public/en/reports/annual/2022')).text();
    expect(html2022).toContain('The data set reproduces this figure.');
  });

  it('links every figure to the public query that produced it, and the query returns that figure', async () => {
    const html = await (await app.request('http://localhost/public/en/reports/annual/2022')).text();
    const links = [...html.matchAll(/<a href="(\/api\/public\/stop-rows[^"]+)">(\d+)<\/a>/g)].map((m) => ({ q: m[1]!.replace(/&amp;/g, '&'), n: Number(m[2]) }));
    expect(links.length).toBeGreaterThan(60);
    for (const l of links) {
      const body = (await (await app.request(`http://localhost${l.q}`)).json()) as { count: number };
      expect(body.count, l.q).toBe(l.n);
    }
    const all = (await (await app.request('http://localhost/api/public/stop-rows?year=2022')).json()) as { count: number; countries: number };
    expect([all.count, all.countries]).toEqual([187, 35]);
    // The breakdowns add up: by country, by scope and by month (plus the rows carried over from earlier years).
    const f = await annualFigures(db, 2022);
    const sum = (xs: { value: number }[]) => xs.reduce((a, b) => a + b.value, 0);
    expect(sum(f.byCountry)).toBe(187);
    expect(sum(f.byScope)).toBe(187);
    expect(sum(f.byType)).toBe(187);
    expect(sum(f.monthly) + f.carriedOver).toBe(187);
    expect(f.byCountry[0]).toMatchObject({ key: 'IN' });
    expect(html).toContain('<svg class="map"');
  });

  it('renders the same figures in French, Spanish and Arabic (right to left)', async () => {
    for (const lang of ['fr', 'es', 'ar'] as const) {
      const html = annualHtml(await annualFigures(db, 2021, lang), lang);
      expect(headline(html)).toEqual([182, 34]);
      if (lang === 'ar') expect(html).toContain('dir="rtl"');
    }
  });

  it.runIf(hasChromium)('prints PDFs from the CLI whose text holds the figures; Arabic shapes and renders (pdftoppm)', async () => {
    const env = { STACKWATCH_DATA_DIR: dir };
    await db.close();
    try {
      const pdf = join(ART, 'annual-2022-en.pdf');
      const r = await captureCli(main, ['report', 'annual', '--year', '2022', '--format', 'pdf', '--out', pdf], env);
      expect(r.code, r.err).toBe(0);
      const text = execFileSync('pdftotext', ['-layout', pdf, '-']).toString('utf8');
      expect(text).toMatch(/187\s+shutdowns\s+in\s+35\s+countries/);
      expect(text).toContain('India');
      // The links survive into the PDF (pdftohtml lists them).
      expect(execFileSync('pdftohtml', ['-xml', '-stdout', '-i', '-f', '1', '-l', '2', pdf]).toString('utf8')).toContain('/api/public/stop-rows?year=2022');

      const ar = join(ART, 'annual-2019-ar.pdf');
      expect((await captureCli(main, ['report', 'annual', '--year', '2019', '--format', 'pdf', '--lang', 'ar', '--out', ar], env)).code).toBe(0);
      const arText = execFileSync('pdftotext', [ar, '-']).toString('utf8');
      expect(arText).toContain('213');
      expect(arText).toContain('33');
      // Arabic comes out as Arabic letters (shaped glyphs map back to their letters), and "الإنترنت" reads in order.
      expect(arText).toMatch(/[\u0600-\u06FF]{3,}/);
      expect(arText).toContain('التقرير السنوي');
      execFileSync('pdftoppm', ['-png', '-r', '60', '-f', '1', '-l', '1', ar, join(ART, 'annual-2019-ar')]);
      const png = readdirPng(ART, 'annual-2019-ar');
      expect(statSync(png).size).toBeGreaterThan(10_000);

      const country = join(ART, 'country-IR-2019.html');
      expect((await captureCli(main, ['report', 'country', 'IR', '--from', '2019-01-01', '--to', '2019-12-31', '--out', country], env)).code).toBe(0);
      const chtml = readFileSync(country, 'utf8');
      expect(Number(/<span id="incident-count">(\d+)<\/span>/.exec(chtml)?.[1])).toBeGreaterThan(0);
      expect(chtml).toContain('<svg');
      const bad = await captureCli(main, ['report', 'country', 'ZZ', '--from', '2019-01-01', '--to', '2019-12-31'], env);
      expect(bad.code).toBe(2);
      expect(bad.err).toContain('country code');
    } finally {
      db = await openDb({ dataDir: dir });
    }
  }, 120_000);
});

function readdirPng(dirName: string, prefix: string): string {
  const f = readdirSync(dirName).find((x) => x.startsWith(prefix) && x.endsWith('.png'));
  if (!f) throw new Error(`no PNG ${prefix}*.png in ${dirName}`);
  return join(dirName, f);
}
