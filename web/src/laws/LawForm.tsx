import { useState, type FormEvent } from 'react';
import { api, ApiError } from '../api/client.js';
import type { Law } from '../api/types.js';
import { Link, navigate } from '../app/router.js';
import { useSession } from '../auth/auth.js';
import { useI18n } from '../i18n/index.js';
import { ErrorBox, Field, Loading, isHttpUrl } from '../ui/components.js';
import { choicesOf, CountryField, SelectField } from '../ui/fields.js';
import { useApi } from '../ui/useApi.js';

interface Step {
  status: string;
  date: string;
  note: string;
}
interface Article {
  ref: string;
  text: string;
  concern: string;
}

export function LawEdit({ id }: { id?: string | undefined }) {
  const res = useApi<Law>(id ? `/api/laws/${encodeURIComponent(id)}` : null);
  if (id && res.error) return <ErrorBox error={res.error} onRetry={res.reload} />;
  if (id && !res.data) return <Loading />;
  return <LawForm law={res.data} key={res.data?.version ?? 'new'} />;
}

function LawForm({ law }: { law?: Law | undefined }) {
  const { t, label } = useI18n();
  const { meta } = useSession();
  const [country, setCountry] = useState(law?.country ?? '');
  const [title, setTitle] = useState(law?.title ?? '');
  const [status, setStatus] = useState(law?.status ?? meta.lawStatuses[0] ?? 'proposed');
  const [summary, setSummary] = useState(law?.summary ?? '');
  const [url, setUrl] = useState(law?.url ?? '');
  const [tlp, setTlp] = useState(law?.tlp ?? 'TLP:CLEAR');
  const [rights, setRights] = useState<string[]>(law?.rights ?? []);
  const [timeline, setTimeline] = useState<Step[]>(law?.timeline.map((s) => ({ status: s.status, date: s.date.slice(0, 10), note: s.note ?? '' })) ?? []);
  const [articles, setArticles] = useState<Article[]>(law?.articles.map((a) => ({ ref: a.ref, text: a.text, concern: a.concern ?? '' })) ?? []);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<ApiError | string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setFailure(null);
    const errs: Record<string, string> = {};
    if (!country) errs.country = t('form.err.required');
    if (title.trim().length < 3) errs.title = title.trim() ? t('form.err.titleLength') : t('form.err.required');
    if (url.trim() && !isHttpUrl(url.trim())) errs.url = t('form.err.url');
    timeline.forEach((s) => {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(s.date)) errs.timeline ??= t('form.err.date');
    });
    articles.forEach((a) => {
      if (!a.ref.trim() || !a.text.trim()) errs.articles ??= t('form.err.required');
    });
    setErrors(errs);
    if (Object.keys(errs).length) return;
    const body = {
      country,
      title: title.trim(),
      status,
      summary: summary.trim(),
      url: url.trim() || null,
      tlp,
      rights,
      timeline: timeline.map((s) => ({ status: s.status, date: s.date, ...(s.note.trim() ? { note: s.note.trim() } : {}) })),
      articles: articles.map((a) => ({ ref: a.ref.trim(), text: a.text.trim(), concern: a.concern.trim() })),
    };
    setBusy(true);
    try {
      const saved = law
        ? await api.patch<Law>(`/api/laws/${encodeURIComponent(law.id)}`, { ...body, version: law.version })
        : await api.post<Law>('/api/laws', body);
      navigate(`/laws/${encodeURIComponent(saved.id)}`);
    } catch (err) {
      if (err instanceof ApiError) {
        const fe = err.fieldErrors();
        setErrors(fe);
        setFailure(err.status === 409 ? t('common.conflict') : Object.keys(fe).length ? t('common.formErrors') : err);
      } else setFailure(String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="page">
      <div className="page-head">
        <h1>{law ? t('laws.edit') : t('laws.create')}</h1>
      </div>
      {failure && <ErrorBox error={failure} />}
      <form className="card form-grid" onSubmit={submit} noValidate>
        <CountryField label={t('common.country')} error={errors.country} required name="country" value={country} onChange={setCountry} empty={t('form.chooseCountry')} />
        <SelectField label={t('common.status')} error={errors.status} name="status" value={status} onChange={setStatus} choices={choicesOf(meta.lawStatuses, (s) => label('lawStatus', s))} />
        <Field label={t('common.title')} error={errors.title} required className="field-wide">
          {(p) => <input {...p} name="title" value={title} onChange={(e) => setTitle(e.target.value)} />}
        </Field>
        <Field label={t('common.summary')} error={errors.summary} className="field-wide">
          {(p) => <textarea {...p} name="summary" rows={3} value={summary} onChange={(e) => setSummary(e.target.value)} />}
        </Field>
        <Field label={t('laws.text')} error={errors.url}>
          {(p) => <input {...p} type="url" name="url" value={url} onChange={(e) => setUrl(e.target.value)} />}
        </Field>
        <SelectField label={t('common.tlp')} error={errors.tlp} name="tlp" value={tlp} onChange={setTlp} choices={choicesOf(meta.tlpLabels)} />
        <fieldset className="field-wide checks">
          <legend>{t('laws.rights')}</legend>
          {meta.rights.map((r) => (
            <label key={r} className="check">
              <input type="checkbox" checked={rights.includes(r)} onChange={(e) => setRights(e.target.checked ? [...rights, r] : rights.filter((x) => x !== r))} />
              {label('right', r)}
            </label>
          ))}
          {errors.rights && <p className="field-error">{errors.rights}</p>}
        </fieldset>

        <fieldset className="field-wide rows">
          <legend>{t('laws.timeline')}</legend>
          {timeline.map((s, i) => (
            <div className="row" key={i}>
              <Field label={t('common.status')}>
                {(p) => (
                  <select {...p} value={s.status} onChange={(e) => setTimeline(timeline.map((x, j) => (j === i ? { ...x, status: e.target.value } : x)))}>
                    {meta.lawStatuses.map((st) => (
                      <option key={st} value={st}>
                        {label('lawStatus', st)}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
              <Field label={t('laws.stepDate')}>
                {(p) => <input {...p} type="date" value={s.date} onChange={(e) => setTimeline(timeline.map((x, j) => (j === i ? { ...x, date: e.target.value } : x)))} />}
              </Field>
              <Field label={t('laws.stepNote')}>
                {(p) => <input {...p} value={s.note} onChange={(e) => setTimeline(timeline.map((x, j) => (j === i ? { ...x, note: e.target.value } : x)))} />}
              </Field>
              <button type="button" className="btn btn-quiet" onClick={() => setTimeline(timeline.filter((_, j) => j !== i))}>
                {t('common.remove')}
              </button>
            </div>
          ))}
          {errors.timeline && <p className="field-error" role="alert">{errors.timeline}</p>}
          <button type="button" className="btn" onClick={() => setTimeline([...timeline, { status, date: '', note: '' }])}>
            {t('laws.addStep')}
          </button>
        </fieldset>

        <fieldset className="field-wide rows">
          <legend>{t('laws.articles')}</legend>
          {articles.map((a, i) => (
            <div className="row" key={i}>
              <Field label={t('laws.articleRef')}>
                {(p) => <input {...p} value={a.ref} onChange={(e) => setArticles(articles.map((x, j) => (j === i ? { ...x, ref: e.target.value } : x)))} />}
              </Field>
              <Field label={t('laws.articleText')}>
                {(p) => <textarea {...p} rows={2} value={a.text} onChange={(e) => setArticles(articles.map((x, j) => (j === i ? { ...x, text: e.target.value } : x)))} />}
              </Field>
              <Field label={t('laws.articleConcern')}>
                {(p) => <textarea {...p} rows={2} value={a.concern} onChange={(e) => setArticles(articles.map((x, j) => (j === i ? { ...x, concern: e.target.value } : x)))} />}
              </Field>
              <button type="button" className="btn btn-quiet" onClick={() => setArticles(articles.filter((_, j) => j !== i))}>
                {t('common.remove')}
              </button>
            </div>
          ))}
          {errors.articles && <p className="field-error" role="alert">{errors.articles}</p>}
          <button type="button" className="btn" onClick={() => setArticles([...articles, { ref: '', text: '', concern: '' }])}>
            {t('laws.addArticle')}
          </button>
        </fieldset>

        <div className="form-actions field-wide">
          <button type="submit" className="btn btn-primary" disabled={busy}>
            {busy ? t('common.saving') : t('common.save')}
          </button>
          <Link to={law ? `/laws/${encodeURIComponent(law.id)}` : '/laws'} className="btn btn-quiet">
            {t('common.cancel')}
          </Link>
        </div>
      </form>
    </div>
  );
}
