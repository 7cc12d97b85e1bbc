import { useState, type FormEvent } from 'react';
import { api } from '../api/client.js';
import { useI18n } from '../i18n/index.js';
import { ErrorBox, Field } from '../ui/components.js';

const MAX_BYTES = 512 * 1024;

function toBase64(file: File): Promise<string> {
  return new Promise((res, rej) => {
    const r = new FileReader();
    r.onload = () => res(String(r.result).replace(/^data:[^,]*,/, ''));
    r.onerror = () => rej(r.error ?? new Error('The file could not be read.'));
    r.readAsDataURL(file);
  });
}

/** Uploads a document to an incident (POST /api/incidents/{id}/documents: stored with its SHA-256). */
export function DocumentUpload({ incidentId, onAdded }: { incidentId: string; onAdded: () => void }) {
  const { t } = useI18n();
  const [file, setFile] = useState<File | null>(null);
  const [title, setTitle] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [done, setDone] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setDone(false);
    if (!file) return setError(t('ops.chooseFile'));
    if (file.size > MAX_BYTES) return setError(t('ops.doc.tooBig'));
    setError(null);
    setBusy(true);
    try {
      await api.post(`/api/incidents/${encodeURIComponent(incidentId)}/documents`, {
        fileName: file.name, contentType: file.type || 'application/octet-stream', contentBase64: await toBase64(file), ...(title.trim() ? { title: title.trim() } : {}),
      });
      setDone(true);
      setFile(null);
      setTitle('');
      (e.target as HTMLFormElement).reset();
      onAdded();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="doc-upload" onSubmit={(e) => void submit(e)} aria-label={t('ops.doc.title')}>
      <Field label={t('ops.doc.title')} hint={t('ops.doc.hint')}>
        {(p) => <input {...p} type="file" name="document" onChange={(e) => setFile(e.target.files?.[0] ?? null)} />}
      </Field>
      <Field label={t('common.title')}>{(p) => <input {...p} name="documentTitle" value={title} onChange={(e) => setTitle(e.target.value)} />}</Field>
      <button type="submit" className="btn" disabled={busy}>
        {t('ops.doc.upload')}
      </button>
      {done && (
        <p className="notice notice-ok" role="status">
          {t('ops.doc.done')}
        </p>
      )}
      {error && <ErrorBox error={error} />}
    </form>
  );
}
