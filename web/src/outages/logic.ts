/**
 * The outages pages' pure logic (no React, no DOM): time windows, aggregation of regional series, chart
 * geometry (paths with gaps, bands, ticks) and the small classifications the pages show. Tested in
 * test/browser/outages.test.ts.
 */
import type { DetectedEvent, OutageEvent, SignalSeries, TimelineItem, TimelineLane } from './types.js';

export const DAY = 86_400_000;
const HOUR = 3_600_000;

/** Values of one chart: times in ms, observed values and baselines (null = no data). */
export interface ChartData {
  times: number[];
  value: (number | null)[];
  baseline: (number | null)[];
  /** Milliseconds covered by one point (the last point extends this far). */
  stepMs: number;
}

export function toMs(iso: string | null | undefined): number | null {
  if (!iso) return null;
  const n = Date.parse(iso);
  return Number.isNaN(n) ? null : n;
}

/** A served series (or an event plot) as chart data. `stepSeconds` falls back to the gap between points. */
export function chartData(t: string[], value: (number | null)[], baseline: (number | null)[], stepSeconds?: number): ChartData {
  const times = t.map((x) => Date.parse(x));
  const gap = times.length > 1 ? (times[1] ?? 0) - (times[0] ?? 0) : HOUR;
  return { times, value, baseline, stepMs: stepSeconds ? stepSeconds * 1000 : gap > 0 ? gap : HOUR };
}

/**
 * Several series of one signal as one: at each time, the mean of the series that have both a value and a
 * baseline there, times the number of series — so a series missing a point does not look like a drop (the same
 * rule as the server's event plots).
 */
export function aggregateSeries(series: SignalSeries[]): ChartData | null {
  if (!series.length) return null;
  const acc = new Map<number, { v: number; b: number; n: number; nv: number }>();
  let stepMs = Infinity;
  for (const s of series) {
    stepMs = Math.min(stepMs, s.step * 1000);
    s.t.forEach((iso, i) => {
      const at = Date.parse(iso);
      if (Number.isNaN(at)) return;
      const v = s.value[i] ?? null;
      const b = s.baseline[i] ?? null;
      const cell = acc.get(at) ?? { v: 0, b: 0, n: 0, nv: 0 };
      if (v !== null && b !== null) {
        cell.v += v;
        cell.b += b;
        cell.n += 1;
      } else if (v !== null) cell.nv += 1;
      acc.set(at, cell);
    });
  }
  const times = [...acc.keys()].sort((a, b) => a - b);
  const n = series.length;
  const round = (x: number) => Math.round(x * 100) / 100;
  return {
    times,
    // Before the baseline exists (the detector's warm-up) only observed values are known: scale those alone.
    value: times.map((at) => {
      const c = acc.get(at)!;
      return c.n ? round((c.v / c.n) * n) : null;
    }),
    baseline: times.map((at) => {
      const c = acc.get(at)!;
      return c.n ? round((c.b / c.n) * n) : null;
    }),
    stepMs: Number.isFinite(stepMs) ? stepMs : HOUR,
  };
}

/** Lowest observed/baseline ratio of a chart and when it happened (null when no point has both). */
export function lowestRatio(d: ChartData): { ratio: number; at: number } | null {
  let best: { ratio: number; at: number } | null = null;
  d.times.forEach((at, i) => {
    const v = d.value[i];
    const b = d.baseline[i];
    if (v === null || v === undefined || b === null || b === undefined || b <= 0) return;
    const r = v / b;
    if (!best || r < best.ratio) best = { ratio: r, at };
  });
  return best;
}

/** SVG path of a line that breaks where values are missing (never a line drawn across a gap). */
export function linePath(xs: number[], ys: (number | null)[]): string {
  let d = '';
  let pen = false;
  for (let i = 0; i < xs.length; i++) {
    const y = ys[i];
    const x = xs[i];
    if (y === null || y === undefined || x === undefined || !Number.isFinite(y)) {
      pen = false;
      continue;
    }
    d += `${pen ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`;
    pen = true;
  }
  return d;
}

/** Closed SVG areas between an upper and a lower line, one per run of points where both are known. */
export function bandPath(xs: number[], upper: (number | null)[], lower: (number | null)[]): string {
  const runs: number[][] = [];
  let run: number[] = [];
  for (let i = 0; i < xs.length; i++) {
    const u = upper[i];
    const l = lower[i];
    if (u === null || u === undefined || l === null || l === undefined) {
      if (run.length) runs.push(run);
      run = [];
    } else run.push(i);
  }
  if (run.length) runs.push(run);
  return runs
    .filter((r) => r.length > 1)
    .map((r) => {
      const top = r.map((i, k) => `${k ? 'L' : 'M'}${xs[i]!.toFixed(1)},${upper[i]!.toFixed(1)}`).join('');
      const bottom = [...r].reverse().map((i) => `L${xs[i]!.toFixed(1)},${lower[i]!.toFixed(1)}`).join('');
      return `${top}${bottom}Z`;
    })
    .join('');
}

/** Round tick values from 0 to at least `max` (about `count` of them). */
export function niceTicks(max: number, count = 4): number[] {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  const step = (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
  const out: number[] = [];
  for (let v = 0; v < max + step * 0.999; v += step) out.push(Math.round(v * 1e6) / 1e6);
  return out;
}

export interface TimeTick {
  at: number;
  /** Which label format suits the spacing. */
  unit: 'hour' | 'day' | 'month' | 'year';
}

const HOUR_STEPS = [1, 2, 3, 6, 12];
const DAY_STEPS = [1, 2, 7, 14];
const MONTH_STEPS = [1, 2, 3, 6];

/** Ticks on whole UTC hours, days, months or years, at most about `max` of them, inside [from, to]. */
export function timeTicks(from: number, to: number, max = 8): TimeTick[] {
  const span = to - from;
  if (!(span > 0)) return [];
  const out: TimeTick[] = [];
  for (const h of HOUR_STEPS) {
    if (span / (h * HOUR) <= max) {
      for (let at = Math.ceil(from / (h * HOUR)) * h * HOUR; at <= to; at += h * HOUR) out.push({ at, unit: at % DAY === 0 ? 'day' : 'hour' });
      return out;
    }
  }
  for (const d of DAY_STEPS) {
    if (span / (d * DAY) <= max) {
      // whole days, spaced from the first midnight of the window
      for (let at = Math.ceil(from / DAY) * DAY; at <= to; at += d * DAY) out.push({ at, unit: 'day' });
      return out;
    }
  }
  const start = new Date(from);
  for (const m of MONTH_STEPS) {
    if (span / (m * 30.44 * DAY) <= max) {
      // months are 0-based here; ticks fall on months divisible by the step (Jan, Mar, May… for 2)
      let y = start.getUTCFullYear();
      let mo = Math.ceil(start.getUTCMonth() / m) * m;
      for (;;) {
        if (mo > 11) {
          y += Math.floor(mo / 12);
          mo %= 12;
        }
        const at = Date.UTC(y, mo, 1);
        if (at > to) break;
        if (at >= from) out.push({ at, unit: mo === 0 ? 'year' : 'month' });
        mo += m;
      }
      return out;
    }
  }
  const years = Math.max(1, Math.ceil(span / (365.25 * DAY) / max));
  for (let y = Math.ceil(start.getUTCFullYear() / years) * years; Date.UTC(y, 0, 1) <= to; y += years) {
    const at = Date.UTC(y, 0, 1);
    if (at >= from) out.push({ at, unit: 'year' });
  }
  return out;
}

/** 'YYYY-MM-DD' of a UTC time. */
export function isoDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Parses 'YYYY-MM-DD' as UTC midnight; null when it is not a real date. */
export function parseDay(s: string | null | undefined): number | null {
  if (!s || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return null;
  const ms = Date.parse(`${s}T00:00:00Z`);
  return Number.isNaN(ms) || isoDay(ms) !== s ? null : ms;
}

export interface DayWindow {
  from: string;
  to: string;
}

/** The server serves at most this many days of signals at a time. */
export const MAX_WINDOW_DAYS = 400;

/**
 * The signal window a country page opens on: the days around its most recent detected event (six days either
 * side; an ongoing event counts as lasting to its start + 6 days), or the last 14 days when it has none. `to` is
 * exclusive (midnight after the last day shown) and never later than tomorrow.
 */
export function defaultWindow(latest: Pick<DetectedEvent, 'start' | 'end'> | undefined, now: number): DayWindow {
  const tomorrow = Math.floor(now / DAY) * DAY + DAY;
  if (!latest) return { from: isoDay(tomorrow - 15 * DAY), to: isoDay(tomorrow) };
  const start = toMs(latest.start) ?? now;
  const end = toMs(latest.end) ?? start;
  const from = Math.floor(start / DAY) * DAY - 6 * DAY;
  const to = Math.min(tomorrow, Math.max(Math.floor(end / DAY) * DAY + 7 * DAY, from + 2 * DAY));
  return { from: isoDay(Math.max(from, to - MAX_WINDOW_DAYS * DAY)), to: isoDay(to) };
}

/** A window from the query string, or null with the reason when it cannot be served. */
export function readWindow(from: string | null, to: string | null): { window: DayWindow } | { error: 'date' | 'order' | 'long' } | null {
  if (!from && !to) return null;
  const f = parseDay(from);
  const t = parseDay(to);
  if (f === null || t === null) return { error: 'date' };
  if (f >= t) return { error: 'order' };
  if (t - f > MAX_WINDOW_DAYS * DAY) return { error: 'long' };
  return { window: { from: from!, to: to! } };
}

export type TimelineSpan = 'period' | '90d' | '1y' | '5y';
export const TIMELINE_SPANS: TimelineSpan[] = ['period', '90d', '1y', '5y'];

/** The timeline's window: the signal window itself, or a longer span centred on it (never past tomorrow). */
export function timelineWindow(w: DayWindow, span: TimelineSpan, now: number): { from: number; to: number } {
  const f = parseDay(w.from) ?? now - 14 * DAY;
  const t = parseDay(w.to) ?? now;
  if (span === 'period') return { from: f, to: t };
  const days = span === '90d' ? 90 : span === '1y' ? 365 : 5 * 365;
  const mid = (f + t) / 2;
  const limit = Math.floor(now / DAY) * DAY + DAY;
  let to = Math.floor((mid + (days / 2) * DAY) / DAY) * DAY;
  to = Math.min(to, limit);
  return { from: to - days * DAY, to };
}

/** Severity class of a detector score, with the registry's cut points (< 20 / 45 / 70). */
export function severityClass(score: number): 'low' | 'medium' | 'high' | 'critical' {
  return score < 20 ? 'low' : score < 45 ? 'medium' : score < 70 ? 'high' : 'critical';
}

/** The events to shade on one series' chart: its own, and national events of its country. */
export function eventsForSeries<E extends Pick<DetectedEvent, 'entity' | 'scope' | 'members'>>(code: string, events: E[]): E[] {
  return events.filter((e) => e.entity === code || (e.scope === 'country' && e.entity !== code && (!e.members || e.members.entities.includes(code))));
}

/** The decision shown for an event: confirmed, rejected, or pending. */
export function decisionOf(e: Pick<OutageEvent, 'decision'>): 'confirmed' | 'rejected' | 'pending' {
  return e.decision ?? 'pending';
}

export const LANES: TimelineLane[] = ['detected', 'draft', 'stop', 'ioda', 'registry'];

/** Colours by origin: detected events red, the detector's drafts orange, STOP blue, IODA teal, others purple. */
export const LANE_COLOURS: Record<TimelineLane, string> = {
  detected: '#b3261e',
  draft: '#c46a00',
  stop: '#1f5fa8',
  ioda: '#0f7b72',
  registry: '#6b4fb3',
};

export interface TimelineBar {
  item: TimelineItem;
  lane: TimelineLane;
  start: number;
  /** End of the drawn bar: the item's end (a day-precision end covers that whole day), or `to` while ongoing. */
  end: number;
  ongoing: boolean;
}

/**
 * Items of the timeline that fall in [from, to], as bars. Registry dates to the day (midnight) cover the whole
 * day; an item without an end is ongoing and runs to the window's end.
 */
export function timelineBars(items: TimelineItem[], from: number, to: number): TimelineBar[] {
  const out: TimelineBar[] = [];
  for (const item of items) {
    const s = toMs(item.start);
    if (s === null) continue;
    let e = toMs(item.end);
    const ongoing = e === null;
    if (e === null) e = Math.max(to, s);
    else if (item.lane !== 'detected' && e % DAY === 0) e += DAY;
    if (e < from || s > to) continue;
    out.push({ item, lane: LANES.includes(item.lane) ? item.lane : 'registry', start: s, end: Math.max(e, s), ongoing });
  }
  return out;
}

/** Human duration parts of a span in ms: days, hours and minutes. */
export function durationParts(ms: number): { days: number; hours: number; minutes: number } {
  const total = Math.max(0, Math.round(ms / 60_000));
  return { days: Math.floor(total / 1440), hours: Math.floor((total % 1440) / 60), minutes: total % 60 };
}

/** Short name of an event's entity: the region's name, the network, or the country code for a national event. */
export function entityName(e: Pick<DetectedEvent, 'entity' | 'name' | 'scope'>): string {
  if (e.name) return e.name;
  if (e.scope === 'region') return e.entity.split('/').slice(1).join(' / ') || e.entity;
  return e.entity;
}

/**
 * Rows for the bars of one lane so that overlapping bars sit on different rows (first row free wins). `gap` is the
 * least distance kept between two bars on one row, in the same unit as the bars; beyond `maxRows` rows bars share
 * the last one.
 */
export function packRows(bars: { start: number; end: number }[], gap = 0, maxRows = 6): number[] {
  const order = bars.map((_, i) => i).sort((a, b) => bars[a]!.start - bars[b]!.start || bars[a]!.end - bars[b]!.end);
  const rowEnds: number[] = [];
  const out = new Array<number>(bars.length).fill(0);
  for (const i of order) {
    const b = bars[i]!;
    let row = rowEnds.findIndex((end) => end + gap <= b.start);
    if (row < 0) {
      row = rowEnds.length < maxRows ? rowEnds.length : maxRows - 1;
      if (row === rowEnds.length) rowEnds.push(b.end);
    }
    rowEnds[row] = Math.max(rowEnds[row] ?? -Infinity, b.end);
    out[i] = row;
  }
  return out;
}

/** Series of a country page in display order: country-level first, then regions and networks by name. */
export function sortSeries(series: SignalSeries[]): SignalSeries[] {
  const rank = { country: 0, region: 1, network: 2 } as const;
  return [...series].sort((a, b) => rank[a.entity.scope] - rank[b.entity.scope] || (a.entity.name ?? a.entity.code).localeCompare(b.entity.name ?? b.entity.code) || a.signal.localeCompare(b.signal));
}

/** What the big chart shows: one series (`code|signal`) or the sum of a signal's series (`sum:signal`). */
export function defaultSelection(series: SignalSeries[]): string {
  const national = series.find((s) => s.entity.scope === 'country');
  if (national) return `${national.entity.code}|${national.signal}`;
  const first = series[0];
  if (!first) return '';
  const sameSignal = series.filter((s) => s.signal === first.signal);
  return sameSignal.length > 1 ? `sum:${first.signal}` : `${first.entity.code}|${first.signal}`;
}
