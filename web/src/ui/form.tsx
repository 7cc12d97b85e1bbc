import { useState, type ReactNode } from 'react';
import { ApiError } from '../api/client.js';
import { useI18n } from '../i18n/index.js';

/**
 * The state every console form keeps: the errors under its fields, a failure that belongs to no field, and whether
 * it is saving. `save` runs the request with `busy` set; the server's field errors land under the fields, any other
 * failure in `failure`.
 */
export function useFormState() {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [failure, setFailure] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const save = async (request: () => Promise<void>) => {
    setBusy(true);
    try {
      await request();
    } catch (err) {
      if (err instanceof ApiError && Object.keys(err.fieldErrors()).length) setErrors(err.fieldErrors());
      else setFailure(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  return { errors, setErrors, failure, setFailure, busy, save };
}

/** A form's submit button in its actions row; it says "Saving…" and is disabled while `busy`. */
export function SubmitButton({ busy, children, className = 'form-actions' }: { busy: boolean; children: ReactNode; className?: string }) {
  const { t } = useI18n();
  return (
    <div className={className}>
      <button type="submit" className="btn btn-primary" disabled={busy}>
        {busy ? t('common.saving') : children}
      </button>
    </div>
  );
}
