import type { Incident } from '../api/types.js';
import { Link } from '../app/router.js';
import { useI18n } from '../i18n/index.js';
import { StatusBadge, TlpBadge } from '../ui/components.js';

/** Incident rows; on a phone each row becomes a card (the cells carry their column name). */
export function IncidentTable({ items, hideCountry = false }: { items: Incident[]; hideCountry?: boolean }) {
  const { t, label, country, date } = useI18n();
  return (
    <table className="table responsive" data-testid="incident-table">
      <thead>
        <tr>
          <th scope="col">{t('common.title')}</th>
          {!hideCountry && <th scope="col">{t('common.country')}</th>}
          <th scope="col">{t('common.type')}</th>
          <th scope="col">{t('incidents.start')}</th>
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
