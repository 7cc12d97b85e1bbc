/** Detection over a set of series: per-series detector, then fusion. */
import type { OutageEvent, Series } from '../model.js';
import { paramsFor, defaultConfig, type DetectorConfig } from './config.js';
import { detectSeries, type HistoryReport, type RawEvent, type SeriesTrace } from './detector.js';
import { isoUtc } from '../model.js';
import { fuse } from './fusion.js';

export interface SeriesResult {
  series: Series;
  events: RawEvent[];
  pointsWithData: number;
  history: HistoryReport;
  trace?: SeriesTrace;
}

export interface Detection {
  events: OutageEvent[];
  perSeries: SeriesResult[];
  /** Series-days of data looked at (points with data × step / 86400). */
  seriesDays: number;
  /** Where history was too short to judge well, or at all: never silent. */
  warnings: string[];
}

export function detect(series: Series[], config: DetectorConfig = defaultConfig(), opts: { trace?: boolean } = {}): Detection {
  const perSeries: SeriesResult[] = series.map((s) => {
    const r = detectSeries(s.values, s.start, s.step, paramsFor(config, s.signal), opts.trace);
    return { series: s, ...r };
  });
  const events = fuse(
    perSeries.map((r) => ({ series: { entity: r.series.entity, signal: r.series.signal, start: r.series.start, step: r.series.step, length: r.series.values.length }, events: r.events })),
    config.fusion,
  );
  const seriesDays = perSeries.reduce((s, r) => s + (r.pointsWithData * r.series.step) / 86400, 0);
  return { events, perSeries, seriesDays, warnings: historyWarnings(perSeries, config, events) };
}

const hrs = (sec: number) => (sec / 3600 < 48 ? `${Math.round(sec / 3600)} h` : `${(sec / 86400).toFixed(1)} days`);

/**
 * Warnings about short history, per country (or entity): series that could not be judged at all, and stretches
 * judged against the recent level instead of same-time history — with the events that begin there.
 */
export function historyWarnings(perSeries: SeriesResult[], config: DetectorConfig, events: OutageEvent[] = []): string[] {
  const groups = new Map<string, SeriesResult[]>();
  for (const r of perSeries) {
    const k = r.series.entity.country ?? r.series.entity.code;
    const l = groups.get(k) ?? [];
    l.push(r);
    groups.set(k, l);
  }
  const out: string[] = [];
  for (const [k, list] of groups) {
    const never = list.filter((r) => r.history.judgedFrom === null && r.pointsWithData > 0);
    if (never.length) {
      const longest = Math.max(...never.map((r) => r.series.values.length * r.series.step));
      out.push(`cannot judge ${k}: ${never.length} of ${list.length} series hold too little history for any baseline (at most ${hrs(longest)} of data)`);
    }
    const short = list.filter((r) => r.history.recent > 0 || (r.history.unjudged > 0 && r.history.judgedFrom !== null));
    if (!short.length) continue;
    const p = paramsFor(config, short[0]!.series.signal);
    const until = Math.max(...short.map((r) => r.history.periodicFrom ?? r.series.start + r.series.values.length * r.series.step));
    const from = Math.min(...short.map((r) => r.series.start));
    const unjudgedH = Math.max(...short.map((r) => (r.history.unjudged * r.series.step)));
    const inShort = events.filter((e) => (e.country ?? e.entity) === k && e.start < until);
    out.push(
      `${k}: short history — ${short.length} of ${list.length} series have less than the ${p.minPeriods} past days of same-hour history the baseline needs ` +
        `(${isoUtc(from)} – ${isoUtc(until)}): ` +
        (unjudgedH ? `nothing could be judged in their first ${hrs(unjudgedH)}, ` : '') +
        (short.some((r) => r.history.recent > 0) ? `then each was judged against its own recent level (median of the last ${p.recentHours} h)` : 'no recent-level baseline is configured for this signal') +
        (inShort.length
          ? `; ${inShort.length} event${inShort.length > 1 ? 's' : ''} begin${inShort.length > 1 ? '' : 's'} in that stretch (${inShort.slice(0, 3).map((e) => `${e.entity} ${isoUtc(e.start)}`).join(', ')}${inShort.length > 3 ? ', …' : ''}): their starts and depths are approximate and an earlier start cannot be ruled out`
          : ''),
    );
  }
  return out;
}

export { defaultConfig, configFrom, paramsFor } from './config.js';
