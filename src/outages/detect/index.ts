/** Detection over a set of series: per-series detector, then fusion. */
import type { OutageEvent, Series } from '../model.js';
import { paramsFor, defaultConfig, type DetectorConfig } from './config.js';
import { detectSeries, type RawEvent, type SeriesTrace } from './detector.js';
import { fuse } from './fusion.js';

export interface SeriesResult {
  series: Series;
  events: RawEvent[];
  pointsWithData: number;
  trace?: SeriesTrace;
}

export interface Detection {
  events: OutageEvent[];
  perSeries: SeriesResult[];
  /** Series-days of data looked at (points with data × step / 86400). */
  seriesDays: number;
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
  return { events, perSeries, seriesDays };
}

export { defaultConfig, configFrom, paramsFor } from './config.js';
