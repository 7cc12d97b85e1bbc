/**
 * What analysts do with measurements: attach them to an incident as evidence, and open "website blocking"
 * incidents from the blocks a fingerprint confirms. Shown only to roles that may write incidents (the server checks
 * again: these forms are a convenience, not the guard).
 */
import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiError } from '../api/client.js';
import type { Incident, Page, User } from '../api/types.js';
import { Link } from '../app/router.js';
import { canWrite } from '../auth/auth.js';
import { useI18n } from '../i18n/index.js';
import { ErrorBox, Field } from '../ui/components.js';
import { useFormState } from '../ui/form.js';
import { choicesOf, CountryField, SelectField } from '../ui/fields.js';
import { useDebounced } from '../ui/useApi.js';
import { useMeasureI18n } from './i18n.js';
import { normaliseDomain } from './logic.js';
import type { AttachResult, OpenedIncident } from './types.js';

/** Attaching needs incidents:write (admins, analysts, responders). */
export const canAttach = (user: User) => canWrite(user);
/** Opening incidents from measurements needs measure:write too (admins and analysts). */
export const canOpenIncidents = (user: User) => user.role === 'admin' || user.role === 'analyst';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Finds incidents by words of their title (or by ID) and lets the analyst pick one. */
function IncidentPicker({ chosen, onChoose }: { chosen: Incident | null; onChoose: (i: Incident | null) => void }) {
  const { country, date, label } = useI18n();
  const { mt } = useMeasureI18n();
  const [text, setText] = useState('');
  const q = useDebounced(text.trim(), 300);
  const [found, setFound] = useState<Incident[] | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!q) {
      setFound(null);
      return;
    }
    const ctrl = new AbortController();
    setError(null);
    const load = UUID.test(q)
      ? api.get<Incident>(`/api/incidents/${encodeURIComponent(q)}`, undefined, ctrl.signal).then((i) => [i])
      : api.get<Page<Incident>>('/api/incidents', { q, pageSize: 8 }, ctrl.signal).then((p) => p.items);
    load
      .then((items) => !ctrl.signal.aborted && setFound(items))
      .catch((e: unknown) => {
        if (ctrl.signal.aborted) return;
        if (e instanceof ApiError && e.status === 404) setFound([]);
        else setError(message(e));
      });
    return () => ctrl.abort();
  }, [q]);

  return (
    <div className="m-picker">
      <Field label={mt('measure.attach.search')} hint={mt('measure.attach.searchHint')}>
        {(p) => <input {...p} type="search" name="incidentSearch" autoComplete="off" value={text} onChange={(e) => setText(e.target.value)} />}
      </Field>
      {error && <ErrorBox error={error} />}
      {found && found.length === 0 && <p className="muted">{mt('measure.attach.none')}</p>}
      {found && found.length > 0 && (
        <fieldset className="m-choices">
          <legend>{mt('measure.attach.results')}</legend>
          {found.map((i) => (
            <label key={i.id} className="m-choice">
              <input type="radio" name="incident" value={i.id} checked={chosen?.id === i.id} onChange={() => onChoose(i)} />
              <span>
                <span className="m-choice-title" dir="auto">
                  {i.title}
                </span>
                <span className="cell-sub muted">
                  {country(i.country)} · {label('type', i.type)} · {date(i.startAt)}
                </span>
              </span>
            </label>
          ))}
        </fieldset>
      )}
    </div>
  );
}

/** Attaches the given measurements to an incident the analyst picks. */
export function AttachToIncident({ ids, onAttached }: { ids: string[]; onAttached?: () => void }) {
  const { num } = useI18n();
  const { mt, mtn } = useMeasureI18n();
  const [chosen, setChosen] = useState<Incident | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [result, setResult] = useState<{ incident: Incident; r: AttachResult } | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFailure(null);
    setResult(null);
    if (!ids.length) return setProblem(mt('measure.attach.needSelection'));
    if (!chosen) return setProblem(mt('measure.attach.needIncident'));
    setProblem(null);
    setBusy(true);
    try {
      const r = await api.post<AttachResult>(`/api/measure/incidents/${encodeURIComponent(chosen.id)}/evidence`, { measurementIds: ids });
      setResult({ incident: chosen, r });
      onAttached?.();
    } catch (err) {
      setFailure(message(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="m-action" onSubmit={submit} noValidate aria-label={mt('measure.attach.title')} data-testid="attach-form">
      <h3>{mt('measure.attach.title')}</h3>
      <p className="hint muted">{mt('measure.attach.hint')}</p>
      <IncidentPicker chosen={chosen} onChoose={setChosen} />
      {chosen && (
        <p className="m-chosen" dir="auto">
          {mt('measure.attach.chosen', { title: chosen.title })}
        </p>
      )}
      {problem && (
        <p className="field-error" role="alert">
          {problem}
        </p>
      )}
      {failure && <ErrorBox error={failure} />}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? mt('measure.working') : mtn('measure.attach.button', ids.length, { count: num(ids.length) })}
        </button>
      </div>
      {result && (
        <div className="notice notice-ok" role="status" data-testid="attach-result">
          <p>
            {mt('measure.attach.done', { attached: num(result.r.attached), title: result.incident.title, already: num(result.r.already) })}{' '}
            <Link to={`/incidents/${encodeURIComponent(result.incident.id)}`}>{mt('measure.attach.open')}</Link>
          </p>
          {result.r.missing.length > 0 && <p>{mt('measure.attach.missing', { ids: result.r.missing.join(', ') })}</p>}
        </div>
      )}
    </form>
  );
}

const TLPS = ['TLP:CLEAR', 'TLP:GREEN', 'TLP:AMBER', 'TLP:AMBER+STRICT'] as const;

/** Opens (or reuses) one draft website-blocking incident per domain with confirmed blocks in a country. */
export function OpenIncidents({ defaults, onOpened }: { defaults: { country?: string | undefined; domain?: string | undefined; from?: string | undefined; to?: string | undefined }; onOpened?: () => void }) {
  const { t, num } = useI18n();
  const { mt, mtn } = useMeasureI18n();
  const [cc, setCc] = useState(defaults.country ?? '');
  const [domain, setDomain] = useState(defaults.domain ?? '');
  const [from, setFrom] = useState(defaults.from ?? '');
  const [to, setTo] = useState(defaults.to ?? '');
  const [tlp, setTlp] = useState<(typeof TLPS)[number]>('TLP:AMBER');
  const { errors, setErrors, failure, setFailure, busy, save } = useFormState();
  const [result, setResult] = useState<OpenedIncident[] | null>(null);
  // Follow the page's filters until the analyst edits the form.
  useEffect(() => setCc(defaults.country ?? ''), [defaults.country]);
  useEffect(() => setDomain(defaults.domain ?? ''), [defaults.domain]);
  useEffect(() => setFrom(defaults.from ?? ''), [defaults.from]);
  useEffect(() => setTo(defaults.to ?? ''), [defaults.to]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFailure(null);
    setResult(null);
    const errs: Record<string, string> = {};
    if (!cc) errs.country = mt('measure.open.needCountry');
    const d = domain.trim() ? normaliseDomain(domain) : null;
    if (domain.trim() && !d) errs.domain = mt('measure.domainInvalid');
    if (from && to && from > to) errs.to = `${t('common.to')} < ${t('common.from')}`;
    setErrors(errs);
    if (Object.keys(errs).length) return;
    await save(async () => {
      const r = await api.post<{ items: OpenedIncident[] }>('/api/measure/open-incidents', {
        country: cc,
        tlp,
        ...(d ? { domain: d } : {}),
        ...(from ? { from } : {}),
        ...(to ? { to } : {}),
      });
      setResult(r.items);
      onOpened?.();
    });
  };

  const created = result?.filter((r) => r.created).length ?? 0;
  return (
    <form className="m-action" onSubmit={submit} noValidate aria-label={mt('measure.open.title')} data-testid="open-form">
      <h3>{mt('measure.open.title')}</h3>
      <p className="hint muted">{mt('measure.open.hint')}</p>
      <div className="form-grid">
        <CountryField label={t('common.country')} error={errors.country} required name="openCountry" value={cc} onChange={setCc} empty="—" />
        <Field label={mt('measure.domain')} hint={t('common.optional')} error={errors.domain}>
          {(p) => <input {...p} name="openDomain" value={domain} onChange={(e) => setDomain(e.target.value)} dir="ltr" />}
        </Field>
        <Field label={t('common.from')} error={errors.from}>
          {(p) => <input {...p} type="date" name="openFrom" value={from} onChange={(e) => setFrom(e.target.value)} />}
        </Field>
        <Field label={t('common.to')} error={errors.to}>
          {(p) => <input {...p} type="date" name="openTo" value={to} onChange={(e) => setTo(e.target.value)} />}
        </Field>
        <SelectField label={t('common.tlp')} error={errors.tlp} name="openTlp" value={tlp} onChange={(v) => setTlp(v as (typeof TLPS)[number])} choices={choicesOf(TLPS)} />
      </div>
      {failure && <ErrorBox error={failure} />}
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {busy ? mt('measure.working') : mt('measure.open.button')}
        </button>
      </div>
      {result && (
        <div className="notice notice-ok" role="status" data-testid="open-result">
          {result.length === 0 ? (
            <p>{mt('measure.open.none')}</p>
          ) : (
            <>
              <p>{mt('measure.open.summary', { created: num(created), reused: num(result.length - created) })}</p>
              <ul className="plain-list">
                {result.map((r) => (
                  <li key={r.domain} data-domain={r.domain}>
                    <Link to={`/incidents/${encodeURIComponent(r.incidentId)}`}>
                      <bdi>{r.domain}</bdi>
                    </Link>{' '}
                    <span className={`m-pill${r.created ? ' m-pill-new' : ''}`}>{r.created ? mt('measure.open.created') : mt('measure.open.reused')}</span>{' '}
                    <span className="muted">{mtn('measure.open.row', r.measurements, { count: num(r.measurements) })}</span>
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      )}
    </form>
  );
}
