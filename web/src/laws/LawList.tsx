import type { Law, Page } from '../api/types.js';
import { Link } from '../app/router.js';
import { canWrite, useSession } from '../auth/auth.js';
import { useI18n } from '../i18n/index.js';
import { Field, Loaded, NoResults, Pager, TlpBadge } from '../ui/components.js';
import { choicesOf, CountryField, SelectField } from '../ui/fields.js';
import { useListParams, useTextFilter } from '../ui/list.js';
import { useApi } from '../ui/useApi.js';

export function LawList() {
  const { t, label, country: countryName, date } = useI18n();
  const { user, meta } = useSession();
  const { params, setParams, setFilter, setPage } = useListParams();
  const country = params.get('country') ?? '';
  const status = params.get('status') ?? '';
  const q = params.get('q') ?? '';
  const page = Math.max(1, Number(params.get('page')) || 1);
  const qText = useTextFilter(q, (v) => setParams({ q: v, page: undefined }, { replace: true }));
  const res = useApi<Page<Law>>('/api/laws', { country, status, q, page, pageSize: 50 });

  return (
    <div className="page">
      <div className="page-head">
        <h1>{t('laws.title')}</h1>
        {canWrite(user) && (
          <Link to="/laws/new" className="btn btn-primary">
            {t('laws.new')}
          </Link>
        )}
      </div>
      <form className="filters card" role="search" onSubmit={(e) => e.preventDefault()}>
        <Field label={t('common.search')} className="field-wide">
          {(p) => <input {...p} type="search" name="q" value={qText.text} onChange={(e) => qText.setText(e.target.value)} />}
        </Field>
        <CountryField label={t('common.country')} name="country" value={country} onChange={(v) => setFilter('country', v)} empty={t('common.all')} />
        <SelectField label={t('common.status')} name="status" value={status} onChange={(v) => setFilter('status', v)} empty={t('common.all')} choices={choicesOf(meta.lawStatuses, (s) => label('lawStatus', s))} />
      </form>
      <Loaded state={res} isEmpty={(d) => d.items.length === 0} empty={<NoResults text={country || status ? undefined : t('ops.empty.laws')} />}>
        {(d) => (
          <>
            <table className="table responsive">
              <thead>
                <tr>
                  <th scope="col">{t('common.title')}</th>
                  <th scope="col">{t('common.country')}</th>
                  <th scope="col">{t('common.status')}</th>
                  <th scope="col">{t('laws.rights')}</th>
                  <th scope="col">{t('common.updated')}</th>
                  <th scope="col">{t('common.tlp')}</th>
                </tr>
              </thead>
              <tbody>
                {d.items.map((l) => (
                  <tr key={l.id}>
                    <td data-label={t('common.title')} className="cell-title">
                      <Link to={`/laws/${encodeURIComponent(l.id)}`} dir="auto">
                        {l.title}
                      </Link>
                    </td>
                    <td data-label={t('common.country')}>
                      <Link to={`/countries/${l.country}`}>{countryName(l.country)}</Link>
                    </td>
                    <td data-label={t('common.status')}>{label('lawStatus', l.status)}</td>
                    <td data-label={t('laws.rights')}>{l.rights.map((r) => label('right', r)).join(', ') || '—'}</td>
                    <td data-label={t('common.updated')}>{date(l.updatedAt)}</td>
                    <td data-label={t('common.tlp')}>
                      <TlpBadge tlp={l.tlp} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <Pager page={d.page} pageSize={d.pageSize} total={d.total} onPage={setPage} />
          </>
        )}
      </Loaded>
    </div>
  );
}
