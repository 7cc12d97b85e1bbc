import { useMemo } from 'react';
import type { MonthlyStat } from '../api/types.js';
import { useI18n } from '../i18n/index.js';

/** Colours by family of incident type, so related types read as related. */
const TYPE_COLOURS: Record<string, string> = {
  'shutdown.full': '#8c1d18',
  'shutdown.regional': '#c0392b',
  'shutdown.mobile': '#e06d5b',
  throttling: '#e69b2e',
  'blocking.website': '#5b3f9e',
  'blocking.service': '#9479d1',
  'takedown.content': '#1f5fa8',
  'account.suspension': '#4f8fd6',
  'account.suspension.mass_reporting': '#9cc3ee',
  'infrastructure.domain': '#0f7b72',
  'infrastructure.hosting': '#2aa198',
  'infrastructure.cdn': '#6cc4b8',
  'infrastructure.certificate': '#1c6e52',
  'infrastructure.payment': '#84b36b',
  'threat.harassment': '#7a4b2a',
  'threat.doxxing': '#a8713f',
  'threat.physical': '#d1a36f',
  'surveillance.spyware': '#3d4f1c',
  'surveillance.other': '#6b7f34',
  'device.seizure': '#555c66',
  other: '#9aa1ab',
};
const FALLBACK = ['#374151', '#6b7280', '#9ca3af', '#b45309', '#0e7490'];

export function typeColour(type: string, i: number): string {
  return TYPE_COLOURS[type] ?? FALLBACK[i % FALLBACK.length] ?? '#888';
}

/** All months from the first to the last, inclusive ('YYYY-MM'). */
export function monthRange(first: string, last: string): string[] {
  const out: string[] = [];
  let [y, m] = first.split('-').map(Number) as [number, number];
  const [ly, lm] = last.split('-').map(Number) as [number, number];
  if (!Number.isInteger(y) || !Number.isInteger(m) || !Number.isInteger(ly) || !Number.isInteger(lm)) return out;
  while ((y < ly || (y === ly && m <= lm)) && out.length < 1200) {
    out.push(`${y}-${String(m).padStart(2, '0')}`);
    m += 1;
    if (m > 12) {
      m = 1;
      y += 1;
    }
  }
  return out;
}

function niceStep(max: number, ticks = 4): number {
  if (max <= ticks) return 1;
  const raw = max / ticks;
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

const W = 820;
const H = 300;
const M = { top: 12, right: 8, bottom: 30, left: 40 };

/** Stacked bars of incidents per month, one colour per incident type. */
export function MonthlyChart({ items }: { items: MonthlyStat[] }) {
  const { t, label, num } = useI18n();
  const model = useMemo(() => {
    if (items.length === 0) return null;
    const months = [...new Set(items.map((i) => i.month))].sort();
    const lastMonth = months[months.length - 1] ?? '';
    let range = monthRange(months[0] ?? '', lastMonth);
    // At least a year on the axis, so one busy month does not fill the whole chart.
    if (range.length < 12) {
      const [ly, lm] = lastMonth.split('-').map(Number) as [number, number];
      const startIdx = ly * 12 + (lm - 1) - 11;
      range = monthRange(`${Math.floor(startIdx / 12)}-${String((startIdx % 12) + 1).padStart(2, '0')}`, lastMonth);
    }
    const totalsByType = new Map<string, number>();
    for (const it of items) totalsByType.set(it.type, (totalsByType.get(it.type) ?? 0) + it.count);
    const types = [...totalsByType.entries()].sort((a, b) => b[1] - a[1]).map(([ty]) => ty);
    const cell = new Map<string, number>();
    for (const it of items) cell.set(`${it.month}|${it.type}`, (cell.get(`${it.month}|${it.type}`) ?? 0) + it.count);
    const monthTotals = range.map((mo) => types.reduce((s, ty) => s + (cell.get(`${mo}|${ty}`) ?? 0), 0));
    const max = Math.max(1, ...monthTotals);
    const step = niceStep(max);
    const top = Math.ceil(max / step) * step;
    return { range, types, cell, top, step, totals: totalsByType };
  }, [items]);

  if (!model) return <p className="muted">{t('chart.noData')}</p>;
  const { range, types, cell, top, step, totals } = model;
  const innerW = W - M.left - M.right;
  const innerH = H - M.top - M.bottom;
  const band = innerW / range.length;
  const barW = Math.min(36, Math.max(1, band * 0.8));
  const y = (v: number) => M.top + innerH - (v / top) * innerH;
  const labelEvery = Math.max(1, Math.ceil(range.length / 10));
  const ticks: number[] = [];
  for (let v = 0; v <= top; v += step) ticks.push(v);

  return (
    <figure className="chart">
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={t('chart.monthly')} direction="ltr" data-testid="monthly-chart">
        {ticks.map((v) => (
          <g key={v}>
            <line x1={M.left} x2={W - M.right} y1={y(v)} y2={y(v)} stroke="#e2e6ec" />
            <text x={M.left - 6} y={y(v) + 4} textAnchor="end" className="axis">
              {num(v)}
            </text>
          </g>
        ))}
        {range.map((mo, i) => {
          let acc = 0;
          const x = M.left + i * band + (band - barW) / 2;
          return (
            <g key={mo}>
              {types.map((ty, ti) => {
                const c = cell.get(`${mo}|${ty}`) ?? 0;
                if (!c) return null;
                const y0 = y(acc);
                acc += c;
                const y1 = y(acc);
                return (
                  <rect key={ty} x={x} y={y1} width={barW} height={Math.max(0.5, y0 - y1)} fill={typeColour(ty, ti)}>
                    <title>{t('chart.bar', { month: mo, type: label('type', ty), count: num(c) })}</title>
                  </rect>
                );
              })}
              {i % labelEvery === 0 && (
                <text x={M.left + i * band + band / 2} y={H - 10} textAnchor="middle" className="axis">
                  {mo}
                </text>
              )}
            </g>
          );
        })}
        <line x1={M.left} x2={W - M.right} y1={y(0)} y2={y(0)} stroke="#6b7280" />
      </svg>
      <figcaption>
        <ul className="legend-list">
          {types.map((ty, ti) => (
            <li key={ty}>
              <span className="swatch" style={{ background: typeColour(ty, ti) }} />
              {label('type', ty)} <span className="muted">({num(totals.get(ty) ?? 0)})</span>
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}
