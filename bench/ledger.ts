/**
 * Ledger benchmark (figures for the issue's closing note), each beside a baseline measured in the same run:
 *
 *  1. Ingest: a synthetic DSA day packed like the real dumps (zip of zips of CSV parts) through the importer
 *     (unzip streamed, checksum, DuckDB's CSV reader with rejects, flags, resumable parts), against DuckDB's own
 *     read_csv of the same CSV parts already unpacked (the floor: no unzip, no checks). Rows/s, ratio, peak RSS.
 *  2. Queries: the volume query (platform × category × ground × day) and the compliance query (country ×
 *     requester type × half-year) on large synthetic tables, p50 of 5 runs, on DuckDB and on the ClickHouse engine (chdb).
 *
 *   LEDGER_BENCH_ROWS   rows of the synthetic day (default 1,000,000; the issue asks 10,000,000; 0 skips the ingest part)
 *   LEDGER_BENCH_QROWS  rows of the query tables (default 10,000,000; the issue asks 100,000,000)
 *   LEDGER_BENCH_CHDB=0 skips chdb
 *
 * Run: node --import tsx bench/ledger.ts
 */
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { DuckDBInstance } from '@duckdb/node-api';
import { openDuckLedger, type LedgerEngine } from '../src/ledger/engine.js';
import { openChdbLedger } from '../src/ledger/chdb-engine.js';
import { importDsaDay } from '../src/ledger/import/dsa.js';
import { writeSyntheticDay } from '../src/ledger/import/dsa-synth.js';
import { runQuery } from '../src/ledger/queries.js';
import type { Actor } from '../src/platform/audit.js';

const ROWS = Number(process.env.LEDGER_BENCH_ROWS ?? 1_000_000);
const QROWS = Number(process.env.LEDGER_BENCH_QROWS ?? 10_000_000);
const WITH_CHDB = process.env.LEDGER_BENCH_CHDB !== '0';
const viewer: Actor = { userId: null, label: 'bench', orgId: 'bench', role: 'viewer' };
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const dir = mkdtempSync(join(tmpdir(), 'ledger-bench-'));

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((res, rej) => yauzl.open(path, { lazyEntries: true }, (e, z) => (e || !z ? rej(e) : res(z))));
}
/** Unpacks every CSV of a zip of zips into `to` (not timed: the baseline's input). */
async function unpackAll(zip: string, to: string): Promise<string[]> {
  mkdirSync(to, { recursive: true });
  const out: string[] = [];
  const walk = async (path: string, nested: boolean) => {
    const zf = await openZip(path);
    await new Promise<void>((res, rej) => {
      zf.on('entry', async (entry: yauzl.Entry) => {
        try {
          const target = join(to, entry.fileName.replace(/[/\\]/g, '_'));
          const rs = await new Promise<NodeJS.ReadableStream>((r, j) => zf.openReadStream(entry, (e, s) => (e || !s ? j(e) : r(s))));
          await pipeline(rs, createWriteStream(target));
          if (entry.fileName.endsWith('.zip') && !nested) await walk(target, true);
          else if (entry.fileName.endsWith('.csv')) out.push(target);
          zf.readEntry();
        } catch (e) {
          rej(e);
        }
      });
      zf.on('end', () => res());
      zf.on('error', rej);
      zf.readEntry();
    });
  };
  await walk(zip, false);
  return out;
}

function peakRss(): { stop: () => number } {
  let peak = process.memoryUsage().rss;
  const t = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  return { stop: () => (clearInterval(t), Math.max(peak, process.memoryUsage().rss)) };
}

async function p50(fn: () => Promise<unknown>, runs = 5): Promise<number> {
  await fn(); // warm
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    ts.push(performance.now() - t);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)]!;
}

const PLATFORMS = ['Facebook', 'Instagram', 'TikTok', 'YouTube', 'Google Shopping', 'Amazon Store', 'Pinterest', 'Snapchat', 'X', 'LinkedIn', 'Wallapop', 'Kleinanzeigen', 'Hotel Hideaway', 'Vinted', 'Temu'];
const CATS = ['SCAMS_AND_FRAUD', 'ILLEGAL_OR_HARMFUL_SPEECH', 'PROTECTION_OF_MINORS', 'CYBER_VIOLENCE', 'NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS', 'RISK_FOR_PUBLIC_SECURITY', 'INTELLECTUAL_PROPERTY_INFRINGEMENTS', 'PORNOGRAPHY_OR_SEXUALIZED_CONTENT', 'VIOLENCE', 'UNSAFE_AND_PROHIBITED_PRODUCTS', 'SCOPE_OF_PLATFORM_SERVICE'].map((c) => `STATEMENT_CATEGORY_${c}`);
const CCS = 'AR AU BR CA CN DE ES FR GB ID IN IR IT JP KR KZ MX MY NL PK PL RU SA SG TH TR UA US VN ZA'.split(' ');
const TYPES = ['court', 'executive_police', 'regulator', 'other_government', 'private_party', 'unknown'];
const arr = (xs: string[]) => `[${xs.map((x) => `'${x}'`).join(',')}]`;

/** Fills the query tables with `n` synthetic rows, in the engine's own SQL (DuckDB range(), ClickHouse numbers()). */
async function fillTables(e: LedgerEngine, n: number) {
  if (e.dialect === 'duckdb') {
    const h = (k: number, m: number) => `(hash(i * ${k}) % ${m})::INT`;
    await e.run(`INSERT INTO ledger_dsa SELECT 'u' || i, ${arr(PLATFORMS)}[1 + ${h(1, PLATFORMS.length)}], ${arr(CATS)}[1 + ${h(7, CATS.length)}],
      CASE WHEN ${h(3, 100)} < 8 THEN 'DECISION_GROUND_ILLEGAL_CONTENT' ELSE 'DECISION_GROUND_INCOMPATIBLE_CONTENT' END, '', '', CASE WHEN ${h(5, 10)} < 7 THEN 'Yes' ELSE 'No' END,
      'AUTOMATED_DECISION_FULLY', '', CASE WHEN ${h(11, 2)} = 0 THEN 'EEA' ELSE 'DE' END, 'SOURCE_VOLUNTARY', '', TIMESTAMP '2025-01-01' + to_days((i % 30)::INT), DATE '2025-01-01' + (i % 30)::INT, '', 'bench', 0, 'bench'
      FROM range(${n}) t(i)`);
    await e.run(`INSERT INTO ledger_demands SELECT 'd' || i, 'google-summary', 'aggregate', ${arr(CCS)}[1 + ${h(1, CCS.length)}], ${arr(TYPES)}[1 + ${h(3, TYPES.length)}], '', '', 'r' || ${h(5, 20)}, 'Google', '', 'application',
      DATE '2011-01-01' + to_months(6 * ${h(7, 26)}), DATE '2011-06-30' + to_months(6 * ${h(7, 26)}), ${h(11, 500)}, ${h(11, 500)}, ${h(13, 5000)}, ${h(13, 5000)}, ${h(17, 100)}, 0, NULL, NULL, NULL, NULL, ${h(17, 100)},
      'unknown', '', '', '[]', 'TLP:CLEAR', '', '', 'bench', '', i, 'bench' FROM range(${n}) t(i)`);
  } else {
    const h = (k: number, m: number) => `(cityHash64(number * ${k}) % ${m})`;
    await e.run(`INSERT INTO ledger_dsa SELECT concat('u', toString(number)), ${arr(PLATFORMS)}[1 + ${h(1, PLATFORMS.length)}], ${arr(CATS)}[1 + ${h(7, CATS.length)}],
      if(${h(3, 100)} < 8, 'DECISION_GROUND_ILLEGAL_CONTENT', 'DECISION_GROUND_INCOMPATIBLE_CONTENT'), '', '', if(${h(5, 10)} < 7, 'Yes', 'No'), 'AUTOMATED_DECISION_FULLY', '',
      if(${h(11, 2)} = 0, 'EEA', 'DE'), 'SOURCE_VOLUNTARY', '', toDateTime('2025-01-01 00:00:00') + toIntervalDay(number % 30), toDate('2025-01-01') + (number % 30), '', 'bench', 0, 'bench'
      FROM numbers(${n})`);
    await e.run(`INSERT INTO ledger_demands SELECT concat('d', toString(number)), 'google-summary', 'aggregate', ${arr(CCS)}[1 + ${h(1, CCS.length)}], ${arr(TYPES)}[1 + ${h(3, TYPES.length)}], '', '', concat('r', toString(${h(5, 20)})), 'Google', '', 'application',
      addMonths(toDate('2011-01-01'), 6 * ${h(7, 26)}), addMonths(toDate('2011-06-30'), 6 * ${h(7, 26)}), ${h(11, 500)}, ${h(11, 500)}, ${h(13, 5000)}, ${h(13, 5000)}, ${h(17, 100)}, 0, NULL, NULL, NULL, NULL, ${h(17, 100)},
      'unknown', '', '', '[]', 'TLP:CLEAR', '', '', 'bench', '', number, 'bench' FROM numbers(${n})`);
  }
}

async function main() {
  console.log(`Ledger benchmark — ${ROWS.toLocaleString('en-US')} DSA rows to ingest, ${QROWS.toLocaleString('en-US')} rows per query table`);
  if (ROWS > 0) await ingest();
  await queries();
}

async function ingest() {
  const zip = join(dir, 'sor-global-2025-07-01-full.zip');
  let t = performance.now();
  const w = await writeSyntheticDay(zip, { day: '2025-07-01', rows: ROWS, rowsPerCsv: Math.min(1_000_000, Math.ceil(ROWS / 4)), csvsPerZip: 2, seed: 42 });
  console.log(`generated ${w.parts.length} CSV parts in ${((performance.now() - t) / 1000).toFixed(1)} s`);

  // baseline: DuckDB's own read_csv of the same parts, unpacked beforehand
  const csvs = await unpackAll(zip, join(dir, 'unpacked'));
  const inst = await DuckDBInstance.create(join(dir, 'baseline.duckdb'));
  const conn = await inst.connect();
  t = performance.now();
  await conn.run(`CREATE TABLE raw AS SELECT * FROM read_csv([${csvs.map((c) => `'${c}'`).join(',')}], header = true, all_varchar = true)`);
  const baseMs = performance.now() - t;
  const baseRows = Number((await conn.runAndReadAll('SELECT count(*) AS n FROM raw')).getRowObjectsJson()[0]!.n);
  conn.closeSync();
  inst.closeSync();
  rmSync(join(dir, 'unpacked'), { recursive: true, force: true });

  const e = await openDuckLedger(join(dir, 'ledger.duckdb'));
  const mem = peakRss();
  const rssBefore = process.memoryUsage().rss;
  t = performance.now();
  const s = await importDsaDay(e, zip);
  const impMs = performance.now() - t;
  const peak = mem.stop();
  const base = baseRows / (baseMs / 1000);
  const imp = s.rowsLoaded / (impMs / 1000);
  console.log('\nIngest (one synthetic day, real packaging)');
  console.log(`  baseline  DuckDB read_csv of the unpacked CSV: ${fmt(baseRows)} rows in ${(baseMs / 1000).toFixed(2)} s = ${fmt(base)} rows/s`);
  console.log(`  importer  zip of zips → ledger_dsa:           ${fmt(s.rowsLoaded)} rows (+${s.rowsFlagged} flagged) in ${(impMs / 1000).toFixed(2)} s = ${fmt(imp)} rows/s`);
  console.log(`  ratio importer / baseline: ${(imp / base).toFixed(2)}× (goal ≥ 0.5×)`);
  console.log(`  peak RSS of the process during the import: ${(peak / 2 ** 20).toFixed(0)} MiB (before: ${(rssBefore / 2 ** 20).toFixed(0)} MiB; goal < 1024 MiB)`);
  await e.close();
}

async function queries() {
  let t = performance.now();
  console.log(`\nQueries on ${fmt(QROWS)} synthetic rows per table, p50 of 5 runs (goal < 1 s on DuckDB)`);
  const engines: [string, () => Promise<LedgerEngine>][] = [['DuckDB', () => openDuckLedger(join(dir, 'q.duckdb'))]];
  if (WITH_CHDB) engines.push(['ClickHouse (chdb)', openChdbLedger]);
  for (const [name, open] of engines) {
    const q = await open();
    t = performance.now();
    await fillTables(q, QROWS);
    const fillS = (performance.now() - t) / 1000;
    const vol = await p50(() => runQuery(q, 'dsaVolumes', { by: 'platform_name,category,decision_ground,day', limit: 100000 }, viewer));
    const comp = await p50(() => runQuery(q, 'compliance', { by: 'country,requester_type,half_year' }, viewer));
    const vrows = (await runQuery(q, 'dsaVolumes', { by: 'platform_name,category,decision_ground,day', limit: 100000 }, viewer)).rows.length;
    console.log(`  ${name.padEnd(18)} volume query ${vol.toFixed(0).padStart(6)} ms (${vrows} groups)   compliance query ${comp.toFixed(0).padStart(6)} ms   (tables filled in ${fillS.toFixed(1)} s)`);
    await q.close();
  }
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => rmSync(dir, { recursive: true, force: true }));
