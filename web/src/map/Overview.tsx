import { useMemo } from 'react';
import type { AppliedFilter, CountryStat, MonthlyStat } from '../api/types.js';
import { FigureChoices, FigureStatement, StopCounts, useFigureChoice } from './FigureChoices.js';
import { Link, useQueryState } from '../app/router.js';
import { useSession } from '../auth/auth.js';
import { useI18n } from '../i18n/index.js';
import { Field, Loaded, Section } from '../ui/components.js';
import { choicesOf, SelectField } from '../ui/fields.js';
import { useApi } from '../ui/useApi.js';
import { MonthlyChart } from './MonthlyChart.js';
import { WorldMap } from './WorldMap.js';
import { AnnualReportLinks } from '../publish/ReportLinks.js';

function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function presetRange(preset: '12m' | '5y' | 'all', now = new Date()): { from: string; to: string } {
  if (preset === 'all') return { from: '', to: '' };
  const from = new Date(Date.UTC(now.getUTCFullYear() - (preset === '5y' ? 5 : 1), now.getUTCMonth(), now.getUTCDate()));
  return { from: isoDay(from), to: isoDay(now) };
}

/** Period chooser shared by the overview and the country page; the period lives in the URL. */
export function PeriodPicker({ withType = false }: { withType?: boolean }) {
  const { t, label } = useI18n();
  const { meta } = useSession();
  const [params, setParams] = useQueryState();
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const presets = [
    ['12m', t('map.last12')],
    ['5y', t('map.last5y')],
    ['all', t('map.allTime')],
  ] as const;
  return (
    <form className="period" onSubmit={(e) => e.preventDefault()} aria-label={t('map.period')}>
      <div className="preset-buttons" role="group" aria-label={t('map.period')}>
        {presets.map(([p, text]) => {
          const r = presetRange(p);
          const active = r.from === from && r.to === to;
          return (
            <button key={p} type="button" className={`btn${active ? ' btn-active' : ''}`} aria-pressed={active} onClick={() => setParams({ from: r.from || undefined, to: r.to || undefined })}>
              {text}
            </button>
          );
        })}
      </div>
      <Field label={t('common.from')}>{(p) => <input {...p} type="date" name="from" value={from} onChange={(e) => setParams({ from: e.target.value || undefined })} />}</Field>
      <Field label={t('common.to')}>{(p) => <input {...p} type="date" name="to" value={to} onChange={(e) => setParams({ to: e.target.value || undefined })} />}</Field>
      {withType && (
        <SelectField label={t('common.type')} name="type" value={params.get('type') ?? ''} onChange={(v) => setParams({ type: v || undefined })} empty={t('common.all')} choices={choicesOf(meta.incidentTypes, (ty) => label('type', ty))} />
      )}
    </form>
  );
}

export function Overview() {
  const { t, country, num } = useI18n();
  const [params] = useQueryState();
  const from = params.get('from') ?? '';
  const to = params.get('to') ?? '';
  const type = params.get('type') ?? '';
  const choice = useFigureChoice();
  const countries = useApi<{ items: CountryStat[]; filter?: AppliedFilter }>('/api/stats/countries', { from, to, type, ...choice });
  const monthly = useApi<{ items: MonthlyStat[]; filter?: AppliedFilter }>('/api/stats/monthly', { from, to, ...choice, ...(type && !choice.family ? { family: type } : {}) });
  const top = useMemo(() => [...(countries.data?.items ?? [])].sort((a, b) => b.count - a.count).slice(0, 12), [countries.data]);
  const listLink = (cc: string) => `/incidents?${new URLSearchParams({ country: cc, ...(from ? { from } : {}), ...(to ? { to } : {}), ...(type ? { type } : {}) })}`;

  return (
    <div className="page">
      <div className="page-head">
        <h1>{t('nav.overview')}</h1>
      </div>
      <AnnualReportLinks />
      <PeriodPicker withType />
      <FigureChoices />
      <FigureStatement filter={countries.data?.filter} />
      <div className="grid-map">
        <Section title={t('map.title')}>
          <Loaded state={countries}>{(d) => <WorldMap stats={d.items} />}</Loaded>
        </Section>
        <Section title={t('map.topCountries')} id="country-ranking">
          {countries.data && (
            <table className="table compact">
              <thead>
                <tr>
                  <th scope="col">{t('common.country')}</th>
                  <th scope="col" className="num">
                    {t('incidents.count')}
                  </th>
                  <th scope="col" className="num">
                    {t('incidents.shutdownDays')}
                  </th>
                </tr>
              </thead>
              <tbody>
                {top.map((s) => (
                  <tr key={s.country}>
                    <td>
                      <Link to={`/countries/${s.country}`}>{country(s.country)}</Link>
                    </td>
                    <td className="num">
                      <Link to={listLink(s.country)}>{num(s.count)}</Link>
                    </td>
                    <td className="num">{num(Math.round(s.shutdownDays))}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </Section>
      </div>
      <Section title={t('chart.monthly')}>
        <Loaded state={monthly}>{(d) => <MonthlyChart items={d.items} />}</Loaded>
        <FigureStatement filter={monthly.data?.filter} />
      </Section>
      <StopCounts />
    </div>
  );
}
