/**
 * Outage detection benchmark. Run: `npx tsx bench/outages-detect.ts` (about 1–2 minutes on 2 cores).
 *
 * Figures, each next to a baseline measured in the same run:
 *  1. throughput: points per second of the seasonal-median detector over a year of 5-minute data per series,
 *     extrapolated to 10,000 series — vs a naive IODA-style detector that recomputes the median of the last
 *     7 days (2,016 points) from scratch for every point;
 *  2. incremental update: cost of one new point on warm per-series state — vs the naive recompute;
 *  3. memory: per-series detector state and the process's peak RSS.
 *
 * Scale: OUTAGES_BENCH_SERIES (default 300 series, each a full year of 5-minute points = 105,120 points) and
 * OUTAGES_BENCH_NAIVE_SERIES (default 2; the naive detector is slow, so it runs on fewer series and is
 * extrapolated the same way). OUTAGES_BENCH_DAYS shortens the year for a quick run.
 */
import { SeriesDetector, detectSeries } from '../src/outages/detect/detector.js';
import { defaultConfig } from '../src/outages/detect/config.js';
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { makeBenchSeries } from './outages-detect-data.js';

const SERIES = Number(process.env.OUTAGES_BENCH_SERIES ?? 300);
const NAIVE_SERIES = Number(process.env.OUTAGES_BENCH_NAIVE_SERIES ?? 2);
const DAYS = Number(process.env.OUTAGES_BENCH_DAYS ?? 365);
const STEP = 300;
const N = Math.round((DAYS * 86400) / STEP);
const TARGET = 10_000;
const params = defaultConfig().signals.generic!;

let peakRss = process.memoryUsage().rss;
const sampleRss = () => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
};

const makeSeries = (seed: number) => makeBenchSeries(seed, DAYS, STEP);

/** The naive baseline: median of the previous 7 days recomputed from scratch at every point. */
class NaiveDetector {
  private readonly window: Float64Array;
  private readonly buf: Float64Array;
  private i = 0;
  events = 0;
  private inEvent = false;
  constructor(readonly size = 7 * 288) {
    this.window = new Float64Array(size).fill(NaN);
    this.buf = new Float64Array(size);
  }
  push(value: number): number {
    let n = 0;
    for (let k = 0; k < this.size; k++) {
      const x = this.window[k]!;
      if (x === x) this.buf[n++] = x;
    }
    let med = NaN;
    if (n > 0) {
      const s = this.buf.subarray(0, n).sort();
      med = n & 1 ? s[n >> 1]! : (s[(n >> 1) - 1]! + s[n >> 1]!) / 2;
    }
    const crit = value === value && med === med && value / med < params.critical;
    if (crit && !this.inEvent) this.events++;
    this.inEvent = crit;
    this.window[this.i % this.size] = value;
    this.i++;
    return med;
  }
}

function fmt(n: number, digits = 1) {
  return n.toLocaleString('en', { maximumFractionDigits: digits });
}

/** The same detection spread over worker threads (one per core): wall-clock throughput of the machine. */
async function parallel(series: number, workers: number): Promise<{ wallMs: number; points: number; events: number; detectMs: number }> {
  const t0 = performance.now();
  const per = Math.ceil(series / workers);
  const results = await Promise.all(
    Array.from({ length: workers }, (_, w) =>
      new Promise<{ points: number; events: number; detectMs: number }>((resolve, reject) => {
        // the worker registers tsx itself, then loads the TypeScript worker module
        const entry = new URL('./outages-detect-worker.ts', import.meta.url).href;
        const code = `import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(entry)}); })`;
        const worker = new Worker(code, { eval: true, workerData: { from: 5000 + w * per, to: 5000 + Math.min(series, (w + 1) * per), days: DAYS } });
        worker.once('message', resolve);
        worker.once('error', reject);
      }),
    ),
  );
  return { wallMs: performance.now() - t0, points: results.reduce((s, r) => s + r.points, 0), events: results.reduce((s, r) => s + r.events, 0), detectMs: Math.max(...results.map((r) => r.detectMs)) };
}

async function main() {
  console.log(`outages detection benchmark — ${SERIES} series × ${DAYS} days of 5-minute points (${fmt(N, 0)} points each), extrapolated to ${fmt(TARGET, 0)} series`);
  console.log(`node ${process.version}, ${process.arch}\n`);

  // 1. throughput — ours
  let genMs = 0;
  let detMs = 0;
  let events = 0;
  for (let s = 0; s < SERIES; s++) {
    const g0 = performance.now();
    const v = makeSeries(s + 1);
    const g1 = performance.now();
    events += detectSeries(v, 0, STEP, params).events.length;
    detMs += performance.now() - g1;
    genMs += g1 - g0;
    if (s % 20 === 0) sampleRss();
  }
  const points = SERIES * N;
  const ours = points / (detMs / 1000);
  // naive
  let naiveMs = 0;
  let naiveEvents = 0;
  const naivePoints = Math.min(N, 30 * 288);
  for (let s = 0; s < NAIVE_SERIES; s++) {
    const v = makeSeries(s + 1);
    const d = new NaiveDetector();
    const t0 = performance.now();
    for (let i = 0; i < naivePoints; i++) d.push(v[i]!);
    naiveMs += performance.now() - t0;
    naiveEvents += d.events;
    sampleRss();
  }
  const naive = (NAIVE_SERIES * naivePoints) / (naiveMs / 1000);
  const yearPoints = TARGET * 105_120;
  console.log('1. throughput (one core)');
  console.log(`   seasonal median (ours): ${fmt(ours / 1e6, 2)} M points/s — ${fmt(points / 1e6, 1)} M points in ${fmt(detMs / 1000, 1)} s, ${events} events (${(events / SERIES).toFixed(2)} per series; 2 injected)`);
  console.log(`   naive 7-day median     : ${fmt(naive / 1e6, 3)} M points/s — measured on ${NAIVE_SERIES} series × ${fmt(naivePoints, 0)} points`);
  console.log(`   → a year of 5-minute data for ${fmt(TARGET, 0)} series (${fmt(yearPoints / 1e9, 2)} G points): ours ${fmt(yearPoints / ours / 60, 1)} min, naive ${fmt(yearPoints / naive / 3600, 1)} h (×${fmt(ours / naive, 0)})`);
  console.log(`   (series generation, not counted: ${fmt(genMs / 1000, 1)} s)`);
  const cores = availableParallelism();
  const par = await parallel(SERIES, cores);
  sampleRss();
  const parRate = par.points / (par.wallMs / 1000);
  const parDetect = par.points / (par.detectMs / 1000);
  console.log(`   ${cores} worker threads: detection ${fmt(parDetect / 1e6, 2)} M points/s (slowest worker) → ${fmt(TARGET, 0)} series × one year in ${fmt(yearPoints / parDetect / 60, 1)} min; wall clock with generation and start-up ${fmt(parRate / 1e6, 2)} M points/s (cores are shared with other work)\n`);

  // 2. incremental update cost: warm detectors, then one new point each
  const WARM = Math.min(SERIES, 200);
  const warmPts = Math.min(N, 29 * 288);
  const dets: SeriesDetector[] = [];
  const data: Float64Array[] = [];
  for (let s = 0; s < WARM; s++) {
    const v = makeSeries(1000 + s);
    const d = new SeriesDetector(0, STEP, params);
    for (let i = 0; i < warmPts; i++) d.push(v[i]!);
    dets.push(d);
    data.push(v);
  }
  sampleRss();
  const ROUNDS = Math.min(288, N - warmPts);
  const t0 = performance.now();
  for (let r = 0; r < ROUNDS; r++) for (let s = 0; s < WARM; s++) dets[s]!.push(data[s]![warmPts + r]!);
  const oursUpdateUs = ((performance.now() - t0) * 1000) / (ROUNDS * WARM);
  const naiveDets = Array.from({ length: 20 }, () => new NaiveDetector());
  for (let s = 0; s < naiveDets.length; s++) for (let i = 0; i < 2016; i++) naiveDets[s]!.push(data[s]![i]!);
  const t1 = performance.now();
  for (let r = 0; r < 50; r++) for (let s = 0; s < naiveDets.length; s++) naiveDets[s]!.push(data[s]![2016 + r]!);
  const naiveUpdateUs = ((performance.now() - t1) * 1000) / (50 * naiveDets.length);
  console.log('2. incremental update (one new point on warm state)');
  console.log(`   ours : ${fmt(oursUpdateUs, 2)} µs per point → a 5-minute round for ${fmt(TARGET, 0)} series: ${fmt((oursUpdateUs * TARGET) / 1000, 1)} ms`);
  console.log(`   naive: ${fmt(naiveUpdateUs, 2)} µs per point → ${fmt((naiveUpdateUs * TARGET) / 1000, 1)} ms (×${fmt(naiveUpdateUs / oursUpdateUs, 0)})\n`);

  // 3. memory
  const ringBytes = (4 * 7 * 288 + 2 + 1) * 4;
  sampleRss();
  console.log('3. memory');
  console.log(`   per-series state, ours : ${fmt(ringBytes / 1024, 1)} KiB (4 weeks of 5-minute history as float32) → ${fmt((ringBytes * TARGET) / 2 ** 20, 0)} MiB for ${fmt(TARGET, 0)} live series`);
  console.log(`   per-series state, naive: ${fmt((2016 * 8 * 2) / 1024, 1)} KiB (7-day float64 window + sort buffer) → ${fmt((2016 * 16 * TARGET) / 2 ** 20, 0)} MiB`);
  console.log(`   batch detection streams one series at a time: peak RSS of this run ${fmt(peakRss / 2 ** 20, 0)} MiB (holds ${WARM} warm detectors + their data)`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
