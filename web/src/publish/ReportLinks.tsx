import { useState } from 'react';
import { useI18n } from '../i18n/index.js';

/**
 * Report buttons of the console: the public site renders the reports (HTML, and PDF printed by the server), from the
 * public records only — what a reader of the published report sees. Plain links, so they open and download without
 * any script of ours.
 */
const YEARS = [2022, 2021, 2020, 2019, 2018];

export function AnnualReportLinks() {
  const { t, lang } = useI18n();
  const [year, setYear] = useState(YEARS[0]!);
  const base = `/public/${lang}/reports/annual/${year}`;
  return (
    <div className="report-links" data-report="annual">
      <label>
        {t('publish.annualReport')}{' '}
        <select value={year} onChange={(e) => setYear(Number(e.target.value))} aria-label={t('publish.reportYear')}>
          {YEARS.map((y) => (
            <option key={y} value={y}>{y}</option>
          ))}
        </select>
      </label>{' '}
      <a className="button" href={base} target="_blank" rel="noopener">HTML</a>{' '}
      <a className="button" href={`${base}.pdf`} target="_blank" rel="noopener">PDF</a>
      <span className="muted"> {t('publish.reportPublicOnly')}</span>
    </div>
  );
}

export function CountryReportLinks({ cc, from, to }: { cc: string; from?: string; to?: string }) {
  const { t, lang } = useI18n();
  const q = new URLSearchParams({ country: cc, from: (from || '2016-01-01').slice(0, 10), to: (to || new Date().toISOString()).slice(0, 10) });
  const base = `/public/${lang}/reports/country?${q}`;
  return (
    <div className="report-links" data-report="country">
      <span>{t('publish.countryReport')} ({q.get('from')} – {q.get('to')})</span>{' '}
      <a className="button" href={base} target="_blank" rel="noopener">HTML</a>{' '}
      <a className="button" href={`${base}&format=pdf`} target="_blank" rel="noopener">PDF</a>
      <span className="muted"> {t('publish.reportPublicOnly')}</span>
    </div>
  );
}
