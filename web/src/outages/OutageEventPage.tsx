import { useState } from 'react';
import { api, ApiError } from '../api/client.js';
import type { Incident } from '../api/types.js';
import { Link } from '../app/router.js';
import { useSession } from '../auth/auth.js';
import { useI18n } from '../i18n/index.js';
import { ErrorBox, Field, Loading, Section, StatusBadge, TlpBadge } from '../ui/components.js';
import { useApi } from '../ui/useApi.js';
import { chartData, decisionOf, durationParts, entityName, toMs } from './logic.js';
import { DecisionBadge, SeverityBadge } from './OutagesList.js';
import { SignalChart, usePercent } from './SignalChart.js';
import type { AlertLevels, DetectorConfig, OutageEvent, OutageEventDetail } from './types.js';

/** Roles whose accounts carry `outages:write` (the server checks it again on every decision). */
export function canDecide(role: string): boolean {
  return role === 'admin' || role === 'analyst';
}

export function levelsFor(config: DetectorConfig | undefined, signals: string[]): AlertLevels {
  const p = signals.map((s) => config?.signals[s]).find(Boolean) ?? config?.signals.generic;
  return { warning: p?.warning ?? 0.8, critical: p?.critical ?? 0.5 };
}

export function useDuration(): (ms: number) => string {
  const { t, num } = useI18n();
  return (ms) => {
    const { days, hours, minutes } = durationParts(ms);
    if (days > 0) return t('outages.duration.days', { days: num(days), hours: num(hours) });
    if (hours > 0) return t('outages.duration.hours', { hours: num(hours), minutes: num(minutes) });
    return t('outages.duration.minutes', { minutes: num(minutes) });
  };
}

export function OutageEventPage({ id }: { id: string }) {
  const { t, country, date, num } = useI18n();
  const { user } = useSession();
  const pct = usePercent();
  const duration = useDuration();
  const res = useApi<OutageEventDetail>(`/api/outages/events/${encodeURIComponent(id)}`);
  const config = useApi<DetectorConfig>('/api/outages/config');
  const incidentId = res.data?.incidentId ?? null;
  const incident = useApi<Incident>(incidentId ? `/api/incidents/${encodeURIComponent(incidentId)}` : null);

  if (res.error) return <ErrorBox error={res.error} onRetry={res.reload} />;
  if (!res.data) return <Loading />;
  const e = res.data;
  const start = toMs(e.start) ?? 0;
  const end = toMs(e.end);
  const alert = toMs(e.firstAlertAt);
  const plot = e.evidence.plot;
  const levels = levelsFor(config.data, e.signals);
  const where = e.scope === 'country' ? t('outages.national', { country: country(e.country ?? e.entity) }) : entityName(e);

  return (
    <article className="page outage-event" data-event-id={e.id} data-entity={e.entity}>
      <div className="page-head">
        <div>
          <p className="eyebrow">
            <Link to="/outages">{t('outages.title')}</Link>
            {e.country && (
              <>
                {' · '}
                <Link to={`/countries/${e.country}`}>{country(e.country)}</Link>
              </>
            )}
          </p>
          <h1>{t('outages.eventTitle', { kind: t(`outages.kind.${e.kind}`), where })}</h1>
          <p className="badges">
            <DecisionBadge decision={decisionOf(e)} /> <SeverityBadge score={e.severity} />
            <span className="muted">{t(`outages.scope.${e.scope}`)}</span>
            {!e.end && <span className="ongoing">{t('common.ongoing')}</span>}
          </p>
        </div>
      </div>

      <div className="stats-row" data-testid="event-numbers">
        <div className="stat">
          <span className="stat-value">{pct(e.depth)}</span>
          <span className="stat-label">{t('outages.depthLong')}</span>
        </div>
        <div className="stat">
          <span className="stat-value">{num(Math.round(e.severity))}</span>
          <span className="stat-label">{t('outages.severityScore')}</span>
        </div>
        <div className="stat">
          <span className="stat-value">{pct(e.confidence)}</span>
          <span className="stat-label">{t('incidents.confidence')}</span>
        </div>
        {e.members && (
          <div className="stat">
            <span className="stat-value">
              {num(e.members.affected)}/{num(e.members.total)}
            </span>
            <span className="stat-label">{t('outages.membersAffected')}</span>
          </div>
        )}
      </div>

      <Section title={t('outages.signal')}>
        {plot && plot.t.length > 1 ? (
          <SignalChart
            data={chartData(plot.t, plot.value, plot.baseline)}
            levels={levels}
            events={[{ start, end, kind: e.kind, label: t(`outages.kind.${e.kind}`), own: true }]}
            title={t('outages.chart.eventTitle', { where, count: num(plot.seriesCount) })}
            testId="event-chart"
          />
        ) : (
          <p className="muted">{t('outages.noPlot')}</p>
        )}
        {plot && plot.seriesCount > 1 && <p className="muted">{t('outages.plotSum', { count: num(plot.seriesCount) })}</p>}
      </Section>

      <div className="grid-2">
        <Section title={t('common.details')}>
          <dl className="facts">
            <dt>{t('outages.entity')}</dt>
            <dd>
              <code dir="ltr">{e.entity}</code>
            </dd>
            <dt>{t('incidents.start')}</dt>
            <dd>{date(e.start, true)}</dd>
            <dt>{t('incidents.end')}</dt>
            <dd>{e.end ? date(e.end, true) : t('outages.ongoingLong')}</dd>
            {end !== null && (
              <>
                <dt>{t('incidents.duration')}</dt>
                <dd>{duration(end - start)}</dd>
              </>
            )}
            <dt>{t('outages.firstAlert')}</dt>
            <dd>
              {date(e.firstAlertAt, true)}
              {alert !== null && alert > start && <span className="muted"> ({t('outages.afterStart', { duration: duration(alert - start) })})</span>}
            </dd>
            <dt>{t('outages.signals')}</dt>
            <dd>{e.signals.join(', ') || '—'}</dd>
            {e.evidence.minRatio !== undefined && (
              <>
                <dt>{t('outages.minRatio')}</dt>
                <dd>{pct(e.evidence.minRatio)}</dd>
              </>
            )}
            {e.source && (
              <>
                <dt>{t('outages.source')}</dt>
                <dd>
                  <code dir="ltr">{e.source}</code>
                </dd>
              </>
            )}
          </dl>
          {e.members && (
            <details className="subform">
              <summary>{t('outages.membersList', { count: num(e.members.entities.length) })}</summary>
              <ul className="members">
                {e.members.entities.map((m) => {
                  // the member's own extent: regions that stay out longest keep their own end time
                  const own = e.memberEvents?.find((x) => x.entity === m);
                  return (
                    <li key={m}>
                      {m.split('/').slice(1).join(' / ') || m}
                      {own && (
                        <span className="muted">
                          {' '}
                          · {date(own.start, true)} – {own.end ? date(own.end, true) : t('outages.ongoingLong')}
                        </span>
                      )}
                    </li>
                  );
                })}
              </ul>
            </details>
          )}
        </Section>

        <div className="stack">
          <Section title={t('outages.incident')}>
            {!incidentId ? (
              <p className="muted">{t('outages.noIncident')}</p>
            ) : incident.error ? (
              <p className="muted">
                {incident.error.status === 404 || incident.error.status === 403 ? t('outages.incidentHidden') : t('app.error', { message: incident.error.message })}
              </p>
            ) : !incident.data ? (
              <Loading />
            ) : (
              <div data-testid="linked-incident">
                <p>
                  <Link to={`/incidents/${encodeURIComponent(incident.data.id)}`} dir="auto">
                    {incident.data.title}
                  </Link>
                </p>
                <p className="badges">
                  <TlpBadge tlp={incident.data.tlp} /> <StatusBadge status={incident.data.status} />
                  <span className="muted">{incident.data.origin ? t('outages.incidentOrigin', { origin: incident.data.origin }) : ''}</span>
                </p>
              </div>
            )}
          </Section>
          <DecisionPanel event={e} canAct={canDecide(user.role)} onSaved={(saved) => res.setData({ ...e, ...saved })} />
        </div>
      </div>
    </article>
  );
}

function DecisionPanel({ event, canAct, onSaved }: { event: OutageEvent; canAct: boolean; onSaved: (e: OutageEvent) => void }) {
  const { t, date } = useI18n();
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState<'confirmed' | 'rejected' | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState(false);

  const decide = async (decision: 'confirmed' | 'rejected') => {
    setBusy(decision);
    setError(null);
    setSaved(false);
    try {
      const r = await api.post<OutageEvent>(`/api/outages/events/${encodeURIComponent(event.id)}/decision`, { decision, ...(note.trim() ? { note: note.trim() } : {}) });
      onSaved(r);
      setSaved(true);
      setNote('');
    } catch (e) {
      setError(e instanceof ApiError ? e : new ApiError(0, 'error', String(e)));
    } finally {
      setBusy(null);
    }
  };

  return (
    <Section title={t('outages.decisionTitle')}>
      <p data-testid="decision-status">
        <DecisionBadge decision={decisionOf(event)} />{' '}
        {event.decision && event.decidedBy && <span className="muted">{t('outages.decidedBy', { name: event.decidedBy, date: date(event.decidedAt, true) })}</span>}
      </p>
      {event.decisionNote && (
        <blockquote dir="auto" className="decision-note">
          {event.decisionNote}
        </blockquote>
      )}
      {saved && (
        <p className="notice notice-ok" role="status">
          {t('outages.decisionSaved')}
        </p>
      )}
      {error && <ErrorBox error={error} />}
      {canAct ? (
        <form className="decision-form" onSubmit={(ev) => ev.preventDefault()}>
          <Field label={t('outages.note')} hint={t('outages.noteHint')}>
            {(p) => <textarea {...p} name="note" rows={2} maxLength={2000} value={note} onChange={(ev) => setNote(ev.target.value)} />}
          </Field>
          <div className="form-actions">
            <button type="button" className="btn btn-primary" disabled={busy !== null || event.decision === 'confirmed'} onClick={() => void decide('confirmed')}>
              {busy === 'confirmed' ? t('common.saving') : t('outages.confirm')}
            </button>
            <button type="button" className="btn btn-danger" disabled={busy !== null || event.decision === 'rejected'} onClick={() => void decide('rejected')}>
              {busy === 'rejected' ? t('common.saving') : t('outages.reject')}
            </button>
          </div>
        </form>
      ) : (
        <p className="muted">{t('outages.decisionReadOnly')}</p>
      )}
    </Section>
  );
}
