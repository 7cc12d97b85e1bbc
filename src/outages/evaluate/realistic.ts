/**
 * A synthetic benchmark that looks like the published data rather than like a textbook: hourly series, low Poisson
 * counts of responsive addresses, Monash-style indices (quantised to tens, smoothed through events, capped at 100)
 * with -1 sentinels and missing rows, short windows, and the events the field meets:
 * - MM: nightly recurring shutdowns (01:00–09:00 local, night after night, as in Myanmar from 15 February 2021)
 *   on 8 regions' count series and index series;
 * - VE: a national blackout with a smoothed fall and staggered regional recoveries (Venezuela, July 2019) and a
 *   regional outage;
 * - IR: a 2-day regional shutdown and a national 40 % throttling;
 * - SD: a short window (4 days of data) with a national shutdown on its second day.
 * Daily cycles are the shape measured in the shipped real series (mean connectivity index per local hour, Iran
 * 11–15 November 2019, before the shutdown), sharpened per series for counts (shape^k, k in [1, 4]).
 * Same seed → same data.
 */
import type { LabelledEvent, OutageEvent, Series } from '../model.js';
import { mulberry32 } from './synthetic.js';

/**
 * Mean Monash connectivity index per local hour (0–23) over 73 Iranian counties, 11–15 November 2019, divided by
 * its daily mean (computed from the shared data set's signals/monash-irn-2019-11-11.csv; Monash IP Observatory, GPL-3.0;
 * a test recomputes it from the file).
 */
export const IRAN_DIURNAL = [
  1.0016, 0.9828, 0.9737, 0.9581, 0.9527, 0.9529, 0.9609, 0.9646, 0.9899, 1.005, 1.0158, 1.025, 1.0224, 1.0201, 1.0187, 1.0193, 1.0201, 1.021, 1.019,
  1.0184, 1.0204, 1.0139, 1.0187, 1.005,
];

const OFFSET: Record<string, number> = { MM: 6.5, VE: -4, IR: 3.5, SD: 2 };

export interface RealisticBenchmark {
  series: Series[];
  labels: LabelledEvent[];
  /** The entities of the nightly-shutdown low-count series (the Chocolatine anchor subset). */
  nightlyCountEntities: string[];
  days: number;
  start: number;
}

/** Poisson sample (Knuth for small means, normal approximation above 60). */
function poisson(rnd: () => number, gauss: () => number, lambda: number): number {
  if (lambda <= 0) return 0;
  if (lambda > 60) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * gauss()));
  const L = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= rnd();
  } while (p > L);
  return k - 1;
}

export function generateRealistic(seed: number, opts: { days?: number; regions?: number } = {}): RealisticBenchmark {
  const days = opts.days ?? 28;
  const R = opts.regions ?? 8;
  const start = Date.UTC(2021, 1, 1) / 1000;
  const H = 3600;
  const n = days * 24;
  const rnd = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(Math.max(1e-12, rnd()))) * Math.cos(2 * Math.PI * rnd());
  const uni = (a: number, b: number) => a + (b - a) * rnd();
  const series: Series[] = [];
  const labels: LabelledEvent[] = [];
  const nightly: string[] = [];
  const localHour = (cc: string, i: number) => {
    const t = start + i * H + (OFFSET[cc] ?? 0) * H;
    return Math.floor((((t % 86400) + 86400) % 86400) / H);
  };

  /** availability multipliers (1 = normal) per point for one entity, from events */
  type Avail = Float64Array;
  const ones = (len: number) => new Float64Array(len).fill(1);
  const cut = (a: Avail, i0: number, i1: number, level: number) => {
    for (let i = Math.max(0, i0); i < Math.min(a.length, i1); i++) a[i] = Math.min(a[i]!, level);
  };
  const label = (entity: string, scope: LabelledEvent['scope'], cc: string, kind: 'full' | 'partial', i0: number, i1: number, what: string, len = n) =>
    labels.push({ entity, scope, country: cc, kind, start: start + Math.max(0, i0) * H, end: start + Math.min(len, i1) * H, source: `realistic:${seed}:${what}` });

  /** A Monash-style index series: 100 × profile × availability (3-hour smoothed), noise, quantised, sentinels, gaps. */
  const indexSeries = (cc: string, name: string, avail: Avail, first = 0): Series => {
    const len = avail.length;
    const vals = new Float64Array(len - first);
    const noise = uni(0.02, 0.05);
    for (let i = first; i < len; i++) {
      const a = (avail[i]! + (avail[i - 1] ?? avail[i]!) + (avail[i - 2] ?? avail[i]!)) / 3;
      let v = 100 * IRAN_DIURNAL[localHour(cc, i)]! * a * (1 + noise * gauss());
      v = v >= 15 ? Math.min(100, 10 * Math.round(v / 10)) : Math.max(0, Math.round(v));
      if (rnd() < 0.002) v = -1; // published sentinel
      if (rnd() < 0.005) v = NaN; // missing row
      vals[i - first] = v;
    }
    return { entity: { scope: 'region', code: `${cc}/${name}`, country: cc, name }, signal: 'monash', start: start + first * H, step: H, values: vals };
  };
  /** Responsive addresses per hour: Poisson(λ × profile^k × availability); hours without answers are simply absent. */
  const countSeries = (cc: string, name: string, avail: Avail, lambda: number): Series => {
    const k = uni(1, 4);
    const vals = new Float64Array(avail.length);
    for (let i = 0; i < avail.length; i++) {
      const c = poisson(rnd, gauss, lambda * Math.pow(IRAN_DIURNAL[localHour(cc, i)]!, k) * avail[i]!);
      vals[i] = c === 0 ? NaN : c; // a raw-ping aggregation has no row for an hour with no answer
    }
    return { entity: { scope: 'region', code: `${cc}/${name} (pings)`, country: cc, name: `${name} (pings)` }, signal: 'count', start, step: H, values: vals };
  };

  // MM: nightly shutdowns 01:00–09:00 local from night 3 to the end, on every region
  {
    const cc = 'MM';
    const nights: [number, number][] = [];
    for (let d = 2; d < days; d++) {
      // 01:00 local on day d: UTC index
      const i0 = Math.round(d * 24 + 1 - OFFSET[cc]!);
      nights.push([i0, i0 + 8]);
    }
    for (let r = 0; r < R; r++) {
      const name = `Region ${r + 1}`;
      const a = ones(n);
      for (const [i0, i1] of nights) cut(a, i0, i1, uni(0, 0.04));
      series.push(indexSeries(cc, name, a));
      const lambda = uni(3, 30);
      const cs = countSeries(cc, name, a, lambda);
      series.push(cs);
      nightly.push(cs.entity.code);
      for (const [i0, i1] of nights) {
        label(`${cc}/${name}`, 'region', cc, 'full', i0, i1, 'nightly');
        label(cs.entity.code, 'region', cc, 'full', i0, i1, 'nightly');
      }
    }
    for (const [i0, i1] of nights) label(cc, 'country', cc, 'full', i0, i1, 'nightly-national');
  }

  // VE: national blackout on day 9 at 16:40 local, recoveries staggered over 6–30 h; a regional outage on day 18
  {
    const cc = 'VE';
    const i0 = Math.round(9 * 24 + 16 - OFFSET[cc]!);
    const hit = Math.floor(rnd() * R);
    for (let r = 0; r < R; r++) {
      const a = ones(n);
      const i1 = i0 + Math.round(uni(20, 50));
      cut(a, i0, i1, uni(0.02, 0.3));
      label(`${cc}/Region ${r + 1}`, 'region', cc, 'full', i0, i1, 'blackout-region');
      if (r === hit) {
        const j0 = 18 * 24 + Math.round(uni(0, 20));
        const j1 = j0 + Math.round(uni(6, 14));
        cut(a, j0, j1, 0.03);
        label(`${cc}/Region ${r + 1}`, 'region', cc, 'full', j0, j1, 'regional');
      }
      series.push(indexSeries(cc, `Region ${r + 1}`, a));
    }
    label(cc, 'country', cc, 'full', i0, i0 + 20, 'blackout');
  }

  // IR: a 2-day regional shutdown (day 12) and a 12-hour national 40 % throttling (day 20)
  {
    const cc = 'IR';
    const reg = Math.floor(rnd() * R);
    const j0 = 12 * 24 + 9;
    const t0 = 20 * 24 + 10;
    for (let r = 0; r < R; r++) {
      const a = ones(n);
      if (r === reg) {
        cut(a, j0, j0 + 48, 0.02);
        label(`${cc}/Region ${r + 1}`, 'region', cc, 'full', j0, j0 + 48, 'regional');
      }
      cut(a, t0, t0 + 12, 0.6);
      series.push(indexSeries(cc, `Region ${r + 1}`, a));
    }
    label(cc, 'country', cc, 'partial', t0, t0 + 12, 'throttling');
  }

  // SD: a short published window — 4 days of data, a national shutdown from 10:00 local on its second day, 20 h
  {
    const cc = 'SD';
    const first = (days - 4) * 24;
    const i0 = first + 24 + 10 - OFFSET[cc]!;
    for (let r = 0; r < R; r++) {
      const a = ones(n);
      cut(a, i0, i0 + 20, uni(0, 0.1));
      series.push(indexSeries(cc, `Region ${r + 1}`, a, first));
      label(`${cc}/Region ${r + 1}`, 'region', cc, 'full', i0, i0 + 20, 'short-window-region');
    }
    label(cc, 'country', cc, 'full', i0, i0 + 20, 'short-window');
  }
  return { series, labels, nightlyCountEntities: nightly, days, start };
}

/** Each national event's members as region-level detections (the regions an analyst sees inside it). */
export function withMembers(events: OutageEvent[]): OutageEvent[] {
  const out: OutageEvent[] = [];
  for (const e of events) {
    out.push(e);
    for (const m of e.memberEvents ?? []) {
      out.push({ ...e, entity: m.entity, scope: 'region', kind: m.kind, start: m.start, end: m.end, firstAlertAt: m.firstAlertAt, depth: m.depth, memberEvents: undefined, members: undefined });
    }
  }
  return out;
}

/** The benchmark as the CSV files a user would point the tool at: Monash index layout and a generic count CSV. */
export function realisticCsv(b: RealisticBenchmark): { monash: string; counts: string } {
  const iso3: Record<string, string> = { MM: 'MMR', VE: 'VEN', IR: 'IRN', SD: 'SDN' };
  const m: string[] = ['iso,name_1,time_e_utc,connectivity'];
  const c: string[] = ['time,entity,value,signal'];
  for (const s of b.series) {
    for (let i = 0; i < s.values.length; i++) {
      const v = s.values[i]!;
      if (v !== v) continue; // missing row: not written
      const t = s.start + i * s.step;
      if (s.signal === 'monash') m.push(`${iso3[s.entity.country!]},${s.entity.name},${t},${v}`);
      else c.push(`${new Date(t * 1000).toISOString()},${s.entity.code},${v},count`);
    }
  }
  return { monash: m.join('\n') + '\n', counts: c.join('\n') + '\n' };
}

/** Generates the benchmark, writes it as published files and reads them back through the parsers. */
export async function realisticRun(seed: number, opts: { days?: number; regions?: number } = {}) {
  const { parseSignalText } = await import('../signals/index.js');
  const b = generateRealistic(seed, opts);
  const files = realisticCsv(b);
  const monash = parseSignalText(files.monash, { format: 'monash' });
  const counts = parseSignalText(files.counts, { format: 'csv' });
  return { bench: b, series: [...monash.series, ...counts.series], notes: [...monash.report.notes, ...counts.report.notes], rows: files.monash.split('\n').length + files.counts.split('\n').length - 4 };
}
