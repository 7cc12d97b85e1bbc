import { useEffect, useMemo, useState } from 'react';
import { withQuery } from '../api/client.js';
import type { Incident, Page } from '../api/types.js';
import { Link, useQueryState } from '../app/router.js';
import { canWrite, useSession } from '../auth/auth.js';
import { useI18n } from '../i18n/index.js';
import { ErrorBox, Field, Loading, Pager } from '../ui/components.js';
import { useApi, useDebounced } from '../ui/useApi.js';
import { IncidentTable } from './IncidentTable.js';

export const INCIDENT_FILTERS = ['country', 'type', 'status', 'from', 'to', 'q', 'tlp'] as const;
export type IncidentFilterKey = (typeof INCIDENT_FILTERS)[number];
const PAGE_SIZES = [25, 50, 100];

function readFilters(params: URLSearchParams): Record<IncidentFilterKey, string> {
  const out = {} as Record<IncidentFilterKey, string>;
  for (const k of INCIDENT_FILTERS) out[k] = params.get(k) ?? '';
  return out;
}

function positiveInt(v: string | null, fallback: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(v);
  return Number.isInteger(n) && n >= 1 ? Math.min(n, max) : fallback;
}

/** Links to the export endpoint with exactly the filters on screen. */
export function ExportLinks({ path, filters }: { path: string; filters: Record<string, string> }) {
  const { t } = useI18n();
  return (
    <div className="export" role="group" aria-label={t('common.export')}>
      <a className="btn" href={withQuery(path, { format: 'csv', ...filters })} download>
        {t('common.exportCsv')}
      </a>
      <a className="btn" href={withQuery(path, { format: 'json', ...filters })} download>
        {t('common.exportJson')}
      </a>
    </div>
  );
}

export function IncidentList() {
  const { t, label, country: countryName } = useI18n();
  const { user, meta } = useSession();
  const [params, setParams] = useQueryState();
  const filters = readFilters(params);
  const page = positiveInt(params.get('page'), 1);
  const pageSize = positiveInt(params.get('pageSize'), 50, 200);

  // The text box updates the URL only when typing pauses, so each keystroke is not a request.
  const [qText, setQText] = useState(filters.q);
  const qSettled = useDebounced(qText, 300);
  useEffect(() => setQText(filters.q), [filters.q]);
  useEffect(() => {
    if (qSettled !== filters.q) setParams({ q: qSettled.trim() || undefined, page: undefined }, { replace: true });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [qSettled]);

  const query = useMemo(() => ({ ...filters, page, pageSize }), [params.toString()]); // eslint-disable-line react-hooks/exhaustive-deps
  const res = useApi<Page<Incident>>('/api/incidents', query);

  const setFilter = (k: IncidentFilterKey, v: string) => setParams({ [k]: v || undefined, page: undefined });
  const activeFilters = Object.fromEntries(Object.entries(filters).filter(([, v]) => v)) as Record<string, string>;
  const countries = useMemo(
    () => [...meta.countries].map((c) => ({ code: c.code, name: countryName(c.code) })).sort((a, b) => a.name.localeCompare(b.name)),
    [meta.countries, countryName],
  );

  return (
    <div className="page">
      <div className="page-head">
        <h1>{t('incidents.title')}</h1>
        {canWrite(user) && (
          <Link to="/incidents/new" className="btn btn-primary">
            {t('incidents.new')}
          </Link>
        )}
      </div>

      <form className="filters card" role="search" aria-label={t('incidents.filters')} onSubmit={(e) => e.preventDefault()}>
        <Field label={t('incidents.q')} hint={t('incidents.qHint')} className="field-wide">
          {(p) => <input {...p} type="search" name="q" value={qText} onChange={(e) => setQText(e.target.value)} />}
        </Field>
        <Field label={t('common.country')}>
          {(p) => (
            <select {...p} name="country" value={filters.country} onChange={(e) => setFilter('country', e.target.value)}>
              <option value="">{t('common.all')}</option>
              {countries.map((c) => (
                <option key={c.code} value={c.code}>
                  {c.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t('common.type')}>
          {(p) => (
            <select {...p} name="type" value={filters.type} onChange={(e) => setFilter('type', e.target.value)}>
              <option value="">{t('common.all')}</option>
              {meta.incidentTypes.map((ty) => (
                <option key={ty} value={ty}>
                  {label('type', ty)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t('common.status')}>
          {(p) => (
            <select {...p} name="status" value={filters.status} onChange={(e) => setFilter('status', e.target.value)}>
              <option value="">{t('common.all')}</option>
              {meta.statuses.map((s) => (
                <option key={s} value={s}>
                  {label('status', s)}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t('common.tlp')}>
          {(p) => (
            <select {...p} name="tlp" value={filters.tlp} onChange={(e) => setFilter('tlp', e.target.value)}>
              <option value="">{t('common.all')}</option>
              {meta.tlpLabels.map((l) => (
                <option key={l} value={l}>
                  {l}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t('common.from')}>
          {(p) => <input {...p} type="date" name="from" value={filters.from} onChange={(e) => setFilter('from', e.target.value)} />}
        </Field>
        <Field label={t('common.to')}>
          {(p) => <input {...p} type="date" name="to" value={filters.to} onChange={(e) => setFilter('to', e.target.value)} />}
        </Field>
        <div className="filter-actions">
          <button
            type="button"
            className="btn btn-quiet"
            onClick={() => {
              setQText('');
              setParams(Object.fromEntries([...INCIDENT_FILTERS, 'page'].map((k) => [k, undefined])));
            }}
          >
            {t('common.clear')}
          </button>
        </div>
      </form>

      <div className="list-tools">
        <ExportLinks path="/api/incidents/export" filters={activeFilters} />
        <label className="inline-field">
          {t('common.perPage')}{' '}
          <select value={pageSize} onChange={(e) => setParams({ pageSize: e.target.value, page: undefined })}>
            {PAGE_SIZES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
      </div>

      <div aria-busy={res.loading} className="results">
        {res.error ? (
          <ErrorBox error={res.error} onRetry={res.reload} />
        ) : !res.data ? (
          <Loading />
        ) : res.data.items.length === 0 ? (
          <p className="notice">{t('common.noResults')}</p>
        ) : (
          <>
            <IncidentTable items={res.data.items} />
            <Pager page={res.data.page} pageSize={res.data.pageSize} total={res.data.total} onPage={(p) => setParams({ page: p > 1 ? String(p) : undefined })} />
          </>
        )}
      </div>
    </div>
  );
}
