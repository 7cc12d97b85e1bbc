import { useMemo } from 'react';
import { Link, useQueryState } from '../app/router.js';
import { useSession } from '../auth/auth.js';
import { useI18n } from '../i18n/index.js';
import { ErrorBox, Field, Loading } from '../ui/components.js';
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
  const { meta } = useSession();
  const pct = usePercent();
  const [params, setParams] = useQueryState();
  const cc = params.get('country') ?? '';
  const scope = params.get('scope') ?? '';
  const decision = params.get('decision') ?? '';
  const res = useApi<{ items: OutageEvent[] }>('/api/outages/events', { country: cc || undefined, decision: decision || undefined, limit: LIMIT });
  const countries = useMemo(
    () => [...meta.countries].map((c) => ({ code: c.code, name: country(c.code) })).sort((a, b) => a.name.localeCompare(b.name)),
    [meta.countries, country],
  );
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
        <Field label={t('common.country')}>
          {(p) => (
            <select {...p} name="country" value={cc} onChange={(e) => setParams({ country: e.target.value || undefined })}>
              <option value="">{t('common.all')}</option>
              {countries.map((c) => (
                <option key={c.code} value={c.code}>
                  {c.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t('outages.scope')}>
          {(p) => (
            <select {...p} name="scope" value={scope} onChange={(e) => setParams({ scope: e.target.value || undefined })}>
              <option value="">{t('common.all')}</option>
              {SCOPES.map((s) => (
                <option key={s} value={s}>
                  {t(`outages.scope.${s}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t('outages.decision')}>
          {(p) => (
            <select {...p} name="decision" value={decision} onChange={(e) => setParams({ decision: e.target.value || undefined })}>
              <option value="">{t('common.all')}</option>
              {DECISIONS.map((d) => (
                <option key={d} value={d}>
                  {t(`outages.decision.${d}`)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <div className="filter-actions">
          <button type="button" className="btn btn-quiet" onClick={() => setParams({ country: undefined, scope: undefined, decision: undefined })}>
            {t('common.clear')}
          </button>
        </div>
      </form>

      <div aria-busy={res.loading} className="results">
        {res.error ? (
          <ErrorBox error={res.error} onRetry={res.reload} />
        ) : !res.data ? (
          <Loading />
        ) : items.length === 0 ? (
          <p className="notice">{t('outages.none')}</p>
        ) : (
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
            {res.data.items.length >= LIMIT && <p className="muted">{t('outages.limited', { count: LIMIT })}</p>}
          </>
        )}
      </div>
    </div>
  );
}
