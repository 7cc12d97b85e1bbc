/**
 * Ledger benchmark (figures for the issue's closing note), each beside a baseline measured in the same run:
 *
 *  1. Ingest: a synthetic DSA day packed like the real dumps (zip of zips of CSV parts, 1,000,000 rows per CSV part
 *     as the Transparency Database writes them) goes through the real command, `stackwatch ledger import dsa <zip>`,
 *     in a child process (unzip streamed one part ahead of the load, SHA-1 check, DuckDB's CSV reader with rejects straight into the table,
 *     flags, the rollup, resumable parts).
 *     Its peak memory is the child's resident set, sampled every 50 ms from /proc (VmRSS; VmHWM as the kernel's peak).
 *     Baselines, in this process, on the same CSV parts unpacked beforehand (unpacking is not timed):
 *       - load:  DuckDB's own read_csv of the parts INSERTed into the same ledger_dsa table (no unzip, no checks, no
 *                flags, no resume bookkeeping). The goal (importer ≥ 0.5× of it) is measured against this one.
 *       - parse: DuckDB's read_csv counting the rows only (nothing stored): the parser's own speed, for scale.
 *  2. Queries: the volume query (platform × category × decision ground × day) and the compliance query (country ×
 *     requester type × half-year), through the named queries the API runs, p50 of LEDGER_BENCH_RUNS runs after one
 *     warm-up, on DuckDB (a file) and on the ClickHouse engine (chdb, MergeTree tables in a session directory).
 *     100 million rows do not go through the importer (hours): each engine generates them itself in SQL (DuckDB
 *     range(), ClickHouse numbers()) with the synthetic generator's distributions (see fillTables), and says so.
 *     The named queries read the rollup tables (src/ledger/rollup.ts), built here from the generated rows with the
 *     SQL that fills them in a ledger upgraded from before them (an import writes them part by part); the same
 *     queries on the detail rows are timed beside them and their answers compared.
 *
 *   LEDGER_BENCH_ROWS   rows of the synthetic day to ingest (default 10,000,000 as the issue asks; 0 skips the ingest)
 *   LEDGER_BENCH_QROWS  rows of each query table (default 100,000,000 as the issue asks; 0 skips the queries)
 *   LEDGER_BENCH_QDAYS  days the DSA query rows spread over (default 30)
 *   LEDGER_BENCH_RUNS   timed runs per query (default 5)
 *   LEDGER_BENCH_DETAIL_RUNS  timed runs of the same queries on the detail rows, without the rollups (default 1; 0 skips)
 *   LEDGER_BENCH_CHDB=0 skips chdb
 *   LEDGER_BENCH_DIR    where the files go (default the temporary directory); removed at the end
 *
 * Disk: about 0.8 KB per ingested row while the unpacked baseline CSV exists (10 M rows ≈ 8 GB), and a few GB for
 * 100 M query rows per engine; the free space is checked first. Time at the default scale on 2 cores: about 15 minutes.
 *
 *     Then the same day in another packaging goes into the same ledger: every statement must be found loaded already
 *     (one statement counts once), and the time and memory that check costs are printed beside the first import's.
 *
 * Run: node --import tsx bench/ledger.ts     (small check: LEDGER_BENCH_ROWS=1000000 LEDGER_BENCH_QROWS=5000000 …)
 */
import { spawn } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, statfsSync, statSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { DuckDBInstance } from '@duckdb/node-api';
import { duckMemoryLimit, openDuckLedger, type LedgerEngine } from '../src/ledger/engine.js';
import { openChdbLedger } from '../src/ledger/chdb-engine.js';
import { schemaSql } from '../src/ledger/schema.js';
import { writeSyntheticDay, EU27 } from '../src/ledger/import/dsa-synth.js';
import { runQuery } from '../src/ledger/queries.js';
import { demandsRollupInsertSql, dsaRollupInsertSql } from '../src/ledger/rollup.js';
import type { Actor } from '../src/platform/audit.js';

const num = (name: string, dflt: number) => {
  const v = process.env[name];
  const n = v === undefined || v === '' ? dflt : Number(v);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name} must be a whole number ≥ 0 (got ${v})`);
  return n;
};
const ROWS = num('LEDGER_BENCH_ROWS', 10_000_000);
const QROWS = num('LEDGER_BENCH_QROWS', 100_000_000);
const QDAYS = Math.max(1, num('LEDGER_BENCH_QDAYS', 30));
const RUNS = Math.max(1, num('LEDGER_BENCH_RUNS', 5));
const WITH_CHDB = process.env.LEDGER_BENCH_CHDB !== '0';
const DETAIL_RUNS = num('LEDGER_BENCH_DETAIL_RUNS', 1);
const FILL_MEMORY = `${Math.max(1, Math.floor((totalmem() / 2 ** 30) * 0.4))}GiB`;
const ROOT = join(import.meta.dirname, '..');
const viewer: Actor = { userId: null, label: 'bench', orgId: 'bench', role: 'viewer' };
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const GiB = 2 ** 30;
mkdirSync(process.env.LEDGER_BENCH_DIR || tmpdir(), { recursive: true });
const dir = mkdtempSync(join(process.env.LEDGER_BENCH_DIR || tmpdir(), 'ledger-bench-'));

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((res, rej) => yauzl.open(path, { lazyEntries: true }, (e, z) => (e || !z ? rej(e) : res(z))));
}
/** Unpacks every CSV of a zip of zips into `to`, streamed (not timed: the baselines' input). */
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
          if (entry.fileName.endsWith('.zip') && !nested) {
            await walk(target, true);
            rmSync(target, { force: true });
          } else if (entry.fileName.endsWith('.csv')) out.push(target);
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

async function p50(fn: () => Promise<unknown>, runs = RUNS, warm = true): Promise<{ p50: number; min: number; max: number }> {
  if (warm) await fn();
  const ts: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    ts.push(performance.now() - t);
  }
  ts.sort((a, b) => a - b);
  return { p50: ts[Math.floor(ts.length / 2)]!, min: ts[0]!, max: ts[ts.length - 1]! };
}

function checkDisk() {
  const s = statfsSync(dir);
  const free = s.bavail * s.bsize;
  const ingest = ROWS * 850 + ROWS * 250; // unpacked CSV + zip + two DuckDB files
  const query = QROWS * 70; // one engine's tables at a time
  const need = Math.max(ingest, query) * 1.3;
  console.log(`disk: ${(free / GiB).toFixed(0)} GiB free in ${dir}, about ${(need / GiB).toFixed(1)} GiB needed at most`);
  if (free < need) throw new Error(`not enough disk space in ${dir}: ${(free / GiB).toFixed(1)} GiB free, about ${(need / GiB).toFixed(1)} GiB needed; set LEDGER_BENCH_DIR or lower the scale`);
}

/** Runs `stackwatch ledger import dsa <zip> --json` in a child process; samples its memory from /proc. */
async function importInChild(zip: string, dataDir: string) {
  const child = spawn(process.execPath, [join(ROOT, 'bin', 'stackwatch.js'), 'ledger', 'import', 'dsa', zip, '--json'], {
    env: { ...process.env, STACKWATCH_DATA_DIR: dataDir, LEDGER_CLICKHOUSE_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (err += d));
  let peakRss = 0;
  let hwm = 0;
  let samples = 0;
  const sample = () => {
    try {
      const st = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(st)?.[1] ?? 0) * 1024;
      peakRss = Math.max(peakRss, kb('VmRSS'));
      hwm = Math.max(hwm, kb('VmHWM'));
      samples++;
    } catch {
      // the child has exited
    }
  };
  const t0 = performance.now();
  const timer = setInterval(sample, 50);
  const code = await new Promise<number | null>((res) => child.on('exit', (c) => res(c)));
  const ms = performance.now() - t0;
  clearInterval(timer);
  if (code !== 0) throw new Error(`the import exited with ${code}:\n${err.slice(-2000)}`);
  const summary = JSON.parse(out) as { rowsRead: number; rowsLoaded: number; rowsFlagged: number; rowsDuplicate: number; status: string; checksum: string };
  return { ms, summary, peakRss, hwm, samples };
}

async function ingest() {
  const zip = join(dir, 'sor-global-2025-07-01-full.zip');
  let t = performance.now();
  // 1,000,000 rows per CSV part and 10 parts per inner zip, as the real dumps; deflate level 1 to generate faster
  // (not timed; inflating level-1 and level-6 data costs about the same)
  const w = await writeSyntheticDay(zip, { day: '2025-07-01', rows: ROWS, rowsPerCsv: Math.min(1_000_000, Math.max(1, Math.ceil(ROWS / 4))), csvsPerZip: 10, seed: 42, compressionLevel: 1 });
  console.log(`generated ${fmt(ROWS)} rows in ${w.parts.length} CSV part(s), ${(statSync(zip).size / 2 ** 20).toFixed(0)} MiB zipped, in ${secs(performance.now() - t)} (not timed)`);

  // The importer first (so that it does not profit from the baselines' page cache of the unpacked CSV).
  const imp = await importInChild(zip, join(dir, 'data'));
  // The same statements in another packaging of the day (parts cut elsewhere, as "light" and per-platform dumps
  // repeat the global one), into the same ledger: every row must be found already loaded and none kept twice.
  const zip2 = join(dir, 'sor-global-2025-07-01-light.zip');
  await writeSyntheticDay(zip2, { day: '2025-07-01', rows: ROWS, rowsPerCsv: Math.min(700_000, Math.max(1, Math.ceil(ROWS / 3))), csvsPerZip: 5, seed: 42, compressionLevel: 1 });
  const again = await importInChild(zip2, join(dir, 'data'));
  rmSync(zip2, { force: true });
  rmSync(join(dir, 'data'), { recursive: true, force: true });

  t = performance.now();
  const csvs = await unpackAll(zip, join(dir, 'unpacked'));
  const csvBytes = csvs.reduce((s, c) => s + statSync(c).size, 0);
  console.log(`unpacked ${csvs.length} CSV part(s), ${(csvBytes / GiB).toFixed(2)} GiB, in ${secs(performance.now() - t)} (not timed)`);
  const list = `[${csvs.map((c) => `'${c.replace(/'/g, "''")}'`).join(',')}]`;
  const inst = await DuckDBInstance.create(join(dir, 'baseline.duckdb'));
  const conn = await inst.connect();
  for (const s of schemaSql('duckdb')) await conn.run(s);
  t = performance.now();
  const parsed = Number((await conn.runAndReadAll(`SELECT count(*) AS n FROM read_csv(${list}, header = true, all_varchar = true)`)).getRowObjectsJson()[0]!.n);
  const parseMs = performance.now() - t;
  t = performance.now();
  await conn.run(`INSERT INTO ledger_dsa SELECT uuid, platform_name, category, decision_ground, decision_visibility, decision_account, automated_detection, automated_decision,
      territorial_scope, '', source_type, content_type, strptime(created_at, '%Y-%m-%d %H:%M:%S'), CAST(strptime(created_at, '%Y-%m-%d %H:%M:%S') AS DATE), '', filename, 0, 'baseline'
    FROM read_csv(${list}, header = true, all_varchar = true, filename = true)`);
  const loadMs = performance.now() - t;
  const loaded = Number((await conn.runAndReadAll('SELECT count(*) AS n FROM ledger_dsa')).getRowObjectsJson()[0]!.n);
  conn.closeSync();
  inst.closeSync();
  rmSync(join(dir, 'unpacked'), { recursive: true, force: true });
  rmSync(join(dir, 'baseline.duckdb'), { force: true });
  rmSync(zip, { force: true });

  const s = imp.summary;
  const impRate = s.rowsRead / (imp.ms / 1000);
  const loadRate = loaded / (loadMs / 1000);
  const parseRate = parsed / (parseMs / 1000);
  console.log(`\nIngest: one synthetic DSA day of ${fmt(ROWS)} rows, real packaging (zip of zips of CSV parts)`);
  console.log(`  baseline (load)   DuckDB read_csv of the unpacked CSV → ledger_dsa: ${fmt(loaded)} rows in ${secs(loadMs)} = ${fmt(loadRate)} rows/s`);
  console.log(`  baseline (parse)  DuckDB read_csv, rows counted only:              ${fmt(parsed)} rows in ${secs(parseMs)} = ${fmt(parseRate)} rows/s`);
  console.log(`  importer          stackwatch ledger import dsa <zip> (child):       ${fmt(s.rowsLoaded)} loaded + ${fmt(s.rowsFlagged)} flagged in ${secs(imp.ms)} = ${fmt(impRate)} rows/s (status ${s.status}, checksum ${s.checksum})`);
  console.log(`  ratio importer / load baseline:  ${(impRate / loadRate).toFixed(2)}× (goal ≥ 0.5×);  importer / parse-only: ${(impRate / parseRate).toFixed(2)}×`);
  console.log(`  peak memory of the import process: ${(imp.peakRss / 2 ** 20).toFixed(0)} MiB RSS sampled (${imp.samples} samples), ${(imp.hwm / 2 ** 20).toFixed(0)} MiB VmHWM (goal < 1024 MiB)`);
  if (s.rowsRead !== ROWS) console.log(`  WARNING: the importer read ${fmt(s.rowsRead)} rows of ${fmt(ROWS)}`);
  const a = again.summary;
  console.log(`  the same day in another packaging, into the same ledger: ${fmt(a.rowsRead)} rows read, ${fmt(a.rowsDuplicate)} found loaded already, ${fmt(a.rowsLoaded)} loaded, in ${secs(again.ms)} (${(again.ms / imp.ms).toFixed(2)}× the first import's time), peak ${(again.hwm / 2 ** 20).toFixed(0)} MiB VmHWM`);
  if (a.rowsDuplicate !== ROWS || a.rowsLoaded !== 0) console.log(`  WARNING: expected all ${fmt(ROWS)} rows found loaded already`);
}

const PLATFORMS = ['Facebook', 'Instagram', 'TikTok', 'YouTube', 'Google Shopping', 'Amazon Store', 'Pinterest', 'Snapchat', 'X', 'LinkedIn', 'Wallapop', 'Kleinanzeigen', 'Hotel Hideaway', 'Vinted', 'Temu'];
const CATS = ['SCAMS_AND_FRAUD', 'ILLEGAL_OR_HARMFUL_SPEECH', 'PROTECTION_OF_MINORS', 'CYBER_VIOLENCE', 'NEGATIVE_EFFECTS_ON_CIVIC_DISCOURSE_OR_ELECTIONS', 'RISK_FOR_PUBLIC_SECURITY', 'INTELLECTUAL_PROPERTY_INFRINGEMENTS', 'PORNOGRAPHY_OR_SEXUALIZED_CONTENT', 'VIOLENCE', 'UNSAFE_AND_PROHIBITED_PRODUCTS', 'SCOPE_OF_PLATFORM_SERVICE'].map((c) => `STATEMENT_CATEGORY_${c}`);
const VIS = ['CONTENT_REMOVED', 'CONTENT_DISABLED', 'CONTENT_DEMOTED', 'CONTENT_AGE_RESTRICTED', 'CONTENT_LABELLED'].map((v) => `["DECISION_VISIBILITY_${v}"]`);
const SOURCES = ['SOURCE_VOLUNTARY', 'SOURCE_ARTICLE_16', 'SOURCE_TRUSTED_FLAGGER', 'SOURCE_TYPE_OTHER_NOTIFICATION'];
const CONTENT = ['TEXT', 'IMAGE', 'VIDEO', 'PRODUCT', 'SYNTHETIC_MEDIA', 'OTHER'].map((c) => `["CONTENT_TYPE_${c}"]`);
const AUTO = ['AUTOMATED_DECISION_FULLY', 'AUTOMATED_DECISION_PARTIALLY', 'AUTOMATED_DECISION_NOT_AUTOMATED'];
const CCS = 'AR AU BR CA CN DE ES FR GB ID IN IR IT JP KR KZ MX MY NL PK PL RU SA SG TH TR UA US VN ZA'.split(' ');
const TYPES = ['court', 'executive_police', 'regulator', 'other_government', 'private_party', 'unknown'];
const arr = (xs: string[]) => `[${xs.map((x) => `'${x}'`).join(',')}]`;

/**
 * Fills the query tables with `n` synthetic rows each, in the engine's own SQL (DuckDB range(), ClickHouse
 * numbers()). DSA rows follow dsa-synth.ts: platform, category, visibility, content type, source and automated
 * decision uniform over the same vocabularies; 8 % illegal content (the rest terms of service); 70 % automated
 * detection; 5 % account suspensions; territorial scope 50 % EEA, 20 % EU, 25 % one member state, 5 % several;
 * QDAYS days, rows spread evenly over each day. The uuid is a short unique string (no query reads it). Demand rows:
 * 30 countries, 6 requester types, 20 reasons, 26 half-years, uniform. The draws are made for a block of 2^20 rows
 * that repeats (row numbers, uuids and times differ), which keeps every day's mix the same as the whole's.
 */
async function fillTables(e: LedgerEngine, n: number) {
  const ch = e.dialect === 'clickhouse';
  // The drawn columns are computed once for a block of T rows (a template), then the block is repeated with fresh
  // row numbers, uuids and timestamps: storing 100 M rows is the cost, drawing them again for every row would triple it.
  const T = Math.min(n, 1 << 20);
  const K = Math.ceil(n / T);
  const h = (k: number, m: number) => (ch ? `(cityHash64(number * ${k} + ${k}) % ${m})` : `(hash(i * ${k} + ${k}) % ${m})::INT`);
  const pick = (xs: string[], k: number) => `${arr(xs)}[1 + ${h(k, xs.length)}]`;
  const iff = (c: string, a: string, b: string) => (ch ? `if(${c}, ${a}, ${b})` : `CASE WHEN ${c} THEN ${a} ELSE ${b} END`);
  const str = (x: string) => (ch ? `toString(${x})` : `CAST(${x} AS VARCHAR)`);
  const scopeDraw = h(19, 100);
  const one = pick(EU27, 23);
  const scopeClass = ch
    ? `multiIf(${scopeDraw} < 50, 'EEA', ${scopeDraw} < 70, 'EU', ${scopeDraw} < 95, ${one}, 'multiple')`
    : `CASE WHEN ${scopeDraw} < 50 THEN 'EEA' WHEN ${scopeDraw} < 70 THEN 'EU' WHEN ${scopeDraw} < 95 THEN ${one} ELSE 'multiple' END`;
  const scopeRaw = ch
    ? `multiIf(${scopeDraw} < 50, '[EEA]', ${scopeDraw} < 70, '[EU]', ${scopeDraw} < 95, concat('["', ${one}, '"]'), '[several]')`
    : `CASE WHEN ${scopeDraw} < 50 THEN '[EEA]' WHEN ${scopeDraw} < 70 THEN '[EU]' WHEN ${scopeDraw} < 95 THEN '["' || ${one} || '"]' ELSE '[several]' END`;
  const tpl = async (name: string, cols: string) => {
    await e.run(`DROP TABLE IF EXISTS ${name}`);
    await e.run(ch ? `CREATE TABLE ${name} ENGINE = Memory AS SELECT number AS j, ${cols} FROM numbers(${T})` : `CREATE TEMP TABLE ${name} AS SELECT i AS j, ${cols} FROM range(${T}) t(i)`);
  };
  // g: the row's number in 0 … n-1
  const g = ch ? `(r.number * ${T} + t.j)` : `(r.k * ${T} + t.j)`;
  const from = (name: string) => (ch ? `${name} AS t CROSS JOIN numbers(${K}) AS r WHERE ${g} < ${n}` : `${name} t, range(${K}) r(k) WHERE ${g} < ${n}`);
  const perDay = Math.ceil(n / QDAYS);
  const dayIdx = ch ? `intDiv(${g}, ${perDay})` : `(${g} // ${perDay})::INT`;
  const sec = ch ? `intDiv((${g} % ${perDay}) * 86399, ${perDay})` : `((${g} % ${perDay}) * 86399 // ${perDay})::INT`;
  const created = ch ? `toDateTime('2025-01-01 00:00:00') + toIntervalDay(${dayIdx}) + toIntervalSecond(${sec})` : `TIMESTAMP '2025-01-01' + to_days(${dayIdx}) + to_seconds(${sec})`;
  const day = ch ? `toDate('2025-01-01') + ${dayIdx}` : `DATE '2025-01-01' + ${dayIdx}`;
  await tpl('bench_tpl_dsa', `${pick(PLATFORMS, 1)} AS platform_name, ${pick(CATS, 7)} AS category,
      ${iff(`${h(3, 100)} < 8`, "'DECISION_GROUND_ILLEGAL_CONTENT'", "'DECISION_GROUND_INCOMPATIBLE_CONTENT'")} AS decision_ground, ${pick(VIS, 29)} AS decision_visibility,
      ${iff(`${h(31, 100)} < 5`, "'DECISION_ACCOUNT_SUSPENDED'", "''")} AS decision_account, ${iff(`${h(5, 10)} < 7`, "'Yes'", "'No'")} AS automated_detection,
      ${pick(AUTO, 13)} AS automated_decision, ${scopeRaw} AS territorial_scope, ${scopeClass} AS scope_class, ${pick(SOURCES, 17)} AS source_type, ${pick(CONTENT, 37)} AS content_type`);
  await e.run(`INSERT INTO ledger_dsa SELECT ${ch ? `concat('u', toString(${g}))` : `'u' || ${g}`}, t.platform_name, t.category, t.decision_ground, t.decision_visibility, t.decision_account,
      t.automated_detection, t.automated_decision, t.territorial_scope, t.scope_class, t.source_type, t.content_type, ${created}, ${day}, '', 'bench', 0, 'bench'
    FROM ${from('bench_tpl_dsa')}`);
  await e.run('DROP TABLE bench_tpl_dsa');
  const half = (k: number) => (ch ? `addMonths(toDate('${k === 0 ? '2011-01-01' : '2011-06-30'}'), 6 * ${h(41, 26)})` : `DATE '${k === 0 ? '2011-01-01' : '2011-06-30'}' + to_months(6 * ${h(41, 26)})`);
  await tpl('bench_tpl_demands', `${pick(CCS, 1)} AS country, ${pick(TYPES, 3)} AS requester_type, concat('r', ${str(h(5, 20))}) AS reason, ${half(0)} AS period_start, ${half(1)} AS period_end,
      ${h(11, 500)} AS requests, ${h(13, 5000)} AS items, ${h(17, 100)} AS pct`);
  await e.run(`INSERT INTO ledger_demands SELECT ${ch ? `concat('d', toString(${g}))` : `'d' || ${g}`}, 'google-summary', 'aggregate', t.country, t.requester_type, '', '', t.reason, 'Google', '', 'application',
      t.period_start, t.period_end, t.requests, t.requests, t.items, t.items, t.pct, 0, NULL, NULL, NULL, NULL, t.pct,
      'unknown', '', '', '[]', 'TLP:CLEAR', '', '', 'bench', '', ${g}, 'bench' FROM ${from('bench_tpl_demands')}`);
  await e.run('DROP TABLE bench_tpl_demands');
}

async function queries() {
  console.log(`\nQueries on ${fmt(QROWS)} rows per table (DSA rows over ${QDAYS} days), generated inside each engine in SQL, not through the importer; p50 of ${RUNS} runs after a warm-up (goal < 1 s on DuckDB)`);
  const engines: [string, () => Promise<LedgerEngine>][] = [['DuckDB (file)', () => openDuckLedger(join(dir, 'q.duckdb'))]];
  if (WITH_CHDB) engines.push(['ClickHouse (chdb)', openChdbLedger]);
  const volume = { by: 'platform_name,category,decision_ground,day', limit: 100000 };
  const compliance = { by: 'country,requester_type,half_year' };
  for (const [name, open] of engines) {
    const q = await open();
    try {
      let t = performance.now();
      // generating 100 M rows is not what is measured: DuckDB gets more memory and no insertion order for it, then
      // the ledger's own setting back for the queries
      if (q.dialect === 'duckdb') await q.run(`SET memory_limit = '${FILL_MEMORY}'; SET preserve_insertion_order = false`);
      await fillTables(q, QROWS);
      if (q.dialect === 'duckdb') await q.run(`SET memory_limit = '${duckMemoryLimit()}'; RESET preserve_insertion_order`);
      const fillMs = performance.now() - t;
      // the rollups, from the generated rows, with the same SQL a ledger upgraded from before them is filled with
      // (an import writes them part by part as it loads)
      t = performance.now();
      await q.run(dsaRollupInsertSql('ledger_dsa'));
      await q.run(demandsRollupInsertSql());
      const rollMs = performance.now() - t;
      // ClickHouse merges the parts of 100 M inserted rows in the background for a while: wait for that to end
      // (not timed, at most 10 minutes) so that the timed queries do not share the CPU with it
      let mergeMs = 0;
      if (q.dialect === 'clickhouse') {
        const t1 = performance.now();
        while (performance.now() - t1 < 600_000 && Number((await q.all('SELECT count() AS n FROM system.merges'))[0]?.n ?? 0) > 0) await new Promise((r) => setTimeout(r, 1000));
        mergeMs = performance.now() - t1;
      }
      const rollRows = (await q.all('SELECT (SELECT count(*) FROM ledger_dsa_rollup) AS d, (SELECT count(*) FROM ledger_demands_rollup) AS c'))[0]!;
      const vol = await p50(() => runQuery(q, 'dsaVolumes', volume, viewer));
      const comp = await p50(() => runQuery(q, 'compliance', compliance, viewer));
      const vr = await runQuery(q, 'dsaVolumes', volume, viewer);
      const cr = await runQuery(q, 'compliance', compliance, viewer);
      const total = vr.rows.reduce((s, r) => s + Number(r.statements), 0);
      const r = (x: { p50: number; min: number; max: number }) => `${fmt(x.p50).padStart(6)} ms (min ${fmt(x.min)}, max ${fmt(x.max)})`;
      console.log(`  ${name.padEnd(18)} volume ${r(vol)}, ${fmt(vr.rows.length)} groups summing to ${fmt(total)} rows`);
      console.log(`  ${''.padEnd(18)} compliance ${r(comp)}, ${fmt(cr.rows.length)} groups`);
      console.log(`  ${''.padEnd(18)} (tables generated in ${secs(fillMs)}; rollups built in ${secs(rollMs)}: ${fmt(Number(rollRows.d))} DSA and ${fmt(Number(rollRows.c))} demand rows${mergeMs > 1000 ? `; background merges waited for: ${secs(mergeMs)}` : ''})`);
      if (total !== QROWS) console.log(`  WARNING: the volume groups sum to ${fmt(total)}, not ${fmt(QROWS)}`);
      if (DETAIL_RUNS > 0) {
        // the same queries on the detail rows (what they cost without the rollups), and the same answers
        const dv = await p50(() => runQuery(q, 'dsaVolumes', volume, viewer, { detail: true }), DETAIL_RUNS, false);
        const dc = await p50(() => runQuery(q, 'compliance', compliance, viewer, { detail: true }), DETAIL_RUNS, false);
        const same = JSON.stringify((await runQuery(q, 'dsaVolumes', volume, viewer, { detail: true })).rows) === JSON.stringify(vr.rows) &&
          JSON.stringify((await runQuery(q, 'compliance', compliance, viewer, { detail: true })).rows) === JSON.stringify(cr.rows);
        console.log(`  ${''.padEnd(18)} on the detail rows (${DETAIL_RUNS} run(s), no warm-up): volume ${r(dv)}, compliance ${r(dc)}; answers ${same ? 'identical' : 'DIFFERENT'}`);
      }
    } finally {
      await q.close();
      rmSync(join(dir, 'q.duckdb'), { force: true });
      rmSync(join(dir, 'q.duckdb.wal'), { force: true });
    }
  }
}

async function main() {
  console.log(`Ledger benchmark — ${fmt(ROWS)} DSA rows to ingest, ${fmt(QROWS)} rows per query table; ${cpus().length} CPU(s), ${(totalmem() / GiB).toFixed(0)} GiB memory, Node ${process.version}`);
  checkDisk();
  const t = performance.now();
  if (ROWS > 0) await ingest();
  if (QROWS > 0) await queries();
  console.log(`\nwhole benchmark: ${secs(performance.now() - t)}`);
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => rmSync(dir, { recursive: true, force: true }));
