import { useMemo, useState } from 'react';
import type { Incident, Page } from '../api/types.js';
import { Link } from '../app/router.js';
import { canWrite, useSession } from '../auth/auth.js';
import { useI18n } from '../i18n/index.js';
import { Field, Loaded, Pager } from '../ui/components.js';
import { choicesOf, CountryField, SelectField } from '../ui/fields.js';
import { ExportLinks, PageSizeSelect, positiveInt, useListParams, useTextFilter } from '../ui/list.js';
import { useApi } from '../ui/useApi.js';
import { IncidentTable, type IncidentSort } from './IncidentTable.js';
import { typeChoices } from '../ops/typeChoices.js';

export const INCIDENT_FILTERS = ['country', 'type', 'status', 'from', 'to', 'q', 'tlp'] as const;
export type IncidentFilterKey = (typeof INCIDENT_FILTERS)[number];

function readFilters(params: URLSearchParams): Record<IncidentFilterKey, string> {
  const out = {} as Record<IncidentFilterKey, string>;
  for (const k of INCIDENT_FILTERS) out[k] = params.get(k) ?? '';
  return out;
}

export function IncidentList() {
  const { t, label } = useI18n();
  const { user, meta } = useSession();
  const { params, setParams, setFilter, setPage, clear } = useListParams();
  const filters = readFilters(params);
  const page = positiveInt(params.get('page'), 1);
  const pageSize = positiveInt(params.get('pageSize'), 50, 200);
  const q = useTextFilter(filters.q, (v) => setParams({ q: v, page: undefined }, { replace: true }));

  const sortParam = params.get('sort');
  const sort: IncidentSort = sortParam === 'end' || sortParam === 'duration' ? sortParam : 'start';
  const order = params.get('order') === 'asc' ? 'asc' : 'desc';
  const query = useMemo(() => ({ ...filters, page, pageSize, ...(sort !== 'start' ? { sort } : {}), ...(order !== 'desc' ? { order } : {}) }), [params.toString()]); // eslint-disable-line react-hooks/exhaustive-deps
  const res = useApi<Page<Incident>>('/api/incidents', query);

  const activeFilters = Object.fromEntries(Object.entries(filters).filter(([, v]) => v)) as Record<string, string>;
  const all = t('common.all');
  const [filtersOpen, setFiltersOpen] = useState(false);

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

      <button type="button" className="btn filters-toggle" aria-expanded={filtersOpen} aria-controls="incident-filters" onClick={() => setFiltersOpen((o) => !o)}>
        {Object.keys(activeFilters).length ? t('ops.filtersActive', { count: Object.keys(activeFilters).length }) : t('ops.filters')}
      </button>
      <form id="incident-filters" className={`filters card${filtersOpen ? '' : ' collapsed'}`} role="search" aria-label={t('incidents.filters')} onSubmit={(e) => e.preventDefault()}>
        <Field label={t('incidents.q')} hint={t('incidents.qHint')} className="field-wide">
          {(p) => <input {...p} type="search" name="q" value={q.text} onChange={(e) => q.setText(e.target.value)} />}
        </Field>
        <CountryField label={t('common.country')} name="country" value={filters.country} onChange={(v) => setFilter('country', v)} empty={all} />
        <SelectField label={t('common.type')} name="type" value={filters.type} onChange={(v) => setFilter('type', v)} empty={all} choices={typeChoices(meta.incidentTypes, (ty) => label('type', ty), t)} />
        <SelectField label={t('common.status')} name="status" value={filters.status} onChange={(v) => setFilter('status', v)} empty={all} choices={choicesOf(meta.statuses, (s) => label('status', s))} />
        <SelectField label={t('common.tlp')} name="tlp" value={filters.tlp} onChange={(v) => setFilter('tlp', v)} empty={all} choices={choicesOf(meta.tlpLabels)} />
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
              q.setText('');
              clear(INCIDENT_FILTERS);
            }}
          >
            {t('common.clear')}
          </button>
        </div>
      </form>

      <div className="list-tools">
        <ExportLinks path="/api/incidents/export" filters={activeFilters} />
        <PageSizeSelect value={pageSize} onChange={(v) => setParams({ pageSize: v, page: undefined })} />
      </div>

      <div aria-busy={res.loading} className="results">
        <Loaded state={res} isEmpty={(d) => d.items.length === 0}>
          {(d) => (
            <>
              <IncidentTable
                items={d.items}
                sort={{ sort, order, onSort: (s2, o2) => setParams({ sort: s2 === 'start' ? undefined : s2, order: o2 === 'desc' ? undefined : o2, page: undefined }) }}
              />
              <Pager page={d.page} pageSize={d.pageSize} total={d.total} onPage={setPage} />
            </>
          )}
        </Loaded>
      </div>
    </div>
  );
}
