import { useMemo } from 'react';
import { useI18n } from '../i18n/index.js';
import { chartGeometry, fillDays } from './logic.js';
import { useMeasureI18n } from './i18n.js';
import type { BlockedDay } from './types.js';

const W = 640;
const H = 240;
const BLOCKED = '#b3261e';
const TESTED = '#c9d6e6';

/** A day's label: centred under its bar, but kept inside the plot at both ends. */
function labelAt(x: number, width: number, plot: { left: number; right: number }): { x: number; textAnchor: 'start' | 'middle' | 'end' } {
  const mid = x + width / 2;
  if (mid > plot.right - 24) return { x: Math.max(x + width, mid), textAnchor: 'end' };
  if (mid < plot.left + 24) return { x: Math.min(x, mid), textAnchor: 'start' };
  return { x: mid, textAnchor: 'middle' };
}

/**
 * Distinct domains tested (pale) and blocked (red, drawn over them) per day. Days in the range with no measurement
 * are left empty and marked on the axis, so a gap in the data never reads as "nothing blocked". Time runs left to
 * right in every language, as on the console's other charts.
 */
export function BlockedDomainsChart({ items, from, to }: { items: BlockedDay[]; from?: string | undefined; to?: string | undefined }) {
  const { num, date, lang } = useI18n();
  const { mt } = useMeasureI18n();
  const short = useMemo(() => new Intl.DateTimeFormat(lang === 'ar' ? 'ar-u-nu-latn' : lang, { day: 'numeric', month: 'short', timeZone: 'UTC' }), [lang]);
  const days = useMemo(() => fillDays(items, { from, to, minDays: 14 }), [items, from, to]);
  const g = useMemo(() => chartGeometry(days, W, H), [days]);
  if (!days.length) return <p className="muted">{mt('measure.chartEmpty')}</p>;
  const measured = days.filter((d) => d.measured);
  const peak = measured.reduce((best, d) => (d.blockedDomains > best.blockedDomains ? d : best), measured[0] ?? days[0]!);
  return (
    <figure className="chart m-chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={mt('measure.chart')} direction="ltr" data-testid="blocked-chart">
        {g.ticks.map((tk) => (
          <g key={tk.value}>
            <line x1={g.plot.left} x2={g.plot.right} y1={tk.y} y2={tk.y} stroke="#e2e6ec" />
            <text x={g.plot.left - 6} y={tk.y + 4} textAnchor="end" className="axis">
              {num(tk.value)}
            </text>
          </g>
        ))}
        {g.bars.map((b) => (
          <g key={b.day} className={b.measured ? 'm-day' : 'm-day m-day-gap'} data-day={b.day} data-blocked={b.blocked} data-tested={b.tested}>
            <title>{b.measured ? mt('measure.chartBar', { day: date(b.day), blocked: num(b.blocked), tested: num(b.tested) }) : mt('measure.chartGap', { day: date(b.day) })}</title>
            {b.measured ? (
              <>
                <rect x={b.x} y={b.yTested} width={b.width} height={Math.max(0, g.plot.bottom - b.yTested)} fill={TESTED} />
                {b.blocked > 0 && <rect x={b.x} y={b.yBlocked} width={b.width} height={Math.max(0.5, g.plot.bottom - b.yBlocked)} fill={BLOCKED} />}
              </>
            ) : (
              <line x1={b.x + b.width / 2} x2={b.x + b.width / 2} y1={g.plot.bottom - 3} y2={g.plot.bottom} stroke="#9aa1ab" />
            )}
            {g.labelled.has(b.day) && (
              <text {...labelAt(b.x, b.width, g.plot)} y={H - 8} className="axis">
                {short.format(new Date(`${b.day}T00:00:00Z`))}
              </text>
            )}
          </g>
        ))}
        <line x1={g.plot.left} x2={g.plot.right} y1={g.plot.bottom} y2={g.plot.bottom} stroke="#6b7280" />
      </svg>
      <figcaption>
        <ul className="legend-list">
          <li>
            <span className="swatch" style={{ background: BLOCKED }} />
            {mt('measure.chartBlocked')}
          </li>
          <li>
            <span className="swatch" style={{ background: TESTED }} />
            {mt('measure.chartTested')}
          </li>
          <li className="muted">{mt('measure.chartAxis')}</li>
        </ul>
        {peak && (
          <p className="chart-summary" data-testid="chart-summary">
            {mt('measure.chartSummary', { max: num(peak.blockedDomains), day: date(peak.day), days: num(measured.length) })}
          </p>
        )}
      </figcaption>
    </figure>
  );
}
