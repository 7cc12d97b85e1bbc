import { Link } from '../app/router.js';
import { useI18n } from '../i18n/index.js';
import { Loaded, NoResults } from '../ui/components.js';
import { CountryField, SelectField } from '../ui/fields.js';
import { useListParams } from '../ui/list.js';
import { useApi } from '../ui/useApi.js';
import { decisionOf, entityName, severityClass } from './logic.js';
import { usePercent } from './SignalChart.js';
import type { OutageEvent } from './types.js';

const SCOPES = ['country', 'region', 'network'] as const;
const DECISIONS = ['pending', 'confirmed', 'rejected'] as const;
const LIMIT = 200;

export function DecisionBadge({ decision }: { decision: 'confirmed' | 'rejected' | 'pending' }) {
  const { t } = useI18n();
  return <span className={`decision decision-${decision}`}>{t(`outages.decision.${decision}`)}</span>;
}

export function SeverityBadge({ score }: { score: number }) {
  const { label, num } = useI18n();
  const cls = severityClass(score);
  return (
    <span className={`sev sev-${cls}`}>
      {label('severity', cls)} <span className="num">({num(Math.round(score))})</span>
    </span>
  );
}

/** The outages wing's list: recent detected events, newest first, filtered by country, scope and decision. */
export function OutagesList() {
  const { t, country, date } = useI18n();
  const pct = usePercent();
  const { params, setFilter, clear } = useListParams();
  const cc = params.get('country') ?? '';
  const scope = params.get('scope') ?? '';
  const decision = params.get('decision') ?? '';
  const res = useApi<{ items: OutageEvent[] }>('/api/outages/events', { country: cc || undefined, decision: decision || undefined, limit: LIMIT });
  // The API filters by country and decision; the scope is chosen here among the events it returned.
  const items = (res.data?.items ?? []).filter((e) => !scope || e.scope === scope);

  return (
    <div className="page outages">
      <div className="page-head">
        <div>
          <h1>{t('outages.title')}</h1>
          <p className="muted">{t('outages.intro')}</p>
        </div>
      </div>

      <form className="filters card" role="search" aria-label={t('incidents.filters')} onSubmit={(e) => e.preventDefault()}>
        <CountryField label={t('common.country')} name="country" value={cc} onChange={(v) => setFilter('country', v)} empty={t('common.all')} />
        <SelectField label={t('outages.scope')} name="scope" value={scope} onChange={(v) => setFilter('scope', v)} empty={t('common.all')} choices={SCOPES.map((s) => ({ value: s, label: t(`outages.scope.${s}`) }))} />
        <SelectField label={t('outages.decision')} name="decision" value={decision} onChange={(v) => setFilter('decision', v)} empty={t('common.all')} choices={DECISIONS.map((d) => ({ value: d, label: t(`outages.decision.${d}`) }))} />
        <div className="filter-actions">
          <button type="button" className="btn btn-quiet" onClick={() => clear(['country', 'scope', 'decision'])}>
            {t('common.clear')}
          </button>
        </div>
      </form>

      <div aria-busy={res.loading} className="results">
        <Loaded state={res} isEmpty={() => items.length === 0} empty={<NoResults text={cc || scope || decision ? t('outages.none') : `${t('ops.empty.outages')} ${t('ops.empty.outagesLive')}`} />}>
          {(data) => (
            <>
              <table className="table responsive" data-testid="outage-table">
                <thead>
                  <tr>
                    <th scope="col">{t('outages.entity')}</th>
                    <th scope="col">{t('outages.scope')}</th>
                    <th scope="col">{t('incidents.start')}</th>
                    <th scope="col">{t('incidents.end')}</th>
                    <th scope="col" className="num">
                      {t('outages.depth')}
                    </th>
                    <th scope="col">{t('incidents.severity')}</th>
                    <th scope="col" className="num">
                      {t('incidents.confidence')}
                    </th>
                    <th scope="col">{t('outages.decision')}</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((e) => (
                    <tr key={e.id} data-event-id={e.id} data-entity={e.entity} data-scope={e.scope} data-start={e.start}>
                      <td data-label={t('outages.entity')} className="cell-title">
                        <Link to={`/outages/events/${encodeURIComponent(e.id)}`}>
                          {e.scope === 'country' ? t('outages.national', { country: country(e.country ?? e.entity) }) : entityName(e)}
                        </Link>
                        <span className="cell-sub muted">
                          {e.scope !== 'country' && e.country ? `${country(e.country)} · ` : ''}
                          {t(`outages.kind.${e.kind}`)}
                        </span>
                      </td>
                      <td data-label={t('outages.scope')}>{t(`outages.scope.${e.scope}`)}</td>
                      <td data-label={t('incidents.start')}>
                        <time dateTime={e.start}>{date(e.start, true)}</time>
                      </td>
                      <td data-label={t('incidents.end')}>{e.end ? <time dateTime={e.end}>{date(e.end, true)}</time> : <span className="ongoing">{t('common.ongoing')}</span>}</td>
                      <td data-label={t('outages.depth')} className="num">
                        {pct(e.depth)}
                      </td>
                      <td data-label={t('incidents.severity')}>
                        <SeverityBadge score={e.severity} />
                      </td>
                      <td data-label={t('incidents.confidence')} className="num">
                        {pct(e.confidence)}
                      </td>
                      <td data-label={t('outages.decision')}>
                        <DecisionBadge decision={decisionOf(e)} />
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
              {data.items.length >= LIMIT && <p className="muted">{t('outages.limited', { count: LIMIT })}</p>}
            </>
          )}
        </Loaded>
      </div>
    </div>
  );
}
