/**
 * Outages on real, messy signals (issue #10). Run: `npx tsx bench/outages-messy.ts` (about 2–4 minutes; set
 * OUTAGES_MESSY_ROWS=0 to skip the 20-million-row memory run, or a smaller number for a quick one).
 *
 * Figures, each next to a baseline measured in the same run — the detector as it was before issue #10
 * (bench/outages-detector-v1.ts, a frozen copy, with its defaults: monash one critical hour, counts judged as a
 * generic 5-minute signal, missing hours left missing):
 *  1. the realistic synthetic benchmark (src/outages/evaluate/realistic.ts), seeds 1–3: per-hour false-positive
 *     rate, precision, recall, causal delay — all series, and the nightly-shutdown low-count subset;
 *  2. Venezuela, 22 July 2019, the file as published: start error of the national event against the power failure
 *     (16:40 local = 20:40 UTC), first-alert delay, and the same with the first 36 hours removed;
 *  3. detection throughput (points per second, one core) on the realistic series;
 *  4. memory: bytes per row and peak RSS reading a 20-million-row CSV (in a child process), next to the old
 *     whole-text reader at 2 million rows.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
import { detect } from '../src/outages/detect/index.js';
import { configFrom, defaultConfig, paramsFor, type DetectorConfig } from '../src/outages/detect/config.js';
import { fuse } from '../src/outages/detect/fusion.js';
import { detectSeries as detectSeriesV1 } from './outages-detector-v1.js';
import { detectSeries as detectSeriesNow } from '../src/outages/detect/detector.js';
import { makeBenchSeries } from './outages-detect-data.js';
import { coverageOf, evaluate, type Evaluation } from '../src/outages/evaluate/evaluate.js';
import { realisticRun, withMembers } from '../src/outages/evaluate/realistic.js';
import { parseSignalText, readSignalFile } from '../src/outages/signals/index.js';
import type { OutageEvent, Series } from '../src/outages/model.js';

const pct = (x: number | null) => (x === null ? 'n/a' : `${(x * 100).toFixed(1)} %`);
const min = (x: number | null) => (x === null ? 'n/a' : `${x.toFixed(0)} min`);

/** The old defaults (before #10): monash confirmed by one critical hour, no recent baseline, no count handling. */
function v1Config(): DetectorConfig {
  return configFrom({ signals: { monash: { minMinutes: 60, recentHours: 0 } } });
}

function detectV1(series: Series[], cfg: DetectorConfig): OutageEvent[] {
  const per = series.map((s) => {
    // the old config knew no "count" kind: such series fell to generic
    const p = s.signal === 'count' ? cfg.signals.generic! : paramsFor(cfg, s.signal);
    return { series: { entity: s.entity, signal: s.signal, start: s.start, step: s.step, length: s.values.length }, events: detectSeriesV1(s.values, s.start, s.step, p).events };
  });
  return fuse(per, cfg.fusion);
}

function row(name: string, ev: Evaluation) {
  return `${name.padEnd(34)} FPR/h ${pct(ev.hourly!.fpr).padStart(7)}  precision ${pct(ev.full.precision).padStart(7)}  recall ${pct(ev.full.recall).padStart(7)}  ` +
    `delay median ${min(ev.full.medianDelayMinutes).padStart(7)} max ${min(ev.full.maxDelayMinutes).padStart(8)}  (${ev.full.detections} det., ${ev.full.labels} labels)`;
}

async function synthetic() {
  console.log('1. Realistic synthetic benchmark (hourly; full-shutdown labels; per-hour FPR over all labels, ±60 min)');
  let ptsNew = 0;
  let msNew = 0;
  let msOld = 0;
  for (const seed of [1, 2, 3]) {
    const r = await realisticRun(seed);
    const ents = new Set(r.bench.nightlyCountEntities);
    const sub = r.series.filter((s) => ents.has(s.entity.code));
    const subLabels = r.bench.labels.filter((l) => ents.has(l.entity));
    const subCov = coverageOf(sub).filter((c) => ents.has(c.entity));
    const t0 = performance.now();
    const dNew = detect(r.series);
    const t1 = performance.now();
    const oldEvents = detectV1(r.series, v1Config());
    const t2 = performance.now();
    msNew += t1 - t0;
    msOld += t2 - t1;
    ptsNew += r.series.reduce((s, x) => s + x.values.length, 0);
    const all = (events: OutageEvent[]) => evaluate(withMembers(events), r.bench.labels, { seriesDays: dNew.seriesDays, coverage: coverageOf(r.series) });
    const nightly = (events: OutageEvent[]) => evaluate(withMembers(events).filter((e) => ents.has(e.entity)), subLabels, { seriesDays: 1, coverage: subCov });
    const dSubNew = detect(sub).events;
    const dSubOld = detectV1(sub, v1Config());
    console.log(`seed ${seed}: ${r.series.length} series, ${r.rows.toLocaleString('en')} rows, ${r.bench.labels.length} labels`);
    console.log('  ' + row('all series — now', all(dNew.events)));
    console.log('  ' + row('all series — before #10', all(oldEvents)));
    console.log('  ' + row('nightly low-count — now', nightly(dSubNew)));
    console.log('  ' + row('nightly low-count — before #10', nightly(dSubOld)));
  }
  console.log(`3. Detection throughput on these hourly series, one core: now ${((ptsNew / msNew) * 1000 / 1e6).toFixed(2)} M points/s, before #10 ${((ptsNew / msOld) * 1000 / 1e6).toFixed(2)} M points/s (same series, same run)`);
}

function venezuela() {
  console.log('\n2. Venezuela blackout (Monash file as published; power failure 2019-07-22 20:40 UTC)');
  const file = join(HERE, '..', '..', 'shared', 'data', 'signals', 'monash-ven-2019-07-22-blackout.csv');
  const failure = Date.parse('2019-07-22T20:40:00Z') / 1000;
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  const t0 = Math.min(...lines.slice(1).filter(Boolean).map((l) => Number(l.split(',')[3])));
  const repaired = text.replace(/,-1\n/g, ',\n'); // the old parser refused the sentinel: the hand repair it needed
  for (const cut of [0, 24, 36]) {
    const keep = (t: string) => [lines[0], ...t.split('\n').slice(1).filter((l) => l && Number(l.split(',')[3]) >= t0 + cut * 3600)].join('\n');
    const now = detect(parseSignalText(keep(text)).series);
    const series = parseSignalText(keep(repaired)).series;
    const old = detectV1(series, v1Config());
    const show = (name: string, evs: OutageEvent[], warnings: string[]) => {
      const nat = evs.filter((e) => e.scope === 'country');
      const e = nat[0];
      console.log(
        `  first ${String(cut).padStart(2)} h removed, ${name.padEnd(15)}: ${nat.length} national event(s)` +
          (e ? `, start error ${((e.start - failure) / 60).toFixed(0)} min, first alert ${((e.firstAlertAt - failure) / 60).toFixed(0)} min after the failure, end ${new Date(e.end! * 1000).toISOString()}` : '') +
          (warnings.length ? `; ${warnings.length} warning(s)` : '; no warning'),
      );
    };
    show('now', now.events, now.warnings);
    show('before #10', old, []);
  }
}

function memory() {
  const rows = Number(process.env.OUTAGES_MESSY_ROWS ?? 20_000_000);
  if (!rows) return;
  console.log(`\n4. Memory reading a ${rows.toLocaleString('en')}-row CSV (time,entity,value; 2,000 networks × 5-minute points)`);
  const dir = mkdtempSync(join(tmpdir(), 'sw-messy-bench-'));
  try {
    const write = (n: number, name: string) => {
      const path = join(dir, name);
      const fd = openSync(path, 'w');
      writeSync(fd, 'time,entity,value\n');
      const per = Math.ceil(n / 2000);
      let buf = '';
      let written = 0;
      for (let s = 0; s < 2000 && written < n; s++) {
        for (let k = 0; k < per && written < n; k++, written++) {
          buf += `${1704067200 + k * 300},AS${64500 + s},${(100 + ((k * 7 + s) % 13)).toString()}\n`;
          if (buf.length > 1 << 20) {
            writeSync(fd, buf);
            buf = '';
          }
        }
      }
      writeSync(fd, buf);
      closeSync(fd);
      return path;
    };
    const child = (code: string, file: string) => {
      const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', code, file], { cwd: join(HERE, '..'), encoding: 'utf8', maxBuffer: 1 << 20 });
      return { out: r.stdout.trim(), err: r.stderr.trim().split('\n').slice(-3).join(' | '), status: r.status, signal: r.signal };
    };
    const big = write(rows, 'big.csv');
    const now = child(
      `import { readSignalFile } from './src/outages/signals/index.ts';
       const t = performance.now(); const p = readSignalFile(process.argv[1]); const ms = performance.now() - t;
       const pts = p.series.reduce((s, x) => s + x.values.length, 0);
       console.log(JSON.stringify({ series: p.series.length, points: pts, ms, maxRss: process.resourceUsage().maxRSS * 1024 }));`,
      big,
    );
    if (now.status === 0) {
      const j = JSON.parse(now.out) as { series: number; points: number; ms: number; maxRss: number };
      console.log(`  streaming reader: ${j.series} series, ${j.points.toLocaleString('en')} points in ${(j.ms / 1000).toFixed(1)} s; peak RSS ${(j.maxRss / 2 ** 30).toFixed(2)} GiB = ${(j.maxRss / rows).toFixed(0)} bytes per row`);
    } else console.log(`  streaming reader: exit ${now.status ?? now.signal}: ${now.err}`);
    rmSync(big);
    const base = Math.min(rows, 2_000_000);
    const small = write(base, 'small.csv');
    const old = child(
      `import { readFileSync } from 'node:fs'; import { parseCsv } from './src/outages/signals/csv.ts';
       const t = performance.now(); const tab = parseCsv(readFileSync(process.argv[1], 'utf8')); const ms = performance.now() - t;
       console.log(JSON.stringify({ rows: tab.rows.length, ms, maxRss: process.resourceUsage().maxRSS * 1024 }));`,
      small,
    );
    if (old.status === 0) {
      const j = JSON.parse(old.out) as { rows: number; ms: number; maxRss: number };
      console.log(`  baseline, the whole-text reader before #10 (text + row arrays only, before building series), ${base.toLocaleString('en')} rows: peak RSS ${(j.maxRss / 2 ** 30).toFixed(2)} GiB = ${(j.maxRss / base).toFixed(0)} bytes per row`);
    } else console.log(`  baseline whole-text reader: exit ${old.status ?? old.signal}: ${old.err}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Throughput on long 5-minute series (the IODA case), current detector vs the one before #10, same series. */
function throughput() {
  const days = Number(process.env.OUTAGES_MESSY_DAYS ?? 90);
  const n = Number(process.env.OUTAGES_MESSY_SERIES ?? 30);
  const p = defaultConfig().signals.generic!;
  const series = Array.from({ length: n }, (_, k) => makeBenchSeries(k + 1, days));
  const pts = series.reduce((s, v) => s + v.length, 0);
  // warm both up once
  detectSeriesNow(series[0]!, 0, 300, p);
  detectSeriesV1(series[0]!, 0, 300, p);
  const t0 = performance.now();
  for (const v of series) detectSeriesNow(v, 0, 300, p);
  const t1 = performance.now();
  for (const v of series) detectSeriesV1(v, 0, 300, p);
  const t2 = performance.now();
  console.log(
    `\n3b. Detection throughput, ${n} series × ${days} days of 5-minute points (${pts.toLocaleString('en')} points), one core: ` +
      `now ${(pts / (t1 - t0) / 1000).toFixed(2)} M points/s, before #10 ${(pts / (t2 - t1) / 1000).toFixed(2)} M points/s`,
  );
}

const parts = (process.env.OUTAGES_MESSY_PARTS ?? 'synthetic,venezuela,throughput,memory').split(',');
if (parts.includes('synthetic')) await synthetic();
if (parts.includes('venezuela')) venezuela();
if (parts.includes('throughput')) throughput();
if (parts.includes('memory')) memory();
