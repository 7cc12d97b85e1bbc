/**
 * A seeded synthetic benchmark: connectivity series for a few countries (a national series, regions, networks) at a
 * 5-minute step, with daily and weekly cycles in local time, multiplicative noise, missing points and gaps, natural
 * dips that are NOT outages, and injected shutdowns with their ground truth:
 * national full (every series of the country), regional full (one region), network full (one AS), national partial
 * (throttling: 30–50 % lost for hours) and network partial; short (30 min) to long (3 days).
 * Same seed → same data, bit for bit.
 */
import type { LabelledEvent, Series } from '../model.js';

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface SyntheticOptions {
  seed: number;
  countries?: number;
  regionsPerCountry?: number;
  networksPerCountry?: number;
  days?: number;
  /** Days before the first injected event (baseline warm-up). */
  warmupDays?: number;
  step?: number;
  /** Start of the data (epoch seconds, midnight UTC). */
  start?: number;
}

export interface SyntheticBenchmark {
  series: Series[];
  labels: LabelledEvent[];
  options: Required<SyntheticOptions>;
}

const COUNTRIES = ['IR', 'ET', 'MM', 'SD', 'PK', 'IN', 'TR', 'CM', 'VE', 'IQ', 'BD', 'RU', 'SY', 'TZ', 'UG', 'ZW'];
const OFFSETS: Record<string, number> = { IR: 3.5, ET: 3, MM: 6.5, SD: 2, PK: 5, IN: 5.5, TR: 3, CM: 1, VE: -4, IQ: 3, BD: 6, RU: 3, SY: 3, TZ: 3, UG: 3, ZW: 2 };
// weekend days (0 = Sunday) per country: Friday(+Saturday) in much of the Middle East
const WEEKEND: Record<string, number[]> = { IR: [5], SD: [5, 6], IQ: [5, 6], SY: [5, 6], BD: [5, 6] };

type Kind = 'national-full' | 'regional-full' | 'network-full' | 'national-partial' | 'network-partial';
const KINDS: Kind[] = ['national-full', 'regional-full', 'network-full', 'national-partial', 'network-partial'];

export function generateBenchmark(opts: SyntheticOptions): SyntheticBenchmark {
  const o: Required<SyntheticOptions> = {
    seed: opts.seed,
    countries: opts.countries ?? 8,
    regionsPerCountry: opts.regionsPerCountry ?? 8,
    networksPerCountry: opts.networksPerCountry ?? 5,
    days: opts.days ?? 42,
    warmupDays: opts.warmupDays ?? 15,
    step: opts.step ?? 300,
    start: opts.start ?? Date.UTC(2024, 0, 1) / 1000,
  };
  if (o.countries > COUNTRIES.length) throw new Error(`at most ${COUNTRIES.length} synthetic countries`);
  const rnd = mulberry32(o.seed);
  const gauss = () => {
    const u = Math.max(1e-12, rnd());
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rnd());
  };
  const uni = (a: number, b: number) => a + (b - a) * rnd();
  const n = Math.round((o.days * 86400) / o.step);
  const ptsPerHour = 3600 / o.step;
  const series: Series[] = [];
  const labels: LabelledEvent[] = [];
  let asn = 64500;

  for (let c = 0; c < o.countries; c++) {
    const cc = COUNTRIES[c]!;
    const offset = OFFSETS[cc] ?? 0;
    const weekend = WEEKEND[cc] ?? [0, 6];
    type Member = { series: Series; kind: 'country' | 'region' | 'network'; mult: Float64Array };
    const members: Member[] = [];
    const mk = (entity: Series['entity'], signal: string, level: number): Member => {
      const amp = uni(0.2, 0.5);
      const peak = uni(17, 22); // local hour of the daily peak
      const weekendFactor = uni(0.8, 0.95);
      const noise = uni(0.015, 0.05);
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const t = o.start + i * o.step;
        const local = t + offset * 3600;
        const hour = ((local % 86400) + 86400) % 86400 / 3600;
        const dow = new Date(local * 1000).getUTCDay();
        const daily = 1 + amp * Math.cos((2 * Math.PI * (hour - peak)) / 24);
        const week = weekend.includes(dow) ? weekendFactor : 1;
        values[i] = Math.max(0, level * daily * week * (1 + noise * gauss()));
      }
      // missing points and gaps
      for (let i = 0; i < n; i++) if (rnd() < 0.004) values[i] = NaN;
      const gaps = Math.floor(o.days / 10 + rnd());
      for (let g = 0; g < gaps; g++) {
        const at = Math.floor(uni(0, n));
        const len = Math.floor(uni(1, 6) * ptsPerHour);
        for (let i = at; i < Math.min(n, at + len); i++) values[i] = NaN;
      }
      // natural dips (not outages): 10–35 % for 15–90 minutes, about one a week
      const dips = Math.floor(o.days / 7 + rnd());
      for (let g = 0; g < dips; g++) {
        const at = Math.floor(uni(0, n));
        const len = Math.ceil((uni(15, 90) * 60) / o.step);
        const f = 1 - uni(0.1, 0.35);
        for (let i = at; i < Math.min(n, at + len); i++) values[i] = values[i]! * f;
      }
      const m: Member = { series: { entity, signal, start: o.start, step: o.step, values }, kind: entity.scope, mult: new Float64Array(n).fill(1) };
      members.push(m);
      return m;
    };
    const national = mk({ scope: 'country', code: cc, country: cc }, 'generic', uni(5000, 50000));
    const regions = Array.from({ length: o.regionsPerCountry }, (_, r) => mk({ scope: 'region', code: `${cc}/Region ${r + 1}`, country: cc, name: `Region ${r + 1}` }, 'generic', uni(300, 5000)));
    const networks = Array.from({ length: o.networksPerCountry }, () => {
      const a = asn++;
      return mk({ scope: 'network', code: `AS${a}`, country: cc }, 'generic', uni(200, 8000));
    });

    // one injected event per 3-day slot after the warm-up, kinds cycling from a random offset
    const slotDays = 3;
    let k = Math.floor(rnd() * KINDS.length);
    for (let day = o.warmupDays; day + slotDays <= o.days; day += slotDays, k++) {
      const kind = KINDS[k % KINDS.length]!;
      const startIdx = Math.floor(((day + uni(0.1, 1.2)) * 86400) / o.step);
      const full = kind.endsWith('full');
      const hours = full ? (rnd() < 0.4 ? uni(0.5, 2) : uni(2, rnd() < 0.3 ? 72 : 24)) : uni(4, 24);
      const len = Math.max(1, Math.round((hours * 3600) / o.step));
      const factor = full ? uni(0.0, 0.1) : uni(0.5, 0.7);
      let hit: Member[];
      let label: Omit<LabelledEvent, 'start' | 'end' | 'source'>;
      if (kind === 'national-full' || kind === 'national-partial') {
        hit = kind === 'national-full' ? members : [national, ...regions];
        label = { entity: cc, scope: 'country', country: cc, kind: full ? 'full' : 'partial' };
      } else if (kind === 'regional-full') {
        const r = regions[Math.floor(rnd() * regions.length)]!;
        hit = [r];
        label = { entity: r.series.entity.code, scope: 'region', country: cc, kind: 'full' };
        // the national series loses that region's share
        const share = 1 / regions.length;
        for (let i = startIdx; i < Math.min(n, startIdx + len); i++) national.mult[i] = national.mult[i]! * (1 - share * (1 - factor));
      } else {
        const nw = networks[Math.floor(rnd() * networks.length)]!;
        hit = [nw];
        label = { entity: nw.series.entity.code, scope: 'network', country: cc, kind: full ? 'full' : 'partial' };
      }
      for (const m of hit) for (let i = startIdx; i < Math.min(n, startIdx + len); i++) m.mult[i] = factor;
      labels.push({ ...label, start: o.start + startIdx * o.step, end: o.start + Math.min(n, startIdx + len) * o.step, source: `synthetic:${o.seed}:${kind}` });
    }
    for (const m of members) {
      const v = m.series.values;
      for (let i = 0; i < n; i++) v[i] = v[i]! * m.mult[i]!;
      series.push(m.series);
    }
  }
  return { series, labels, options: o };
}
