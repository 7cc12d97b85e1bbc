import { useMemo, type MouseEvent } from 'react';
import { navigate } from '../app/router.js';
import { useI18n } from '../i18n/index.js';
import { LANE_COLOURS, LANES, packRows, timeTicks, timelineBars, type TimelineBar } from './logic.js';
import { useTickFormat } from './SignalChart.js';
import type { TimelineItem, TimelineLane } from './types.js';

const W = 820;
const LABEL_W = 104;
const ROW_H = 11;
const LANE_PAD = 7;
const AXIS_H = 26;

/** A detected item's title in the reader's language ("Outage: Iran (national)"); registry titles stay as written. */
export function useItemTitle(): (item: TimelineItem) => string {
  const { t, country } = useI18n();
  return (item) => {
    if (item.lane !== 'detected' || !item.kind) return item.title;
    // the server titles detected items "<entity> <kind>"
    const code = item.title.endsWith(` ${item.kind}`) ? item.title.slice(0, -item.kind.length - 1) : item.title;
    const where = item.scope === 'country' ? t('outages.national', { country: country(code) }) : item.scope === 'region' ? code.split('/').slice(1).join(' / ') || code : code;
    return t('outages.eventTitle', { kind: t(`outages.kind.${item.kind}`), where });
  };
}

export function itemHref(item: TimelineItem): string {
  return item.lane === 'detected' ? `/outages/events/${encodeURIComponent(item.id)}` : `/incidents/${encodeURIComponent(item.id)}`;
}

/**
 * Detected events, the detector's drafts, STOP and IODA incidents and other registry incidents on one time axis,
 * a lane per origin (colour and lane name both tell it). Each bar is a link (keyboard: Tab, Enter) to the event
 * or incident page; the list under the chart says the same in words.
 */
export function OutageTimeline({ items, from, to, dataUntil }: { items: TimelineItem[]; from: number; to: number; dataUntil?: number | undefined }) {
  const { t, date } = useI18n();
  const fmtTick = useTickFormat();
  const titleOf = useItemTitle();
  const model = useMemo(() => {
    const bars = timelineBars(items, from, to);
    const span = to - from;
    const innerW = W - LABEL_W - 8;
    const x = (ms: number) => LABEL_W + ((Math.min(Math.max(ms, from), to) - from) / span) * innerW;
    // always show the lanes the task is about; others only when they hold something
    const lanes = LANES.filter((l) => l === 'detected' || l === 'stop' || l === 'ioda' || bars.some((b) => b.lane === l));
    let y = 4;
    const laid: { lane: TimelineLane; y: number; h: number; bars: (TimelineBar & { row: number })[] }[] = [];
    for (const lane of lanes) {
      const own = bars.filter((b) => b.lane === lane);
      // keep 3 px between bars of one row, measured in time
      const rows = packRows(own, (3 / innerW) * span);
      const n = Math.max(1, ...rows.map((r) => r + 1));
      const h = n * ROW_H + LANE_PAD * 2;
      laid.push({ lane, y, h, bars: own.map((b, i) => ({ ...b, row: rows[i] ?? 0 })) });
      y += h + 2;
    }
    return { x, laid, height: y + AXIS_H, ticks: timeTicks(from, to, 8), count: bars.length };
  }, [items, from, to]);

  const open = (e: MouseEvent, href: string) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    navigate(href);
  };
  const range = (b: TimelineBar) => `${date(b.item.start)} – ${b.ongoing ? t('common.ongoing') : date(b.item.end)}`;

  return (
    <figure className="chart outage-timeline">
      {/* on a phone the chart keeps a readable size and scrolls sideways inside its box (Tab to it, then arrows) */}
      <div className="tl-scroll" tabIndex={0} role="region" aria-label={t('outages.timeline.chart')}>
        <svg viewBox={`0 0 ${W} ${model.height}`} direction="ltr" data-testid="outage-timeline" data-items={model.count} role="group" aria-label={t('outages.timeline.chart')}>
          {model.ticks.map((tk) => (
            <g key={tk.at}>
              <line x1={model.x(tk.at)} x2={model.x(tk.at)} y1={0} y2={model.height - AXIS_H + 4} stroke="#e2e6ec" />
              <text x={model.x(tk.at)} y={model.height - 8} textAnchor="middle" className="axis">
                {fmtTick(tk)}
              </text>
            </g>
          ))}
          {model.laid.map((l) => (
            <g key={l.lane} data-lane={l.lane}>
              <rect x={0} y={l.y} width={W} height={l.h} fill={LANE_COLOURS[l.lane]} fillOpacity={0.05} />
              <text x={6} y={l.y + l.h / 2 + 4} className="lane-label" fill={LANE_COLOURS[l.lane]}>
                {t(`outages.lane.${l.lane}`)}
              </text>
              {l.bars.length === 0 && (
                <text x={LABEL_W + 6} y={l.y + l.h / 2 + 4} className="axis">
                  {t('outages.timeline.empty')}
                </text>
              )}
              {l.bars.map((b) => {
                const href = itemHref(b.item);
                const x0 = model.x(b.start);
                const w = Math.max(3, model.x(b.end) - x0);
                // a detected event still open when the signal data ends: solid as far as the data goes, faded after
                const known = b.ongoing && dataUntil !== undefined && (b.lane === 'detected' || b.lane === 'draft') && dataUntil > b.start && dataUntil < b.end ? Math.max(3, model.x(dataUntil) - x0) : w;
                const name = `${t(`outages.lane.${b.lane}`)}: ${titleOf(b.item)}, ${range(b)}`;
                return (
                  <a key={`${b.lane}-${b.item.id}`} href={href} onClick={(e) => open(e, href)} aria-label={name} className="tl-bar" data-lane={b.lane}>
                    <title>{name}</title>
                    {known < w && <rect x={x0} y={l.y + LANE_PAD + b.row * ROW_H} width={w} height={ROW_H - 2} rx={2} fill={LANE_COLOURS[b.lane]} fillOpacity={0.22} />}
                    <rect x={x0} y={l.y + LANE_PAD + b.row * ROW_H} width={known} height={ROW_H - 2} rx={2} fill={LANE_COLOURS[b.lane]} fillOpacity={b.item.decision === 'rejected' ? 0.35 : 0.9} />
                    {b.ongoing && <path fillOpacity={known < w ? 0.4 : 1} d={`M${x0 + w - 1},${l.y + LANE_PAD + b.row * ROW_H}l5,${(ROW_H - 2) / 2}l-5,${(ROW_H - 2) / 2}z`} fill={LANE_COLOURS[b.lane]} />}
                  </a>
                );
              })}
            </g>
          ))}
        </svg>
      </div>
      <figcaption>
        <ul className="legend-list">
          {model.laid.map((l) => (
            <li key={l.lane}>
              <span className="swatch" style={{ background: LANE_COLOURS[l.lane] }} />
              {t(`outages.lane.${l.lane}`)} <span className="muted">({l.bars.length})</span>
            </li>
          ))}
        </ul>
      </figcaption>
    </figure>
  );
}

/** The timeline's items in words, in time order (read by screen readers, and easier on a phone). */
export function TimelineList({ items, from, to }: { items: TimelineItem[]; from: number; to: number }) {
  const { t, date, label } = useI18n();
  const titleOf = useItemTitle();
  const bars = timelineBars(items, from, to).sort((a, b) => a.start - b.start);
  if (!bars.length) return <p className="muted">{t('outages.timeline.none')}</p>;
  return (
    <ol className="otl-list" data-testid="timeline-list">
      {bars.map((b) => (
        <li key={`${b.lane}-${b.item.id}`} data-lane={b.lane}>
          <span className="lane-tag" style={{ borderColor: LANE_COLOURS[b.lane], color: LANE_COLOURS[b.lane] }}>
            {t(`outages.lane.${b.lane}`)}
          </span>{' '}
          <a
            href={itemHref(b.item)}
            onClick={(e) => {
              if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
              e.preventDefault();
              navigate(itemHref(b.item));
            }}
            dir="auto"
          >
            {titleOf(b.item)}
          </a>{' '}
          <span className="muted">
            {date(b.item.start, b.lane === 'detected')} – {b.ongoing ? t('common.ongoing') : date(b.item.end, b.lane === 'detected')}
            {b.item.type ? ` · ${label('type', b.item.type)}` : ''}
          </span>
        </li>
      ))}
    </ol>
  );
}
