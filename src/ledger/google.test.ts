/**
 * Google's four shipped files through the importer, checked against the files' own sums and percentages, and the
 * same named queries answered by DuckDB and by the ClickHouse engine (chdb) on the same rows.
 */
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../platform/audit.js';
import { openDuckLedger, type LedgerEngine } from './engine.js';
import { openChdbLedger } from './chdb-engine.js';
import { importGoogle } from './import/google.js';
import { runQuery } from './queries.js';

const DIR = join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'transparency', 'google');
const SUMMARY = join(DIR, 'google-government-removal-requests.csv');
const DETAILED = join(DIR, 'google-government-detailed-removal-requests.csv');
const SUMMARY_H = join(DIR, 'google-government-removal-requests-historical.csv');
const DETAILED_H = join(DIR, 'google-government-detailed-removal-requests-historical.csv');
const viewer: Actor = { userId: null, label: 'test', orgId: 'org-a', role: 'viewer' };

async function loadAll(e: LedgerEngine) {
  for (const f of [SUMMARY, DETAILED, SUMMARY_H, DETAILED_H]) await importGoogle(e, f);
}

describe('Google government removal requests', () => {
  let duck: LedgerEngine;
  let ch: LedgerEngine;
  beforeAll(async () => {
    duck = await openDuckLedger();
    ch = await openChdbLedger();
    await loadAll(duck);
    await loadAll(ch);
  }, 120_000);
  afterAll(async () => {
    await duck?.close();
    await ch?.close();
  });

  const requests = async (e: LedgerEngine, country: string, year: number) => (await runQuery(e, 'requests', { country, year }, viewer)).rows[0];

  it('reproduces the summary file\'s sums per country and year', async () => {
    for (const [cc, y, n] of [['RU', 2022, 57958], ['TR', 2023, 2643], ['VN', 2024, 932], ['IN', 2022, 4405]] as const) {
      const r = await requests(duck, cc, y);
      expect(r, `${cc} ${y}`).toMatchObject({ requests_low: n, requests_high: n });
    }
  });

  it('matches the file\'s own percentages for the share removed per requester type', async () => {
    const text = readFileSync(SUMMARY, 'utf8');
    const rows = parse(text, { bom: true, columns: true }) as Record<string, string>[];
    const inRows = rows.filter((r) => r['CLDR Territory Code'] === 'IN' && r['Period Ending'] === '2022-06-30');
    expect(inRows.length).toBeGreaterThan(2);
    const res = await runQuery(duck, 'compliance', { country: 'IN', year: 2022, by: 'country,requester_type,half_year' }, viewer);
    const h1 = res.rows.filter((r) => r.half_year === '2022-H1');
    // Several requestor labels can fall into one type: the share is then the item-weighted mean of the file's percentages.
    const byType = new Map<string, { w: number; s: number }>();
    for (const r of inRows) {
      const t = res.rows.length && (await import('./model.js')).normaliseRequester(r.Requestor!);
      const pct = Number(r['% Removed-Legal'] || 0) + Number(r['% Removed-Policy'] || 0);
      const w = Number(r['Items Requested To Be Removed']);
      const cur = byType.get(t as string) ?? { w: 0, s: 0 };
      byType.set(t as string, { w: cur.w + w, s: cur.s + w * pct });
    }
    expect(h1.length).toBe(byType.size);
    for (const r of h1) {
      const want = byType.get(String(r.requester_type))!;
      expect(r.share_removed, String(r.requester_type)).toBeCloseTo(want.s / want.w, 3);
    }
    // a requestor type alone in its group carries exactly the file's figure
    const police = inRows.find((r) => r.Requestor === 'Police');
    if (police) {
      const row = h1.find((r) => r.requester_type === 'executive_police')!;
      const mil = inRows.find((r) => r.Requestor === 'Military');
      if (!mil) expect(row.share_removed).toBeCloseTo(Number(police['% Removed-Legal'] || 0) + Number(police['% Removed-Policy'] || 0), 4);
    }
  });

  it('keeps "<10" as 1–9 and blanks as unknown; totals built on them say "at least"', async () => {
    const res = await runQuery(duck, 'requests', { country: 'AM', year: 2009, series: 'google' }, viewer);
    expect(res.rows[0]).toMatchObject({ requests_low: 1, requests_high: 9 }); // Armenia 2009H2: "<10"
    const rows = await runQuery(duck, 'rows', { country: 'AM', dataset: 'google-summary-historical', limit: 1000 }, viewer);
    const first = rows.rows.find((r) => r.period_end === '2009-12-31')!;
    expect(first).toMatchObject({ requests_low: 1, requests_high: 9, items_low: null, items_high: null });
  });

  it('historical and current layouts overlap where they should (2019H1)', async () => {
    // court orders in 2019H1: historical "Court Orders" = current "Court Order Directed at Google" + "… at 3rd Party"
    const cur = await runQuery(duck, 'compliance', { series: 'all', year: 2019, requester_type: 'court', by: 'country,half_year' }, viewer);
    const hist = (await duck.all(`SELECT requester_country c, sum(requests_low) n FROM ledger_demands WHERE dataset = 'google-summary-historical' AND period_end = '2019-06-30' AND requester_type = 'court' GROUP BY 1`))
      .map((r) => [String(r.c), Number(r.n)] as const);
    const curMap = new Map(cur.rows.filter((r) => r.half_year === '2019-H1').map((r) => [String(r.country), Number(r.requests_low)]));
    let same = 0;
    let compared = 0;
    for (const [c, n] of hist) {
      if (!curMap.has(c)) continue;
      compared++;
      if (curMap.get(c) === n) same++;
    }
    expect(compared).toBeGreaterThan(20);
    expect(same / compared).toBeGreaterThan(0.7); // 37 of 48 countries exactly; Google revised some counts later
    const ru = hist.find(([c]) => c === 'RU')!;
    expect(ru[1]).toBe(145);
    expect(curMap.get('RU')).toBe(145);
    // detailed: the historical file's court + executive counts equal the current detailed file's totals for 2015
    const a = await duck.all(`SELECT sum(requests_low) n FROM ledger_demands WHERE dataset = 'google-detailed' AND year(period_end) = 2015`);
    const b = await duck.all(`SELECT sum(requests_low) n FROM ledger_demands WHERE dataset = 'google-detailed-historical' AND year(period_end) = 2015`);
    expect(Number(a[0]!.n)).toBeGreaterThan(0);
    expect(Math.abs(Number(a[0]!.n) - Number(b[0]!.n)) / Number(a[0]!.n)).toBeLessThan(0.02);
  });

  it('importing a file again changes nothing', async () => {
    const before = await duck.all('SELECT count(*) n FROM ledger_demands');
    const again = await importGoogle(duck, SUMMARY);
    expect(again.skipped).toBe(true);
    expect(await duck.all('SELECT count(*) n FROM ledger_demands')).toEqual(before);
  });

  it('gives the same answers on DuckDB and on the ClickHouse engine (chdb)', async () => {
    const cases: [Parameters<typeof runQuery>[1], unknown][] = [
      ['requests', { series: 'google' }],
      ['requests', { country: 'TR', series: 'google-detailed' }],
      ['compliance', { by: 'country,platform,requester_type,half_year' }],
      ['compliance', { country: 'VN', by: 'year,requester_type' }],
      ['reasons', { country: 'TR', limit: 30 }],
      ['reasons', {}],
    ];
    for (const [name, p] of cases) {
      const a = await runQuery(duck, name, p, viewer);
      const b = await runQuery(ch, name, p, viewer);
      expect(a.rows.length, `${name} ${JSON.stringify(p)}`).toBeGreaterThan(0);
      expect(b.rows, `${name} ${JSON.stringify(p)}`).toEqual(a.rows);
    }
  });
});
