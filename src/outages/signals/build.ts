/** Turns scattered (time, value) points into regular series, and shared helpers of the parsers. */
import countries from 'i18n-iso-countries';
import { isCountryCode } from '../../core/countries.js';
import { SignalFormatError, type Entity, type Series } from '../model.js';

const CHUNK = 1 << 16;

/**
 * Points of one (entity, signal), kept in fixed-size typed chunks: 20 bytes a point (time and value as float64, the
 * line as uint32), no copying as it grows, so 20 million rows stay near 400 MB.
 */
export class PointBag {
  private readonly t: Float64Array[] = [];
  private readonly v: Float64Array[] = [];
  private readonly l: Uint32Array[] = [];
  n = 0;
  sorted = true;
  private last = -Infinity;
  constructor(
    readonly entity: Entity,
    readonly signal: string,
  ) {}
  add(time: number, value: number, line: number) {
    const c = this.n >>> 16;
    const k = this.n & (CHUNK - 1);
    if (k === 0) {
      this.t.push(new Float64Array(CHUNK));
      this.v.push(new Float64Array(CHUNK));
      this.l.push(new Uint32Array(CHUNK));
    }
    this.t[c]![k] = time;
    this.v[c]![k] = value;
    this.l[c]![k] = line;
    if (time < this.last) this.sorted = false;
    this.last = time;
    this.n++;
  }
  time(i: number) {
    return this.t[i >>> 16]![i & (CHUNK - 1)]!;
  }
  value(i: number) {
    return this.v[i >>> 16]![i & (CHUNK - 1)]!;
  }
  line(i: number) {
    return this.l[i >>> 16]![i & (CHUNK - 1)]!;
  }
}

/** What the parser noticed and did, for the "what it did" message. */
export interface ParseReport {
  notes: string[];
  warnings: string[];
}

/** Collects points per (entity, signal) and builds regular series from them. */
export class SeriesCollector {
  private readonly bags = new Map<string, PointBag>();
  add(entity: Entity, signal: string, time: number, value: number, line: number) {
    const key = `${signal}\u0000${entity.code}`;
    let bag = this.bags.get(key);
    if (!bag) {
      bag = new PointBag(entity, signal);
      this.bags.set(key, bag);
    }
    bag.add(time, value, line);
  }
  get size() {
    return this.bags.size;
  }
  /** Builds the series (each bag is released as soon as its series is built). */
  build(step?: number, report?: ParseReport): Series[] {
    const out: Series[] = [];
    for (const [k, b] of this.bags) {
      out.push(regularise(b, step));
      this.bags.delete(k);
    }
    if (report) {
      const steps = new Map<number, number>();
      for (const s of out) steps.set(s.step, (steps.get(s.step) ?? 0) + 1);
      if (steps.size > 1) {
        report.warnings.push(
          `mixed step sizes across series: ${[...steps].map(([st, n]) => `${n} series at ${st} s`).join(', ')}; each series is judged at its own step, and national fusion mixes them`,
        );
      }
    }
    return out;
  }
}

/**
 * Sorts the points, infers the step (the most common gap) unless given, checks that every point falls on the
 * grid, that the step does not change part-way (a run of 12 or more equal gaps of another size is a change of
 * resolution, not missing rows) and that no time appears twice with two values, and fills gaps with NaN.
 */
export function regularise(bag: PointBag, givenStep?: number): Series {
  const N = bag.n;
  if (N === 0) throw new SignalFormatError(`series ${bag.entity.code} has no points`);
  let order: Uint32Array | null = null;
  if (!bag.sorted) {
    order = new Uint32Array(N);
    for (let i = 0; i < N; i++) order[i] = i;
    order.sort((a, b) => bag.time(a) - bag.time(b) || a - b);
  }
  const at = order ? (i: number) => order![i]! : (i: number) => i;
  let step = givenStep;
  if (!step) {
    const gaps = new Map<number, number>();
    for (let i = 1; i < N; i++) {
      const g = bag.time(at(i)) - bag.time(at(i - 1));
      if (g > 0) gaps.set(g, (gaps.get(g) ?? 0) + 1);
    }
    let best = 0;
    let bestN = -1;
    for (const [g, n] of gaps) if (n > bestN || (n === bestN && g < best)) [best, bestN] = [g, n];
    step = best || 3600;
  }
  // a change of resolution part-way: a long run of one other gap size
  let runGap = 0;
  let run = 0;
  for (let i = 1; i < N; i++) {
    const g = bag.time(at(i)) - bag.time(at(i - 1));
    if (g === runGap) run++;
    else (runGap = g), (run = 1);
    if (run >= 12 && g !== step && g > 0) {
      const first = at(i - run + 1);
      throw new SignalFormatError(
        `series ${bag.entity.code}: mixed step sizes — points are ${step} s apart, but from ${new Date(bag.time(at(i - run)) * 1000).toISOString()} they are ${g} s apart; split the file or resample it to one step`,
        bag.line(first),
      );
    }
  }
  const start = bag.time(at(0));
  const n = Math.round((bag.time(at(N - 1)) - start) / step) + 1;
  if (n > 5_000_000) throw new SignalFormatError(`series ${bag.entity.code} would hold ${n} points at a ${step} s step; check the time column`);
  const values = new Float64Array(n).fill(NaN);
  const seen = new Uint8Array(n);
  for (let j = 0; j < N; j++) {
    const i = at(j);
    const t = bag.time(i);
    const k = (t - start) / step;
    if (!Number.isInteger(k)) {
      throw new SignalFormatError(`series ${bag.entity.code}: time ${new Date(t * 1000).toISOString()} is off the ${step} s grid that starts at ${new Date(start * 1000).toISOString()}`, bag.line(i));
    }
    const v = bag.value(i);
    if (seen[k]) {
      const prev = values[k]!;
      if (!(Number.isNaN(prev) && Number.isNaN(v)) && prev !== v) {
        throw new SignalFormatError(`series ${bag.entity.code}: two different values for ${new Date(t * 1000).toISOString()}`, bag.line(i));
      }
    }
    seen[k] = 1;
    values[k] = v;
  }
  return { entity: bag.entity, signal: bag.signal, start, step, values };
}

/** Counts of what value cells held, for the parse report. */
export class ValueStats {
  sentinels = 0;
  firstSentinelLine = 0;
  empty = 0;
}

/**
 * A signal value: a finite, non-negative number. The same rule in every format: an empty cell (or null, NaN, NA)
 * is a missing reading; exactly -1 is the missing-reading sentinel that Monash (and others) publish, read as
 * missing and counted; any other negative value is an error naming the line (connectivity and counts cannot be
 * negative).
 */
export function signalValue(raw: string | number | null | undefined, line: number | undefined, column: string, stats?: ValueStats): number {
  let v: number;
  if (typeof raw === 'number') v = raw;
  else if (raw === null || raw === undefined) v = NaN;
  else {
    const s = raw.trim();
    if (s === '' || s.toLowerCase() === 'null' || s.toLowerCase() === 'nan' || s === 'NA') {
      if (stats) stats.empty++;
      return NaN;
    }
    v = Number(s);
    if (!Number.isFinite(v)) throw new SignalFormatError(`column "${column}": "${s}" is not a number`, line);
  }
  if (v !== v) return NaN;
  if (!Number.isFinite(v)) throw new SignalFormatError(`column "${column}": ${v} is not a finite number`, line);
  if (v < 0) {
    if (v === -1) {
      if (stats) {
        if (!stats.sentinels) stats.firstSentinelLine = line ?? 0;
        stats.sentinels++;
      }
      return NaN;
    }
    throw new SignalFormatError(`column "${column}": negative value ${v} (signal values cannot be negative; only -1, the missing-reading sentinel, is accepted)`, line);
  }
  return v;
}

export function sentinelNote(stats: ValueStats, column: string): string | null {
  if (!stats.sentinels) return null;
  return `${stats.sentinels} ${column} value${stats.sentinels > 1 ? 's' : ''} of -1 (the missing-reading sentinel) read as missing (first on line ${stats.firstSentinelLine})`;
}

/** ISO alpha-2 from an alpha-2 or alpha-3 code, or undefined. */
export function toAlpha2(code: string): string | undefined {
  const c = code.trim().toUpperCase();
  if (c.length === 2 && isCountryCode(c)) return c;
  if (c.length === 3) return countries.alpha3ToAlpha2(c) ?? undefined;
  return undefined;
}

/**
 * Parses an entity written as "IR" (country), "AS12345" / "12345" with scope network, or "IR/Tehran[/...]" (region).
 * `scope` forces the kind when the text alone is ambiguous.
 */
export function parseEntity(raw: string, scope?: 'country' | 'region' | 'network', country?: string, line?: number): Entity {
  const s = raw.trim();
  if (!s) throw new SignalFormatError('empty entity', line);
  const asMatch = /^(?:AS)?(\d{1,10})$/i.exec(s);
  if (scope === 'network' || (asMatch && /^AS/i.test(s))) {
    if (!asMatch) throw new SignalFormatError(`"${s}" is not an AS number (write AS12345)`, line);
    return { scope: 'network', code: `AS${Number(asMatch[1])}`, ...(country ? { country } : {}) };
  }
  if (scope === 'region' || s.includes('/')) {
    const parts = s.split('/').map((p) => p.trim()).filter(Boolean);
    let cc = country;
    if (parts.length > 1) {
      const maybe = toAlpha2(parts[0]!);
      if (maybe) {
        cc = maybe;
        parts.shift();
      }
    }
    if (!cc) throw new SignalFormatError(`region "${s}" has no country: write it as CC/Region or give the country`, line);
    return { scope: 'region', code: `${cc}/${parts.join('/')}`, country: cc, name: parts.join(' / ') };
  }
  const cc = toAlpha2(s);
  if (!cc) throw new SignalFormatError(`"${s}" is not an ISO country code, an AS number (AS12345) or a region (CC/Name)`, line);
  return { scope: 'country', code: cc, country: cc };
}

/**
 * Epoch seconds of a calendar date and time, refusing impossible ones (month 13, 30 February, hour 24…) instead
 * of letting Date.UTC roll them over into another day.
 */
function checkedUtc(y: number, mo: number, d: number, h: number, mi: number, se: number, s: string, line: number | undefined, column: string): number {
  const dim = mo >= 1 && mo <= 12 ? new Date(Date.UTC(y, mo, 0)).getUTCDate() : 0;
  if (mo < 1 || mo > 12) throw new SignalFormatError(`column "${column}": "${s}" is not a date (month ${mo})`, line);
  if (d < 1 || d > dim) throw new SignalFormatError(`column "${column}": "${s}" is not a date (day ${d} of a ${dim}-day month)`, line);
  if (h > 23 || mi > 59 || se > 59) throw new SignalFormatError(`column "${column}": "${s}" is not a time of day`, line);
  return Date.UTC(y, mo - 1, d, h, mi, se) / 1000;
}

const MONTHS: Record<string, number> = { jan: 0, feb: 1, mar: 2, apr: 3, may: 4, jun: 5, jul: 6, aug: 7, sep: 8, oct: 9, nov: 10, dec: 11 };

/**
 * Parses a time: epoch seconds or milliseconds, ISO 8601 (a time without zone is read as UTC), or the
 * "11-Nov-2019 00:00:00" form of Monash files. Returns epoch seconds (of the wall time as written, in UTC).
 */
export function parseTime(raw: string, line?: number, column = 'time'): number {
  const s = raw.trim();
  if (/^-?\d+(\.\d+)?$/.test(s)) {
    const n = Number(s);
    return Math.round(n > 1e11 ? n / 1000 : n);
  }
  const m = /^(\d{1,2})-([A-Za-z]{3})-(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?$/.exec(s);
  if (m) {
    const mon = MONTHS[m[2]!.toLowerCase()];
    if (mon === undefined) throw new SignalFormatError(`column "${column}": unknown month in "${s}"`, line);
    return checkedUtc(Number(m[3]), mon + 1, Number(m[1]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0), s, line, column);
  }
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/.exec(s);
  if (iso) {
    const zone = iso[7];
    const base = checkedUtc(Number(iso[1]), Number(iso[2]), Number(iso[3]), Number(iso[4] ?? 0), Number(iso[5] ?? 0), Number(iso[6] ?? 0), s, line, column);
    if (!zone || zone === 'Z') return base;
    const sign = zone.startsWith('-') ? -1 : 1;
    const hh = Number(zone.slice(1, 3));
    if (hh > 14 || Number(zone.slice(-2)) > 59) throw new SignalFormatError(`column "${column}": "${s}" has an impossible UTC offset`, line);
    const mm = Number(zone.slice(-2));
    return base - sign * (hh * 3600 + mm * 60);
  }
  throw new SignalFormatError(`column "${column}": "${s}" is not a time (use ISO 8601, epoch seconds or DD-Mon-YYYY hh:mm:ss)`, line);
}
