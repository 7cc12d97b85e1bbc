/**
 * Evaluation of detected events against labelled ones.
 *
 * Matching rule: a detected event matches a label when both name the same entity (country code, CC/region, ASN)
 * and their times overlap once the label is widened by `toleranceMinutes` on each side:
 * det.start ≤ label.end + tol and (det.end ?? ∞) ≥ label.start − tol (an open label runs to the end of the data).
 * Precision = matched detections / detections; recall = matched labels / labels; false alarms per series-day =
 * unmatched detections / series-days of data; detection delay = first alert of the earliest matching detection −
 * label start, in data time (median over matched labels).
 * "Full" figures: labels of kind full against detections of kind outage; "partial": partial labels against all
 * detections (throttling is how partial drops show up).
 */
import type { LabelledEvent, OutageEvent } from '../model.js';

export interface Scores {
  detections: number;
  labels: number;
  matchedDetections: number;
  matchedLabels: number;
  precision: number;
  recall: number;
  falseAlarms: number;
  falseAlarmsPerSeriesDay: number;
  medianDelayMinutes: number | null;
}

export interface Evaluation {
  toleranceMinutes: number;
  seriesDays: number;
  all: Scores;
  full: Scores;
  partial: Scores;
  /** Labels no detection matched, and detections no label matched (for inspection). */
  missed: LabelledEvent[];
  falseAlarms: OutageEvent[];
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

function score(dets: OutageEvent[], labels: LabelledEvent[], allLabels: LabelledEvent[], tol: number, seriesDays: number): Scores {
  // a detection is a true alarm if it matches any label (of any kind): a deep drop during a labelled throttling is
  // not a false alarm
  const matchedDet = dets.filter((d) => allLabels.some((l) => matches(d, l, tol)));
  const delays: number[] = [];
  let matchedLabels = 0;
  for (const l of labels) {
    const m = dets.filter((d) => matches(d, l, tol));
    if (!m.length) continue;
    matchedLabels++;
    delays.push((Math.min(...m.map((d) => d.firstAlertAt)) - l.start) / 60);
  }
  const falseAlarms = dets.length - matchedDet.length;
  return {
    detections: dets.length,
    labels: labels.length,
    matchedDetections: matchedDet.length,
    matchedLabels,
    precision: dets.length ? matchedDet.length / dets.length : 1,
    recall: labels.length ? matchedLabels / labels.length : 1,
    falseAlarms,
    falseAlarmsPerSeriesDay: seriesDays > 0 ? falseAlarms / seriesDays : 0,
    medianDelayMinutes: median(delays),
  };
}

export function evaluate(detected: OutageEvent[], labels: LabelledEvent[], opts: { toleranceMinutes?: number; seriesDays: number }): Evaluation {
  const tolMin = opts.toleranceMinutes ?? 60;
  const tol = tolMin * 60;
  return {
    toleranceMinutes: tolMin,
    seriesDays: opts.seriesDays,
    all: score(detected, labels, labels, tol, opts.seriesDays),
    full: score(detected.filter((d) => d.kind === 'outage'), labels.filter((l) => l.kind === 'full'), labels, tol, opts.seriesDays),
    partial: score(detected, labels.filter((l) => l.kind === 'partial'), labels, tol, opts.seriesDays),
    missed: labels.filter((l) => !detected.some((d) => matches(d, l, tol))),
    falseAlarms: detected.filter((d) => !labels.some((l) => matches(d, l, tol))),
  };
}
