/**
 * Evaluation of detected events against labelled ones.
 *
 * Matching rule: a detected event matches a label when both name the same entity (country code, CC/region, ASN)
 * and their times overlap once the label is widened by `toleranceMinutes` on each side:
 * det.start ≤ label.end + tol and (det.end ?? ∞) ≥ label.start − tol (an open label runs to the end of the data).
 * Precision = detections matching a label of their own class / detections (n/a with no detections); recall = matched
 * labels / labels (n/a with no labels); false alarms per series-day = unmatched detections / series-days of data;
 * detection delay = causal first alert of the earliest matching detection − label start, never negative (median
 * and maximum over matched labels); per-hour false-positive rate = entity-hours outside every label (± tolerance)
 * that a detection covers / entity-hours outside every label.
 * "Full": outage detections against full labels; "partial": throttling detections against partial labels for
 * precision, any detection for recall (a throttling detected as an outage was still found).
 */
import type { LabelledEvent, OutageEvent, Series } from '../model.js';

export interface Scores {
  detections: number;
  labels: number;
  matchedDetections: number;
  matchedLabels: number;
  /** null = no detections: precision cannot be judged (never a flattering 100 %). */
  precision: number | null;
  /** null = no labels: recall cannot be judged. */
  recall: number | null;
  falseAlarms: number;
  falseAlarmsPerSeriesDay: number;
  /** Causal delays (first alert − label start), never negative: an alert before the label's start counts 0. */
  medianDelayMinutes: number | null;
  maxDelayMinutes: number | null;
  /** Matched labels whose first alert came before the label's start (within the tolerance). */
  earlyAlerts: number;
}

/** Per-hour false-positive rate: entity-hours outside every label (widened by the tolerance) that a detection covers. */
export interface HourlyRates {
  /** Entity-hours of data outside labels. */
  negativeHours: number;
  falsePositiveHours: number;
  /** null when there are no negative hours. */
  fpr: number | null;
  /** Entity-hours inside labels, and how many of them a detection covers. */
  positiveHours: number;
  truePositiveHours: number;
  tpr: number | null;
}

export interface Evaluation {
  toleranceMinutes: number;
  seriesDays: number;
  all: Scores;
  full: Scores;
  partial: Scores;
  hourly: HourlyRates | null;
  /** Labels no detection matched, and detections no label matched (for inspection). */
  missed: LabelledEvent[];
  falseAlarms: OutageEvent[];
}

/** Where and when there is data: one range per entity (countries also get the union of their regions/networks). */
export interface Coverage {
  entity: string;
  start: number;
  end: number;
}

export function coverageOf(series: Series[]): Coverage[] {
  const m = new Map<string, Coverage>();
  const put = (entity: string, start: number, end: number) => {
    const c = m.get(entity);
    if (!c) m.set(entity, { entity, start, end });
    else {
      c.start = Math.min(c.start, start);
      c.end = Math.max(c.end, end);
    }
  };
  for (const s of series) {
    const end = s.start + s.values.length * s.step;
    put(s.entity.code, s.start, end);
    if (s.entity.scope !== 'country' && s.entity.country) put(s.entity.country, s.start, end);
  }
  return [...m.values()];
}

export function matches(d: Pick<OutageEvent, 'entity' | 'start' | 'end'>, l: Pick<LabelledEvent, 'entity' | 'start' | 'end'>, tol: number): boolean {
  if (d.entity !== l.entity) return false;
  const lEnd = l.end ?? Infinity;
  const dEnd = d.end ?? Infinity;
  return d.start <= lEnd + tol && dEnd >= l.start - tol;
}

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length & 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * Precision counts a detection as right only when it matches a label of the class being scored (`rightLabels`);
 * recall counts a label as found when any of `finders` matches it.
 */
function score(dets: OutageEvent[], rightLabels: LabelledEvent[], labels: LabelledEvent[], finders: OutageEvent[], tol: number, seriesDays: number): Scores {
  const matchedDet = dets.filter((d) => rightLabels.some((l) => matches(d, l, tol)));
  const delays: number[] = [];
  let matchedLabels = 0;
  let early = 0;
  for (const l of labels) {
    const m = finders.filter((d) => matches(d, l, tol));
    if (!m.length) continue;
    matchedLabels++;
    const first = Math.min(...m.map((d) => d.firstAlertAt));
    if (first < l.start) early++;
    delays.push(Math.max(0, first - l.start) / 60);
  }
  const falseAlarms = dets.length - matchedDet.length;
  return {
    detections: dets.length,
    labels: labels.length,
    matchedDetections: matchedDet.length,
    matchedLabels,
    precision: dets.length ? matchedDet.length / dets.length : null,
    recall: labels.length ? matchedLabels / labels.length : null,
    falseAlarms,
    falseAlarmsPerSeriesDay: seriesDays > 0 ? falseAlarms / seriesDays : 0,
    medianDelayMinutes: median(delays),
    maxDelayMinutes: delays.length ? Math.max(...delays) : null,
    earlyAlerts: early,
  };
}

/** Hour bins per entity of the coverage: labelled (label ± tol) or not, covered by a detection or not. */
export function hourlyRates(detected: OutageEvent[], labels: LabelledEvent[], coverage: Coverage[], tol: number): HourlyRates {
  const H = 3600;
  let neg = 0;
  let fp = 0;
  let pos = 0;
  let tp = 0;
  const byEntity = <T extends { entity: string }>(xs: T[]) => {
    const m = new Map<string, T[]>();
    for (const x of xs) {
      const l = m.get(x.entity) ?? [];
      l.push(x);
      m.set(x.entity, l);
    }
    return m;
  };
  const L = byEntity(labels);
  const D = byEntity(detected);
  for (const c of coverage) {
    const h0 = Math.floor(c.start / H);
    const h1 = Math.ceil(c.end / H);
    const n = h1 - h0;
    if (n <= 0) continue;
    const lab = new Uint8Array(n);
    const det = new Uint8Array(n);
    const mark = (arr: Uint8Array, a: number, b: number) => {
      const i0 = Math.max(0, Math.floor(a / H) - h0);
      const i1 = Math.min(n, Math.ceil(b / H) - h0);
      for (let i = i0; i < i1; i++) arr[i] = 1;
    };
    const labelled = L.get(c.entity) ?? [];
    for (const l of labelled) mark(lab, l.start - tol, (l.end ?? c.end) + tol);
    const strict = new Uint8Array(n);
    for (const l of labelled) mark(strict, l.start, l.end ?? c.end);
    for (const d of D.get(c.entity) ?? []) mark(det, d.start, d.end ?? c.end);
    for (let i = 0; i < n; i++) {
      if (!lab[i]) {
        neg++;
        if (det[i]) fp++;
      }
      if (strict[i]) {
        pos++;
        if (det[i]) tp++;
      }
    }
  }
  return { negativeHours: neg, falsePositiveHours: fp, fpr: neg ? fp / neg : null, positiveHours: pos, truePositiveHours: tp, tpr: pos ? tp / pos : null };
}

export function evaluate(detected: OutageEvent[], labels: LabelledEvent[], opts: { toleranceMinutes?: number; seriesDays: number; coverage?: Coverage[] }): Evaluation {
  const tolMin = opts.toleranceMinutes ?? 60;
  const tol = tolMin * 60;
  const outages = detected.filter((d) => d.kind === 'outage');
  const throttles = detected.filter((d) => d.kind === 'throttling');
  const full = labels.filter((l) => l.kind === 'full');
  const partial = labels.filter((l) => l.kind === 'partial');
  return {
    toleranceMinutes: tolMin,
    seriesDays: opts.seriesDays,
    all: score(detected, labels, labels, detected, tol, opts.seriesDays),
    full: score(outages, full, full, outages, tol, opts.seriesDays),
    partial: score(throttles, partial, partial, detected, tol, opts.seriesDays),
    hourly: opts.coverage ? hourlyRates(detected, labels, opts.coverage, tol) : null,
    missed: labels.filter((l) => !detected.some((d) => matches(d, l, tol))),
    falseAlarms: detected.filter((d) => !labels.some((l) => matches(d, l, tol))),
  };
}
