/**
 * Live sources in the console (issue #8 point 6): the URLs that the server polls for connectivity signals, with
 * their last poll, "poll now", pause/resume, edit and remove; the admin sets the secrets (an Authorization header,
 * a webhook target), which are never shown again. See src/outages/sources.ts and docs/ops.md.
 */
import { useState, type FormEvent } from 'react';
import { api, request } from '../api/client.js';
import { useSession } from '../auth/auth.js';
import { useI18n } from '../i18n/index.js';
import { CountryField, SelectField } from '../ui/fields.js';
import { ErrorBox, Field } from '../ui/components.js';
import { useApi } from '../ui/useApi.js';

export interface PollRecord {
  id: number;
  startedAt: string;
  finishedAt: string;
  ok: boolean;
  trigger: 'schedule' | 'manual';
  httpStatus: number | null;
  bytes: number | null;
  pointsFetched: number;
  newPoints: number;
  opened: number;
  closed: number;
  error: string | null;
}

export interface LiveSource {
  id: string;
  name: string;
  url: string;
  format: string | null;
  country: string | null;
  entity: string | null;
  signal: string | null;
  intervalMinutes: number;
  detector: Record<string, unknown> | null;
  enabled: boolean;
  hasAuthorization: boolean;
  webhookHost: string | null;
  nextPollAt: string | null;
  lastPoll: PollRecord | null;
}

const FORMATS = ['ioda', 'radar', 'monash', 'csv'];

function PollOutcome({ p }: { p: PollRecord | null }) {
  const { t, num, date } = useI18n();
  if (!p) return <span className="hint">{t('ops.src.neverPolled')}</span>;
  return (
    <span className="src-poll" data-ok={p.ok ? 'yes' : 'no'}>
      <strong>{p.ok ? t('ops.src.ok') : t('ops.src.error')}</strong> {date(p.finishedAt, true)}
      {p.ok ? ` — ${t('ops.src.counts', { points: num(p.pointsFetched), fresh: num(p.newPoints), opened: num(p.opened), closed: num(p.closed) })}` : ` — ${p.error ?? ''}`}
    </span>
  );
}

function SourceForm({ initial, onDone }: { initial: LiveSource | null; onDone: () => void }) {
  const { t } = useI18n();
  const [name, setName] = useState(initial?.name ?? '');
  const [url, setUrl] = useState(initial?.url ?? '');
  const [format, setFormat] = useState(initial?.format ?? '');
  const [country, setCountry] = useState(initial?.country ?? '');
  const [entity, setEntity] = useState(initial?.entity ?? '');
  const [signal, setSignal] = useState(initial?.signal ?? '');
  const [interval, setInterval] = useState(String(initial?.intervalMinutes ?? 15));
  const [detector, setDetector] = useState(initial?.detector ? JSON.stringify(initial.detector, null, 2) : '');
  const [error, setError] = useState<Error | string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    let det: unknown = null;
    if (detector.trim()) {
      try {
        det = JSON.parse(detector);
      } catch {
        return setError(t('ops.src.detectorJson'));
      }
    }
    const body = { name, url, format: format || null, country: country || null, entity: entity || null, signal: signal || null, intervalMinutes: Number(interval), detector: det };
    try {
      if (initial) await api.patch(`/api/outages/sources/${initial.id}`, body);
      else await api.post('/api/outages/sources', body);
      onDone();
    } catch (err) {
      setError(err as Error);
    }
  };
  return (
    <form className="card ops-form" onSubmit={(e) => void submit(e)} aria-label={initial ? t('ops.src.edit') : t('ops.src.add')}>
      <Field label={t('ops.src.name')} required>{(p) => <input {...p} name="name" value={name} maxLength={100} onChange={(e) => setName(e.target.value)} />}</Field>
      <Field label={t('ops.src.url')} required hint={t('ops.src.urlHint')}>{(p) => <input {...p} name="url" type="url" value={url} onChange={(e) => setUrl(e.target.value)} />}</Field>
      <SelectField label={t('ops.format')} name="format" value={format} onChange={setFormat} empty={t('ops.formatAuto')} choices={FORMATS.map((f) => ({ value: f, label: f }))} />
      <CountryField label={t('common.country')} name="country" value={country} onChange={setCountry} empty={t('ops.formatAuto')} />
      <Field label={t('ops.src.entity')} hint={t('ops.src.entityHint')}>{(p) => <input {...p} name="entity" value={entity} onChange={(e) => setEntity(e.target.value)} />}</Field>
      <Field label={t('ops.src.signal')}>{(p) => <input {...p} name="signal" value={signal} onChange={(e) => setSignal(e.target.value)} />}</Field>
      <Field label={t('ops.src.interval')} required hint={t('ops.src.intervalHint')}>
        {(p) => <input {...p} name="intervalMinutes" type="number" min={5} max={1440} value={interval} onChange={(e) => setInterval(e.target.value)} />}
      </Field>
      <Field label={t('ops.src.detector')} hint={t('ops.src.detectorHint')}>{(p) => <textarea {...p} name="detector" rows={3} value={detector} onChange={(e) => setDetector(e.target.value)} />}</Field>
      <div className="form-actions">
        <button type="submit" className="btn btn-primary">{initial ? t('ops.src.save') : t('ops.src.add')}</button>
        {initial && <button type="button" className="btn" onClick={onDone}>{t('ops.src.cancel')}</button>}
      </div>
      {error && <ErrorBox error={error} />}
    </form>
  );
}

function SecretsForm({ src, onDone }: { src: LiveSource; onDone: () => void }) {
  const { t } = useI18n();
  const [authorization, setAuthorization] = useState('');
  const [webhook, setWebhook] = useState('');
  const [error, setError] = useState<Error | null>(null);
  const send = async (body: Record<string, string | null>) => {
    setError(null);
    try {
      await request('PUT', `/api/outages/sources/${src.id}/secrets`, body);
      setAuthorization('');
      setWebhook('');
      onDone();
    } catch (err) {
      setError(err as Error);
    }
  };
  return (
    <form className="ops-form" onSubmit={(e) => { e.preventDefault(); void send({ ...(authorization ? { authorization } : {}), ...(webhook ? { webhook } : {}) }); }} aria-label={t('ops.src.secrets')}>
      <p className="hint">{t('ops.src.secretsHint')}</p>
      <Field label={t('ops.src.authorization')} hint={src.hasAuthorization ? t('ops.src.isSet') : t('ops.src.notSet')}>
        {(p) => <input {...p} name="authorization" type="password" autoComplete="off" value={authorization} onChange={(e) => setAuthorization(e.target.value)} />}
      </Field>
      <Field label={t('ops.src.webhook')} hint={src.webhookHost ? `${t('ops.src.isSet')} (${src.webhookHost})` : t('ops.src.notSet')}>
        {(p) => <input {...p} name="webhook" type="url" autoComplete="off" value={webhook} onChange={(e) => setWebhook(e.target.value)} />}
      </Field>
      <div className="form-actions">
        <button type="submit" className="btn" disabled={!authorization && !webhook}>{t('ops.src.setSecrets')}</button>
        {(src.hasAuthorization || src.webhookHost) && (
          <button type="button" className="btn" onClick={() => void send({ authorization: null, webhook: null })}>{t('ops.src.clearSecrets')}</button>
        )}
      </div>
      {error && <ErrorBox error={error} />}
    </form>
  );
}

function PollLog({ id }: { id: string }) {
  const { t, num, date } = useI18n();
  const polls = useApi<{ items: PollRecord[] }>(`/api/outages/sources/${id}/polls`);
  if (!polls.data) return null;
  return (
    <table className="ops-recent src-log">
      <caption>{t('ops.src.log')}</caption>
      <thead>
        <tr>
          <th scope="col">{t('ops.when')}</th>
          <th scope="col">{t('ops.state')}</th>
          <th scope="col">{t('ops.src.points')}</th>
          <th scope="col">{t('ops.src.events')}</th>
          <th scope="col">{t('ops.src.trigger')}</th>
        </tr>
      </thead>
      <tbody>
        {polls.data.items.map((p) => (
          <tr key={p.id}>
            <td>{date(p.finishedAt, true)}</td>
            <td>{p.ok ? t('ops.src.ok') : `${t('ops.src.error')}: ${p.error ?? ''}`}</td>
            <td>{`${num(p.pointsFetched)} (${num(p.newPoints)} ${t('ops.src.new')})`}</td>
            <td>{`+${num(p.opened)} / −${num(p.closed)}`}</td>
            <td>{p.trigger === 'manual' ? t('ops.src.manual') : t('ops.src.scheduled')}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function SourceRow({ src, onChange }: { src: LiveSource; onChange: () => void }) {
  const { t } = useI18n();
  const { user } = useSession();
  const [mode, setMode] = useState<'none' | 'edit' | 'log' | 'secrets'>('none');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [logKey, setLogKey] = useState(0);
  const act = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setError(null);
    try {
      await fn();
      setLogKey((k) => k + 1);
      onChange();
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <li className="src-item card" data-source={src.name}>
      <div className="src-head">
        <h3>{src.name}</h3>
        <span className={src.enabled ? 'badge' : 'badge badge-muted'}>{src.enabled ? t('ops.src.enabled') : t('ops.src.paused')}</span>
      </div>
      <p className="src-url"><code>{src.url}</code></p>
      <p className="hint">
        {[src.format ?? t('ops.formatAuto'), src.country, src.entity, src.signal].filter(Boolean).join(' · ')} — {t('ops.src.every', { n: src.intervalMinutes })}
        {src.hasAuthorization ? ` · ${t('ops.src.authSet')}` : ''}{src.webhookHost ? ` · ${t('ops.src.webhookTo', { host: src.webhookHost })}` : ''}
      </p>
      <p aria-live="polite"><PollOutcome p={src.lastPoll} /></p>
      <div className="form-actions">
        <button type="button" className="btn btn-primary" disabled={busy} onClick={() => void act(() => api.post(`/api/outages/sources/${src.id}/poll`))}>
          {busy ? t('ops.src.polling') : t('ops.src.pollNow')}
        </button>
        <button type="button" className="btn" disabled={busy} onClick={() => void act(() => api.patch(`/api/outages/sources/${src.id}`, { enabled: !src.enabled }))}>
          {src.enabled ? t('ops.src.pause') : t('ops.src.resume')}
        </button>
        <button type="button" className="btn" aria-expanded={mode === 'edit'} onClick={() => setMode(mode === 'edit' ? 'none' : 'edit')}>{t('ops.src.edit')}</button>
        <button type="button" className="btn" aria-expanded={mode === 'log'} onClick={() => setMode(mode === 'log' ? 'none' : 'log')}>{t('ops.src.log')}</button>
        {user.role === 'admin' && (
          <button type="button" className="btn" aria-expanded={mode === 'secrets'} onClick={() => setMode(mode === 'secrets' ? 'none' : 'secrets')}>{t('ops.src.secrets')}</button>
        )}
        <button type="button" className="btn btn-danger" disabled={busy} onClick={() => { if (window.confirm(t('ops.src.confirmRemove', { name: src.name }))) void act(() => api.del(`/api/outages/sources/${src.id}`)); }}>
          {t('ops.src.remove')}
        </button>
      </div>
      {error && <ErrorBox error={error} />}
      {mode === 'edit' && <SourceForm initial={src} onDone={() => { setMode('none'); onChange(); }} />}
      {mode === 'log' && <PollLog id={src.id} key={logKey} />}
      {mode === 'secrets' && <SecretsForm src={src} onDone={onChange} />}
    </li>
  );
}

export function SourcesPanel() {
  const { t } = useI18n();
  const sources = useApi<{ items: LiveSource[] }>('/api/outages/sources');
  const [adding, setAdding] = useState(false);
  return (
    <div className="src-panel">
      <p>{t('ops.src.intro')}</p>
      {sources.error && <ErrorBox error={sources.error} onRetry={sources.reload} />}
      {sources.data && sources.data.items.length === 0 && <p className="hint">{t('ops.src.none')}</p>}
      {sources.data && sources.data.items.length > 0 && (
        <ul className="src-list">
          {sources.data.items.map((s) => <SourceRow key={s.id} src={s} onChange={sources.reload} />)}
        </ul>
      )}
      {adding ? (
        <SourceForm initial={null} onDone={() => { setAdding(false); sources.reload(); }} />
      ) : (
        <button type="button" className="btn" onClick={() => setAdding(true)}>{t('ops.src.add')}</button>
      )}
    </div>
  );
}
