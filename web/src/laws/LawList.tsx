import { useEffect, useMemo, useState } from 'react';
import type { Law, Page } from '../api/types.js';
import { Link, useQueryState } from '../app/router.js';
import { canWrite, useSession } from '../auth/auth.js';
import { useI18n } from '../i18n/index.js';
import { ErrorBox, Field, Loading, Pager, TlpBadge } from '../ui/components.js';
import { useApi, useDebounced } from '../ui/useApi.js';

export function LawList() {
  const { t, label, country: countryName, date } = useI18n();
  const { user, meta } = useSession();
  const [params, setParams] = useQueryState();
  const country = params.get('country') ?? '';
  const status = params.get('status') ?? '';
  const q = params.get('q') ?? '';
  const page = Math.max(1, Number(params.get('page')) || 1);
  const [qText, setQText] = useState(q);
  const qSettled = useDebounced(qText, 300);
  useEffect(() => setQText(q), [q]);
  useEffect(() => {
    if (qSettled !== q) setParams({ q: qSettled.trim() || undefined, page: undefined }, { replace: true });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [qSettled]);
  const res = useApi<Page<Law>>('/api/laws', { country, status, q, page, pageSize: 50 });
  const countries = useMemo(
    () => meta.countries.map((c) => ({ code: c.code, name: countryName(c.code) })).sort((a, b) => a.name.localeCompare(b.name)),
    [meta.countries, countryName],
  );

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
          {(p) => <input {...p} type="search" name="q" value={qText} onChange={(e) => setQText(e.target.value)} />}
        </Field>
        <Field label={t('common.country')}>
          {(p) => (
            <select {...p} name="country" value={country} onChange={(e) => setParams({ country: e.target.value || undefined, page: undefined })}>
              <option value="">{t('common.all')}</option>
              {countries.map((c) => (
                <option key={c.code} value={c.code}>
                  {c.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label={t('common.status')}>
          {(p) => (
            <select {...p} name="status" value={status} onChange={(e) => setParams({ status: e.target.value || undefined, page: undefined })}>
              <option value="">{t('common.all')}</option>
              {meta.lawStatuses.map((s) => (
                <option key={s} value={s}>
                  {label('lawStatus', s)}
                </option>
              ))}
            </select>
          )}
        </Field>
      </form>
      {res.error ? (
        <ErrorBox error={res.error} onRetry={res.reload} />
      ) : !res.data ? (
        <Loading />
      ) : res.data.items.length === 0 ? (
        <p className="notice">{t('common.noResults')}</p>
      ) : (
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
              {res.data.items.map((l) => (
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
          <Pager page={res.data.page} pageSize={res.data.pageSize} total={res.data.total} onPage={(n) => setParams({ page: n > 1 ? String(n) : undefined })} />
        </>
      )}
    </div>
  );
}
