// Frozen copy of the outages detector before issue #10 (commit ffcf83c), kept only as the baseline that
// bench/outages-messy.ts measures the current detector against in the same run. Not used by the product.

/**
 * Per-series outage detector, streaming: one `push` per new point, O(periods × neighbours) work each, a fixed ring
 * of history per series. Batch detection over a whole series is the same loop, so what `outages watch` finds point
 * by point is exactly what `outages detect` finds on the file.
 *
 * Baseline: the median of the same time of day over the last `days` days, or — once `minWeeks` weeks of history
 * exist and `weekly` is on — of the same time of week over the last `weeks` weeks, each widened by ± neighbour
 * points. Missing points are skipped. Points found in alert are written back into the history as their baseline
 * (for at most `cleanMaxHours` of one event), so an earlier outage does not drag later baselines down.
 */
import type { SignalParams } from '../src/outages/detect/config.js';

export const LEVEL_UNKNOWN = -1;
export const LEVEL_NORMAL = 0;
export const LEVEL_WARNING = 1;
export const LEVEL_CRITICAL = 2;

export interface RawEvent {
  kind: 'outage' | 'throttling';
  start: number;
  end: number | null;
  firstAlertAt: number;
  depth: number;
  minRatio: number;
  points: number;
  criticalPoints: number;
}

/** The detector's verdict on one point. The object is reused by the next `push`: copy what you keep. */
export interface PointResult {
  time: number;
  value: number;
  baseline: number;
  level: number;
  /** Set when this point confirmed a new event. */
  opened?: RawEvent;
  /** Set when this point closed an event (the event is final). */
  closed?: RawEvent;
}

interface Candidate {
  startIdx: number;
  lastAlertIdx: number;
  critical: number;
  alerts: number;
  sumV: number;
  sumB: number;
  minRatio: number;
  normalRun: number;
  confirmedAt: number;
  kind: 'outage' | 'throttling' | null;
}

export class SeriesDetector {
  readonly dayPts: number;
  readonly weekPts: number;
  private readonly h: number;
  private readonly size: number;
  private readonly ring: Float32Array;
  private readonly scratch: Float64Array;
  private i = 0;
  private cand: Candidate | null = null;
  private readonly res: PointResult = { time: 0, value: NaN, baseline: NaN, level: LEVEL_UNKNOWN };
  private readonly minPts: number;
  private readonly recoveryPts: number;
  private readonly throttlePts: number;
  private readonly cleanPts: number;

  constructor(
    readonly start: number,
    readonly step: number,
    readonly p: SignalParams,
  ) {
    this.dayPts = Math.max(1, Math.round(86400 / step));
    this.weekPts = this.dayPts * 7;
    this.h = Math.floor((p.neighbourMinutes * 60) / step);
    const lookback = Math.max(p.days * this.dayPts, p.weekly ? p.weeks * this.weekPts : 0) + this.h + 1;
    this.size = lookback + 1;
    this.ring = new Float32Array(this.size).fill(NaN);
    const maxPeriods = Math.max(p.days, p.weeks);
    this.scratch = new Float64Array(maxPeriods * (2 * this.h + 1));
    this.minPts = Math.max(1, Math.ceil((p.minMinutes * 60) / step));
    this.recoveryPts = Math.max(1, Math.ceil((p.recoveryMinutes * 60) / step));
    this.throttlePts = Math.max(1, Math.ceil((p.throttleMinMinutes * 60) / step));
    this.cleanPts = Math.ceil((p.cleanMaxHours * 3600) / step);
  }

  /** Points pushed so far. */
  get count() {
    return this.i;
  }
  timeOf(idx: number) {
    return this.start + idx * this.step;
  }

  /**
   * Throttling is judged only once the baseline is in its final mode (weekly, when `weekly` is on): a daily baseline
   * mixes working days and weekends, whose ordinary dip would look like a partial drop.
   */
  private mature(): boolean {
    return !this.p.weekly || this.i >= this.p.minWeeks * this.weekPts;
  }

  /** The baseline for the next point (NaN while warming up). */
  baseline(): number {
    const p = this.p;
    const i = this.i;
    let period: number;
    let K: number;
    let need: number;
    if (p.weekly && i >= p.minWeeks * this.weekPts) {
      period = this.weekPts;
      K = Math.min(p.weeks, Math.floor(i / this.weekPts));
      need = p.minWeeks;
    } else {
      period = this.dayPts;
      K = Math.min(p.days, Math.floor(i / this.dayPts));
      need = p.minPeriods;
    }
    if (K < need) return NaN;
    const s = this.scratch;
    let n = 0;
    let periodsWithData = 0;
    const h = this.h;
    for (let k = 1; k <= K; k++) {
      const centre = i - k * period;
      let any = false;
      for (let j = -h; j <= h; j++) {
        const idx = centre + j;
        if (idx < 0 || idx >= i) continue;
        const v = this.ring[idx % this.size]!;
        if (v !== v) continue;
        // insertion into sorted scratch
        let m = n++;
        while (m > 0 && s[m - 1]! > v) {
          s[m] = s[m - 1]!;
          m--;
        }
        s[m] = v;
        any = true;
      }
      if (any) periodsWithData++;
    }
    if (periodsWithData < need || n === 0) return NaN;
    return n & 1 ? s[n >> 1]! : (s[(n >> 1) - 1]! + s[n >> 1]!) / 2;
  }

  push(value: number): PointResult {
    const idx = this.i;
    const time = this.timeOf(idx);
    const b = this.baseline();
    const p = this.p;
    let level = LEVEL_UNKNOWN;
    let ratio = NaN;
    if (value === value && b === b && b > p.minBaseline) {
      ratio = value / b;
      level = ratio < p.critical ? LEVEL_CRITICAL : ratio < p.warning ? LEVEL_WARNING : LEVEL_NORMAL;
    } else if (value === value && b === b && b <= p.minBaseline) {
      level = LEVEL_NORMAL;
    }
    // one result object per detector, reused (no allocation per point): read it before the next push
    const res = this.res;
    res.time = time;
    res.value = value;
    res.baseline = b;
    res.level = level;
    res.opened = undefined;
    res.closed = undefined;
    let c = this.cand;
    if (level >= LEVEL_WARNING) {
      if (!c) c = this.cand = { startIdx: idx, lastAlertIdx: idx, critical: 0, alerts: 0, sumV: 0, sumB: 0, minRatio: 1, normalRun: 0, confirmedAt: -1, kind: null };
      c.lastAlertIdx = idx;
      c.normalRun = 0;
      c.alerts++;
      if (level === LEVEL_CRITICAL) c.critical++;
      c.sumV += value;
      c.sumB += b;
      if (ratio < c.minRatio) c.minRatio = ratio;
      const span = idx - c.startIdx + 1;
      if (c.kind !== 'outage' && c.critical >= this.minPts && span >= this.minPts) {
        const wasOpen = c.kind !== null;
        c.kind = 'outage';
        if (!wasOpen) {
          c.confirmedAt = time;
          res.opened = this.snapshot(c, null);
        }
      } else if (c.kind === null && p.throttling && this.mature() && span >= this.throttlePts && 1 - c.sumV / c.sumB >= p.throttleMinDepth) {
        c.kind = 'throttling';
        c.confirmedAt = time;
        res.opened = this.snapshot(c, null);
      }
    } else if (level === LEVEL_NORMAL && c) {
      c.normalRun++;
      if (c.normalRun >= this.recoveryPts) {
        if (c.kind) res.closed = this.snapshot(c, this.timeOf(c.lastAlertIdx + 1));
        this.cand = c = null;
      }
    }
    // history: alert points stand in as their baseline (bounded per event), others as observed
    const clean = level >= LEVEL_WARNING && c !== null && idx - c.startIdx <= this.cleanPts;
    this.ring[idx % this.size] = clean ? b : value;
    this.i++;
    return res;
  }

  /** The event still open at the end of the data, if confirmed. */
  openEvent(): RawEvent | null {
    const c = this.cand;
    return c && c.kind ? this.snapshot(c, null) : null;
  }

  private snapshot(c: Candidate, end: number | null): RawEvent {
    return {
      kind: c.kind ?? 'outage',
      start: this.timeOf(c.startIdx),
      end,
      firstAlertAt: c.confirmedAt,
      depth: c.sumB > 0 ? Math.max(0, Math.min(1, 1 - c.sumV / c.sumB)) : 0,
      minRatio: Math.max(0, c.minRatio),
      points: c.alerts,
      criticalPoints: c.critical,
    };
  }
}

export interface SeriesTrace {
  baseline: Float32Array;
  level: Int8Array;
}

/** Runs the detector over a whole series. `trace` keeps the baseline and level of every point (for charts). */
export function detectSeries(values: Float64Array, start: number, step: number, p: SignalParams, trace = false): { events: RawEvent[]; trace?: SeriesTrace; pointsWithData: number } {
  const d = new SeriesDetector(start, step, p);
  const events: RawEvent[] = [];
  const tr = trace ? { baseline: new Float32Array(values.length), level: new Int8Array(values.length) } : undefined;
  let withData = 0;
  for (let k = 0; k < values.length; k++) {
    const v = values[k]!;
    if (v === v) withData++;
    const r = d.push(v);
    if (r.closed) events.push(r.closed);
    if (tr) {
      tr.baseline[k] = r.baseline;
      tr.level[k] = r.level;
    }
  }
  const open = d.openEvent();
  if (open) events.push(open);
  return { events, trace: tr, pointsWithData: withData };
}
