import type { CountryProfile, Incident, MonthlyStat, Page } from '../api/types.js';
import { Link } from '../app/router.js';
import { useI18n } from '../i18n/index.js';
import { ExportLinks, useListParams } from '../ui/list.js';
import { IncidentTable } from '../incidents/IncidentTable.js';
import { ErrorBox, Loaded, Loading, Pager, Section, TlpBadge } from '../ui/components.js';
import { useApi } from '../ui/useApi.js';
import { MonthlyChart } from './MonthlyChart.js';
import { FigureChoices, FigureStatement, useFigureChoice } from './FigureChoices.js';
import { PeriodPicker } from './Overview.js';
import { ConnectivitySignals } from '../outages/CountrySignals.js';
import { CountryReportLinks } from '../publish/ReportLinks.js';

export function CountryPage({ cc }: { cc: string }) {
  const { t, label, country, num, lang } = useI18n();
  const { params, setPage } = useListParams();
  const page = Math.max(1, Number(params.get('page')) || 1);
  const choice = useFigureChoice();
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const period = { ...(from ? { from } : {}), ...(to ? { to } : {}) };
  const profile = useApi<CountryProfile>(`/api/countries/${encodeURIComponent(cc)}`, { ...period, ...choice });
  const incidents = useApi<Page<Incident>>('/api/incidents', { country: cc, page, pageSize: 25, ...period });
  const monthly = useApi<{ items: MonthlyStat[] }>('/api/stats/monthly', { country: cc, ...period, ...choice });
  const name = country(cc);

  if (profile.error) return <ErrorBox error={profile.error} onRetry={profile.reload} />;
  if (!profile.data) return <Loading />;
  const p = profile.data;

  return (
    <div className="page" data-country={cc}>
      <div className="page-head">
        <h1>{t('country.title', { name })}</h1>
        <a className="public-view" title={t('publish.publicViewHint')} href={`/public/${lang}/countries/${encodeURIComponent(cc)}`}>{t('publish.publicView')}</a>
      </div>
      <PeriodPicker />
      <CountryReportLinks cc={cc} from={from} to={to} />
      <FigureChoices />
      <FigureStatement filter={p.filter} />
      <div className="stats-row">
        <div className="stat">
          <span className="stat-value">{num(p.incidentCount)}</span>
          <span className="stat-label">{t('incidents.count')}</span>
        </div>
        <div className="stat">
          <span className="stat-value">{num(Math.round(p.shutdownDays))}</span>
          <span className="stat-label">{t('incidents.shutdownDays')}</span>
        </div>
        <div className="stat">
          <span className="stat-value">{num(p.laws.length)}</span>
          <span className="stat-label">{t('nav.laws')}</span>
        </div>
      </div>

      <div className="grid-2">
        <Section title={t('country.byType')}>
          {p.byType.length === 0 ? (
            <p className="muted">{t('common.noResults')}</p>
          ) : (
            <ul className="bars">
              {[...p.byType]
                .sort((a, b) => b.count - a.count)
                .map((b) => {
                  const max = Math.max(...p.byType.map((x) => x.count), 1);
                  return (
                    <li key={b.type}>
                      <Link to={`/incidents?country=${cc}&type=${encodeURIComponent(b.type)}`}>{label('type', b.type)}</Link>
                      <span className="bar" style={{ inlineSize: `${Math.max(2, (b.count / max) * 100)}%` }} aria-hidden="true" />
                      <span className="num">{num(b.count)}</span>
                    </li>
                  );
                })}
            </ul>
          )}
        </Section>
        <Section title={t('country.laws', { name })}>
          {p.laws.length === 0 ? (
            <p className="muted">{t('country.noLaws')}</p>
          ) : (
            <ul className="plain-list">
              {p.laws.map((l) => (
                <li key={l.id}>
                  <Link to={`/laws/${encodeURIComponent(l.id)}`}>{l.title}</Link> <span className="muted">({label('lawStatus', l.status)})</span> <TlpBadge tlp={l.tlp} />
                </li>
              ))}
            </ul>
          )}
        </Section>
      </div>

      <Section title={t('chart.monthly')}>
        {monthly.error ? <ErrorBox error={monthly.error} /> : !monthly.data ? <Loading /> : <MonthlyChart items={monthly.data.items} />}
      </Section>

      <ConnectivitySignals cc={cc} />

      <Section
        title={t('country.incidents', { name })}
        actions={
          <Link to={`/incidents?country=${cc}`} className="btn btn-quiet">
            {t('country.allIncidents')}
          </Link>
        }
      >
        <ExportLinks path="/api/incidents/export" filters={{ country: cc }} />
        <Loaded state={incidents} isEmpty={(d) => d.items.length === 0} empty={<p className="muted">{t('common.noResults')}</p>}>
          {(d) => (
            <>
              <IncidentTable items={d.items} hideCountry />
              <Pager page={d.page} pageSize={d.pageSize} total={d.total} onPage={setPage} />
            </>
          )}
        </Loaded>
      </Section>
    </div>
  );
}
