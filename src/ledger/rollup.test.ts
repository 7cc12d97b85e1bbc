/**
 * The rollup tables answer the named queries exactly as the detail rows do, on DuckDB and on the ClickHouse engine
 * (chdb): Google's four files, Lumen notices, analysts' rows of every TLP, a synthetic DSA day with bad rows; every
 * actor's view; and a ledger upgraded from before the rollups existed gets them filled from its rows.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Actor } from '../platform/audit.js';
import { openDuckLedger, type LedgerEngine } from './engine.js';
import { openChdbLedger } from './chdb-engine.js';
import { blankDemand } from './import/common.js';
import { importDsaDay } from './import/dsa.js';
import { DSA_COLUMNS_V2, synthCsv, writeSyntheticDay } from './import/dsa-synth.js';
import { importGoogle } from './import/google.js';
import { importLumen } from './import/lumen.js';
import type { DemandRow } from './model.js';
import { runQuery, type QueryName } from './queries.js';
import { insertDemands } from './store.js';

const GOOGLE = join(import.meta.dirname, '..', '..', '..', 'shared', 'data', 'transparency', 'google');
const FIX = join(import.meta.dirname, 'fixtures');
const dir = mkdtempSync(join(tmpdir(), 'ledger-rollup-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const actors: Actor[] = [
  { userId: null, label: 'viewer', orgId: 'org-a', role: 'viewer' },
  { userId: 'u-red', label: 'author', orgId: 'org-a', role: 'analyst' },
  { userId: null, label: 'partner', orgId: 'org-b', role: 'partner' },
];

/** Analysts' rows: every TLP, two organisations, counts known, ranged and unknown, outcomes with and without shares. */
function analystRows(): DemandRow[] {
  const tlps = ['TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER', 'TLP:AMBER+STRICT', 'TLP:RED'];
  const out: DemandRow[] = [];
  for (let i = 0; i < 40; i++) {
    const r = blankDemand({ id: `a${i}`, dataset: 'interventions', importId: 'form', sourceFile: '', sha256: '', row: 0 });
    Object.assign(r, {
      record_kind: i % 3 ? 'intervention' : 'aggregate', requester_country: i % 7 === 0 ? null : ['TR', 'RU', 'IN'][i % 3]!, requester_type: i % 2 ? 'court' : 'executive_police',
      platform: ['Cloudflare', 'GoDaddy', 'Google'][i % 3]!, period_start: `202${i % 4}-01-01`, period_end: `202${i % 4}-0${1 + (i % 9)}-15`,
      requests_low: i % 5 === 0 ? null : i, requests_high: i % 5 === 0 ? null : i % 4 === 0 ? i + 8 : i, items_low: i % 6 === 0 ? null : i * 3, items_high: i % 6 === 0 ? null : i * 3,
      pct_complied: i % 4 === 1 ? null : (i * 7) % 100, pct_removed_law: i % 3 === 0 ? null : (i * 3) % 50, pct_removed_policy: (i * 5) % 40,
      tlp: tlps[i % 5]!, org_id: i % 2 ? 'org-a' : 'org-b', created_by: i % 5 === 4 ? 'u-red' : 'someone', reason: i % 4 ? 'r1' : '',
    } satisfies Partial<DemandRow>);
    out.push(r);
  }
  return out;
}

async function loadAll(e: LedgerEngine) {
  for (const f of ['google-government-removal-requests.csv', 'google-government-detailed-removal-requests.csv', 'google-government-removal-requests-historical.csv', 'google-government-detailed-removal-requests-historical.csv']) {
    await importGoogle(e, join(GOOGLE, f));
  }
  await importLumen(e, join(FIX, 'lumen-search.json'));
  await insertDemands(e, analystRows().slice(0, 25));
  await insertDemands(e, analystRows().slice(25));
  const zip = join(dir, `sor-global-2025-09-0${e.name === 'chdb' ? 2 : 1}-full.zip`);
  await writeSyntheticDay(zip, { day: '2025-09-01', rows: 2500, rowsPerCsv: 1000, csvsPerZip: 2, seed: 11 });
  expect((await importDsaDay(e, zip)).rowsLoaded).toBe(2500);
  // a single part with rows the importer flags (empty platform, bad date): the rollup must skip them too
  const lines = [...synthCsv({ day: '2025-09-03', start: 0, count: 30, columns: DSA_COLUMNS_V2, seed: 4 })].join('').split('\n');
  lines[3] = lines[3]!.replace(/2025-09-03 \d\d:\d\d:\d\d/g, 'yesterday');
  lines[5] = lines[5]!.replace(/^[^,]+/, '');
  const csv = join(dir, `part-${e.name}.csv`);
  writeFileSync(csv, lines.join('\n'));
  expect((await importDsaDay(e, csv)).rowsFlagged).toBe(2);
}

const CASES: [QueryName, Record<string, unknown>][] = [
  ['compliance', {}],
  ['compliance', { by: 'country,platform,requester_type,reason,half_year' }],
  ['compliance', { by: 'year,requester_type', country: 'TR' }],
  ['compliance', { series: 'all', by: 'country,platform,requester_type,half_year' }],
  ['compliance', { series: 'interventions', by: 'country,requester_type', from: 2021, to: 2022 }],
  ['compliance', { series: 'google-detailed', by: 'reason,year', requester_type: 'court' }],
  ['compliance', { series: 'lumen', by: 'platform,year' }],
  ['requests', {}],
  ['requests', { country: 'RU', year: 2022 }],
  ['requests', { series: 'all' }],
  ['requests', { series: 'interventions', from: 2020 }],
  ['dsaVolumes', {}],
  ['dsaVolumes', { by: 'platform_name,category,decision_ground,automated_detection,automated_decision,day', limit: 100000 }],
  ['dsaVolumes', { by: 'day,decision_ground', platform: 'TikTok', from: '2025-09-01', to: '2025-09-02' }],
  ['dsaVolumes', { by: 'scope_class,content_type,source_type' }],
];

describe.each([
  ['duckdb', () => openDuckLedger()],
  ['chdb', openChdbLedger],
] as const)('rollups on %s', (_name, open) => {
  let e: LedgerEngine;
  beforeAll(async () => {
    e = await open();
    await loadAll(e);
  }, 180_000);
  afterAll(async () => {
    await e?.close();
  });

  it('give the detail query’s answer for every named query, parameter set and actor', async () => {
    let nonEmpty = 0;
    for (const a of actors) {
      for (const [q, p] of CASES) {
        const fromRollup = await runQuery(e, q, p, a);
        const fromRows = await runQuery(e, q, p, a, { detail: true });
        expect(fromRollup.rows, `${q} ${JSON.stringify(p)} as ${a.label}`).toEqual(fromRows.rows);
        if (fromRows.rows.length) nonEmpty++;
      }
    }
    expect(nonEmpty).toBeGreaterThan(CASES.length * 2);
  }, 120_000);

  it('count every loaded row once and leave out flagged ones', async () => {
    const [d] = await e.all('SELECT count(*) AS n FROM ledger_dsa');
    const [r] = await e.all('SELECT sum(statements) AS n FROM ledger_dsa_rollup');
    expect(Number(r!.n)).toBe(Number(d!.n));
    expect(Number(d!.n)).toBeGreaterThan(2500);
    const [dd] = await e.all('SELECT count(*) AS n FROM ledger_demands');
    const [rr] = await e.all('SELECT sum(n_rows) AS n FROM ledger_demands_rollup');
    expect(Number(rr!.n)).toBe(Number(dd!.n));
  });

  it('are removed with their rows when an import is cleared and written again', async () => {
    const before = await runQuery(e, 'requests', { series: 'all' }, actors[0]!);
    // a re-run of an import already done changes nothing
    await importGoogle(e, join(GOOGLE, 'google-government-removal-requests.csv'));
    expect((await runQuery(e, 'requests', { series: 'all' }, actors[0]!)).rows).toEqual(before.rows);
    // a rollup group without detail rows would show here
    const [orphans] = await e.all(`SELECT count(*) AS n FROM ledger_demands_rollup r WHERE NOT EXISTS (SELECT 1 FROM ledger_demands d WHERE d.import_id = r.import_id)`);
    expect(Number(orphans!.n)).toBe(0);
  });
});

describe('a ledger written before the rollups', () => {
  it('gets them filled from its rows when it is opened', async () => {
    const file = join(dir, 'old.duckdb');
    let e = await openDuckLedger(file);
    await loadAll(e);
    const want = await Promise.all(CASES.map(([q, p]) => runQuery(e, q, p, actors[1]!, { detail: true })));
    await e.run('DROP TABLE ledger_dsa_rollup');
    await e.run('DROP TABLE ledger_demands_rollup');
    await e.close();
    e = await openDuckLedger(file);
    try {
      const got = await Promise.all(CASES.map(([q, p]) => runQuery(e, q, p, actors[1]!)));
      expect(got.map((g) => g.rows)).toEqual(want.map((w) => w.rows));
    } finally {
      await e.close();
    }
  }, 180_000);
});
