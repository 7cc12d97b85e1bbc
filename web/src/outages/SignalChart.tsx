import { useId, useMemo } from 'react';
import { useI18n, type Lang } from '../i18n/index.js';
import { bandPath, linePath, lowestRatio, niceTicks, timeTicks, type ChartData, type TimeTick } from './logic.js';
import type { AlertLevels, OutageKind } from './types.js';

/** Latin digits in Arabic, as the rest of the console does. */
export function intlLocale(lang: Lang): string {
  return lang === 'ar' ? 'ar-u-nu-latn' : lang;
}

export function useTickFormat(): (tick: TimeTick) => string {
  const { lang } = useI18n();
  return useMemo(() => {
    const loc = intlLocale(lang);
    const hour = new Intl.DateTimeFormat(loc, { hour: '2-digit', minute: '2-digit', hourCycle: 'h23', timeZone: 'UTC' });
    const day = new Intl.DateTimeFormat(loc, { day: 'numeric', month: 'short', timeZone: 'UTC' });
    const month = new Intl.DateTimeFormat(loc, { month: 'short', year: 'numeric', timeZone: 'UTC' });
    const year = new Intl.DateTimeFormat(loc, { year: 'numeric', timeZone: 'UTC' });
    return (tick) => (tick.unit === 'hour' ? hour : tick.unit === 'day' ? day : tick.unit === 'month' ? month : year).format(tick.at);
  }, [lang]);
}

export function usePercent(): (x: number) => string {
  const { lang } = useI18n();
  return useMemo(() => {
    const f = new Intl.NumberFormat(intlLocale(lang), { style: 'percent', maximumFractionDigits: 0 });
    return (x: number) => f.format(x);
  }, [lang]);
}

export interface ShadedEvent {
  start: number;
  /** null while ongoing: shaded to the end of the chart. */
  end: number | null;
  kind: OutageKind;
  label: string;
  /** The chart's own event (strong shade and label) or a related one, such as a national event on a region. */
  own: boolean;
}

export const CHART_COLOURS = {
  observed: '#1b2430',
  baseline: '#1f4e79',
  band: '#1f4e79',
  warning: '#b86200',
  critical: '#b3261e',
  outage: '#b3261e',
  throttling: '#c98a00',
};

interface Props {
  data: ChartData;
  levels: AlertLevels;
  events: ShadedEvent[];
  /** Accessible name of the chart (what series it shows). */
  title: string;
  from?: number;
  to?: number;
  compact?: boolean;
  testId?: string;
}

/**
 * One signal against its baseline, drawn by hand in SVG: the band from the baseline down to the warning level,
 * the warning and critical levels as lines (baseline × level, so they follow the daily cycle), the observed values
 * on top, and detected events shaded. Time runs left to right in every language.
 */
export function SignalChart({ data, levels, events, title, from, to, compact = false, testId }: Props) {
  const { t, num, date } = useI18n();
  const pct = usePercent();
  const fmtTick = useTickFormat();
  const titleId = useId();
  const descId = useId();
  const W = compact ? 240 : 820;
  const H = compact ? 72 : 280;
  const M = compact ? { top: 4, right: 2, bottom: 4, left: 2 } : { top: 22, right: 10, bottom: 28, left: 56 };
  const x0 = from ?? data.times[0] ?? 0;
  const x1 = Math.max(to ?? (data.times[data.times.length - 1] ?? x0) + data.stepMs, x0 + 1);
  const innerW = W - M.left - M.right;
  const innerH = H - M.top - M.bottom;

  const model = useMemo(() => {
    let max = 0;
    for (let i = 0; i < data.times.length; i++) max = Math.max(max, data.value[i] ?? 0, data.baseline[i] ?? 0);
    const yTicks = niceTicks(max || 1, compact ? 2 : 4);
    const top = yTicks[yTicks.length - 1] ?? 1;
    const x = (ms: number) => M.left + ((ms - x0) / (x1 - x0)) * innerW;
    const y = (v: number) => M.top + innerH - (v / top) * innerH;
    // each value stands for its step: draw it in the middle of the interval it covers
    const xs = data.times.map((ms) => x(ms + data.stepMs / 2));
    const ys = (arr: (number | null)[], k = 1) => arr.map((v) => (v === null || v === undefined ? null : y(v * k)));
    const base = ys(data.baseline);
    return {
      x,
      y,
      yTicks,
      observed: linePath(xs, ys(data.value)),
      baseline: linePath(xs, base),
      warning: linePath(xs, ys(data.baseline, levels.warning)),
      critical: linePath(xs, ys(data.baseline, levels.critical)),
      band: bandPath(xs, base, ys(data.baseline, levels.warning)),
      xTicks: compact ? [] : timeTicks(x0, x1, 8),
      low: lowestRatio(data),
      points: data.value.filter((v) => v !== null).length,
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [data, levels.warning, levels.critical, x0, x1, compact]);

  const clampX = (ms: number) => Math.min(Math.max(model.x(ms), M.left), W - M.right);
  // an ongoing event is known to last until the data ends, not to the end of the period asked for
  const dataEnd = data.times.length ? (data.times[data.times.length - 1] ?? x1) + data.stepMs : x1;
  const shaded = events
    .map((e) => ({ e, a: clampX(e.start), b: clampX(e.end ?? Math.min(x1, dataEnd)) }))
    .filter((s) => s.b > s.a || (s.e.end !== null && s.e.end >= x0 && s.e.start <= x1));
  const summary = [
    model.low ? t('outages.chart.lowest', { ratio: pct(model.low.ratio), when: date(new Date(model.low.at).toISOString(), true) }) : t('outages.chart.noBaseline'),
    t('outages.chart.levels', { warning: pct(levels.warning), critical: pct(levels.critical) }),
    t('outages.chart.eventCount', { count: num(events.filter((e) => e.own).length) }),
  ].join(' ');

  const svg = (
      <svg
        viewBox={`0 0 ${W} ${H}`}
        className={compact ? 'signal-mini' : undefined}
        {...(compact ? { 'aria-hidden': true } : { role: 'img', 'aria-labelledby': titleId, 'aria-describedby': descId })}
        direction="ltr"
        data-testid={testId}
        data-points={model.points}
        data-events={shaded.length}
      >
        {!compact && <title id={titleId}>{title}</title>}
        {!compact && <desc id={descId}>{summary}</desc>}
        {shaded.map(({ e, a, b }, i) => (
          <g key={i} className={`ev-shade ev-${e.kind}${e.own ? ' own' : ''}`}>
            <rect x={a} y={M.top} width={Math.max(1.5, b - a)} height={innerH} fill={CHART_COLOURS[e.kind]} fillOpacity={e.own ? 0.16 : 0.07} />
            {e.own && <line x1={a} x2={a} y1={M.top} y2={M.top + innerH} stroke={CHART_COLOURS[e.kind]} strokeWidth={compact ? 1 : 1.5} />}
            {e.own && !compact && (
              <text x={a + 4} y={M.top - 7} className="ev-label" fill={CHART_COLOURS[e.kind]}>
                {e.label}
              </text>
            )}
          </g>
        ))}
        {!compact &&
          model.yTicks.map((v) => (
            <g key={v}>
              <line x1={M.left} x2={W - M.right} y1={model.y(v)} y2={model.y(v)} stroke="#e2e6ec" />
              <text x={M.left - 6} y={model.y(v) + 4} textAnchor="end" className="axis">
                {num(v)}
              </text>
            </g>
          ))}
        {model.xTicks.map((tk) => (
          <g key={tk.at}>
            <line x1={model.x(tk.at)} x2={model.x(tk.at)} y1={M.top + innerH} y2={M.top + innerH + 4} stroke="#6b7280" />
            <text x={model.x(tk.at)} y={H - 8} textAnchor="middle" className="axis">
              {fmtTick(tk)}
            </text>
          </g>
        ))}
        <path d={model.band} fill={CHART_COLOURS.band} fillOpacity={0.1} className="sig-band" />
        <path d={model.critical} fill="none" stroke={CHART_COLOURS.critical} strokeWidth={compact ? 0.8 : 1.2} strokeDasharray="6 3" className="sig-critical" />
        <path d={model.warning} fill="none" stroke={CHART_COLOURS.warning} strokeWidth={compact ? 0.8 : 1.2} strokeDasharray="2 3" className="sig-warning" />
        <path d={model.baseline} fill="none" stroke={CHART_COLOURS.baseline} strokeWidth={compact ? 1 : 1.5} strokeDasharray="5 4" className="sig-baseline" />
        <path d={model.observed} fill="none" stroke={CHART_COLOURS.observed} strokeWidth={compact ? 1.2 : 1.8} strokeLinejoin="round" className="sig-observed" />
        {!compact && <line x1={M.left} x2={W - M.right} y1={M.top + innerH} y2={M.top + innerH} stroke="#6b7280" />}
      </svg>
  );
  // a small chart sits inside a button that names it: just the picture
  if (compact) return svg;
  return (
    <figure className="chart signal-chart">
      {svg}
      <figcaption>
        <ChartLegend levels={levels} />
        <p className="muted chart-summary">{summary}</p>
      </figcaption>
    </figure>
  );
}

export function ChartLegend({ levels }: { levels: AlertLevels }) {
  const { t } = useI18n();
  const pct = usePercent();
  const line = (colour: string, dash?: string, width = 2) => (
    <svg width="26" height="10" aria-hidden="true" className="legend-line">
      <line x1="1" x2="25" y1="5" y2="5" stroke={colour} strokeWidth={width} strokeDasharray={dash} />
    </svg>
  );
  return (
    <ul className="legend-list signal-legend">
      <li>
        {line(CHART_COLOURS.observed, undefined, 2.5)}
        {t('outages.chart.observed')}
      </li>
      <li>
        {line(CHART_COLOURS.baseline, '5 4')}
        {t('outages.chart.baseline')}
      </li>
      <li>
        <span className="swatch" style={{ background: `${CHART_COLOURS.band}26` }} />
        {t('outages.chart.band')}
      </li>
      <li>
        {line(CHART_COLOURS.warning, '2 3')}
        {t('outages.chart.warning', { level: pct(levels.warning) })}
      </li>
      <li>
        {line(CHART_COLOURS.critical, '6 3')}
        {t('outages.chart.critical', { level: pct(levels.critical) })}
      </li>
      <li>
        <span className="swatch" style={{ background: `${CHART_COLOURS.outage}33` }} />
        {t('outages.chart.eventShade')}
      </li>
    </ul>
  );
}
