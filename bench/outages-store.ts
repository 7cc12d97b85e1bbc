/**
 * Series store benchmark. Run: `npx tsx bench/outages-store.ts` (about a minute).
 *
 * Imports OUTAGES_STORE_SERIES series (default 100) × OUTAGES_STORE_DAYS days (default 365) of 5-minute points
 * into an embedded PostgreSQL (PGlite, in memory; DATABASE_URL for a server), then measures bytes per series-day,
 * import speed, and reads (one series for a year; one country's series for two weeks). Baseline, measured in the
 * same run on a sample: a row-per-point table (series_id, t, value) with its primary key.
 * Figures are extrapolated to the target scale: 250 countries + 1,000 regions + 10,000 networks, one year.
 */
import { openDb } from '../src/platform/db.js';
import { migrate } from '../src/platform/migrate.js';
import { importSeries, loadSeries } from '../src/outages/store.js';
import { mulberry32 } from '../src/outages/evaluate/synthetic.js';
import type { Series } from '../src/outages/model.js';

const SERIES = Number(process.env.OUTAGES_STORE_SERIES ?? 100);
const DAYS = Number(process.env.OUTAGES_STORE_DAYS ?? 365);
const STEP = 300;
const TARGET = 11_250;
const START = Date.UTC(2024, 0, 1) / 1000;

function make(k: number): Series {
  const rnd = mulberry32(k + 1);
  const n = (DAYS * 86400) / STEP;
  const v = new Float64Array(n);
  const level = 100 + 5000 * rnd();
  for (let i = 0; i < n; i++) v[i] = rnd() < 0.003 ? NaN : Math.round(level * (1 + 0.3 * Math.sin((2 * Math.PI * i) / 288)) * (0.95 + 0.1 * rnd()));
  const country = ['IR', 'ET', 'MM', 'SD', 'PK'][k % 5]!;
  return { entity: k % 10 === 0 ? { scope: 'country', code: `${country}`, country } : { scope: 'network', code: `AS${64500 + k}`, country }, signal: k % 10 === 0 ? `ping-slash24.${k}` : 'ping-slash24', start: START, step: STEP, values: v };
}

const fmt = (n: number, d = 1) => n.toLocaleString('en', { maximumFractionDigits: d });

async function main() {
  const db = await openDb({ databaseUrl: process.env.DATABASE_URL, dataDir: 'memory://' });
  await migrate(db);
  console.log(`outages store benchmark — ${SERIES} series × ${DAYS} days of 5-minute points on ${db.kind}; target ${fmt(TARGET, 0)} series × 365 days\n`);
  let points = 0;
  const t0 = performance.now();
  for (let k = 0; k < SERIES; k++) {
    const s = make(k);
    const r = await importSeries(db, [s], { fileName: `bench-${k}`, sha256: '', format: 'bench' });
    points += r.points;
  }
  const importS = (performance.now() - t0) / 1000;
  const size = (await db.query<{ b: number; rows: number }>("select pg_total_relation_size('outage_points')::float8 as b, (select count(*)::int from outage_points) as rows")).rows[0]!;
  const perDay = size.b / size.rows;
  console.log('1. size');
  console.log(`   ${fmt(size.rows, 0)} series-days, ${fmt(size.b / 2 ** 20)} MiB with index → ${fmt(perDay, 0)} bytes per series-day (${fmt(perDay / 288, 2)} per point)`);
  console.log(`   → target (${fmt(TARGET * 365 / 1e6, 2)} M series-days): ${fmt((perDay * TARGET * 365) / 2 ** 30)} GiB`);

  // baseline: one row per point, on a sample of the same data
  await db.exec('create table bench_points (series_id int not null, t timestamptz not null, value real, primary key (series_id, t))');
  const sample = make(0);
  const sampleDays = Math.min(DAYS, 60);
  const n = (sampleDays * 86400) / STEP;
  const b0 = performance.now();
  for (let c = 0; c < n; c += 5000) {
    const ts: string[] = [];
    const vs: (number | null)[] = [];
    for (let i = c; i < Math.min(n, c + 5000); i++) {
      ts.push(new Date((START + i * STEP) * 1000).toISOString());
      const x = sample.values[i]!;
      vs.push(Number.isNaN(x) ? null : x);
    }
    await db.query('insert into bench_points select 1, t, v from unnest($1::timestamptz[], $2::real[]) as u(t, v)', [ts, vs]);
  }
  const rowImportS = (performance.now() - b0) / 1000;
  const rowSize = (await db.query<{ b: number }>("select pg_total_relation_size('bench_points')::float8 as b")).rows[0]!.b;
  const perPointRow = rowSize / n;
  console.log(`   baseline row-per-point table: ${fmt(perPointRow, 1)} bytes per point → target ${fmt((perPointRow * 288 * TARGET * 365) / 2 ** 30)} GiB (×${fmt(perPointRow / (perDay / 288), 1)})\n`);

  console.log('2. import');
  console.log(`   ours: ${fmt(points / importS / 1e6, 2)} M points/s (${fmt(points / 1e6, 1)} M points in ${fmt(importS, 1)} s, one transaction per series)`);
  console.log(`   row-per-point: ${fmt(n / rowImportS / 1e6, 2)} M points/s (${fmt(n, 0)} points)\n`);

  console.log('3. reads');
  let t = performance.now();
  const reps = 5;
  for (let r = 0; r < reps; r++) await loadSeries(db, { entity: `AS${64501 + r}` });
  const oneYear = (performance.now() - t) / reps;
  t = performance.now();
  const twoWeeks = await loadSeries(db, { country: 'IR', from: START + 100 * 86400, to: START + 114 * 86400 });
  const countryMs = performance.now() - t;
  t = performance.now();
  for (let r = 0; r < reps; r++) await db.query('select t, value from bench_points where series_id = 1 and t >= $1 and t < $2 order by t', [new Date((START + 10 * 86400) * 1000).toISOString(), new Date((START + 40 * 86400) * 1000).toISOString()]);
  const rowMonth = (performance.now() - t) / reps;
  t = performance.now();
  for (let r = 0; r < reps; r++) await loadSeries(db, { entity: 'AS64501', from: START + 10 * 86400, to: START + 39 * 86400 });
  const oursMonth = (performance.now() - t) / reps;
  console.log(`   one series, all ${DAYS} days: ${fmt(oneYear, 0)} ms`);
  console.log(`   one country (${twoWeeks.length} series), two weeks: ${fmt(countryMs, 0)} ms`);
  console.log(`   one series, 30 days: ours ${fmt(oursMonth, 1)} ms vs row-per-point ${fmt(rowMonth, 1)} ms`);
  await db.close();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
