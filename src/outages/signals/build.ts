/** Turns scattered (time, value) points into regular series, and shared helpers of the parsers. */
import countries from 'i18n-iso-countries';
import { isCountryCode } from '../../core/countries.js';
import { SignalFormatError, type Entity, type Series } from '../model.js';

export interface PointBag {
  entity: Entity;
  signal: string;
  times: number[];
  values: number[];
  lines: number[];
}

/** Collects points per (entity, signal) and builds regular series from them. */
export class SeriesCollector {
  private readonly bags = new Map<string, PointBag>();
  add(entity: Entity, signal: string, time: number, value: number, line: number) {
    const key = `${signal}\u0000${entity.code}`;
    let bag = this.bags.get(key);
    if (!bag) {
      bag = { entity, signal, times: [], values: [], lines: [] };
      this.bags.set(key, bag);
    }
    bag.times.push(time);
    bag.values.push(value);
    bag.lines.push(line);
  }
  get size() {
    return this.bags.size;
  }
  build(step?: number): Series[] {
    return [...this.bags.values()].map((b) => regularise(b, step));
  }
}

/**
 * Sorts the points, infers the step (the most common gap) unless given, checks that every point falls on the
 * grid and that no time appears twice with two values, and fills gaps with NaN.
 */
export function regularise(bag: PointBag, givenStep?: number): Series {
  const order = bag.times.map((_, i) => i).sort((a, b) => bag.times[a]! - bag.times[b]!);
  const times = order.map((i) => bag.times[i]!);
  if (times.length === 0) throw new SignalFormatError(`series ${bag.entity.code} has no points`);
  let step = givenStep;
  if (!step) {
    const gaps = new Map<number, number>();
    for (let i = 1; i < times.length; i++) {
      const g = times[i]! - times[i - 1]!;
      if (g > 0) gaps.set(g, (gaps.get(g) ?? 0) + 1);
    }
    let best = 0;
    let bestN = -1;
    for (const [g, n] of gaps) if (n > bestN || (n === bestN && g < best)) [best, bestN] = [g, n];
    step = best || 3600;
  }
  const start = times[0]!;
  const n = Math.round((times[times.length - 1]! - start) / step) + 1;
  if (n > 5_000_000) throw new SignalFormatError(`series ${bag.entity.code} would hold ${n} points at a ${step} s step; check the time column`);
  const values = new Float64Array(n).fill(NaN);
  const seen = new Uint8Array(n);
  for (const i of order) {
    const t = bag.times[i]!;
    const k = (t - start) / step;
    if (!Number.isInteger(k)) {
      throw new SignalFormatError(`series ${bag.entity.code}: time ${new Date(t * 1000).toISOString()} is off the ${step} s grid that starts at ${new Date(start * 1000).toISOString()}`, bag.lines[i]);
    }
    const v = bag.values[i]!;
    if (seen[k]) {
      const prev = values[k]!;
      if (!(Number.isNaN(prev) && Number.isNaN(v)) && prev !== v) {
        throw new SignalFormatError(`series ${bag.entity.code}: two different values for ${new Date(t * 1000).toISOString()}`, bag.lines[i]);
      }
    }
    seen[k] = 1;
    values[k] = v;
  }
  return { entity: bag.entity, signal: bag.signal, start, step, values };
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
    return Date.UTC(Number(m[3]), mon, Number(m[1]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)) / 1000;
  }
  const iso = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?\s*(Z|[+-]\d{2}:?\d{2})?$/.exec(s);
  if (iso) {
    const zone = iso[7];
    const base = Date.UTC(Number(iso[1]), Number(iso[2]) - 1, Number(iso[3]), Number(iso[4] ?? 0), Number(iso[5] ?? 0), Number(iso[6] ?? 0)) / 1000;
    if (!zone || zone === 'Z') return base;
    const sign = zone.startsWith('-') ? -1 : 1;
    const hh = Number(zone.slice(1, 3));
    const mm = Number(zone.slice(-2));
    return base - sign * (hh * 3600 + mm * 60);
  }
  throw new SignalFormatError(`column "${column}": "${s}" is not a time (use ISO 8601, epoch seconds or DD-Mon-YYYY hh:mm:ss)`, line);
}
