/**
 * The evidence an analyst sees on a draft incident: the event's numbers and a plot of the signal (summed over the
 * event's series or member regions) against its baseline, as data and as a small self-contained SVG.
 */
import type { OutageEvent } from './model.js';
import { isoUtc } from './model.js';
import type { SeriesResult } from './detect/index.js';

export interface EventPlot {
  /** ISO times, observed sum and baseline sum per bucket (null = no data). */
  t: string[];
  value: (number | null)[];
  baseline: (number | null)[];
  signals: string[];
  seriesCount: number;
}

const MAX_POINTS = 240;
const MARGIN = 12 * 3600;

/** Sums the event's series (its own entity, or its member regions/networks) over the event ± 12 h, bucketed. */
export function eventPlot(e: OutageEvent, perSeries: SeriesResult[]): EventPlot | null {
  const wanted = new Set(e.members ? e.members.entities : [e.entity]);
  const rel = perSeries.filter((r) => wanted.has(r.series.entity.code) && r.trace);
  if (!rel.length) return null;
  const dataEnd = Math.max(...rel.map((r) => r.series.start + r.series.values.length * r.series.step));
  const from = e.start - MARGIN;
  const to = Math.min(dataEnd, (e.end ?? dataEnd) + MARGIN);
  const step = Math.min(...rel.map((r) => r.series.step));
  const n = Math.max(1, Math.ceil((to - from) / step));
  const per = Math.max(1, Math.ceil(n / MAX_POINTS));
  const buckets = Math.ceil(n / per);
  const sumV = new Float64Array(buckets);
  const sumB = new Float64Array(buckets);
  const cnt = new Uint32Array(buckets);
  for (const r of rel) {
    const { start, step: st, values } = r.series;
    const tr = r.trace!;
    const i0 = Math.max(0, Math.floor((from - start) / st));
    const i1 = Math.min(values.length, Math.ceil((to - start) / st));
    for (let i = i0; i < i1; i++) {
      const v = values[i]!;
      const b = tr.baseline[i]!;
      if (v !== v || b !== b) continue;
      const k = Math.floor((start + i * st - from) / step / per);
      if (k < 0 || k >= buckets) continue;
      sumV[k] = sumV[k]! + v;
      sumB[k] = sumB[k]! + b;
      cnt[k] = cnt[k]! + 1;
    }
  }
  const t: string[] = [];
  const value: (number | null)[] = [];
  const baseline: (number | null)[] = [];
  for (let k = 0; k < buckets; k++) {
    t.push(isoUtc(from + k * per * step));
    value.push(cnt[k] ? Math.round((sumV[k]! / cnt[k]!) * rel.length * 100) / 100 : null);
    baseline.push(cnt[k] ? Math.round((sumB[k]! / cnt[k]!) * rel.length * 100) / 100 : null);
  }
  return { t, value, baseline, signals: [...new Set(rel.map((r) => r.series.signal))].sort(), seriesCount: rel.length };
}

/** A 600×160 SVG: baseline band (dashed), observed line, the event shaded. No script, no external references. */
export function plotSvg(plot: EventPlot, e: OutageEvent): string {
  const W = 600;
  const H = 160;
  const pad = 6;
  const n = plot.t.length;
  const max = Math.max(1e-9, ...plot.value.map((v) => v ?? 0), ...plot.baseline.map((v) => v ?? 0));
  const x = (k: number) => pad + (n <= 1 ? 0 : (k / (n - 1)) * (W - 2 * pad));
  const y = (v: number) => H - pad - (v / max) * (H - 2 * pad);
  const path = (vals: (number | null)[]) => {
    let d = '';
    let pen = false;
    vals.forEach((v, k) => {
      if (v === null) {
        pen = false;
        return;
      }
      d += `${pen ? 'L' : 'M'}${x(k).toFixed(1)},${y(v).toFixed(1)}`;
      pen = true;
    });
    return d;
  };
  const t0 = Date.parse(plot.t[0] ?? '') / 1000;
  const t1 = Date.parse(plot.t[n - 1] ?? '') / 1000;
  const tx = (t: number) => pad + (t1 > t0 ? ((t - t0) / (t1 - t0)) * (W - 2 * pad) : 0);
  const sx = Math.max(pad, tx(e.start));
  const ex = Math.min(W - pad, tx(e.end ?? t1));
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="signal of ${e.entity} against its baseline">` +
    `<rect x="${sx.toFixed(1)}" y="0" width="${Math.max(1, ex - sx).toFixed(1)}" height="${H}" fill="#d62728" fill-opacity="0.15"/>` +
    `<path d="${path(plot.baseline)}" fill="none" stroke="#888" stroke-dasharray="4 3" stroke-width="1.5"/>` +
    `<path d="${path(plot.value)}" fill="none" stroke="#1f77b4" stroke-width="1.5"/>` +
    `</svg>`
  );
}
