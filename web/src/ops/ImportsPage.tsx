/**
 * Import and link from the console, while the server runs: upload a STOP workbook, an IODA outages CSV, OONI
 * measurements (JSONL) or a connectivity-signal file; watch the upload and the import progress; read the summary.
 * Run outage linking on stored signals. Jobs run inside the server (see src/ops/jobs.ts).
 */
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { api, ApiError, getCsrfToken } from '../api/client.js';
import { useSession } from '../auth/auth.js';
import { useI18n, type MessageKey } from '../i18n/index.js';
import { CountryField, SelectField } from '../ui/fields.js';
import { ErrorBox, Field, Section } from '../ui/components.js';
import { useApi } from '../ui/useApi.js';
import { SourcesPanel } from './SourcesPanel.js';

export interface Job {
  id: string;
  kind: string;
  state: 'uploading' | 'queued' | 'running' | 'done' | 'failed' | 'interrupted';
  fileName: string | null;
  size: number | null;
  received: number;
  phase: string;
  done: number;
  total: number;
  summary: Record<string, unknown> | null;
  notes: { code: string; count: number; example: string }[];
  error: string | null;
  createdBy: string;
  createdAt: string;
  finishedAt: string | null;
}

const KINDS = ['import-stop', 'import-ioda', 'import-ooni', 'import-signal'] as const;
const ACCEPT: Record<(typeof KINDS)[number], string> = {
  'import-stop': '.xlsx',
  'import-ioda': '.csv',
  'import-ooni': '.jsonl,.json,.txt',
  'import-signal': '.csv,.json,.txt',
};
const CHUNK = 512 * 1024;

/** Sends the file in chunks; reports bytes sent. */
async function uploadFile(jobId: string, file: File, onSent: (n: number) => void): Promise<void> {
  for (let off = 0; off < file.size; off += CHUNK) {
    const body = await file.slice(off, off + CHUNK).arrayBuffer();
    const res = await fetch(`/api/jobs/${jobId}/data?offset=${off}`, {
      method: 'PUT',
      credentials: 'same-origin',
      headers: { 'Content-Type': 'application/octet-stream', Accept: 'application/json', 'X-CSRF-Token': getCsrfToken() ?? '' },
      body,
    });
    if (!res.ok) {
      const e = ((await res.json().catch(() => null)) as { error?: { code?: string; message?: string } } | null)?.error;
      throw new ApiError(res.status, e?.code ?? 'error', e?.message ?? res.statusText);
    }
    onSent(Math.min(file.size, off + CHUNK));
  }
}

/** Polls a job until it is done or failed. */
function useJob(id: string | null, onEnd?: () => void): Job | null {
  const [job, setJob] = useState<Job | null>(null);
  const endRef = useRef(onEnd);
  endRef.current = onEnd;
  useEffect(() => {
    if (!id) return;
    let stop = false;
    const tick = async () => {
      try {
        const j = await api.get<Job>(`/api/jobs/${id}`);
        if (stop) return;
        setJob(j);
        if (j.state === 'done' || j.state === 'failed') return endRef.current?.();
      } catch {
        /* a missed poll: try again */
      }
      if (!stop) window.setTimeout(() => void tick(), 400);
    };
    void tick();
    return () => {
      stop = true;
    };
  }, [id]);
  return job;
}

export function JobStatus({ job, sent }: { job: Job | null; sent?: { n: number; of: number } | null }) {
  const { t, num } = useI18n();
  if (!job && !sent) return null;
  const uploading = !job || job.state === 'uploading';
  const value = uploading ? (sent?.n ?? 0) : job.done;
  const max = uploading ? (sent?.of ?? 0) : job.total;
  const pct = max > 0 ? Math.round((100 * value) / max) : null;
  const phase = uploading ? t('ops.phase.uploading') : job.state === 'done' ? t('ops.phase.done') : job.state === 'failed' ? t('ops.phase.failed') : job.phase;
  return (
    <div className="ops-job" data-state={job?.state ?? 'uploading'}>
      <p role="status" aria-live="polite">
        <strong>{phase}</strong>
        {max > 0 && ` — ${num(value)} / ${num(max)}${pct !== null ? ` (${pct}%)` : ''}`}
      </p>
      {job?.state !== 'done' && job?.state !== 'failed' && (
        <progress max={max > 0 ? max : undefined} value={max > 0 ? value : undefined} aria-label={t('ops.progress')} />
      )}
      {job?.error && <ErrorBox error={job.error} />}
      {job?.summary && (
        <table className="ops-summary">
          <caption>{t('ops.summary')}</caption>
          <tbody>
            {Object.entries(job.summary)
              .filter(([, v]) => typeof v === 'number' || typeof v === 'string')
              .map(([k, v]) => (
                <tr key={k}>
                  <th scope="row">{k}</th>
                  <td>{typeof v === 'number' ? num(v) : String(v)}</td>
                </tr>
              ))}
          </tbody>
        </table>
      )}
      {job && job.notes.length > 0 && (
        <table className="ops-notes">
          <caption>{t('ops.notes')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('ops.noteCode')}</th>
              <th scope="col">{t('ops.noteCount')}</th>
              <th scope="col">{t('ops.noteExample')}</th>
            </tr>
          </thead>
          <tbody>
            {job.notes.map((n) => (
              <tr key={n.code}>
                <td>{n.code}</td>
                <td>{num(n.count)}</td>
                <td>{n.example}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function ImportForm({ onEnd }: { onEnd: () => void }) {
  const { t } = useI18n();
  const [kind, setKind] = useState<(typeof KINDS)[number]>('import-stop');
  const [format, setFormat] = useState('');
  const [country, setCountry] = useState('');
  const [file, setFile] = useState<File | null>(null);
  const [jobId, setJobId] = useState<string | null>(null);
  const [sent, setSent] = useState<{ n: number; of: number } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const job = useJob(jobId, useCallback(() => {
    setBusy(false);
    onEnd();
  }, [onEnd]));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!file) return setError(t('ops.chooseFile'));
    setError(null);
    setBusy(true);
    setJobId(null);
    setSent({ n: 0, of: file.size });
    try {
      const created = await api.post<Job>('/api/jobs', {
        kind, fileName: file.name, size: file.size, ...(kind === 'import-signal' && format ? { format } : {}), ...(kind === 'import-signal' && country ? { country } : {}),
      });
      await uploadFile(created.id, file, (n) => setSent({ n, of: file.size }));
      await api.post<Job>(`/api/jobs/${created.id}/start`);
      setJobId(created.id);
    } catch (err) {
      setBusy(false);
      setError(err instanceof Error ? err.message : String(err));
    }
  };

  return (
    <form className="card ops-form" onSubmit={(e) => void submit(e)} aria-label={t('ops.importTitle')}>
      <SelectField
        label={t('ops.kind')}
        name="kind"
        value={kind}
        onChange={(v) => setKind(v as (typeof KINDS)[number])}
        choices={KINDS.map((k) => ({ value: k, label: t(`ops.kind.${k}` as MessageKey) }))}
        hint={t(`ops.kindHint.${kind}` as MessageKey)}
      />
      {kind === 'import-signal' && (
        <>
          <SelectField label={t('ops.format')} name="format" value={format} onChange={setFormat} empty={t('ops.formatAuto')} choices={['ioda', 'radar', 'monash', 'csv'].map((f) => ({ value: f, label: f }))} />
          <CountryField label={t('common.country')} name="country" value={country} onChange={setCountry} empty={t('ops.formatAuto')} />
        </>
      )}
      <Field label={t('ops.file')} required>
        {(p) => <input {...p} type="file" name="file" accept={ACCEPT[kind]} onChange={(e) => setFile(e.target.files?.[0] ?? null)} />}
      </Field>
      <div className="form-actions">
        <button type="submit" className="btn btn-primary" disabled={busy}>
          {t('ops.upload')}
        </button>
      </div>
      {error && <ErrorBox error={error} />}
      <JobStatus job={job} sent={sent} />
    </form>
  );
}

function LinkForm({ onEnd }: { onEnd: () => void }) {
  const { t } = useI18n();
  const [country, setCountry] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [jobId, setJobId] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const job = useJob(jobId, onEnd);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const j = await api.post<Job>('/api/jobs', { kind: 'outages-link', ...(country ? { country } : {}), ...(from ? { from } : {}), ...(to ? { to } : {}) });
      setJobId(j.id);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <form className="card ops-form" onSubmit={(e) => void submit(e)} aria-label={t('ops.linkTitle')}>
      <p className="hint">{t('ops.linkHint')}</p>
      <CountryField label={t('common.country')} name="country" value={country} onChange={setCountry} empty={t('common.all')} />
      <Field label={t('common.from')}>{(p) => <input {...p} type="date" name="from" value={from} onChange={(e) => setFrom(e.target.value)} />}</Field>
      <Field label={t('common.to')}>{(p) => <input {...p} type="date" name="to" value={to} onChange={(e) => setTo(e.target.value)} />}</Field>
      <div className="form-actions">
        <button type="submit" className="btn">
          {t('ops.link')}
        </button>
      </div>
      {error && <ErrorBox error={error} />}
      <JobStatus job={job} />
    </form>
  );
}

export function ImportsPage() {
  const { t, date } = useI18n();
  const { user } = useSession();
  const jobs = useApi<{ items: Job[] }>('/api/jobs');
  const may = user.role === 'admin' || user.role === 'analyst';
  if (!may) return <p className="notice">{t('app.forbidden')}</p>;
  return (
    <div className="page">
      <div className="page-head">
        <h1>{t('ops.title')}</h1>
      </div>
      <p>{t('ops.intro')}</p>
      <Section title={t('ops.importTitle')}>
        <ImportForm onEnd={jobs.reload} />
      </Section>
      <Section title={t('ops.linkTitle')}>
        <LinkForm onEnd={jobs.reload} />
      </Section>
      <Section title={t('ops.src.title')} id="sources">
        <SourcesPanel />
      </Section>
      <Section title={t('ops.recent')}>
        {jobs.data && jobs.data.items.length > 0 ? (
          <table className="ops-recent">
            <thead>
              <tr>
                <th scope="col">{t('ops.when')}</th>
                <th scope="col">{t('ops.kind')}</th>
                <th scope="col">{t('ops.file')}</th>
                <th scope="col">{t('ops.state')}</th>
                <th scope="col">{t('ops.by')}</th>
              </tr>
            </thead>
            <tbody>
              {jobs.data.items.map((j) => (
                <tr key={j.id}>
                  <td>{date(j.createdAt, true)}</td>
                  <td>{t(`ops.kind.${j.kind}` as MessageKey)}</td>
                  <td>{j.fileName ?? '—'}</td>
                  <td>{j.state === 'failed' ? `${t('ops.phase.failed')}: ${j.error ?? ''}` : j.state === 'interrupted' ? `${t('ops.phase.interrupted')}: ${j.error ?? ''}` : j.state === 'done' ? t('ops.phase.done') : j.phase}</td>
                  <td>{j.createdBy}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : (
          <p className="hint">{t('ops.noJobsYet')}</p>
        )}
      </Section>
    </div>
  );
}
