import { useState, type FormEvent, type ReactNode } from 'react';
import { DocumentUpload } from '../ops/DocumentUpload.js';
import { api } from '../api/client.js';
import type { DuplicateCandidate, HistoryEntry, IncidentDetail } from '../api/types.js';
import { EndCell } from './IncidentTable.js';
import { Link } from '../app/router.js';
import { canWrite, useSession } from '../auth/auth.js';
import { interpolateNodes, useI18n, type I18n } from '../i18n/index.js';
import { ErrorBox, Field, Loading, Section, StatusBadge, TlpBadge, isHttpUrl } from '../ui/components.js';
import { SubmitButton, useFormState } from '../ui/form.js';
import { choicesOf, SelectField } from '../ui/fields.js';
import { useApi } from '../ui/useApi.js';

interface TimelineEvent {
  at: string;
  kind: 'start' | 'end' | 'ongoing' | 'evidence' | 'source' | 'change';
  text: string;
  detail?: string | undefined;
}

function shortValue(v: unknown): string {
  if (v === null || v === undefined || v === '') return '—';
  if (typeof v === 'string') return v.length > 80 ? `${v.slice(0, 77)}…` : v;
  const s = JSON.stringify(v);
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
}

/** A version that only sets fields (creation, import) lists every field: not worth showing field by field. */
function isCreation(h: HistoryEntry): boolean {
  const changes = Object.values(h.changes);
  return h.version === 1 || (changes.length > 0 && changes.every((c) => c.from === null || c.from === undefined));
}

export function buildTimeline(inc: IncidentDetail, history: HistoryEntry[], i18n: I18n): TimelineEvent[] {
  const { t, label } = i18n;
  const out: TimelineEvent[] = [];
  if (inc.startAt) out.push({ at: inc.startAt, kind: 'start', text: t('incidents.tl.start') });
  if (inc.endAt) out.push({ at: inc.endAt, kind: 'end', text: t('incidents.tl.end') });
  for (const e of inc.evidence) out.push({ at: e.addedAt, kind: 'evidence', text: t('incidents.tl.evidence', { kind: label('evidenceKind', e.kind) }), detail: e.summary ?? e.ref });
  for (const s of inc.sources) if (s.retrievedAt) out.push({ at: s.retrievedAt, kind: 'source', text: t('incidents.tl.source'), detail: s.title ?? s.url });
  for (const h of history)
    out.push({
      at: h.at,
      kind: 'change',
      text: t('incidents.tl.change', { version: h.version, action: label('action', h.action), actor: h.actorLabel }),
      detail: isCreation(h) ? undefined : Object.keys(h.changes).join(', ') || undefined,
    });
  out.sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  // Only an incident known to continue is drawn on: to the day a source last confirmed it, or to now when it is live.
  // An end that was never recorded is not drawn into the future.
  if (inc.startAt && !inc.endAt && inc.endState === 'ongoing') {
    out.push({ at: inc.ongoingAsOf ?? new Date().toISOString(), kind: 'ongoing', text: inc.ongoingAsOf ? t('registry.ongoingAsOf', { date: i18n.date(inc.ongoingAsOf) }) : t('incidents.tl.ongoing') });
  }
  return out;
}

function durationDays(inc: IncidentDetail): number | null {
  if (!inc.startAt) return null;
  if (inc.durationDays !== undefined) return inc.durationDays === null ? null : Math.max(1, Math.round(inc.durationDays));
  const end = inc.endAt ? Date.parse(inc.endAt) : Date.now();
  const d = (end - Date.parse(inc.startAt)) / 86_400_000;
  if (!Number.isFinite(d) || d < 0) return null;
  // Dates to the day count both the first and the last day, as the registry's shutdown-day figures do.
  return inc.startPrecision === 'day' && inc.endPrecision !== 'minute' ? Math.floor(d) + 1 : Math.max(1, Math.ceil(d));
}

/** Likely duplicates of this incident (same country, overlapping time, compatible type and place), to merge or dismiss. */
function Duplicates({ inc, writer, onMerged }: { inc: IncidentDetail; writer: boolean; onMerged: () => void }) {
  const id = inc.id;
  const { t, label, date } = useI18n();
  const dups = useApi<{ items: DuplicateCandidate[] }>(`/api/incidents/${encodeURIComponent(id)}/duplicates`);
  const [comparing, setComparing] = useState('');
  const [busy, setBusy] = useState('');
  const [error, setError] = useState<unknown>(null);
  const items = dups.data?.items ?? [];
  if (!items.length) return null;
  const act = async (other: DuplicateCandidate, merge: boolean) => {
    if (merge && !window.confirm(t('registry.mergeConfirm', { title: other.title }))) return;
    setBusy(other.id);
    setError(null);
    try {
      if (merge) await api.post(`/api/incidents/${encodeURIComponent(id)}/merge`, { from: other.id });
      else await api.post(`/api/incidents/${encodeURIComponent(id)}/duplicates/${encodeURIComponent(other.id)}/dismiss`);
      dups.reload();
      onMerged();
    } catch (e) {
      setError(e);
    } finally {
      setBusy('');
    }
  };
  return (
    <Section title={t('registry.duplicates')}>
      {error != null && <ErrorBox error={error as Error} />}
      <ul className="duplicates" data-testid="duplicates">
        {items.map((d) => (
          <li key={d.id}>
            <Link to={`/incidents/${encodeURIComponent(d.id)}`} dir="auto">{d.title}</Link>{' '}
            <span className="muted">
              {label('type', d.type)} · {date(d.startAt)} · {d.origin}
            </span>
            <div className="muted small">{d.reasons.join(' · ')}</div>
            <details className="duplicate-compare" open={comparing === d.id} onToggle={(e) => (e.currentTarget.open ? setComparing(d.id) : comparing === d.id && setComparing(''))}>
              <summary>{t('registry.compare')}</summary>
              {comparing === d.id && <CompareDuplicate inc={inc} other={d} />}
            </details>
            {writer && (
              <span className="actions">
                <button type="button" className="btn" disabled={busy === d.id} onClick={() => void act(d, true)}>{t('registry.merge')}</button>{' '}
                <button type="button" className="btn btn-quiet" disabled={busy === d.id} onClick={() => void act(d, false)}>{t('registry.dismiss')}</button>
              </span>
            )}
          </li>
        ))}
      </ul>
    </Section>
  );
}

/**
 * This incident and a proposed duplicate side by side, so that an analyst sees what a merge joins before merging:
 * dates, place, status, where each record comes from, and how many sources and evidence items each holds.
 */
function CompareDuplicate({ inc, other }: { inc: IncidentDetail; other: DuplicateCandidate }) {
  const { t, label, date, num } = useI18n();
  const res = useApi<IncidentDetail>(`/api/incidents/${encodeURIComponent(other.id)}`);
  if (res.error) return <ErrorBox error={res.error} onRetry={res.reload} />;
  const o = res.data;
  if (!o) return <Loading />;
  const rows: [string, (x: IncidentDetail) => ReactNode][] = [
    [t('common.title'), (x) => <bdi>{x.title}</bdi>],
    [t('common.type'), (x) => label('type', x.type)],
    [t('incidents.start'), (x) => date(x.startAt, x.startPrecision === 'minute')],
    [t('incidents.end'), (x) => (x.endAt ? date(x.endAt, x.endPrecision === 'minute') : <EndCell i={x} />)],
    [t('incidents.area'), (x) => x.area ?? '—'],
    [t('common.status'), (x) => <StatusBadge status={x.status} />],
    [t('incidents.origin'), (x) => x.origin],
    [t('incidents.sources'), (x) => num(x.sources.length)],
    [t('incidents.evidence'), (x) => num(x.evidence.length)],
    [t('registry.compareSummary'), (x) => <span dir="auto">{x.summary || '—'}</span>],
  ];
  return (
    <div className="table-wrap">
      <table className="compare" data-testid="duplicate-compare">
        <thead>
          <tr>
            <td />
            <th scope="col">{t('registry.compareThis')}</th>
            <th scope="col">{t('registry.compareOther')}</th>
          </tr>
        </thead>
        <tbody>
          {rows.map(([name, cell]) => (
            <tr key={name}>
              <th scope="row">{name}</th>
              <td>{cell(inc)}</td>
              <td>{cell(o)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted small">{t('registry.compareKept')}</p>
    </div>
  );
}

export function IncidentPage({ id }: { id: string }) {
  const i18n = useI18n();
  const { t, tn, label, country, date, num } = i18n;
  const { user, meta } = useSession();
  const res = useApi<IncidentDetail>(`/api/incidents/${encodeURIComponent(id)}`);
  const hist = useApi<{ items: HistoryEntry[] }>(`/api/incidents/${encodeURIComponent(id)}/history`);

  if (res.error) return <ErrorBox error={res.error} onRetry={res.reload} />;
  if (!res.data) return <Loading />;
  const inc = res.data;
  const history = hist.data?.items ?? [];
  const timeline = buildTimeline(inc, history, i18n);
  const days = durationDays(inc);
  const writer = canWrite(user);
  const reloadAll = () => {
    res.reload();
    hist.reload();
  };

  return (
    <article className="page incident" data-incident-id={inc.id}>
      <div className="page-head">
        <div>
          <p className="eyebrow">
            <Link to={`/countries/${inc.country}`}>{country(inc.country)}</Link> · {label('type', inc.type)}
          </p>
          <h1 dir="auto">{inc.title}</h1>
          <p className="badges">
            <TlpBadge tlp={inc.tlp} /> <StatusBadge status={inc.status} />
            {inc.severity && <span className={`sev sev-${inc.severity}`}>{label('severity', inc.severity)}</span>}
            <span className="muted">{t('incidents.version', { version: inc.version })}</span>
            {inc.tlp === 'TLP:CLEAR' && (['verified', 'closed'].includes(inc.status) || inc.tags.includes('public')) && (
              <a className="public-view" title={t('publish.publicViewHint')} href={`/public/${i18n.lang}/incidents/${encodeURIComponent(inc.id)}`}>{t('publish.publicView')}</a>
            )}
          </p>
        </div>
        {writer && (
          <Link to={`/incidents/${encodeURIComponent(inc.id)}/edit`} className="btn btn-primary">
            {t('common.edit')}
          </Link>
        )}
      </div>

      {inc.mergedInto && (
        <p className="notice" role="status">
          {t('registry.mergedInto')} <Link to={`/incidents/${encodeURIComponent(inc.mergedInto)}`}>{t('registry.openMerged')}</Link>
        </p>
      )}
      {!inc.mergedInto && <Duplicates inc={inc} writer={writer} onMerged={reloadAll} />}

      <div className="grid-2">
        <Section title={t('common.details')}>
          <dl className="facts">
            <dt>{t('incidents.start')}</dt>
            <dd>{date(inc.startAt, inc.startPrecision === 'minute')}</dd>
            <dt>{t('incidents.end')}</dt>
            <dd>{inc.endAt ? date(inc.endAt, inc.endPrecision === 'minute') : <EndCell i={inc} />}</dd>
            {days !== null && (
              <>
                <dt>{t('incidents.duration')}</dt>
                <dd>{inc.durationIsMinimum ? t('registry.atLeast', { value: tn('incidents.days', days, { days: num(days) }) }) : tn('incidents.days', days, { days: num(days) })}</dd>
              </>
            )}
            {inc.area && (
              <>
                <dt>{t('incidents.area')}</dt>
                <dd>{inc.area}</dd>
              </>
            )}
            {inc.networks.length > 0 && (
              <>
                <dt>{t('incidents.networks')}</dt>
                <dd>{inc.networks.map((n) => [n.asn ? `AS${n.asn}` : '', n.name ?? ''].join(' ').trim()).join(', ')}</dd>
              </>
            )}
            {inc.services.length > 0 && (
              <>
                <dt>{t('incidents.services')}</dt>
                <dd>{inc.services.join(', ')}</dd>
              </>
            )}
            {inc.actors.length > 0 && (
              <>
                <dt>{t('incidents.actors')}</dt>
                <dd>{inc.actors.map((a) => `${a.name} (${label('actorRole', a.role)})`).join(', ')}</dd>
              </>
            )}
            {inc.targets.length > 0 && (
              <>
                <dt>{t('incidents.targets')}</dt>
                <dd>{inc.targets.map((x) => label('target', x)).join(', ')}</dd>
              </>
            )}
            {inc.tags.length > 0 && (
              <>
                <dt>{t('incidents.tags')}</dt>
                <dd>
                  {inc.tags.map((tag) => (
                    <span key={tag} className="tag">
                      {tag}
                    </span>
                  ))}
                </dd>
              </>
            )}
            {inc.confidence !== null && inc.confidence !== undefined && (
              <>
                <dt>{t('incidents.confidence')}</dt>
                <dd>{num(inc.confidence)}</dd>
              </>
            )}
            {inc.origin && (
              <>
                <dt>{t('incidents.origin')}</dt>
                <dd>{inc.origin}</dd>
              </>
            )}
            <dt>{t('common.updated')}</dt>
            <dd>{date(inc.updatedAt, true)}</dd>
          </dl>
          {inc.summary && (
            <p className="lead" dir="auto">
              {inc.summary}
            </p>
          )}
          {inc.description && (
            <p className="prose" dir="auto">
              {inc.description}
            </p>
          )}
          {inc.dataQuality.length > 0 && (
            <div className="notice">
              <h3>{t('incidents.dataQuality')}</h3>
              <ul>
                {inc.dataQuality.map((q) => (
                  <li key={q.code}>
                    <code>{q.code}</code> {q.reason}
                  </li>
                ))}
              </ul>
            </div>
          )}
        </Section>

        <Section title={t('incidents.timeline')}>
          <ol className="timeline" data-testid="timeline">
            {timeline.map((e, i) => (
              <li key={`${e.kind}-${i}`} className={`tl-${e.kind}`}>
                <time dateTime={e.at}>{e.kind === 'ongoing' ? date(e.at) : date(e.at, e.kind !== 'start' && e.kind !== 'end')}</time>
                <span className="tl-text">{e.text}</span>
                {e.detail && <span className="tl-detail">{e.detail}</span>}
              </li>
            ))}
          </ol>
        </Section>
      </div>

      <Section title={t('incidents.sources')}>
        {inc.sources.length === 0 ? (
          <p className="muted">{t('incidents.noSources')}</p>
        ) : (
          <ul className="plain-list">
            {inc.sources.map((s) => (
              <li key={s.id}>
                <a href={s.url} rel="noopener noreferrer nofollow" target="_blank">
                  {s.title || s.url}
                </a>
                {s.publisher && <span className="muted"> — {s.publisher}</span>}
                {s.retrievedAt && <span className="muted"> · {t('incidents.retrieved', { date: date(s.retrievedAt) })}</span>}
              </li>
            ))}
          </ul>
        )}
        {writer && <AddSource incidentId={inc.id} onAdded={reloadAll} />}
        {writer && <DocumentUpload incidentId={inc.id} onAdded={reloadAll} />}
      </Section>

      <Section title={t('incidents.evidence')}>
        {inc.evidence.length === 0 ? (
          <p className="muted">{t('incidents.noEvidence')}</p>
        ) : (
          <ul className="plain-list">
            {inc.evidence.map((e) => (
              <li key={e.id}>
                <strong>{label('evidenceKind', e.kind)}</strong>{' '}
                {evidenceHref(e) ? (
                  <a href={evidenceHref(e)!}>
                    <code>{e.ref}</code>
                  </a>
                ) : (
                  <code>{e.ref}</code>
                )}
                {e.summary && <span> — {e.summary}</span>}
                <span className="muted"> · {date(e.addedAt)}</span>
              </li>
            ))}
          </ul>
        )}
        {writer && <AddEvidence incidentId={inc.id} kinds={meta.evidenceKinds} onAdded={reloadAll} />}
      </Section>

      <Section title={t('incidents.laws')}>
        {inc.laws.length === 0 ? (
          <p className="muted">{t('incidents.noLaws')}</p>
        ) : (
          <ul className="plain-list">
            {inc.laws.map((l) => (
              <li key={l.id}>
                <Link to={`/laws/${encodeURIComponent(l.id)}`}>{l.title}</Link> <span className="muted">({country(l.country)}, {label('lawStatus', l.status)})</span>
              </li>
            ))}
          </ul>
        )}
      </Section>

      <Section title={t('incidents.history')}>
        {hist.error ? (
          <ErrorBox error={hist.error} onRetry={hist.reload} />
        ) : history.length === 0 ? (
          <p className="muted">{t('incidents.noHistory')}</p>
        ) : (
          <ol className="history">
            {[...history].reverse().map((h) => (
              <li key={`${h.fromIncident ?? ''}:${h.version}`} data-from-incident={h.fromIncident}>
                <p>
                  <strong>{t('incidents.tl.change', { version: h.version, action: label('action', h.action), actor: h.actorLabel })}</strong>{' '}
                  {h.fromIncident && (
                    <Link className="muted" to={`/incidents/${encodeURIComponent(h.fromIncident)}`}>
                      ({t('registry.fromMerged')})
                    </Link>
                  )}{' '}
                  <time className="muted" dateTime={h.at}>
                    {date(h.at, true)}
                  </time>
                </p>
                {!isCreation(h) && Object.keys(h.changes).length > 0 && (
                  <ul>
                    {Object.entries(h.changes).map(([field, c]) => (
                      <li key={field}>
                        {interpolateNodes(t('incidents.changed'), {
                          field: <code>{field}</code>,
                          from: <bdi className="old-value">{shortValue(c.from)}</bdi>,
                          to: <bdi>{shortValue(c.to)}</bdi>,
                        })}
                      </li>
                    ))}
                  </ul>
                )}
              </li>
            ))}
          </ol>
        )}
      </Section>
    </article>
  );
}

function AddSource({ incidentId, onAdded }: { incidentId: string; onAdded: () => void }) {
  const { t } = useI18n();
  const [url, setUrl] = useState('');
  const [title, setTitle] = useState('');
  const [publisher, setPublisher] = useState('');
  const { errors, setErrors, failure, setFailure, busy, save } = useFormState();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFailure(null);
    if (!isHttpUrl(url.trim())) {
      setErrors({ url: t('form.err.url') });
      return;
    }
    setErrors({});
    await save(async () => {
      await api.post(`/api/incidents/${encodeURIComponent(incidentId)}/sources`, { url: url.trim(), ...(title.trim() ? { title: title.trim() } : {}), ...(publisher.trim() ? { publisher: publisher.trim() } : {}) });
      setUrl('');
      setTitle('');
      setPublisher('');
      onAdded();
    });
  };

  return (
    <details className="subform">
      <summary>{t('incidents.addSource')}</summary>
      <form onSubmit={submit} noValidate className="form-grid">
        {failure && <ErrorBox error={failure} />}
        <Field label={t('incidents.sourceUrl')} error={errors.url} required className="field-wide">
          {(p) => <input {...p} type="url" name="url" value={url} onChange={(e) => setUrl(e.target.value)} />}
        </Field>
        <Field label={t('incidents.sourceTitle')} error={errors.title}>
          {(p) => <input {...p} name="sourceTitle" value={title} onChange={(e) => setTitle(e.target.value)} />}
        </Field>
        <Field label={t('incidents.sourcePublisher')} error={errors.publisher}>
          {(p) => <input {...p} name="publisher" value={publisher} onChange={(e) => setPublisher(e.target.value)} />}
        </Field>
        <SubmitButton busy={busy}>{t('common.add')}</SubmitButton>
      </form>
    </details>
  );
}

function AddEvidence({ incidentId, kinds, onAdded }: { incidentId: string; kinds: string[]; onAdded: () => void }) {
  const { t, label } = useI18n();
  const [kind, setKind] = useState(kinds[0] ?? 'document');
  const [ref, setRef] = useState('');
  const [summary, setSummary] = useState('');
  const { errors, setErrors, failure, setFailure, busy, save } = useFormState();

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFailure(null);
    const errs: Record<string, string> = {};
    if (!ref.trim()) errs.ref = t('form.err.required');
    if (!summary.trim()) errs.summary = t('form.err.required');
    setErrors(errs);
    if (Object.keys(errs).length) return;
    await save(async () => {
      await api.post(`/api/incidents/${encodeURIComponent(incidentId)}/evidence`, { kind, ref: ref.trim(), summary: summary.trim() });
      setRef('');
      setSummary('');
      onAdded();
    });
  };

  return (
    <details className="subform">
      <summary>{t('incidents.addEvidence')}</summary>
      <form onSubmit={submit} noValidate className="form-grid">
        {failure && <ErrorBox error={failure} />}
        <SelectField label={t('incidents.evidenceKind')} error={errors.kind} name="kind" value={kind} onChange={setKind} choices={choicesOf(kinds, (k) => label('evidenceKind', k))} />
        <Field label={t('incidents.evidenceRef')} hint={t('incidents.evidenceRefHint')} error={errors.ref} required>
          {(p) => <input {...p} name="ref" value={ref} onChange={(e) => setRef(e.target.value)} />}
        </Field>
        <Field label={t('incidents.evidenceSummary')} error={errors.summary} required className="field-wide">
          {(p) => <textarea {...p} name="evidenceSummary" rows={2} value={summary} onChange={(e) => setSummary(e.target.value)} />}
        </Field>
        <SubmitButton busy={busy}>{t('common.add')}</SubmitButton>
      </form>
    </details>
  );
}

/** Where an evidence item can be looked at in the console: the owning wing's page for it. */
function evidenceHref(e: { kind: string; ref: string; data?: unknown }): string | null {
  const data = (e.data ?? {}) as Record<string, unknown>;
  if (e.kind === 'measurement' && typeof data.measurementId === 'string') return `/measurements/${encodeURIComponent(data.measurementId)}`;
  if (e.kind === 'outage_event' && typeof data.eventId === 'string') return `/outages/events/${encodeURIComponent(data.eventId)}`;
  return null;
}
