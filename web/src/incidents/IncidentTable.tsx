import type { Incident } from '../api/types.js';
import { Link } from '../app/router.js';
import { useI18n } from '../i18n/index.js';
import { StatusBadge, TlpBadge } from '../ui/components.js';

export type IncidentSort = 'start' | 'end' | 'duration';
export interface SortState {
  sort: IncidentSort;
  order: 'asc' | 'desc';
  onSort: (sort: IncidentSort, order: 'asc' | 'desc') => void;
}

/** The end as the registry knows it: a date, "ongoing as of …", or "end unknown" — never a guess. */
export function EndCell({ i }: { i: Incident }) {
  const { t, date } = useI18n();
  const state = i.endState ?? (i.endAt ? 'ended' : 'unknown');
  if (state === 'ended' && i.endAt) return <time dateTime={i.endAt}>{date(i.endAt)}</time>;
  if (state === 'ongoing') return <span className="end-ongoing">{i.ongoingAsOf ? t('registry.ongoingAsOf', { date: date(i.ongoingAsOf) }) : t('registry.ongoingNow')}</span>;
  return <span className="muted end-unknown">{t('registry.endUnknown')}</span>;
}

export function DurationCell({ i }: { i: Incident }) {
  const { t, num } = useI18n();
  if (i.durationDays == null) return <span className="muted">—</span>;
  const d = i.durationDays >= 10 ? Math.round(i.durationDays) : Math.round(i.durationDays * 10) / 10;
  const text = t('registry.days', { days: d === 0 && i.durationDays > 0 ? `< ${num(0.1)}` : num(d) });
  return <span>{i.durationIsMinimum ? t('registry.atLeast', { value: text }) : text}</span>;
}

function SortHeader({ col, text, sort }: { col: IncidentSort; text: string; sort?: SortState }) {
  const { t } = useI18n();
  if (!sort) return <th scope="col">{text}</th>;
  const active = sort.sort === col;
  const next = active && sort.order === 'desc' ? 'asc' : 'desc';
  return (
    <th scope="col" aria-sort={active ? (sort.order === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button type="button" className="btn-link sort" onClick={() => sort.onSort(col, next)} aria-label={t('registry.sortBy', { column: text })}>
        {text}
        {active ? (sort.order === 'asc' ? ' ▲' : ' ▼') : ''}
      </button>
    </th>
  );
}

/** Incident rows; on a phone each row becomes a card (the cells carry their column name). */
export function IncidentTable({ items, hideCountry = false, sort }: { items: Incident[]; hideCountry?: boolean; sort?: SortState }) {
  const { t, label, country, date } = useI18n();
  return (
    <table className="table responsive" data-testid="incident-table">
      <thead>
        <tr>
          <th scope="col">{t('common.title')}</th>
          {!hideCountry && <th scope="col">{t('common.country')}</th>}
          <th scope="col">{t('common.type')}</th>
          <SortHeader col="start" text={t('incidents.start')} sort={sort} />
          <SortHeader col="end" text={t('registry.end')} sort={sort} />
          <SortHeader col="duration" text={t('registry.duration')} sort={sort} />
          <th scope="col">{t('common.status')}</th>
          <th scope="col">{t('common.tlp')}</th>
        </tr>
      </thead>
      <tbody>
        {items.map((i) => (
          <tr key={i.id} data-country={i.country}>
            <td data-label={t('common.title')} className="cell-title">
              <Link to={`/incidents/${encodeURIComponent(i.id)}`} dir="auto">
                {i.title}
              </Link>
            </td>
            {!hideCountry && (
              <td data-label={t('common.country')}>
                <Link to={`/countries/${i.country}`}>{country(i.country)}</Link>
              </td>
            )}
            <td data-label={t('common.type')}>{label('type', i.type)}</td>
            <td data-label={t('incidents.start')}>
              <time dateTime={i.startAt ?? undefined}>{date(i.startAt)}</time>
            </td>
            <td data-label={t('registry.end')}>
              <EndCell i={i} />
            </td>
            <td data-label={t('registry.duration')} className="num">
              <DurationCell i={i} />
            </td>
            <td data-label={t('common.status')}>
              <StatusBadge status={i.status} />
            </td>
            <td data-label={t('common.tlp')}>
              <TlpBadge tlp={i.tlp} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
