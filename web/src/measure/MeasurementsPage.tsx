import { useMemo, useState } from 'react';
import { Link } from '../app/router.js';
import { useSession } from '../auth/auth.js';
import { useI18n } from '../i18n/index.js';
import { Field, Loaded, NoResults, Pager, Section } from '../ui/components.js';
import { CountryField, SelectField } from '../ui/fields.js';
import { PageSizeSelect, positiveInt, useListParams, useTextFilter } from '../ui/list.js';
import { useApi } from '../ui/useApi.js';
import { AttachToIncident, OpenIncidents, canAttach, canOpenIncidents } from './AnalystActions.js';
import { BlockedDomainsChart } from './BlockedDomainsChart.js';
import { useMeasureI18n } from './i18n.js';
import { apiFilters, countVerdicts, MEASURE_FILTERS, normaliseDomain, parseAsn } from './logic.js';
import type { AnomalyRow, BlockedDay, MeasurementList, MeasurementRow } from './types.js';
import { isVerdict, VERDICTS } from './types.js';
import { VerdictBadge, VerdictCounts } from './VerdictCounts.js';
import './measure.css';

export function MeasurementsPage() {
  const { t, num } = useI18n();
  const { mt, mtn } = useMeasureI18n();
  const { user } = useSession();
  const { params, setParams, setFilter, setPage, clear } = useListParams();
  const filters = apiFilters(params);
  const page = positiveInt(params.get('page'), 1, 100_000);
  const pageSize = positiveInt(params.get('pageSize'), 50, 500);
  const key = params.toString();

  const asn = useTextFilter(params.get('asn') ?? '', (v) => setFilter('asn', v), { ms: 400, parse: (s) => (parseAsn(s) === null ? null : `AS${parseAsn(s)}`) });
  const domain = useTextFilter(params.get('domain') ?? '', (v) => setFilter('domain', v), { ms: 400, parse: normaliseDomain });

  const listQuery = useMemo(() => ({ ...filters, limit: pageSize, offset: (page - 1) * pageSize }), [key]); // eslint-disable-line react-hooks/exhaustive-deps
  // Counts and chart ignore the verdict filter: they show every kind, the selected one highlighted.
  const { verdict: _verdict, ...scope } = filters;
  const scopeKey = JSON.stringify(scope);
  const aggQuery = useMemo(() => ({ ...scope, by: 'country' }), [scopeKey]); // eslint-disable-line react-hooks/exhaustive-deps
  const chartQuery = useMemo(() => scope, [scopeKey]); // eslint-disable-line react-hooks/exhaustive-deps
  const list = useApi<MeasurementList>('/api/measure/measurements', listQuery);
  const agg = useApi<{ items: AnomalyRow[] }>('/api/measure/aggregate', aggQuery);
  const chart = useApi<{ items: BlockedDay[] }>('/api/measure/blocked-domains', chartQuery);
  const counts = useMemo(() => countVerdicts(agg.data?.items ?? []), [agg.data]);

  const [selected, setSelected] = useState<Set<string>>(() => new Set());
  const toggle = (id: string, on: boolean) =>
    setSelected((s) => {
      const n = new Set(s);
      if (on) n.add(id);
      else n.delete(id);
      return n;
    });
  const pageIds = list.data?.items.map((m) => m.id) ?? [];
  const allOnPage = pageIds.length > 0 && pageIds.every((id) => selected.has(id));
  const writer = canAttach(user);

  const reloadAll = () => {
    list.reload();
    agg.reload();
    chart.reload();
  };

  return (
    <div className="page measure">
      <div className="page-head">
        <div>
          <h1>{mt('measure.title')}</h1>
          <p className="muted">{mt('measure.intro')}</p>
        </div>
      </div>

      <form className="filters card" role="search" aria-label={mt('measure.filters')} onSubmit={(e) => e.preventDefault()}>
        <CountryField label={t('common.country')} name="country" value={filters.country ?? ''} onChange={(v) => setFilter('country', v)} empty={t('common.all')} />
        <Field label={mt('measure.asn')} error={asn.invalid ? mt('measure.asnInvalid') : undefined}>
          {(p) => <input {...p} name="asn" dir="ltr" placeholder="AS30986" value={asn.text} onChange={(e) => asn.setText(e.target.value)} />}
        </Field>
        <Field label={mt('measure.domain')} error={domain.invalid ? mt('measure.domainInvalid') : undefined}>
          {(p) => <input {...p} name="domain" dir="ltr" placeholder="www.bbc.com" value={domain.text} onChange={(e) => domain.setText(e.target.value)} />}
        </Field>
        <SelectField label={mt('measure.verdict')} name="verdict" value={filters.verdict ?? ''} onChange={(v) => setFilter('verdict', v)} empty={t('common.all')} choices={VERDICTS.map((v) => ({ value: v, label: mt(`measure.verdict.${v}`) }))} />
        <Field label={t('common.from')}>
          {(p) => <input {...p} type="date" name="from" value={filters.from ?? ''} onChange={(e) => setFilter('from', e.target.value)} />}
        </Field>
        <Field label={t('common.to')}>
          {(p) => <input {...p} type="date" name="to" value={filters.to ?? ''} onChange={(e) => setFilter('to', e.target.value)} />}
        </Field>
        <div className="filter-actions">
          <button
            type="button"
            className="btn btn-quiet"
            onClick={() => {
              asn.setText('');
              domain.setText('');
              clear(MEASURE_FILTERS);
            }}
          >
            {t('common.clear')}
          </button>
        </div>
      </form>

      <div className="grid-2 m-top">
        <Section title={mt('measure.counts')}>
          <Loaded state={agg}>{() => <VerdictCounts counts={counts} selected={isVerdict(filters.verdict) ? filters.verdict : undefined} onSelect={(v) => setFilter('verdict', v)} />}</Loaded>
        </Section>
        <Section title={mt('measure.chart')}>
          <Loaded state={chart}>{(d) => <BlockedDomainsChart items={d.items} from={filters.from} to={filters.to} />}</Loaded>
        </Section>
      </div>

      <div className="list-tools">
        {writer ? (
          <p className="m-selection" aria-live="polite">
            {mtn('measure.selected', selected.size, { count: num(selected.size) })}{' '}
            {selected.size > 0 && (
              <button type="button" className="btn btn-small btn-quiet" onClick={() => setSelected(new Set())}>
                {mt('measure.clearSelection')}
              </button>
            )}
          </p>
        ) : (
          <span />
        )}
        <PageSizeSelect value={pageSize} onChange={(v) => setParams({ pageSize: v, page: undefined })} />
      </div>

      <div aria-busy={list.loading} className="results">
        <Loaded state={list} isEmpty={(d) => d.items.length === 0} empty={<NoResults text={Object.values(filters).some(Boolean) ? undefined : t('ops.empty.measurements')} />}>
          {(d) => (
            <>
              <table className="table responsive m-table" data-testid="measurement-table">
                <caption className="visually-hidden">{mt('measure.title')}</caption>
                <thead>
                  <tr>
                    {writer && (
                      <th scope="col" className="m-check">
                        <input
                          type="checkbox"
                          aria-label={mt('measure.selectPage')}
                          checked={allOnPage}
                          onChange={(e) => setSelected((s) => new Set(e.target.checked ? [...s, ...pageIds] : [...s].filter((id) => !pageIds.includes(id))))}
                        />
                      </th>
                    )}
                    <th scope="col">{mt('measure.url')}</th>
                    <th scope="col">{mt('measure.time')}</th>
                    <th scope="col">{mt('measure.probe')}</th>
                    <th scope="col">{mt('measure.verdict')}</th>
                  </tr>
                </thead>
                <tbody>
                  {d.items.map((m) => (
                    <MeasurementTableRow key={m.id} m={m} writer={writer} checked={selected.has(m.id)} onCheck={(on) => toggle(m.id, on)} />
                  ))}
                </tbody>
              </table>
              <Pager page={page} pageSize={pageSize} total={d.total} onPage={setPage} />
            </>
          )}
        </Loaded>
      </div>

      {writer && (
        <Section title={mt('measure.actions')}>
          <div className={canOpenIncidents(user) ? 'grid-2' : ''}>
            <AttachToIncident ids={[...selected]} />
            {canOpenIncidents(user) && <OpenIncidents defaults={{ country: filters.country, domain: filters.domain, from: filters.from, to: filters.to }} onOpened={reloadAll} />}
          </div>
        </Section>
      )}
    </div>
  );
}

function MeasurementTableRow({ m, writer, checked, onCheck }: { m: MeasurementRow; writer: boolean; checked: boolean; onCheck: (on: boolean) => void }) {
  const { country, date } = useI18n();
  const { mt } = useMeasureI18n();
  const url = m.input ?? m.domain ?? m.id;
  return (
    <tr data-verdict={m.verdict} data-id={m.id} className={checked ? 'm-row-selected' : undefined}>
      {writer && (
        <td className="m-check" data-label="✓">
          <input type="checkbox" checked={checked} onChange={(e) => onCheck(e.target.checked)} aria-label={mt('measure.select', { url })} />
        </td>
      )}
      <td className="cell-title" data-label={mt('measure.url')}>
        <Link to={`/measurements/${encodeURIComponent(m.id)}`} dir="ltr" className="m-url">
          {url}
        </Link>
      </td>
      <td data-label={mt('measure.time')}>
        <time dateTime={m.start}>{date(m.start, true)}</time>
      </td>
      <td data-label={mt('measure.probe')}>
        {country(m.probeCc)} <span className="muted m-asn">AS{m.probeAsn}</span>
      </td>
      <td data-label={mt('measure.verdict')}>
        <VerdictBadge verdict={m.verdict} />
        {m.fingerprint && (
          <span className="m-fp" title={mt('measure.confirmedBy', { fp: m.fingerprint })}>
            {m.fingerprint}
          </span>
        )}
        {m.reasons[0] && (
          <span className="cell-sub m-reason" dir="ltr">
            {m.reasons[0]}
          </span>
        )}
      </td>
    </tr>
  );
}
