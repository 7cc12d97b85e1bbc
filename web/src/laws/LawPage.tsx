import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError } from '../api/client.js';
import type { Incident, Law, Page } from '../api/types.js';
import { Link } from '../app/router.js';
import { canWrite, useSession } from '../auth/auth.js';
import { useI18n } from '../i18n/index.js';
import { IncidentTable } from '../incidents/IncidentTable.js';
import { ErrorBox, Field, Loading, Section, TlpBadge } from '../ui/components.js';
import { useApi } from '../ui/useApi.js';

export function LawPage({ id }: { id: string }) {
  const { t, label, country, date, lang } = useI18n();
  const { user } = useSession();
  const res = useApi<Law>(`/api/laws/${encodeURIComponent(id)}`);
  const law = res.data;
  const [incidents, setIncidents] = useState<Incident[] | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const writer = canWrite(user);
  const linkKey = law ? law.incidentIds.join(',') : '';

  // A law links a handful of incidents, not thousands: fetch each one.
  useEffect(() => {
    if (!law) return;
    let live = true;
    setIncidents(null);
    Promise.all(law.incidentIds.map((iid) => api.get<Incident>(`/api/incidents/${encodeURIComponent(iid)}`).catch(() => null)))
      .then((list) => live && setIncidents(list.filter((x): x is Incident => x !== null)))
      .catch(() => live && setIncidents([]));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [linkKey]);

  if (res.error) return <ErrorBox error={res.error} onRetry={res.reload} />;
  if (!law) return <Loading />;

  const unlink = async (incidentId: string) => {
    setFailure(null);
    try {
      await api.del(`/api/laws/${encodeURIComponent(law.id)}/incidents/${encodeURIComponent(incidentId)}`);
      res.reload();
    } catch (e) {
      setFailure(e instanceof Error ? e.message : String(e));
    }
  };

  return (
    <article className="page">
      <div className="page-head">
        <div>
          <p className="eyebrow">
            <Link to={`/countries/${law.country}`}>{country(law.country)}</Link> · {label('lawStatus', law.status)}
          </p>
          <h1 dir="auto">{law.title}</h1>
          <p className="badges">
            <TlpBadge tlp={law.tlp} />
            {law.tlp === 'TLP:CLEAR' && <a className="public-view" title={t('publish.publicViewHint')} href={`/public/${lang}/laws/${encodeURIComponent(law.id)}`}>{t('publish.publicView')}</a>}
          </p>
        </div>
        {writer && (
          <Link to={`/laws/${encodeURIComponent(law.id)}/edit`} className="btn btn-primary">
            {t('common.edit')}
          </Link>
        )}
      </div>
      {failure && <ErrorBox error={failure} />}
      <div className="grid-2">
        <Section title={t('common.details')}>
          {law.summary && (
            <p className="lead" dir="auto">
              {law.summary}
            </p>
          )}
          <dl className="facts">
            <dt>{t('laws.rights')}</dt>
            <dd>{law.rights.map((r) => label('right', r)).join(', ') || '—'}</dd>
            {law.url && (
              <>
                <dt>{t('laws.text')}</dt>
                <dd>
                  <a href={law.url} rel="noopener noreferrer nofollow" target="_blank">
                    {law.url}
                  </a>
                </dd>
              </>
            )}
            <dt>{t('common.updated')}</dt>
            <dd>{date(law.updatedAt, true)}</dd>
          </dl>
        </Section>
        <Section title={t('laws.timeline')}>
          <ol className="timeline">
            {[...law.timeline]
              .sort((a, b) => a.date.localeCompare(b.date))
              .map((s, i) => (
                <li key={i}>
                  <time dateTime={s.date}>{date(s.date)}</time>
                  <span className="tl-text">{label('lawStatus', s.status)}</span>
                  {s.note && <span className="tl-detail">{s.note}</span>}
                </li>
              ))}
          </ol>
        </Section>
      </div>
      <Section title={t('laws.articles')}>
        {law.articles.length === 0 ? (
          <p className="muted">—</p>
        ) : (
          <dl className="articles">
            {law.articles.map((a, i) => (
              <div key={i} className="article">
                <dt>{a.ref}</dt>
                <dd>
                  <blockquote dir="auto">{a.text}</blockquote>
                  {a.concern && <p>{a.concern}</p>}
                </dd>
              </div>
            ))}
          </dl>
        )}
      </Section>
      <Section title={t('laws.incidents')}>
        {law.incidentIds.length === 0 ? (
          <p className="muted">{t('laws.noIncidents')}</p>
        ) : !incidents ? (
          <Loading />
        ) : (
          <>
            <IncidentTable items={incidents} />
            {writer && (
              <ul className="plain-list">
                {incidents.map((i) => (
                  <li key={i.id}>
                    <button type="button" className="btn btn-quiet" onClick={() => void unlink(i.id)}>
                      {t('laws.unlink')}: {i.title}
                    </button>
                  </li>
                ))}
              </ul>
            )}
          </>
        )}
        {writer && <LinkIncident law={law} onLinked={res.reload} />}
      </Section>
    </article>
  );
}

function LinkIncident({ law, onLinked }: { law: Law; onLinked: () => void }) {
  const { t, country, date } = useI18n();
  const [q, setQ] = useState('');
  const [results, setResults] = useState<Incident[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  const search = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const page = await api.get<Page<Incident>>('/api/incidents', { country: law.country, q: q.trim() || undefined, pageSize: 10 });
      setResults(page.items.filter((i) => !law.incidentIds.includes(i.id)));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  const link = async (incidentId: string) => {
    setError(null);
    try {
      await api.post(`/api/laws/${encodeURIComponent(law.id)}/incidents`, { incidentId });
      setResults(null);
      setQ('');
      onLinked();
    } catch (err) {
      setError(err instanceof ApiError ? err.message : String(err));
    }
  };

  return (
    <details className="subform">
      <summary>{t('laws.linkIncident')}</summary>
      <form onSubmit={search} className="inline-form">
        <Field label={t('laws.linkSearch')}>{(p) => <input {...p} type="search" value={q} onChange={(e) => setQ(e.target.value)} />}</Field>
        <button type="submit" className="btn">
          {t('common.search')}
        </button>
      </form>
      {error && <ErrorBox error={error} />}
      {results &&
        (results.length === 0 ? (
          <p className="muted">{t('common.noResults')}</p>
        ) : (
          <ul className="plain-list">
            {results.map((i) => (
              <li key={i.id}>
                <button type="button" className="btn" onClick={() => void link(i.id)}>
                  {t('laws.link')}
                </button>{' '}
                {i.title} <span className="muted">({country(i.country)}, {date(i.startAt)})</span>
              </li>
            ))}
          </ul>
        ))}
    </details>
  );
}
