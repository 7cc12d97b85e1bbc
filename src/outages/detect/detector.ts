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
import type { SignalParams } from './config.js';

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
  /** How the baseline was made: BASELINE_NONE (too little history), _PERIODIC (same time on past days/weeks), _RECENT. */
  baselineKind: number;
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
  /** Consecutive normal points (unconfirmed: how long since the last alert; confirmed: recovery progress). */
  normalRun: number;
  /** Consecutive critical points (missing points neither break nor extend it) and their sums. */
  critRun: number;
  critV: number;
  critB: number;
  /** Alert points seen during recovery, held until a second one in a row makes them a relapse. */
  relapse: number;
  relV: number;
  relB: number;
  relCrit: number;
  relMin: number;
  relIdx: number;
  confirmedAt: number;
  kind: 'outage' | 'throttling' | null;
}

/** ln P(X ≤ k) for X ~ Poisson(λ), k = floor(observed); 0 when k ≥ λ (nothing unusual). */
export function poissonLogCdf(observed: number, lambda: number): number {
  const k = Math.floor(observed);
  if (k >= lambda) return 0;
  if (lambda <= 0) return 0;
  let lt = -lambda;
  let acc = lt;
  for (let j = 1; j <= k; j++) {
    lt += Math.log(lambda / j);
    acc = acc > lt ? acc + Math.log1p(Math.exp(lt - acc)) : lt + Math.log1p(Math.exp(acc - lt));
  }
  return Math.min(0, acc);
}

export const BASELINE_NONE = 0;
export const BASELINE_PERIODIC = 1;
export const BASELINE_RECENT = 2;

export class SeriesDetector {
  readonly dayPts: number;
  readonly weekPts: number;
  private readonly h: number;
  private readonly size: number;
  private readonly ring: Float32Array;
  /** Baseline of each recent alert point (NaN for others), to clean the history once an event is confirmed. */
  private readonly bring: Float32Array;
  private readonly scratch: Float64Array;
  private i = 0;
  private cand: Candidate | null = null;
  private readonly res: PointResult = { time: 0, value: NaN, baseline: NaN, level: LEVEL_UNKNOWN, baselineKind: BASELINE_NONE };
  private readonly minPts: number;
  private readonly recoveryPts: number;
  private readonly throttlePts: number;
  private readonly cleanPts: number;
  private readonly recentPts: number;
  private readonly recentMin: number;
  private readonly gracePts: number;
  private readonly logAlpha: number;
  private lastKind = BASELINE_NONE;

  constructor(
    readonly start: number,
    readonly step: number,
    readonly p: SignalParams,
  ) {
    this.dayPts = Math.max(1, Math.round(86400 / step));
    this.weekPts = this.dayPts * 7;
    this.h = Math.floor((p.neighbourMinutes * 60) / step);
    this.recentPts = Math.floor(((p.recentHours ?? 0) * 3600) / step);
    this.recentMin = Math.max(1, Math.ceil(((p.recentMinHours ?? 3) * 3600) / step));
    const lookback = Math.max(p.days * this.dayPts, p.weekly ? p.weeks * this.weekPts : 0, this.recentPts) + this.h + 1;
    this.size = lookback + 1;
    this.ring = new Float32Array(this.size).fill(NaN);
    this.bring = new Float32Array(this.size).fill(NaN);
    const maxPeriods = Math.max(p.days, p.weeks);
    this.scratch = new Float64Array(Math.max(maxPeriods * (2 * this.h + 1), this.recentPts, 1));
    this.minPts = Math.max(1, Math.ceil((p.minMinutes * 60) / step));
    this.recoveryPts = Math.max(1, Math.ceil((p.recoveryMinutes * 60) / step));
    this.throttlePts = Math.max(1, Math.ceil((p.throttleMinMinutes * 60) / step));
    this.cleanPts = Math.ceil((p.cleanMaxHours * 3600) / step);
    // an unconfirmed run of alerts dies at the first normal point on hourly (or coarser) data, after 10 minutes on
    // finer data: noise never chains into an event
    this.gracePts = Math.max(1, Math.floor(600 / step));
    this.logAlpha = Math.log(p.countAlpha ?? 0.001);
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

  /** The baseline for the next point (NaN while warming up); `baselineKind` says how it was made. */
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
    const s = this.scratch;
    let n = 0;
    if (K >= need) {
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
      if (periodsWithData >= need && n > 0) {
        this.lastKind = BASELINE_PERIODIC;
        return n & 1 ? s[n >> 1]! : (s[(n >> 1) - 1]! + s[n >> 1]!) / 2;
      }
      n = 0;
    }
    if (this.recentPts > 0) {
      for (let idx = Math.max(0, i - this.recentPts); idx < i; idx++) {
        const v = this.ring[idx % this.size]!;
        if (v !== v) continue;
        let m = n++;
        while (m > 0 && s[m - 1]! > v) {
          s[m] = s[m - 1]!;
          m--;
        }
        s[m] = v;
      }
      if (n >= this.recentMin) {
        this.lastKind = BASELINE_RECENT;
        return n & 1 ? s[n >> 1]! : (s[(n >> 1) - 1]! + s[n >> 1]!) / 2;
      }
    }
    this.lastKind = BASELINE_NONE;
    return NaN;
  }

  private significant(sumV: number, sumB: number): boolean {
    return !this.p.count || poissonLogCdf(sumV, sumB) < this.logAlpha;
  }

  push(value: number): PointResult {
    const idx = this.i;
    const time = this.timeOf(idx);
    const p = this.p;
    if (value !== value && p.missingAsZero) value = 0;
    const b = this.baseline();
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
    res.baselineKind = b === b ? this.lastKind : BASELINE_NONE;
    res.opened = undefined;
    res.closed = undefined;
    let c = this.cand;
    if (level >= LEVEL_WARNING) {
      if (!c) {
        c = this.cand = {
          startIdx: idx, lastAlertIdx: idx, critical: 0, alerts: 0, sumV: 0, sumB: 0, minRatio: 1, normalRun: 0,
          critRun: 0, critV: 0, critB: 0, relapse: 0, relV: 0, relB: 0, relCrit: 0, relMin: 1, relIdx: idx, confirmedAt: -1, kind: null,
        };
      }
      if (c.kind !== null && c.normalRun > 0) {
        // recovering: one alert point after normal ones is noise; a second in a row is a relapse of the event
        if (c.relapse === 0) c.relIdx = idx;
        c.relapse++;
        c.relV += value;
        c.relB += b;
        if (level === LEVEL_CRITICAL) c.relCrit++;
        if (ratio < c.relMin) c.relMin = ratio;
        if (c.relapse >= 2) {
          c.alerts += c.relapse;
          c.critical += c.relCrit;
          c.sumV += c.relV;
          c.sumB += c.relB;
          if (c.relMin < c.minRatio) c.minRatio = c.relMin;
          c.lastAlertIdx = idx;
          c.normalRun = 0;
          this.bring[idx % this.size] = b;
          this.cleanBack(c.relIdx, idx - 1, c.startIdx);
          c.relapse = c.relCrit = 0;
          c.relV = c.relB = 0;
          c.relMin = 1;
        } else {
          c.normalRun++;
          if (c.normalRun >= this.recoveryPts) {
            res.closed = this.snapshot(c, this.timeOf(c.lastAlertIdx + 1));
            this.cand = c = null;
          }
        }
      } else {
        c.lastAlertIdx = idx;
        c.normalRun = 0;
        c.alerts++;
        c.sumV += value;
        c.sumB += b;
        if (ratio < c.minRatio) c.minRatio = ratio;
        if (level === LEVEL_CRITICAL) {
          c.critical++;
          c.critRun++;
          c.critV += value;
          c.critB += b;
        } else {
          c.critRun = 0;
          c.critV = c.critB = 0;
        }
        const span = idx - c.startIdx + 1;
        if (c.kind !== 'outage' && c.critRun >= this.minPts && (c.kind === null || !p.degradationOnly) && this.significant(c.critV, c.critB)) {
          const wasOpen = c.kind !== null;
          c.kind = p.degradationOnly ? 'throttling' : 'outage';
          if (!wasOpen) {
            this.bring[idx % this.size] = b;
            this.cleanBack(c.startIdx, idx - 1, c.startIdx);
            // causal: the reading of this point is known once its interval has passed
            c.confirmedAt = time + this.step;
            res.opened = this.snapshot(c, null);
          }
        } else if (c.kind === null && p.throttling && this.mature() && span >= this.throttlePts && 1 - c.sumV / c.sumB >= p.throttleMinDepth && this.significant(c.sumV, c.sumB)) {
          c.kind = 'throttling';
          c.confirmedAt = time + this.step;
          res.opened = this.snapshot(c, null);
        }
      }
    } else if (level === LEVEL_NORMAL && c) {
      c.normalRun++;
      c.relapse = c.relCrit = 0;
      c.relV = c.relB = 0;
      c.relMin = 1;
      if (c.kind === null) {
        if (c.normalRun >= this.gracePts) this.cand = c = null;
        else {
          c.critRun = 0;
          c.critV = c.critB = 0;
        }
      } else if (c.normalRun >= this.recoveryPts) {
        res.closed = this.snapshot(c, this.timeOf(c.lastAlertIdx + 1));
        this.cand = c = null;
      }
    }
    // history: alert points of a confirmed event stand in as their baseline (bounded per event), so an outage does
    // not drag later baselines down; alert points of unconfirmed runs stay as observed (replacing every low reading
    // by its baseline would censor the noise from below and ratchet the baseline up), and are cleaned afterwards
    // if the run is confirmed
    const alert = level >= LEVEL_WARNING && c !== null;
    const clean = alert && c!.kind !== null && idx - c!.startIdx <= this.cleanPts && (c!.normalRun === 0 || c!.relapse === 0);
    this.ring[idx % this.size] = clean ? b : value;
    this.bring[idx % this.size] = alert ? b : NaN;
    this.i++;
    return res;
  }

  /** Replaces alert points in [from, to] (still in the ring, within cleanMaxHours of the event start) by their baselines. */
  private cleanBack(from: number, to: number, eventStart: number) {
    const lo = Math.max(from, this.i - this.size + 1, 0);
    for (let k = lo; k <= to; k++) {
      if (k - eventStart > this.cleanPts) break;
      const bb = this.bring[k % this.size]!;
      if (bb === bb) this.ring[k % this.size] = bb;
    }
  }

  /** The event still open at the end of the data, if confirmed. */
  openEvent(): RawEvent | null {
    const c = this.cand;
    if (!c || !c.kind) return null;
    // still recovering when the data ended: the event ended after its last alert point
    if (c.normalRun > 0) return this.snapshot(c, this.timeOf(c.lastAlertIdx + 1));
    return this.snapshot(c, null);
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

/** How much of a series could be judged, and how. */
export interface HistoryReport {
  /** Points with data that had no baseline at all (too little history). */
  unjudged: number;
  /** Points with data judged against the recent level (short history). */
  recent: number;
  /** Time of the first point judged against same-time history, or null. */
  periodicFrom: number | null;
  /** Time of the first judged point, or null. */
  judgedFrom: number | null;
}

/** Runs the detector over a whole series. `trace` keeps the baseline and level of every point (for charts). */
export function detectSeries(values: Float64Array, start: number, step: number, p: SignalParams, trace = false): { events: RawEvent[]; trace?: SeriesTrace; pointsWithData: number; history: HistoryReport } {
  const d = new SeriesDetector(start, step, p);
  const events: RawEvent[] = [];
  const tr = trace ? { baseline: new Float32Array(values.length), level: new Int8Array(values.length) } : undefined;
  let withData = 0;
  const history: HistoryReport = { unjudged: 0, recent: 0, periodicFrom: null, judgedFrom: null };
  for (let k = 0; k < values.length; k++) {
    const v = values[k]!;
    if (v === v || p.missingAsZero) withData++;
    const r = d.push(v);
    if (r.value === r.value) {
      if (r.baselineKind === BASELINE_NONE) history.unjudged++;
      else {
        if (history.judgedFrom === null) history.judgedFrom = r.time;
        if (r.baselineKind === BASELINE_RECENT) history.recent++;
        else if (history.periodicFrom === null) history.periodicFrom = r.time;
      }
    }
    if (r.closed) events.push(r.closed);
    if (tr) {
      tr.baseline[k] = r.baseline;
      tr.level[k] = r.level;
    }
  }
  const open = d.openEvent();
  if (open) events.push(open);
  return { events, trace: tr, pointsWithData: withData, history };
}
