import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError } from '../api/client.js';
import type { Incident, Precision } from '../api/types.js';
import { Link, navigate } from '../app/router.js';
import { useSession } from '../auth/auth.js';
import { useI18n } from '../i18n/index.js';
import { ErrorBox, Field, Loading, splitList } from '../ui/components.js';
import { choicesOf, CountryField, SelectField } from '../ui/fields.js';
import { useApi } from '../ui/useApi.js';

/** Actor roles used when the server's /api/meta does not list them. */
export const ACTOR_ROLES = ['ordered_by', 'carried_out_by', 'requested_by', 'other'];

/** The form's own state: everything as the inputs hold it (strings), converted on save. */
export interface IncidentDraft {
  type: string;
  title: string;
  country: string;
  startAt: string;
  startPrecision: Precision;
  endAt: string;
  endPrecision: Precision;
  /** Without an end date: 'unknown' (never recorded) or 'ongoing' (known to continue). */
  endState: 'ongoing' | 'unknown';
  status: string;
  severity: string;
  tlp: string;
  area: string;
  summary: string;
  description: string;
  networks: string;
  services: string;
  actors: string;
  targets: string[];
  tags: string;
}

export function toInput(iso: string | null, precision: Precision): string {
  if (!iso) return '';
  return precision === 'minute' ? iso.slice(0, 16) : iso.slice(0, 10);
}

/** The input's value as an ISO instant in UTC, or null when empty; undefined when it is not a date. */
export function fromInput(v: string, precision: Precision): string | null | undefined {
  const s = v.trim();
  if (!s) return null;
  const re = precision === 'minute' ? /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$/ : /^\d{4}-\d{2}-\d{2}$/;
  if (!re.test(s)) return undefined;
  const iso = precision === 'minute' ? `${s}:00.000Z` : `${s}T00:00:00.000Z`;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime()) || d.toISOString() !== iso) return undefined;
  return iso;
}

export function draftFrom(inc: Incident | undefined, defaults: { type: string; tlp: string; status: string }): IncidentDraft {
  return {
    type: inc?.type ?? '',
    title: inc?.title ?? '',
    country: inc?.country ?? '',
    startPrecision: inc?.startPrecision ?? 'day',
    startAt: inc ? toInput(inc.startAt, inc.startPrecision) : '',
    endPrecision: inc?.endPrecision === 'minute' ? 'minute' : 'day',
    endAt: inc ? toInput(inc.endAt, inc.endPrecision === 'minute' ? 'minute' : 'day') : '',
    endState: inc?.endState === 'ongoing' ? 'ongoing' : 'unknown',
    status: inc?.status ?? defaults.status,
    severity: inc?.severity ?? 'medium', // what the server stores when none is sent: shown, not implied
    tlp: inc?.tlp ?? defaults.tlp,
    area: inc?.area ?? '',
    summary: inc?.summary ?? '',
    description: inc?.description ?? '',
    networks: inc ? inc.networks.map((n) => [n.asn ? `AS${n.asn}` : '', n.name ?? ''].join(' ').trim()).join('\n') : '',
    services: inc ? inc.services.join(', ') : '',
    actors: inc ? inc.actors.map((a) => `${a.name} | ${a.role}`).join('\n') : '',
    targets: inc ? [...inc.targets] : [],
    tags: inc ? inc.tags.join(', ') : '',
  };
}

type Translate = ReturnType<typeof useI18n>['t'];

/** Checks the draft and builds the API body; errors are keyed by API field name. */
export function validateDraft(d: IncidentDraft, t: Translate, actorRoles: readonly string[] = ACTOR_ROLES): { body: Record<string, unknown>; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  const body: Record<string, unknown> = {};
  if (!d.type) errors.type = t('form.err.required');
  const title = d.title.trim();
  if (!title) errors.title = t('form.err.required');
  else if (title.length < 3 || title.length > 300) errors.title = t('form.err.titleLength');
  if (!d.country) errors.country = t('form.err.required');
  const start = fromInput(d.startAt, d.startPrecision);
  if (start === null) errors.startAt = t('form.err.required');
  else if (start === undefined) errors.startAt = t('form.err.date');
  const end = fromInput(d.endAt, d.endPrecision);
  if (end === undefined) errors.endAt = t('form.err.date');
  else if (end && start && Date.parse(end) < Date.parse(start)) errors.endAt = t('form.err.endBeforeStart');

  const networks: { asn?: number; name?: string }[] = [];
  d.networks.split('\n').forEach((line, i) => {
    const s = line.trim();
    if (!s) return;
    const m = /^(?:AS)?(\d{1,10})(?:\s+(.*))?$/i.exec(s);
    if (m) {
      const asn = Number(m[1]);
      if (asn > 4294967295) errors.networks ??= t('form.err.asn', { line: i + 1 });
      else networks.push({ asn, ...(m[2]?.trim() ? { name: m[2].trim() } : {}) });
    } else if (/^AS\d/i.test(s) || /^\d/.test(s)) errors.networks ??= t('form.err.asn', { line: i + 1 });
    else networks.push({ name: s });
  });
  const actors: { name: string; role: string }[] = [];
  d.actors.split('\n').forEach((line, i) => {
    const s = line.trim();
    if (!s) return;
    const [name = '', role = 'other'] = s.split('|').map((x) => x.trim());
    if (!actorRoles.includes(role)) errors.actors ??= t('form.err.actorRole', { line: i + 1, roles: actorRoles.join(', ') });
    else if (name) actors.push({ name, role });
  });

  // The API takes absent fields as "not given": leave empty optional fields out instead of sending null.
  const all: Record<string, unknown> = {
    type: d.type,
    title,
    country: d.country,
    startAt: start ?? null,
    startPrecision: d.startPrecision,
    endAt: end ?? null,
    endPrecision: end ? d.endPrecision : undefined,
    endState: end ? undefined : d.endState,
    status: d.status,
    severity: d.severity || undefined,
    tlp: d.tlp,
    area: d.area.trim() || null,
    summary: d.summary.trim(),
    description: d.description.trim(),
    networks,
    services: splitList(d.services),
    actors,
    targets: d.targets,
    tags: splitList(d.tags),
  };
  for (const [k, v] of Object.entries(all)) if (v !== undefined) body[k] = v;
  return { body, errors };
}

/** Fields of `next` that differ from `prev` (deep comparison through JSON). */
export function changedFields(prev: Record<string, unknown>, next: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(next)) if (JSON.stringify(prev[k] ?? null) !== JSON.stringify(v ?? null)) out[k] = v;
  return out;
}

export function IncidentEdit({ id }: { id?: string | undefined }) {
  const res = useApi<Incident>(id ? `/api/incidents/${encodeURIComponent(id)}` : null);
  if (id && res.error) return <ErrorBox error={res.error} onRetry={res.reload} />;
  if (id && !res.data) return <Loading />;
  return <IncidentForm incident={res.data} key={res.data?.version ?? 'new'} />;
}

function IncidentForm({ incident }: { incident?: Incident | undefined }) {
  const { t, label } = useI18n();
  const { meta } = useSession();
  const defaults = { type: '', tlp: meta.tlpLabels.includes('TLP:AMBER') ? 'TLP:AMBER' : (meta.tlpLabels[0] ?? 'TLP:CLEAR'), status: meta.statuses[0] ?? 'draft' };
  const [d, setD] = useState<IncidentDraft>(() => draftFrom(incident, defaults));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<ApiError | string | null>(null);
  const [busy, setBusy] = useState(false);
  const topRef = useRef<HTMLDivElement>(null);

  const set = <K extends keyof IncidentDraft>(k: K, v: IncidentDraft[K]) => setD((prev) => ({ ...prev, [k]: v }));

  useEffect(() => {
    if (Object.keys(errors).length || failure) topRef.current?.focus();
  }, [errors, failure]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFailure(null);
    const roles = meta.actorRoles?.length ? meta.actorRoles : ACTOR_ROLES;
    const { body, errors: errs } = validateDraft(d, t, roles);
    setErrors(errs);
    if (Object.keys(errs).length) return;
    setBusy(true);
    try {
      let saved: Incident;
      if (incident) {
        const original = validateDraft(draftFrom(incident, defaults), t, roles).body;
        const patch = changedFields(original, body);
        saved = Object.keys(patch).length
          ? await api.patch<Incident>(`/api/incidents/${encodeURIComponent(incident.id)}`, { ...patch, version: incident.version })
          : incident;
      } else {
        saved = await api.post<Incident>('/api/incidents', body);
      }
      navigate(`/incidents/${encodeURIComponent(saved.id)}`);
    } catch (err) {
      if (err instanceof ApiError) {
        const fe = err.fieldErrors();
        setErrors(fe);
        setFailure(err.status === 409 ? t('common.conflict') : Object.keys(fe).length ? t('common.formErrors') : err);
      } else setFailure(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  const dateInput = (which: 'startAt' | 'endAt') => {
    const precKey = which === 'startAt' ? 'startPrecision' : 'endPrecision';
    const prec = d[precKey];
    return (p: Record<string, unknown>) => (
      <input
        {...p}
        type={prec === 'minute' ? 'datetime-local' : 'date'}
        name={which}
        value={d[which]}
        onChange={(e) => set(which, e.target.value)}
      />
    );
  };
  const precisionSelect = (which: 'startPrecision' | 'endPrecision', dateKey: 'startAt' | 'endAt') => (p: Record<string, unknown>) => (
    <select
      {...p}
      name={which}
      value={d[which]}
      onChange={(e) => {
        const next = e.target.value === 'minute' ? 'minute' : 'day';
        const cur = d[dateKey];
        setD((prev) => ({ ...prev, [which]: next, [dateKey]: next === 'minute' ? (cur ? `${cur.slice(0, 10)}T00:00` : '') : cur.slice(0, 10) }));
      }}
    >
      {(['day', 'minute'] as const).map((x) => (
        <option key={x} value={x}>
          {label('precision', x)}
        </option>
      ))}
    </select>
  );

  return (
    <div className="page">
      <div className="page-head">
        <h1>{incident ? t('incidents.edit') : t('incidents.create')}</h1>
      </div>
      <div ref={topRef} tabIndex={-1}>
        {failure && <ErrorBox error={failure} />}
        {!failure && Object.keys(errors).length > 0 && <ErrorBox error={t('common.formErrors')} />}
      </div>
      <form className="card form-grid" onSubmit={submit} noValidate data-testid="incident-form">
        <SelectField label={t('form.type')} error={errors.type} required name="type" value={d.type} onChange={(v) => set('type', v)} empty={t('form.chooseType')} choices={choicesOf(meta.incidentTypes, (ty) => label('type', ty))} />
        <CountryField label={t('form.country')} error={errors.country} required name="country" value={d.country} onChange={(v) => set('country', v)} empty={t('form.chooseCountry')} />
        <Field label={t('form.title')} hint={t('form.titleHint')} error={errors.title} required className="field-wide">
          {(p) => <input {...p} name="title" value={d.title} maxLength={300} onChange={(e) => set('title', e.target.value)} />}
        </Field>
        <Field label={t('form.startAt')} error={errors.startAt} required>
          {dateInput('startAt')}
        </Field>
        <Field label={t('form.precision')} error={errors.startPrecision}>
          {precisionSelect('startPrecision', 'startAt')}
        </Field>
        <Field label={t('form.endAt')} hint={t('registry.endHint')} error={errors.endAt}>
          {dateInput('endAt')}
        </Field>
        {!d.endAt && (
          <SelectField
            label={t('registry.endState')}
            name="endState"
            value={d.endState}
            onChange={(v) => set('endState', v === 'ongoing' ? 'ongoing' : 'unknown')}
            choices={[{ value: 'unknown', label: t('registry.endUnknown') }, { value: 'ongoing', label: t('registry.ongoingNow') }]}
          />
        )}
        <Field label={t('form.precision')} error={errors.endPrecision}>
          {precisionSelect('endPrecision', 'endAt')}
        </Field>
        <SelectField label={t('common.status')} error={errors.status} name="status" value={d.status} onChange={(v) => set('status', v)} choices={choicesOf(meta.statuses, (s) => label('status', s))} />
        <SelectField label={t('incidents.severity')} error={errors.severity} name="severity" value={d.severity} onChange={(v) => set('severity', v)} choices={choicesOf(meta.severities, (s) => label('severity', s))} />
        <SelectField label={t('common.tlp')} error={errors.tlp} required name="tlp" value={d.tlp} onChange={(v) => set('tlp', v)} choices={choicesOf(meta.tlpLabels)} />
        <Field label={t('incidents.area')} error={errors.area}>
          {(p) => <input {...p} name="area" value={d.area} onChange={(e) => set('area', e.target.value)} />}
        </Field>
        <Field label={t('common.summary')} error={errors.summary} className="field-wide">
          {(p) => <textarea {...p} name="summary" rows={2} value={d.summary} onChange={(e) => set('summary', e.target.value)} />}
        </Field>
        <Field label={t('incidents.description')} error={errors.description} className="field-wide">
          {(p) => <textarea {...p} name="description" rows={5} value={d.description} onChange={(e) => set('description', e.target.value)} />}
        </Field>
        <Field label={t('incidents.networks')} hint={t('form.networksHint')} error={errors.networks}>
          {(p) => <textarea {...p} name="networks" rows={3} value={d.networks} onChange={(e) => set('networks', e.target.value)} />}
        </Field>
        <Field label={t('incidents.actors')} hint={t('form.actorsHint')} error={errors.actors}>
          {(p) => <textarea {...p} name="actors" rows={3} value={d.actors} onChange={(e) => set('actors', e.target.value)} />}
        </Field>
        <Field label={t('incidents.services')} hint={t('form.servicesHint')} error={errors.services}>
          {(p) => <input {...p} name="services" value={d.services} onChange={(e) => set('services', e.target.value)} />}
        </Field>
        <Field label={t('incidents.tags')} hint={t('form.tagsHint')} error={errors.tags}>
          {(p) => <input {...p} name="tags" value={d.tags} onChange={(e) => set('tags', e.target.value)} />}
        </Field>
        <fieldset className="field-wide checks" aria-describedby={errors.targets ? 'targets-err' : undefined}>
          <legend>{t('incidents.targets')}</legend>
          {meta.targetKinds.map((k) => (
            <label key={k} className="check">
              <input
                type="checkbox"
                name="targets"
                value={k}
                checked={d.targets.includes(k)}
                onChange={(e) => set('targets', e.target.checked ? [...d.targets, k] : d.targets.filter((x) => x !== k))}
              />
              {label('target', k)}
            </label>
          ))}
          {errors.targets && (
            <p className="field-error" id="targets-err" role="alert">
              {errors.targets}
            </p>
          )}
        </fieldset>
        <div className="form-actions field-wide">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? t('common.saving') : t('common.save')}
          </button>
          <Link to={incident ? `/incidents/${encodeURIComponent(incident.id)}` : '/incidents'} className="btn btn-quiet">
            {t('common.cancel')}
          </Link>
        </div>
      </form>
    </div>
  );
}
